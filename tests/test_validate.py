"""Validation: schemas are found, failures are put in the user's terms, the report reads well."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from defects import DEFECTS, ROOT, thyroid_config, valid_book, write_xlsx
from examples import EXAMPLE_FOLDERS

from cohortpress.config import load_study, strptime_format
from cohortpress.errors import Problem
from cohortpress.intake import Workbook, read_workbook
from cohortpress.intake._dates import DateSettings, read_date
from cohortpress.validate import ValidationReport, validate_workbook
from cohortpress.validate._report import Synonym, group_problems
from cohortpress.validate._schemas import patients_schema
from cohortpress.validate._synonyms import declared_spelling, synonyms_line

STUDIES = list(EXAMPLE_FOLDERS)


@pytest.fixture(scope="module")
def config():
    return thyroid_config()


@pytest.fixture(scope="module")
def valid(tmp_path_factory, config) -> Workbook:
    return read_workbook(write_xlsx(valid_book(), tmp_path_factory.mktemp("v") / "v.xlsx"), config)


def _with(workbook: Workbook, **frames: pd.DataFrame) -> Workbook:
    """The workbook with some frames replaced, as another reader might produce them."""
    return Workbook(**{**workbook.__dict__, **frames})


def _schema_file(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.strip()


def test_schemas_load_from_the_repository_folder() -> None:
    code = (
        "from cohortpress.validate._schemas import schema_package; print(schema_package().__file__)"
    )
    assert Path(_schema_file(code)) == ROOT / "schemas" / "__init__.py"


def test_installed_schemas_come_first(tmp_path) -> None:
    # The wheel ships schemas/ as cohortpress/schemas: imitate it with a second package folder.
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    code = (
        f"import cohortpress; cohortpress.__path__.append({str(tmp_path)!r}); "
        "from cohortpress.validate._schemas import patients_schema, schema_package; "
        "from cohortpress.config import load_study; "
        f"patients_schema(load_study({str(ROOT / 'reports' / 'thyroid')!r})); "
        "print(schema_package().__file__)"
    )
    assert Path(_schema_file(code)) == tmp_path / "schemas" / "__init__.py"


def test_every_column_is_documented_for_the_data_dictionary(config) -> None:
    schema = patients_schema(config)
    assert set(config.variables) <= set(schema.columns)
    assert all(column.title and column.description for column in schema.columns.values())
    ecog = schema.columns["ecog"]
    assert list(ecog.checks[0].statistics["allowed_values"]) == ["0", "1", "2", "3", "4"]


def test_valid_workbook_is_ok(valid, config) -> None:
    report = validate_workbook(valid, config)
    assert (report.ok, report.problems) == (True, ())


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_the_example_workbooks_are_clean(study: Path) -> None:
    config = load_study(study)
    if not config.data_path.exists():
        pytest.skip(f"{config.data_path.name} not generated yet")
    report = validate_workbook(read_workbook(config.data_path, config), config)
    assert report.errors == (), "\n".join(report.as_lines())


def test_a_misspelt_level_from_another_reader_gets_a_suggestion(valid, config) -> None:
    patients = valid.patients.copy()
    patients.loc[3, "sex"] = "Femal"
    [problem] = validate_workbook(_with(valid, patients=patients), config).problems
    assert problem == Problem(
        "patients", 3, "Sex", "Femal", "sex must be Male or Female", "did you mean 'Female'?"
    )


def test_values_of_the_wrong_kind_are_named(valid, config) -> None:
    patients = valid.patients.copy()
    patients["age"] = patients["age"].astype(str)
    [problem] = validate_workbook(_with(valid, patients=patients), config).problems
    assert (problem.row, problem.column) == (None, "Age (years)")
    assert problem.rule == "the column holds object values where numbers belong"


def test_a_missing_required_column(valid, config) -> None:
    patients = valid.patients.drop(columns="last_contact")
    [problem] = validate_workbook(_with(valid, patients=patients), config).problems
    assert (problem.row, problem.column) == (None, "Last visit")
    assert problem.rule == "no column for Last contact, which every workbook needs"


def test_a_cell_intake_could_not_read_is_reported_once(tmp_path, config) -> None:
    book = valid_book()
    book.set("patients", 4, "Sorafenib start", "2019-06-31")
    report = validate_workbook(read_workbook(write_xlsx(book, tmp_path / "x.xlsx"), config), config)
    [problem] = report.problems
    assert (problem.row, problem.column, problem.rule) == (
        4,
        "Sorafenib start",
        "not a valid calendar date",
    )


def test_a_rule_reading_a_cell_intake_could_not_read_is_not_said(tmp_path, config) -> None:
    """A stop date in another format is unreadable, not empty: "a reason for stopping is given
    but the stop date is empty" sent the reader to the wrong cell, once per such row."""
    book = valid_book()
    stopped = next(i + 2 for i, row in enumerate(book.patients) if row.get("Reason for stopping"))
    book.set("patients", stopped, "Sorafenib stop", "31.12.2019")
    report = validate_workbook(read_workbook(write_xlsx(book, tmp_path / "x.xlsx"), config), config)
    [problem] = report.problems
    assert (problem.row, problem.column) == (stopped, "Sorafenib stop")
    assert problem.suggestion == (
        "it reads as DD.MM.YYYY: add date_formats: [DD.MM.YYYY] to study.yml"
    )


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("22.07.2014", "it reads as DD.MM.YYYY: add date_formats: [DD.MM.YYYY] to study.yml"),
        ("22/07/2014", "it reads as DD/MM/YYYY: add date_formats: [DD/MM/YYYY] to study.yml"),
        ("07/08/2014", "day and month could be either way round: add date_formats: "
                       "[DD/MM/YYYY] or [MM/DD/YYYY] to study.yml, as the export writes them"),
        ("12 Mar 2014", "it reads as DD Mon YYYY: add date_formats: [DD Mon YYYY] to study.yml"),
        ("2014年7月22日", "it reads as '%Y年%m月%d日': add date_formats: ['%Y年%m月%d日'] to "
                         "study.yml"),
        ("soon", "write it as YYYY-MM-DD, or add its format to date_formats in study.yml"),
    ],
)  # fmt: skip
def test_a_date_in_an_undeclared_format_names_the_format_to_declare(
    text: str, suggestion: str, tmp_path: Path
) -> None:
    reading = read_date(text, DateSettings())
    assert reading.problem and reading.problem.startswith("not a date in a recognised format")
    assert reading.suggestion == suggestion
    if "[" in suggestion and "either" not in suggestion:  # and study.yml takes what it says
        declared = yaml.safe_load(suggestion.split("add ")[1].split(" to study.yml")[0])
        formats = tuple(strptime_format(f) for f in declared["date_formats"])
        assert read_date(text, DateSettings(formats)).problem is None


