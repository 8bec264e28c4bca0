"""Small thyroid-study workbooks for the intake and validation tests, valid or broken on purpose.

``valid_book()`` builds six patients and six adverse events that meet every rule of the
thyroid study (reports/thyroid/study.yml). Each :class:`Defect` breaks one thing in a copy
and says where the report must point: sheet, Excel row, column header and words of the rule.
Workbooks are written to a temporary folder by the tests; none is kept in the repository.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl

from cohortpress.config import StudyConfig, load_study

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[1]
THYROID = ROOT / "reports" / "thyroid"
D = dt.date

Row = dict[str, object]

PATIENT_HEADERS = (
    "Patient ID", "Name", "Age (years)", "Sex", "Sorafenib start", "Sorafenib stop",
    "Reason for stopping", "Progression date", "Date of death", "Last visit",
    "Best response (RECIST)", "Max change in target lesions (%)", "ECOG PS", "Diagnosis",
    "Histology", "Bone metastasis", "Lung metastasis", "Lymph node metastasis",
    "Subjective symptoms", "Anti-Tg antibody", "Neutrophils (/µl)", "Lymphocytes (/µl)",
    "Monocytes (/µl)", "Platelets (/µl)",
)  # fmt: skip
AE_HEADERS = ("Patient ID", "Adverse event", "CTCAE grade", "Onset date")


def thyroid_config() -> StudyConfig:
    return load_study(THYROID)


# fmt: off
_PATIENTS = [
    # ID, name, age, sex, start, stop, reason for stopping, progression, death, last visit,
    # best response, best change; then ECOG, diagnosis, histology, bone, lung, lymph nodes,
    # symptoms, anti-Tg antibody; then neutrophils, lymphocytes, monocytes, platelets
    ("P01", "A. Sato", 65, "Male", D(2019, 1, 10), D(2019, 9, 1), "progression",
     D(2019, 8, 20), D(2020, 3, 1), D(2020, 3, 1), "SD", -10.0,
     0, "Recurrence", "Papillary", "Yes", "Yes", "No", "No", "Negative",
     4000, 1500, 400, 250000),
    ("P02", "B. Ito", 72, "Female", D(2019, 3, 5), D(2020, 1, 15), "adverse_event",
     None, None, D(2021, 4, 30), "PR", -35.0,
     1, "Locally advanced", "Follicular", "No", "Yes", "Yes", "Yes", "Positive",
     5200, 1100, 520, 310000),
    ("P03", "C. Kato", 58, "Male", D(2019, 6, 1), None, None,
     None, None, D(2021, 5, 20), "SD", -5.0,
     0, "Recurrence", "Papillary", "No", "Yes", "No", "No", "Negative",
     3600, 2100, 380, 220000),
    ("P04", "D. Abe", 80, "Female", D(2019, 7, 15), D(2019, 12, 1), "death",
     D(2019, 11, 1), D(2019, 12, 1), D(2019, 12, 1), "PD", 25.0,
     2, "Recurrence", "Poorly differentiated", "Yes", "No", "Yes", "Yes", "Negative",
     7800, 900, 610, 410000),
    ("P05", "E. Mori", 61, "Female", D(2020, 1, 20), D(2020, 10, 10), "patient_decision",
     None, None, D(2021, 3, 1), "SD", 0.0,
     1, "Locally advanced", "Papillary", "No", "Yes", "Yes", "No", "Positive",
     4400, 1700, 450, 260000),
    ("P06", "F. Ueda", 69, "Male", D(2020, 5, 5), D(2020, 5, 25), "physician_decision",
     None, None, D(2021, 2, 2), "NE", None,
     0, "Recurrence", "Follicular", "No", "No", "No", "No", "Negative",
     3900, 1300, 350, 240000),
]
# fmt: on


def valid_patients() -> list[Row]:
    """Six patients; Excel rows 2-7 when the header is in row 1."""
    return [dict(zip(PATIENT_HEADERS, row, strict=True)) for row in _PATIENTS]


def valid_adverse_events() -> list[Row]:
    """Six adverse events; Excel rows 2-7."""
    rows = [
        ("P01", "Hand-foot skin reaction", 2, D(2019, 2, 1)),
        ("P01", "Hypertension", 3, D(2019, 3, 1)),
        ("P02", "Diarrhoea", 1, D(2019, 4, 2)),
        ("P02", "Hand-foot skin reaction", 3, D(2019, 3, 20)),
        ("P04", "Fatigue", 2, D(2019, 8, 1)),
        ("P05", "Alopecia", 1, D(2020, 3, 3)),
    ]
    return [dict(zip(AE_HEADERS, row, strict=True)) for row in rows]


@dataclass
class Book:
    """The content of a workbook: rows keyed by header, and how to lay it out."""

    patients: list[Row] = field(default_factory=valid_patients)
    adverse_events: list[Row] = field(default_factory=valid_adverse_events)
    sheet_names: dict[str, str] = field(
        default_factory=lambda: {"patients": "patients", "adverse_events": "adverse_events"}
    )
    title_rows: list[list[object]] = field(default_factory=list)  # above the header
    trailing_blank_rows: int = 0

    def copy(self) -> Book:
        return copy.deepcopy(self)

    def set(self, sheet: str, row: int, header: str, value: object) -> None:
        """Set a cell by its Excel row (header in row 1, before any title rows)."""
        getattr(self, sheet)[row - 2][header] = value

    def rename(self, sheet: str, old: str, new: str) -> None:
        rows = getattr(self, sheet)
        rows[:] = [{(new if k == old else k): v for k, v in r.items()} for r in rows]

    def grid(self, sheet: str) -> list[list[object]]:
        rows = getattr(self, sheet)
        headers = list(dict.fromkeys(h for row in rows for h in row))
        body = [[row.get(h) for h in headers] for row in rows]
        blank: list[list[object]] = [[None] * len(headers)] * self.trailing_blank_rows
        return [*self.title_rows, headers, *body, *blank]


def valid_book() -> Book:
    return Book()


def write_xlsx(book: Book, path: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for key, name in book.sheet_names.items():
        sheet = workbook.create_sheet(name)
        for row in book.grid(key):
            sheet.append(row)
        if book.trailing_blank_rows:  # openpyxl drops empty rows: mark them with spaces
            for r in range(sheet.max_row - book.trailing_blank_rows + 1, sheet.max_row + 1):
                sheet.cell(row=r, column=1, value=" ")
    workbook.save(path)
    return path


def rewrite_parts(source: Path, target: Path, edit: Callable[[str, bytes], bytes]) -> Path:
    """``target``: the zipped file ``source`` (a workbook) with each part as ``edit`` returns
    it from its name and bytes, as another program would have written the file."""
    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, edit(name, data))
    return target


def write_csv_folder(
    book: Book, folder: Path, *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    """One ``<sheet>.csv`` per sheet; dates written as YYYY-MM-DD, as Excel writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in book.sheet_names.items():
        with (folder / f"{name}.csv").open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            for row in book.grid(key):
                writer.writerow(["" if v is None else _csv_text(v, delimiter) for v in row])
    return folder


