"""A date of birth after the start of treatment is named at its cell, with the likely cause: a
year typed in two digits (12/3/57) that strptime reads as 2057. It was reported as ages of -35
("age must be between 0 and 120"), the cause left to guess."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from examples import columns, thyroid_study, thyroid_workbook

from cohortpress.config import load_study
from cohortpress.intake import read_workbook
from cohortpress.validate import validate_workbook

ROOT = Path(__file__).resolve().parents[1]


def test_a_two_digit_birth_year_read_in_the_next_century_is_named(tmp_path: Path) -> None:
    path = tmp_path / "born.xlsx"
    book = thyroid_workbook(path)
    sheet = book["patients"]
    headers = columns(sheet)
    age, start = headers["Age (years)"], headers["Sorafenib start"]
    sheet.cell(row=1, column=age).value = "Date of birth"
    for row in range(2, sheet.max_row + 1):
        began = sheet.cell(row=row, column=start).value
        born = began - dt.timedelta(days=365.25 * sheet.cell(row=row, column=age).value + 40)
        sheet.cell(row=row, column=age).value = f"{born.day}/{born.month}/{born.year % 100:02d}"
    book.save(path)

    def birth_dates(raw: dict[str, Any]) -> None:
        raw["columns"].pop("age")
        raw["columns"]["birth_date"] = "Date of birth"
        raw["date_formats"] = ["DD/MM/YY"]

    config = load_study(thyroid_study(tmp_path, birth_dates, path))
    report = validate_workbook(read_workbook(path, config), config)
    errors = [p for p in report.problems if p.severity == "error"]
    assert errors, "every patient was born before 1969, none in two digits read so"
    assert {p.rule for p in errors} == {"a date of birth after the start of treatment"}
    assert all(p.column == "Date of birth" and p.value.startswith("20") for p in errors)
    assert "write the year in four digits" in (errors[0].suggestion or "")
    assert not [p for p in report.problems if "between 0 and 120" in p.rule]