def test_treatment_starting_after_the_cutoff_is_an_error(valid, config) -> None:
    patients = valid.patients.copy()
    patients.loc[7, "treatment_start"] = pd.Timestamp("2021-06-02")
    patients.loc[7, ["treatment_end", "end_reason", "last_contact"]] = [
        pd.Timestamp("2021-06-20"),
        "other",
        pd.Timestamp("2021-07-01"),
    ]
    report = validate_workbook(_with(valid, patients=patients), config)
    [error] = report.errors
    assert (error.row, error.column) == (7, "Sorafenib start")
    assert error.rule.startswith("treatment starts after the data cutoff (2021-05-31)")
    assert [(w.row, w.column, w.value) for w in report.warnings] == [
        (None, "Sorafenib stop", "1 patient(s), row 7"),
        (None, "Last visit", "1 patient(s), row 7"),
    ]


def test_a_value_outside_its_range_is_not_also_a_warning(valid, config) -> None:
    patients = valid.patients.copy()
    patients.loc[2, "lymphocytes"] = 200000.0
    report = validate_workbook(_with(valid, patients=patients), config)
    assert [p.severity for p in report.problems] == ["error"]


def test_study_variables_required_and_counted(valid, config) -> None:
    variables = dict(config.variables)
    variables["ecog"] = variables["ecog"].model_copy(update={"required": True})
    variables["monocytes"] = variables["monocytes"].model_copy(update={"type": "count"})
    study = config.model_copy(update={"variables": variables})
    patients = valid.patients.copy()
    patients.loc[4, "ecog"] = pd.NA
    patients.loc[5, "monocytes"] = 610.5
    report = validate_workbook(_with(valid, patients=patients), study)
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (4, "ECOG PS", "ECOG PS is required but this cell is empty"),
        (5, "Monocytes (/µl)", "Monocyte count must be a whole number"),
    ]


def test_a_patients_sheet_without_patients(valid, config) -> None:
    report = validate_workbook(_with(valid, patients=valid.patients.iloc[:0]), config)
    assert [p.rule for p in report.problems] == ["the sheet has no patients"]


