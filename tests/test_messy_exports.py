"""A workbook as people leave it reads as the clean workbook it stands for.

Each example takes the test workbook (tests/defects.py) and does to it, in any combination,
what editing it in Excel does without changing what it says: numbers typed with a % sign in a
percentage cell, a patient's ID merged down over the rows of their adverse events, rows and
columns hidden, control characters pasted into text (invisible in Excel, stored as
``_x001B_``), saved as .xlsx or as .xlsb. The typed sheets must equal the clean workbook's;
the hidden rows and columns are the only warnings.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import openpyxl
from defects import rewrite_parts, thyroid_config, valid_book, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from xlsb import Layout, write_book_xlsb

from cohortpress.intake import read_workbook

CONFIG = thyroid_config()
BOOK = valid_book()
PATIENT_COLUMNS = list(BOOK.patients[0])
EVENT_COLUMNS = list(BOOK.adverse_events[0])
CHANGE = "Max change in target lesions (%)"
PATIENT_ROWS = range(2, 2 + len(BOOK.patients))  # Excel rows
CLEAN = read_workbook(write_xlsx(BOOK, Path(tempfile.mkdtemp()) / "clean.xlsx"), CONFIG)
# Text cells a control character may be pasted into, and what is pasted (as Excel stores it):
# controls that are no whitespace, which Excel shows as nothing.
TEXT_CELLS = [("patients", "Sex"), ("patients", "Patient ID"), ("adverse_events", "Adverse event")]
PASTED = ["_x001B_", "_x0007_", "_x009B_", "_x0000_", "_x0007__x001B_"]


def _letter(columns: list[str], header: str) -> str:
    return get_column_letter(columns.index(header) + 1)


def _runs_of_one_patient() -> list[tuple[int, int]]:
    """Excel rows (first, last) of the adverse events' runs of one patient's ID."""
    ids = [row["Patient ID"] for row in BOOK.adverse_events]
    runs, start = [], 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or ids[i] != ids[start]:
            if i - start > 1:
                runs.append((start + 2, i + 1))
            start = i
    return runs


@st.composite
def messes(draw: st.DrawFn) -> dict:
    changes = [r for r in PATIENT_ROWS if BOOK.patients[r - 2][CHANGE] is not None]
    return {
        "percent": draw(st.sets(st.sampled_from(changes))),
        "merged": draw(st.sets(st.sampled_from(_runs_of_one_patient()))),
        "hidden": draw(st.sets(st.sampled_from(list(PATIENT_ROWS)))),
        "hidden_columns": draw(st.sets(st.sampled_from(["Sex", "ECOG PS", "Name"]))),
        "pasted": draw(
            st.dictionaries(
                st.tuples(st.sampled_from(TEXT_CELLS), st.sampled_from(list(PATIENT_ROWS))),
                st.sampled_from(PASTED),
                max_size=4,
            )
        ),
    }


def _write_messy(mess: dict, folder: Path) -> Path:
    book = BOOK.copy()
    for row in mess["percent"]:  # typed as "-30%": stored as -0.3
        book.set("patients", row, CHANGE, book.patients[row - 2][CHANGE] / 100)
    for first, last in mess["merged"]:
        for row in range(first + 1, last + 1):
            book.set("adverse_events", row, "Patient ID", None)
    tokens = {}
    for n, ((sheet, header), row) in enumerate(sorted(mess["pasted"])):
        rows = getattr(book, sheet)
        if row - 2 >= len(rows) or not isinstance(rows[row - 2][header], str):
            continue
        text = str(rows[row - 2][header])
        token = f"PASTE{n}TOKEN"
        tokens[token] = text[:1] + mess["pasted"][(sheet, header), row] + text[1:]
        book.set(sheet, row, header, token)
    path = write_xlsx(book, folder / "messy.xlsx")
    edited = openpyxl.load_workbook(path)
    patients, events = edited["patients"], edited["adverse_events"]
    for row in mess["percent"]:
        patients[f"{_letter(PATIENT_COLUMNS, CHANGE)}{row}"].number_format = "0%"
    for first, last in mess["merged"]:
        column = _letter(EVENT_COLUMNS, "Patient ID")
        events.merge_cells(f"{column}{first}:{column}{last}")
    for row in mess["hidden"]:
        patients.row_dimensions[row].hidden = True
    for header in mess["hidden_columns"]:
        patients.column_dimensions[_letter(PATIENT_COLUMNS, header)].hidden = True
    edited.save(path)

    def pasted(_name: str, data: bytes) -> bytes:
        for token, text in tokens.items():
            data = data.replace(token.encode(), text.encode())
        return data

    return rewrite_parts(path, path, pasted)


def _write_messy_xlsb(mess: dict, folder: Path) -> Path:
    """The same mess in Excel's binary workbook, which stores text as it is (a pasted ESC is
    the character itself, not ``_x001B_``)."""
    book = BOOK.copy()
    for row in mess["percent"]:
        book.set("patients", row, CHANGE, book.patients[row - 2][CHANGE] / 100)
    for first, last in mess["merged"]:
        for row in range(first + 1, last + 1):
            book.set("adverse_events", row, "Patient ID", None)
    for (sheet, header), row in sorted(mess["pasted"]):
        text = getattr(book, sheet)[row - 2][header] if row - 2 < len(getattr(book, sheet)) else 0
        if isinstance(text, str):
            pasted = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)),
                            mess["pasted"][(sheet, header), row])  # fmt: skip
            book.set(sheet, row, header, text[:1] + pasted + text[1:])
    change = PATIENT_COLUMNS.index(CHANGE)
    ids = EVENT_COLUMNS.index("Patient ID")
    layouts = {
        "patients": Layout(
            percent={(row - 1, change) for row in mess["percent"]},
            hidden_rows={row - 1 for row in mess["hidden"]},
            hidden_columns={PATIENT_COLUMNS.index(h) for h in mess["hidden_columns"]},
        ),
        "adverse_events": Layout(
            merged=[(first - 1, last - 1, ids, ids) for first, last in mess["merged"]]
        ),
    }
    return write_book_xlsb(book, folder / "messy.xlsb", layouts)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(messes(), st.sampled_from(["xlsx", "xlsb"]))
def test_a_messy_export_reads_as_the_clean_workbook(mess: dict, kind: str) -> None:
    write = _write_messy if kind == "xlsx" else _write_messy_xlsb
    with tempfile.TemporaryDirectory() as folder:
        messy = read_workbook(write(mess, Path(folder)), CONFIG)
    assert messy.patients.equals(CLEAN.patients)
    assert messy.adverse_events.equals(CLEAN.adverse_events)
    assert [p for p in messy.problems if p.severity == "error"] == []
    warned = {p.row or p.column for p in messy.problems if p.severity == "warning"}
    assert warned == set(mess["hidden"]) | (set(mess["hidden_columns"]) - {"Name"})  # Name: an ID
