"""A row of units under the header is one error naming the row, not an error per column.

A laboratory export's second header row ("years", "YYYY-MM-DD", "%", "×10^9/L") was read as a
patient: "Patient ID is required", "'years' is not a number", "'YYYY-MM-DD' is not a date",
none saying what the row is.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from examples import columns, thyroid_workbook

from cohortpress.config import load_study
from cohortpress.intake import read_workbook
from cohortpress.intake._units_row import UNITS_ROW, is_unit
from cohortpress.validate import validate_workbook

ROOT = Path(__file__).resolve().parents[1]
THYROID = load_study(ROOT / "reports/thyroid")
UNITS = {
    "patients": {"Age (years)": "years", "Sorafenib start": "YYYY-MM-DD",
                 "Max change in target lesions (%)": "(%)", "Neutrophils (/µl)": "×10^3/µL",
                 "Sex": "M/F"},
    "adverse_events": {"Onset date": "dd/mm/yyyy", "CTCAE grade": "grade"},
}  # fmt: skip


@pytest.mark.parametrize("sheet", list(UNITS))
def test_a_units_row_is_one_error_at_its_row(tmp_path: Path, sheet: str) -> None:
    path = tmp_path / "units.xlsx"
    book = thyroid_workbook(path)
    cells = book[sheet]
    cells.insert_rows(2)
    headers = columns(cells)
    for header, unit in UNITS[sheet].items():
        cells.cell(row=2, column=headers[header], value=unit)
    book.save(path)
    report = validate_workbook(read_workbook(path, THYROID), THYROID)
    [problem] = report.errors
    assert (problem.sheet, problem.row, problem.column, problem.rule) == (sheet, 2, None, UNITS_ROW)
    assert sorted(problem.value.split(", ")) == sorted(UNITS[sheet].values())  # in column order
    assert "delete the row" in (problem.suggestion or "")


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_no_record_of_the_example_workbooks_reads_as_units(study: str) -> None:
    """Records hold IDs, dates, numbers and categories: never every filled cell a unit."""
    config = load_study(ROOT / "reports" / study)
    book = openpyxl.load_workbook(config.data_path, read_only=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2, values_only=True):
            filled = [cell for cell in row if cell not in (None, "")]
            assert not (len(filled) >= 2 and all(is_unit(cell) for cell in filled)), row


@pytest.mark.parametrize(
    "cell",
    [
        "years",
        "%",
        "/µL",
        "×10^9/L",
        "10³/µL",
        "mg/dL",
        "(years)",
        "[%]",
        "U/L",
        "YYYY-MM-DD",
        "dd/mm/yyyy",
        "M/F",
        "0/1",
        "cells/µL",
        "ng/mL",
    ],  # fmt: skip
)
def test_units_formats_and_codings_are_units(cell: str) -> None:
    assert is_unit(cell)


@pytest.mark.parametrize(
    "cell",
    [
        "TH-001",
        "2021-03-04",
        "Male",
        "PR",
        "Ogawa Yutaka",
        "Lung",
        "ECOG 1",
        "none",
        "Hand-foot syndrome",
        "12.5",
        "positive",
        3,
        4.5,
    ],  # fmt: skip
)
def test_values_of_a_record_are_not_units(cell: object) -> None:
    assert not is_unit(cell)