def test_report_rows_json_and_lines() -> None:
    report = ValidationReport(
        (
            Problem("patients", 3, "Sex", "Femal", "not allowed", "did you mean 'Female'?"),
            Problem("patients", 4, "Lymphocytes", "1.2", "implausible", severity="warning"),
        )
    )
    assert (report.ok, len(report.errors), len(report.warnings)) == (False, 1, 1)
    assert list(report.as_rows()[0]) == [
        "severity",
        "sheet",
        "row",
        "column",
        "value",
        "rule",
        "suggestion",
    ]
    document = json.loads(report.to_json())
    assert (document["ok"], document["errors"], document["warnings"]) == (False, 1, 1)
    assert document["problems"][1]["severity"] == "warning"
    assert report.as_lines() == [
        "patients, row 3, \"Sex\" = Femal: not allowed (did you mean 'Female'?)",
        'patients, row 4, "Lymphocytes" = 1.2: warning: implausible',
    ]


def test_report_text(tmp_path, config, snapshot) -> None:
    book = valid_book()
    for defect in DEFECTS:
        if defect.sheet in ("patients", "adverse_events") and defect.row in (2, 5):
            defect.apply(book)
    report = validate_workbook(read_workbook(write_xlsx(book, tmp_path / "r.xlsx"), config), config)
    assert "\n".join(report.as_lines()) == snapshot


def test_repeated_problems_are_grouped_with_count_and_rows() -> None:
    rule = "not one of the allowed values (Favorable, Intermediate, Poor)"
    problems = [Problem("patients", row, "IMDC risk", "Fav", rule) for row in range(3, 23, 2)]
    problems.insert(2, Problem("patients", 6, "IMDC risk", "Poor risk", rule))
    problems.append(Problem("patients", 30, "CRP (mg/dL)", "1.2", "implausible", None, "warning"))
    groups = group_problems(problems, load_study(ROOT / "reports/renal"))
    assert [(g.value, g.count) for g in groups] == [("Fav", 10), ("Poor risk", 1), ("1.2", 1)]
    fav, poor, crp = groups
    assert fav.rows == (3, 5, 7, 9, 11, 13, 15, 17, 19, 21)
    assert fav.rows_text() == "10 rows: 3, 5, 7, 9, 11, 13, 15, 17, …"
    assert poor.rows_text() == "6"
    assert fav.as_dict()["count"] == 10 and fav.as_dict()["rows"] == list(fav.rows)
    assert fav.synonym == Synonym("imdc", "Fav", "Favorable")
    assert poor.synonym is None  # "Poor risk" might mean something else: no guess
    assert crp.synonym is None and crp.severity == "warning"


def test_many_values_of_one_column_and_rule_are_told_as_one() -> None:
    """Every date of a column in an undeclared format was a line of its own: 281 lines for
    one setting to add. Up to three values stay apart; a spelling of a level always does."""
    rule, hint = "not a date in a recognised format (YYYY-MM-DD)", "add date_formats"
    dates = [Problem("patients", row, "Last visit", f"{row:02}.05.2021", rule, hint)
             for row in range(2, 12)]  # fmt: skip
    few = [Problem("patients", row, "Death", f"{row:02}.06.2021", rule, hint) for row in (2, 3)]
    imdc = "not one of the allowed values (Favorable, Intermediate, Poor)"
    spelt = [Problem("patients", 20 + i, "IMDC risk", v, imdc) for i, v in enumerate("ABCDE")]
    spelt.append(Problem("patients", 30, "IMDC risk", "Fav", imdc))
    groups = group_problems([*dates, *few, *spelt], load_study(ROOT / "reports/renal"))
    told = [(g.column, g.values_text(), g.rows_text()) for g in groups]
    assert told == [
        ("Last visit", "02.05.2021, 03.05.2021, 04.05.2021, … (10 values)",
         "10 rows: 2, 3, 4, 5, 6, 7, 8, 9, …"),
        ("Death", "02.06.2021", "2"),
        ("Death", "03.06.2021", "3"),
        ("IMDC risk", "A, B, C, … (5 values)", "5 rows: 20, 21, 22, 23, 24"),
        ("IMDC risk", "Fav", "30"),  # a synonym to declare, on its own line
    ]  # fmt: skip
    assert groups[0].as_dict()["values"] == [f"{row:02}.05.2021" for row in range(2, 12)]
    assert groups[1].as_dict()["values"] == ["02.06.2021"]


@pytest.mark.parametrize(
    ("value", "levels", "level"),
    [
        ("ClearCell", ("Clear cell", "Non-clear cell"), "Clear cell"),  # case and spacing
        ("NCC", ("Clear cell", "Non-clear cell"), "Non-clear cell"),  # initials
        ("Intermed.", ("Favorable", "Intermediate", "Poor"), "Intermediate"),  # abbreviation
        ("Negatve", ("Positive", "Negative"), "Negative"),  # a close match
        ("Poor risk", ("Favorable", "Intermediate", "Poor"), None),
        ("P", ("Favorable", "Intermediate", "Poor"), None),  # too short to be sure
        ("Papill", ("Papillary", "Papilloma"), None),  # two levels fit
        ("zero", ("0", "1", "2"), None),
    ],
)
def test_a_value_is_a_spelling_only_when_clearly_so(value, levels, level) -> None:
    assert declared_spelling(value, levels) == level


