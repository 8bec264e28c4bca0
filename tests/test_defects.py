"""Deliberately broken workbooks: each defect is reported at its sheet, row and column.

Every workbook starts from the small valid thyroid workbook of ``defects.py`` and breaks one
thing; the report must name the sheet, the Excel row, the header as written and the rule.
The normalisation tests check that what is unambiguous is accepted, and recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from defects import DEFECTS, Book, Defect, thyroid_config, valid_book, write_csv_folder, write_xlsx

from cohortpress.intake import read_workbook
from cohortpress.validate import validate_workbook

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.config import StudyConfig
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
