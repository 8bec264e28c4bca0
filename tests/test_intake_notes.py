"""Note lines under the data end the table; a record is never dropped for looking like one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from defects import Book, thyroid_config, valid_book, write_csv_folder, write_xlsx
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.intake import read_workbook
from cohortpress.intake._table import Table, locate_table
from cohortpress.validate import validate_workbook

ID = "Patient ID"


@pytest.fixture(scope="module")
def config():
    return thyroid_config()


def _with_rows(*rows: dict[str, object]) -> Book:
    """The six valid patients (Excel rows 2–7), then ``rows`` (row 8 on); {} is a blank row."""
    book = valid_book()
    book.patients.extend({**dict.fromkeys(book.patients[0]), **row} for row in rows)
    return book


def _check(tmp_path: Path, config, book: Book):
    workbook = read_workbook(write_xlsx(book, tmp_path / "book.xlsx"), config)
    return workbook, validate_workbook(workbook, config)


def test_notes_after_a_blank_row_end_the_table(tmp_path: Path, config) -> None:
    book = _with_rows(
        {},
        {ID: "Values from the hospital laboratory system"},
        {ID: "Data extracted on 31 May 2021"},
    )
    workbook, report = _check(tmp_path, config, book)
    assert report.ok, report.problems
    assert list(workbook.patients.index) == [2, 3, 4, 5, 6, 7]
    [warning] = [p for p in report.problems if "note" in p.rule]
    assert warning.severity == "warning" and warning.row == 9
    assert warning.rule.startswith("rows 9–10 read as a note under the table")


@pytest.mark.parametrize(
    "line", ["Note: ages at first dose", "* values from the 2021 extract", "Source: registry", "†"]
)
def test_a_marked_note_right_under_the_data_ends_the_table(tmp_path, config, line) -> None:
    workbook, report = _check(tmp_path, config, _with_rows({ID: line}))
    assert report.ok, report.problems
    assert len(workbook.patients) == 6
    assert any(p.rule.startswith("row 8 read as a note") for p in report.warnings)


def test_a_note_in_another_column_and_a_two_line_note(tmp_path, config) -> None:
    book = _with_rows({"Sex": "Notes: sex as recorded"}, {"Sex": "at the first visit only"})
    workbook, report = _check(tmp_path, config, book)
    assert report.ok, report.problems
    assert len(workbook.patients) == 6
    assert any(p.rule.startswith("rows 8–9 read as a note") for p in report.warnings)


def test_a_patient_after_a_blank_row_is_kept(tmp_path, config) -> None:
    book = valid_book()
    patient = dict(book.patients[0], **{ID: "P07"})
    book.patients.extend([dict.fromkeys(patient), patient, {ID: "Note: P07 added late"}])
    workbook, report = _check(tmp_path, config, book)
    assert report.ok, report.problems
    assert "P07" in set(workbook.patients["patient_id"])
    assert len(workbook.patients) == 7


def test_a_line_of_text_right_under_the_data_is_an_error(tmp_path, config) -> None:
    workbook, report = _check(tmp_path, config, _with_rows({ID: "values from the lab"}))
    assert not report.ok
    [error] = report.errors
    assert error.row == 8 and "note or a record" in error.rule
    assert "blank row above it" in (error.suggestion or "")


def test_a_note_with_patients_below_it_is_an_error(tmp_path, config) -> None:
    book = valid_book()
    book.patients.insert(3, dict.fromkeys(book.patients[0]) | {ID: "Note: cohort B below"})
    workbook, report = _check(tmp_path, config, book)
    assert not report.ok
    [error] = report.errors
    assert error.row == 5 and "records below it" in error.rule
    assert len(workbook.patients) == 6  # every patient is read, the note line is not one


def test_id_only_rows_are_records_not_notes(tmp_path, config) -> None:
    workbook, report = _check(tmp_path, config, _with_rows({}, {ID: "P08"}))
    assert not report.ok  # a patient with only an ID: its missing dates are errors
    assert 9 in set(workbook.patients.index)
    assert not any("note" in p.rule for p in report.problems)


def test_csv_notes_end_the_table(tmp_path, config) -> None:
    book = _with_rows({}, {ID: "Source: hospital export, 2021"})
    folder = write_csv_folder(book, tmp_path / "csv")
    workbook = read_workbook(folder, config)
    report = validate_workbook(workbook, config)
    assert report.ok, report.problems
    assert len(workbook.patients) == 6


_WORDS = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=8)
_RECORD = st.lists(st.one_of(st.integers(0, 99), _WORDS), min_size=3, max_size=3)


@given(
    records=st.lists(_RECORD, min_size=1, max_size=6),
    note_lines=st.lists(st.lists(_WORDS, min_size=2, max_size=5).map(" ".join), max_size=3),
    marked=st.booleans(),
    column=st.integers(0, 2),
)
@settings(max_examples=60, deadline=None)
def test_records_are_kept_and_only_the_note_lines_dropped(
    records: list[list[object]], note_lines: list[str], marked: bool, column: int
) -> None:
    """Whatever the records and the notes, every record is read and every note line is not."""
    header = ["Patient ID", "Sex", "Age"]
    notes = [f"Note: {line}" if marked else line for line in note_lines]
    rows = [[f"P{i}", *record[1:]] for i, record in enumerate(records)]
    gap = [[None, None, None]] if notes and not marked else []
    tail = [[text if c == column else None for c in range(3)] for text in notes]
    grid = pd.DataFrame([header, *rows, *gap, *tail], dtype=object)
    table = locate_table(grid, header, "patients")
    assert isinstance(table, Table)
    assert list(table.frame["Patient ID"]) == [row[0] for row in rows]
    assert [p.severity for p in table.problems] == (["warning"] if notes else [])