def test_the_synonyms_line_keeps_the_present_ones_and_is_yaml() -> None:
    line = synonyms_line({"favourable": "Favorable"}, {"Fav": "Favorable", "FAVOURABLE": "x"})
    assert line == "synonyms: {favourable: Favorable, Fav: Favorable}"
    yes_no = synonyms_line({}, {"Yess": "Yes", "1.0": "1"})
    assert yaml.safe_load(yes_no) == {"synonyms": {"Yess": "Yes", "1.0": "1"}}


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("treatment_end", "needed by the treatment duration and reasons for stopping, the TTF"),
        ("end_reason", "needed by the reasons for stopping treatment"),
        ("progression_date", "needed by the clinical benefit rate (how long SD lasted)"),
        ("death_date", "needed by the OS endpoint and the TTF endpoint"),
    ],
)
def test_an_absent_column_the_study_needs_is_one_located_error(valid, config, field, words):
    report = validate_workbook(_with(valid, patients=valid.patients.drop(columns=field)), config)
    [problem] = [p for p in report.errors if p.row is None]  # rows only where a rule is broken
    assert len(report.errors) == (2 if field == "death_date" else 1)  # P04 stopped for death
    assert (problem.sheet, problem.row, problem.column) == ("patients", None, config.header(field))
    assert words in problem.rule


def test_an_absent_column_nothing_needs_is_read_as_empty(valid, config) -> None:
    from cohortpress.analyse import analyse
    from cohortpress.derive import derive_cohort

    raw = {**config.model_dump(exclude_defaults=True), "response": None, "folder": config.folder}
    study = type(config).model_validate(raw)
    patients = valid.patients.drop(columns="progression_date")
    assert validate_workbook(_with(valid, patients=patients), study).ok
    results = analyse(derive_cohort(patients, valid.adverse_events, study), study)
    assert results.response is None and results.n == 5


def test_unknown_patient_ids_get_cheap_suggestions(valid, config) -> None:
    events = pd.concat([valid.adverse_events] * 10, ignore_index=True)
    events.index = range(2, len(events) + 2)
    events["patient_id"] = [f"X{i}" for i in range(len(events))]
    last = events.index[-1]
    events.loc[2, "patient_id"] = "P001"  # a typo among the first unknown IDs: fuzzy match
    events.loc[last - 1, "patient_id"] = "P002"  # a typo after them: no fuzzy search
    events.loc[last, "patient_id"] = " p01"  # case and spacing: suggested wherever it is
    report = validate_workbook(_with(valid, adverse_events=events), config)
    unknown = [p for p in report.errors if p.rule.startswith("no patient with this ID")]
    assert len(unknown) == len(events)
    suggestions = {p.value: p.suggestion for p in unknown}
    assert suggestions["P001"] == suggestions[" p01"] == "did you mean 'P01'?"
    assert suggestions["P002"] is None


def test_ids_that_differ_only_in_leading_zeros_are_suggested_with_the_reason(tmp_path) -> None:
    # "0001" typed in a text column of patients; 1 in a number column of adverse events.
    book = valid_book()
    for row in book.patients:
        row["Patient ID"] = str(row["Patient ID"]).replace("P", "00")
    for row in book.adverse_events:
        row["Patient ID"] = int(str(row["Patient ID"])[1:])
    config = thyroid_config()
    workbook = read_workbook(write_xlsx(book, tmp_path / "zeros.xlsx"), config)
    unknown = [p for p in validate_workbook(workbook, config).problems if p.value == "1"]
    assert [(p.sheet, p.row) for p in unknown] == [("adverse_events", 2), ("adverse_events", 3)]
    assert unknown[0].suggestion == (
        "did you mean '0001'? The two differ only in leading zeros, which Excel drops from a "
        "number: format the ID columns of both sheets as text and type the IDs alike"
    )


def test_a_registry_finds_the_ids_that_differ_only_in_leading_zeros() -> None:
    from cohortpress.validate._cross_sheet import id_key
    from cohortpress.validate._partitions import _folded_ids

    ids = pd.DataFrame({"patient_id": ["0012", "12", "012a", "A12", "0"]})
    found = _folded_ids(ids, frozenset({id_key("12"), id_key("000")}))
    assert found.tolist() == ["0012", "12", "0"]