def _csv_text(value: object, delimiter: str) -> str:
    if isinstance(value, float) and delimiter == ";":
        return f"{value:g}".replace(".", ",")
    return str(value)


@dataclass(frozen=True)
class Defect:
    """One broken thing and where the report must point."""

    name: str
    apply: Callable[[Book], None]
    sheet: str
    row: int | None
    column: str | None
    words: str
    severity: str = "error"


def _cell(sheet: str, row: int, header: str, value: object) -> Callable[[Book], None]:
    return lambda book: book.set(sheet, row, header, value)


def _cells(*changes: tuple[str, int, str, object]) -> Callable[[Book], None]:
    def apply(book: Book) -> None:
        for change in changes:
            book.set(*change)

    return apply


P, AE = "patients", "adverse_events"

# fmt: off
DEFECTS = [
    Defect("duplicate id", _cell(P, 3, "Patient ID", "P01"),
           P, 3, "Patient ID", "more than one row"),
    Defect("empty id", _cell(P, 4, "Patient ID", None), P, 4, "Patient ID", "required"),
    Defect("misspelt sex", _cell(P, 3, "Sex", "Femal"), P, 3, "Sex", "allowed values"),
    Defect("age above 120", _cell(P, 5, "Age (years)", 130),
           P, 5, "Age (years)", "between 0 and 120"),
    Defect("negative age", _cell(P, 6, "Age (years)", -3),
           P, 6, "Age (years)", "between 0 and 120"),
    Defect("age in words", _cell(P, 2, "Age (years)", "sixty"),
           P, 2, "Age (years)", "not a number"),
    Defect("no start date", _cell(P, 4, "Sorafenib start", None),
           P, 4, "Sorafenib start", "required"),
    Defect("impossible date", _cell(P, 2, "Date of death", "2020-02-30"), P, 2, "Date of death",
           "not a valid calendar date"),
    Defect("date in words", _cell(P, 3, "Last visit", "last spring"), P, 3, "Last visit",
           "not a date"),
    Defect("incomplete date", _cell(P, 2, "Progression date", "2019-08"), P, 2,
           "Progression date", "incomplete date"),
    Defect("year only", _cell(P, 2, "Date of death", 2020), P, 2, "Date of death", "only a year"),
    Defect("progression before start", _cell(P, 2, "Progression date", D(2018, 12, 1)), P, 2,
           "Progression date", 'before "Sorafenib start"'),
    Defect("death before start", _cells((P, 4, "Date of death", D(2018, 1, 1)),
                                         (P, 4, "Last visit", D(2018, 1, 1))),
           P, 4, "Date of death", 'before "Sorafenib start"'),
    Defect("stop before start", _cell(P, 3, "Sorafenib stop", D(2019, 1, 1)), P, 3,
           "Sorafenib stop", 'before "Sorafenib start"'),
    Defect("last visit before start", _cell(P, 4, "Last visit", D(2019, 5, 1)), P, 4,
           "Last visit", 'before "Sorafenib start"'),
    Defect("death before progression", _cells((P, 2, "Date of death", D(2019, 8, 1)),
                                              (P, 2, "Last visit", D(2019, 8, 1)),
                                              (P, 2, "Sorafenib stop", D(2019, 8, 1))),
           P, 2, "Date of death", 'before "Progression date"'),
    Defect("last visit before stop", _cell(P, 3, "Last visit", D(2019, 12, 1)), P, 3,
           "Last visit", 'before "Sorafenib stop"'),
    Defect("last visit before progression", _cells((P, 2, "Last visit", D(2019, 8, 15)),
                                                   (P, 2, "Date of death", None),
                                                   (P, 2, "Sorafenib stop", D(2019, 8, 10))),
           P, 2, "Last visit", 'before "Progression date"'),
    Defect("last visit after death", _cell(P, 5, "Last visit", D(2020, 6, 1)), P, 5,
           "Last visit", 'after "Date of death"'),
    Defect("stop after death", _cell(P, 5, "Sorafenib stop", D(2019, 12, 20)), P, 5,
           "Sorafenib stop", 'after "Date of death"'),
    Defect("reason without stop", _cell(P, 3, "Sorafenib stop", None), P, 3,
           "Reason for stopping", '"Sorafenib stop" is empty'),
    Defect("stop without reason", _cell(P, 3, "Reason for stopping", None), P, 3,
           "Sorafenib stop", '"Reason for stopping" is empty'),
    Defect("death as reason without date", _cell(P, 7, "Reason for stopping", "Death"), P, 7,
           "Reason for stopping", '"Date of death" is empty'),
    Defect("no follow-up", _cell(P, 4, "Last visit", None), P, 4, "Last visit",
           "survival cannot be followed"),
    Defect("unknown reason", _cell(P, 3, "Reason for stopping", "holiday"), P, 3,
           "Reason for stopping", "allowed values"),
    Defect("unknown response", _cell(P, 3, "Best response (RECIST)", "CRR"), P, 3,
           "Best response (RECIST)", "allowed values"),
    Defect("shrinkage beyond -100%", _cell(P, 3, "Max change in target lesions (%)", -150), P, 3,
           "Max change in target lesions (%)", "more than 100%"),
    Defect("ECOG out of levels", _cell(P, 2, "ECOG PS", 7), P, 2, "ECOG PS", "allowed values"),
    Defect("misspelt histology", _cell(P, 2, "Histology", "Papilary"), P, 2, "Histology",
           "allowed values"),
    Defect("binary not yes/no", _cell(P, 6, "Bone metastasis", "Maybe"), P, 6, "Bone metastasis",
           "allowed values"),
    Defect("negative count", _cell(P, 2, "Neutrophils (/µl)", -5), P, 2, "Neutrophils (/µl)",
           "between 0 and 100000"),
    Defect("Excel error value", _cell(P, 3, "Monocytes (/µl)", "#DIV/0!"), P, 3,
           "Monocytes (/µl)", "Excel error"),
    Defect("bound instead of a count", _cell(P, 3, "Platelets (/µl)", "<10000"), P, 3,
           "Platelets (/µl)", "a bound"),
    Defect("implausible count", _cell(P, 4, "Lymphocytes (/µl)", 1.2), P, 4, "Lymphocytes (/µl)",
           "plausible", "warning"),
    Defect("date after cutoff", _cell(P, 3, "Last visit", D(2021, 8, 1)), P, None, "Last visit",
           "after the data cutoff", "warning"),
    Defect("missing column", lambda b: b.rename(P, "Histology", "Histology type"), P, None,
           "Histology", "no column"),
    Defect("missing sheet", lambda b: b.sheet_names.update(patients="Patient list"), "patients",
           None, None, "no sheet"),
    Defect("unknown patient in AEs", _cell(AE, 4, "Patient ID", "P99"), AE, 4, "Patient ID",
           "no patient with this ID"),
    Defect("grade above 5", _cell(AE, 3, "CTCAE grade", 6), AE, 3, "CTCAE grade",
           "between 1 and 5"),
    Defect("fractional grade", _cell(AE, 2, "CTCAE grade", 2.5), AE, 2, "CTCAE grade",
           "whole number"),
    Defect("grade in words", _cell(AE, 5, "CTCAE grade", "severe"), AE, 5, "CTCAE grade",
           "not a number"),
    Defect("no term", _cell(AE, 6, "Adverse event", None), AE, 6, "Adverse event", "required"),
    Defect("no grade", _cell(AE, 7, "CTCAE grade", None), AE, 7, "CTCAE grade", "required"),
    Defect("AE without patient", _cell(AE, 2, "Patient ID", " "), AE, 2, "Patient ID",
           "required"),
    Defect("bad onset date", _cell(AE, 3, "Onset date", "31/02/2019"), AE, 3, "Onset date",
           "not a date"),
    Defect("missing AE sheet", lambda b: b.sheet_names.update(adverse_events="AEs"),
           "adverse_events", None, None, "no sheet"),
]
# fmt: on
