"""Deliberately broken workbooks: each defect is reported at its sheet, row and column.

Every workbook starts from the small valid thyroid workbook of ``defects.py`` and breaks one
thing; the report must name the sheet, the Excel row, the header as written and the rule.
The normalisation tests check that what is unambiguous is accepted, and recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest
import yaml
from defects import (
    DEFECTS,
    ROOT,
    Book,
    Defect,
    thyroid_config,
    valid_book,
    write_csv_folder,
    write_xlsx,
)
from defects import (
    THYROID as THYROID_STUDY,
)

from cohortpress.analyse import analyse
from cohortpress.artefacts._figures import _waterfall_caption
from cohortpress.artefacts.figures import figure_waterfall
from cohortpress.artefacts.tables import table_comparison
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.escape import markdown_text
from cohortpress.present.labels import mid_sentence
from cohortpress.present.numbers import collect_numbers, label_keys
from cohortpress.present.placement import Placement
from cohortpress.validate import validate_workbook

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.intake import Workbook
    from cohortpress.validate import ValidationReport


@pytest.fixture(scope="module")
def config() -> StudyConfig:
    return thyroid_config()


def _check(book: Book, path: Path, config: StudyConfig) -> tuple[Workbook, ValidationReport]:
    workbook = read_workbook(write_xlsx(book, path), config)
    return workbook, validate_workbook(workbook, config)


def _reported(report: ValidationReport, defect: Defect) -> bool:
    return any(
        p.sheet == defect.sheet
        and p.row == defect.row
        and p.column == defect.column
        and defect.words in p.rule
        and p.severity == defect.severity
        for p in report.problems
    )


def test_there_are_at_least_thirty_kinds_of_defect() -> None:
    assert len({d.name for d in DEFECTS}) == len(DEFECTS) >= 30


def test_valid_workbook_has_no_problem(tmp_path: Path, config: StudyConfig) -> None:
    _, report = _check(valid_book(), tmp_path / "valid.xlsx", config)
    assert report.problems == ()
    assert report.ok


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d.name)
def test_defect_is_reported_where_it_is(tmp_path: Path, config: StudyConfig, defect: Defect):
    book = valid_book()
    defect.apply(book)
    _, report = _check(book, tmp_path / "broken.xlsx", config)
    assert _reported(report, defect), "\n".join(report.as_lines())
    assert report.ok is (defect.severity == "warning")


def test_many_defects_in_one_workbook_are_all_reported(tmp_path: Path, config: StudyConfig):
    # One defect per cell, none touching another's row and column, so each stays visible.
    chosen = [d for d in DEFECTS if d.name in MANY]
    book = valid_book()
    for defect in chosen:
        defect.apply(book)
    _, report = _check(book, tmp_path / "many.xlsx", config)
    missing = [d.name for d in chosen if not _reported(report, d)]
    assert not missing, "\n".join(report.as_lines())
    assert len(report.errors) >= len([d for d in chosen if d.severity == "error"])


MANY = {
    "misspelt sex",
    "age above 120",
    "negative age",
    "impossible date",
    "incomplete date",
    "stop before start",
    "last visit before start",
    "unknown response",
    "ECOG out of levels",
    "binary not yes/no",
    "Excel error value",
    "implausible count",
    "grade above 5",
    "fractional grade",
    "grade in words",
    "unknown patient in AEs",
    "no term",
}


def test_problems_are_sorted_by_sheet_then_row(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    for defect in DEFECTS:
        if defect.name in MANY:
            defect.apply(book)
    _, report = _check(book, tmp_path / "many.xlsx", config)
    order = [(p.sheet != "patients", p.row or 0) for p in report.problems]
    assert order == sorted(order)


# Normalisations: accepted because unambiguous, and recorded.


def _rules(workbook: Workbook, column: str | None = None) -> dict[str, int]:
    return {n.rule: n.count for n in workbook.normalisations if n.column == column}


def test_built_in_synonyms_are_read_and_recorded(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    book.set("patients", 2, "Sex", " m ")
    book.set("patients", 3, "Sex", "female")
    book.set("patients", 3, "Reason for stopping", "Adverse event")
    book.set("patients", 2, "Bone metastasis", "Y")
    book.set("patients", 3, "Lung metastasis", 1)
    book.set("patients", 4, "Anti-Tg antibody", "neg")
    book.set("patients", 5, "Best response (RECIST)", "progressive disease")
    book.set("adverse_events", 2, "CTCAE grade", "G2")
    book.set("adverse_events", 3, "CTCAE grade", "Grade 3")
    workbook, report = _check(book, tmp_path / "synonyms.xlsx", config)
    assert report.ok, report.as_lines()
    patients = workbook.patients
    assert patients.loc[[2, 3], "sex"].tolist() == ["Male", "Female"]
    assert patients.loc[3, "end_reason"] == "adverse_event"
    assert patients.loc[2, "bone_metastasis"] == "Yes"
    assert patients.loc[3, "lung_metastasis"] == "Yes"
    assert patients.loc[4, "anti_tg_antibody"] == "Negative"
    assert patients.loc[5, "best_response"] == "PD"
    assert workbook.adverse_events.loc[[2, 3], "grade"].tolist() == [2.0, 3.0]
    assert _rules(workbook, "Sex") == {"'m' read as 'Male'": 1, "'female' read as 'Female'": 1}
    assert _rules(workbook, "Reason for stopping") == {"'Adverse event' read as 'adverse_event'": 1}
    assert _rules(workbook, "CTCAE grade") == {"grades written as 'G3' or 'Grade 3' read": 2}


def test_declared_synonyms_are_applied(tmp_path: Path, config: StudyConfig) -> None:
    histology = config.variables["histology"].model_copy(update={"synonyms": {"PTC": "Papillary"}})
    assert config.adverse_events is not None
    events = config.adverse_events.model_copy(
        update={"synonyms": {"HFSR": "Hand-foot skin reaction"}}
    )
    study = config.model_copy(
        update={"variables": {**config.variables, "histology": histology}, "adverse_events": events}
    )
    book = valid_book()
    book.set("patients", 2, "Histology", "ptc")
    book.set("adverse_events", 2, "Adverse event", "HFSR")
    book.set("adverse_events", 4, "Adverse event", "diarrhoea")  # "Diarrhoea" in no other row
    book.set("adverse_events", 6, "Adverse event", "fatigue")
    for patient in ("P05", "P06"):  # two rows spell it "Fatigue", one "fatigue"
        book.adverse_events.append({**book.adverse_events[4], "Patient ID": patient})
        book.adverse_events[-1]["Adverse event"] = "Fatigue"
    workbook, report = _check(book, tmp_path / "declared.xlsx", study)
    assert report.ok, report.as_lines()
    assert workbook.patients.loc[2, "histology"] == "Papillary"
    terms = workbook.adverse_events["term"]
    assert terms.loc[2] == "Hand-foot skin reaction"
    assert terms.loc[[6, 8, 9]].tolist() == ["Fatigue"] * 3  # spellings differing in case merged
    assert _rules(workbook, "Histology") == {"'ptc' read as 'Papillary'": 1}
    assert "'fatigue' written as 'Fatigue'" in _rules(workbook, "Adverse event")


def test_missing_value_words_are_read_as_missing(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    book.set("patients", 7, "Max change in target lesions (%)", "NA")
    book.set("patients", 4, "Progression date", "-")
    book.set("patients", 5, "ECOG PS", "unknown")
    workbook, report = _check(book, tmp_path / "missing.xlsx", config)
    assert report.ok, report.as_lines()
    patients = workbook.patients
    assert pd.isna(patients.loc[7, "best_change_pct"])
    assert pd.isna(patients.loc[4, "progression_date"])
    assert pd.isna(patients.loc[5, "ecog"])
    assert _rules(workbook, "ECOG PS") == {"'unknown' read as missing": 1}


def test_excel_serial_dates_are_read(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    book.set("patients", 2, "Sorafenib start", 43475)  # 2019-01-10 as a number-formatted cell
    book.set("patients", 3, "Last visit", 44316.75)  # 2021-04-30 18:00
    workbook, report = _check(book, tmp_path / "serial.xlsx", config)
    assert report.ok, report.as_lines()
    assert workbook.patients.loc[2, "treatment_start"] == dt.datetime(2019, 1, 10)
    assert workbook.patients.loc[3, "last_contact"] == dt.datetime(2021, 4, 30)
    assert _rules(workbook, "Sorafenib start") == {"Excel serial numbers read as dates": 1}


def test_text_dates_are_read_in_the_study_formats(tmp_path: Path, config: StudyConfig) -> None:
    study = config.model_copy(update={"date_formats": ("%d/%m/%Y",)})
    book = valid_book()
    book.set("patients", 2, "Sorafenib start", "10/01/2019")
    book.set("patients", 3, "Sorafenib start", "2019-03-05")
    book.set("patients", 4, "Sorafenib start", "20190601")
    workbook, report = _check(book, tmp_path / "text-dates.xlsx", study)
    assert report.ok, report.as_lines()
    starts = workbook.patients.loc[[2, 3, 4], "treatment_start"].dt.strftime("%Y-%m-%d")
    assert starts.tolist() == ["2019-01-10", "2019-03-05", "2019-06-01"]
    assert _rules(workbook, "Sorafenib start") == {
        "dates typed as text (DD/MM/YYYY) read": 1,
        "dates typed as text (YYYY-MM-DD) read": 1,
        "dates typed as text (YYYYMMDD) read": 1,
    }


def test_a_date_two_formats_read_differently_is_a_problem(tmp_path: Path, config: StudyConfig):
    study = config.model_copy(update={"date_formats": ("%d/%m/%Y", "%m/%d/%Y")})
    book = valid_book()
    book.set("patients", 2, "Sorafenib start", "10/01/2019")
    book.set("patients", 3, "Sorafenib start", "25/03/2019")  # only DD/MM/YYYY reads it
    workbook, report = _check(book, tmp_path / "ambiguous.xlsx", study)
    [problem] = [p for p in report.errors if p.column == "Sorafenib start"]
    assert (problem.row, problem.value) == (2, "10/01/2019")
    assert problem.rule == "an ambiguous date: 2019-01-10 or 2019-10-01"
    assert workbook.patients.loc[3, "treatment_start"] == dt.datetime(2019, 3, 25)


def test_title_block_and_trailing_blank_rows(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    book.title_rows = [["Sorafenib cohort, data as of 2021-05-31"], ["Confidential"], []]
    book.trailing_blank_rows = 4
    book.set("patients", 5, "Sex", "Femal")  # Excel row 5 + 3 title rows = row 8
    workbook, report = _check(book, tmp_path / "title.xlsx", config)
    assert workbook.patients.index.tolist() == [5, 6, 7, 8, 9, 10]
    assert [(p.row, p.column) for p in report.errors] == [(8, "Sex")]
    assert _rules(workbook) == {"rows above the header row skipped": 3, "blank rows skipped": 4}


def test_unused_columns_are_dropped_at_once(tmp_path: Path, config: StudyConfig) -> None:
    workbook, _ = _check(valid_book(), tmp_path / "valid.xlsx", config)
    assert "Name" not in workbook.patients
    assert not any("Sato" in str(v) for v in workbook.patients.to_numpy().ravel())


def test_csv_with_a_byte_order_mark(tmp_path: Path, config: StudyConfig) -> None:
    folder = write_csv_folder(valid_book(), tmp_path / "bom", encoding="utf-8-sig")
    workbook = read_workbook(folder, config)
    assert validate_workbook(workbook, config).problems == ()
    assert workbook.source == "csv"
    assert workbook.patients.loc[2, "patient_id"] == "P01"  # no BOM glued to the first header
    assert _rules(workbook) == {"read as UTF-8 text with a byte-order mark": 1}


def test_csv_with_semicolons_and_decimal_commas(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    book.set("patients", 2, "Max change in target lesions (%)", -12.5)  # written "-12,5"
    workbook = read_workbook(write_csv_folder(book, tmp_path / "semi", delimiter=";"), config)
    assert validate_workbook(workbook, config).problems == ()
    assert workbook.patients.loc[2, "best_change_pct"] == -12.5
    assert "fields separated by semicolons" in _rules(workbook)
    assert _rules(workbook, "Max change in target lesions (%)") == {"decimal commas read": 1}


def test_csv_in_windows_western_encoding(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    book.set("adverse_events", 2, "Adverse event", "Érythème")
    workbook = read_workbook(write_csv_folder(book, tmp_path / "w", encoding="cp1252"), config)
    assert validate_workbook(workbook, config).problems == ()
    assert workbook.adverse_events.loc[2, "term"] == "Érythème"
    assert workbook.headers[("patients", "neutrophils")] == "Neutrophils (/µl)"
    assert "read as Windows Western (cp1252) text encoding" in _rules(workbook)


def test_csv_in_japanese_shift_jis(tmp_path: Path, config: StudyConfig) -> None:
    book = valid_book()
    for header in ("Neutrophils (/µl)", "Lymphocytes (/µl)", "Monocytes (/µl)", "Platelets (/µl)"):
        book.rename("patients", header, header.replace("µ", "μ"))  # Shift_JIS has Greek mu only
    book.set("adverse_events", 2, "Adverse event", "手足症候群")
    workbook = read_workbook(write_csv_folder(book, tmp_path / "sjis", encoding="cp932"), config)
    assert validate_workbook(workbook, config).problems == ()
    assert workbook.adverse_events.loc[2, "term"] == "手足症候群"
    assert workbook.patients.loc[2, "neutrophils"] == 4000
    assert "read as Japanese Shift_JIS (cp932) text encoding" in _rules(workbook)


# Keys of results.json: different labels, different keys; the text prints each with its own number.


def test_label_keys_are_distinct_readable_and_stable() -> None:
    labels = ["発熱", "倦怠感", "Rash", "Rash!", "rash", "ALT < 40", "ALT ≥ 40", "Hand-foot skin"]
    keys = label_keys(labels)
    assert len(set(keys.values())) == len(labels)
    assert keys["Hand-foot skin"] == "hand_foot_skin"  # readable where nothing collides
    assert keys["Rash"].startswith("rash_") and keys["ALT < 40"].startswith("alt_40_")
    assert keys["発熱"].startswith("label_")
    assert label_keys(["発熱"]) == {"発熱": keys["発熱"]}  # non-ASCII: the same key in any group
    assert label_keys(["Rash", "Fatigue"]) == {"Rash": "rash", "Fatigue": "fatigue"}


def test_colliding_ae_terms_keep_their_own_numbers(tmp_path: Path, config: StudyConfig) -> None:
    # P06 is excluded (treated < 1 month): 5 patients analysed, each term in its own number.
    counts = {"発熱": 5, "倦怠感": 4, "ALT ≥ 40": 3, "ALT < 40": 2, "Rash!": 1, "Rash": 1}
    book = valid_book()
    book.adverse_events = [
        {"Patient ID": f"P0{i + 1}", "Adverse event": term, "CTCAE grade": 1, "Onset date": None}
        for term, k in counts.items()
        for i in range(k)
    ]
    workbook, report = _check(book, tmp_path / "terms.xlsx", config)
    assert report.ok, report.as_lines()
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    terms = numbers.nested(leaf="all")["ae"]["terms"]  # a 5-patient Cox HR may be infinite
    assert len(terms) == len(counts)
    assert sorted(entry["n"]["value"] for entry in terms.values()) == sorted(counts.values())
    for term, k in counts.items():
        assert terms[numbers.key("ae.terms", term)]["n"]["value"] == k
    text = write_paragraphs(results, config, numbers, Placement(), normalisations=[], warnings=[])
    safety = text["results_safety"]
    printed = {"発熱": "100%", "倦怠感": "80.0%", "ALT ≥ 40": "60.0%", "ALT < 40": "40.0%"}
    for term, pct in printed.items():  # the paragraph is Markdown: terms are escaped
        assert f"{markdown_text(mid_sentence(term))} ({pct})" in safety, safety


# compare_by with blank cells: counted, stated, never a crash.


def _by(config: StudyConfig, factor: str) -> StudyConfig:
    raw = {**config.model_dump(exclude_defaults=True), "compare_by": factor}
    return StudyConfig.model_validate({**raw, "folder": config.folder})


@pytest.mark.parametrize(("factor", "blank"), [("diagnosis", "diagnosis"), ("LMR", "lymphocytes")])
def test_compare_by_counts_patients_without_a_group(config, factor, blank) -> None:
    study = _by(config, factor)
    workbook = read_workbook(study.data_path, study)
    patients = workbook.patients.copy()
    patients.loc[patients.index[:2], blank] = pd.NA
    patients.loc[patients.index[5:8], "histology"] = pd.NA  # and blank characteristics
    results = analyse(derive_cohort(patients, workbook.adverse_events, study), study)
    comparison = results.comparison
    assert comparison is not None
    assert sum(comparison.sizes) + comparison.ungrouped == results.n
    assert comparison.ungrouped >= 1
    table = table_comparison(results, study)
    assert table is not None
    label = f"{comparison.label[:1].lower()}{comparison.label[1:]}"  # the group's name, not its key
    note = next(n for n in table.notes if f"no {label} group" in n)
    assert f"{comparison.ungrouped} patient" in note
    unknown = table.frame[table.frame["Variable"].str.strip() == "Unknown"]
    assert len(unknown) == 1 and (unknown.iloc[0, 1:-1] != "").all()  # in every column


def test_waterfall_caption_counts_the_patients_drawn() -> None:
    renal = load_study(ROOT / "reports" / "renal")
    figure = figure_waterfall([-40.0, 10.0, None], ["PR", "SD", "NE"], not_measured=2)
    assert figure.n_patients == 2
    assert figure.note == "3 patients without a recorded change in target lesions are not shown."
    assert " in the 2 patients treated with sorafenib" in _waterfall_caption(2, renal)


# Through the command line: exit code and one plain message, never a traceback.


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", *args]
    env = {**os.environ, "COLUMNS": "200"}  # the problems table wide enough not to fold words
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)


def test_cli_refuses_a_folder_of_csv_and_parquet(tmp_path: Path) -> None:
    folder = write_csv_folder(valid_book(), tmp_path / "mixed")
    pd.DataFrame(valid_book().adverse_events).astype(str).to_parquet(
        folder / "adverse_events.parquet"
    )
    done = _cli("validate", "reports/thyroid", "--data", str(folder))
    assert done.returncode == 2, done.stderr
    assert "holds both CSV and Parquet files" in done.stderr
    assert "adverse_events.parquet" in done.stderr and "Traceback" not in done.stderr


def test_cli_names_an_absent_column_the_study_needs(tmp_path: Path) -> None:
    book = valid_book()
    for row in book.patients:
        del row["Progression date"]
    done = _cli("validate", "reports/thyroid", "--data", str(write_xlsx(book, tmp_path / "w.xlsx")))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Progression date" in done.stdout and "clinical benefit" in done.stdout
    assert "Traceback" not in done.stderr


def test_cli_report_without_an_adverse_events_sheet(tmp_path: Path) -> None:
    raw = yaml.safe_load((THYROID_STUDY / "study.yml").read_text(encoding="utf-8"))
    del raw["adverse_events"], raw["sheets"]
    study = tmp_path / "study"
    study.mkdir()
    (study / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    shutil.copy(THYROID_STUDY / "manuscript.qmd", study)
    shutil.copy(THYROID_STUDY / "references.bib", study)  # the manuscript cites it
    shutil.copy(ROOT / "_quarto.yml", tmp_path)
    book = openpyxl.load_workbook(ROOT / "data" / "thyroid_sorafenib.xlsx")
    del book["adverse_events"]
    book.save(tmp_path / "no-ae.xlsx")
    out = tmp_path / "out"
    done = _cli("report", str(study), "--data", str(tmp_path / "no-ae.xlsx"), "--to", "html",
                "--output", str(out), "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = (out / "study" / "manuscript.html").read_text(encoding="utf-8")
    assert "Adverse events are not reported: the workbook has no adverse events sheet." in html
    assert "ae" not in json.loads((out / "study" / "results.json").read_text(encoding="utf-8"))
