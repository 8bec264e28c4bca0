"""Intake: what read_workbook hands on, how each kind of cell is read, and unreadable files."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest
from defects import (
    Row,
    rewrite_parts,
    thyroid_config,
    valid_book,
    write_csv_folder,
    write_xlsx,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from cohortpress.config import StudyConfig
from cohortpress.errors import UnreadableInputError
from cohortpress.intake import read_workbook
from cohortpress.intake._categories import lookup_for, read_category
from cohortpress.intake._dates import DateSettings, read_date
from cohortpress.intake._encoding import decode
from cohortpress.intake._fields import END_REASONS, RESPONSES, SEXES, FieldSpec
from cohortpress.intake._numbers import read_grade, read_number
from cohortpress.validate._schemas import schema_package

if TYPE_CHECKING:
    from collections.abc import Callable


FIXTURES = Path(__file__).resolve().parent / "fixtures"
PATIENT_COLUMNS = list(valid_book().patients[0])


@pytest.fixture(scope="module")
def config() -> StudyConfig:
    return thyroid_config()


def test_frames_have_canonical_columns_typed_values_and_excel_rows(tmp_path, config) -> None:
    workbook = read_workbook(write_xlsx(valid_book(), tmp_path / "valid.xlsx"), config)
    patients, events = workbook.patients, workbook.adverse_events
    assert list(patients.index) == list(events.index) == [2, 3, 4, 5, 6, 7]
    assert list(patients.columns[:4]) == ["patient_id", "age", "sex", "treatment_start"]
    assert set(patients.columns) == set(config.columns) - {"term", "grade", "onset_date"}
    dtypes = patients.dtypes.astype(str)
    assert dtypes["treatment_start"] == "datetime64[ns]"
    assert dtypes["age"] == dtypes["neutrophils"] == "float64"
    assert dtypes["sex"] == dtypes["ecog"] == "string"
    assert patients["ecog"].tolist() == ["0", "1", "0", "2", "1", "0"]  # numbers read as levels
    assert events["grade"].dtype == "float64"
    assert workbook.headers[("patients", "death_date")] == "Date of death"
    assert workbook.headers[("adverse_events", "grade")] == "CTCAE grade"
    assert (workbook.source, workbook.problems, workbook.normalisations) == ("xlsx", (), ())
    assert workbook.sheet_name("adverse_events") == "adverse_events"


def test_age_is_computed_from_the_birth_date(tmp_path, config) -> None:
    columns = {k: v for k, v in config.columns.items() if k != "age"}
    study = config.model_copy(update={"columns": {**columns, "birth_date": "Birth date"}})
    book = valid_book()
    book.rename("patients", "Age (years)", "Birth date")
    book.set("patients", 2, "Birth date", dt.date(1953, 1, 11))  # start 2019-01-10: 65
    book.set("patients", 3, "Birth date", dt.date(1947, 3, 5))  # start 2019-03-05: 72
    for row in range(4, 8):
        book.set("patients", row, "Birth date", dt.date(1950, 1, 1))
    workbook = read_workbook(write_xlsx(book, tmp_path / "birth.xlsx"), study)
    assert workbook.patients.loc[[2, 3], "age"].tolist() == [65.0, 72.0]
    assert workbook.headers[("patients", "age")] == "Birth date"
    [note] = [n for n in workbook.normalisations if n.column == "Birth date"]
    assert (note.rule, note.count) == (
        "age computed from the birth date (completed years at treatment start)",
        6,
    )


def test_dates_of_a_1904_workbook(tmp_path, config) -> None:
    path = write_xlsx(valid_book(), tmp_path / "mac.xlsx")
    book = openpyxl.load_workbook(path)
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = book["patients"]
    for row in range(2, 8):  # rewrite the date cells under the 1904 system
        for column in (5, 6, 8, 9, 10):
            cell = sheet.cell(row=row, column=column)
            if isinstance(cell.value, dt.datetime):
                cell.value = cell.value.date()
    sheet.cell(row=2, column=5).value = 42013  # a serial number: 2019-01-10 counted from 1904
    book.save(path)
    workbook = read_workbook(path, config)
    assert workbook.problems == ()
    assert workbook.patients.loc[2, "treatment_start"] == pd.Timestamp("2019-01-10")
    assert workbook.patients.loc[3, "treatment_start"] == pd.Timestamp("2019-03-05")


def test_excel_error_cells_are_problems_not_blanks(tmp_path, config) -> None:
    book = valid_book()
    book.set("patients", 3, "Monocytes (/µl)", "#DIV/0!")  # openpyxl writes an error cell
    book.set("patients", 4, "Monocytes (/µl)", "#N/A")
    workbook = read_workbook(write_xlsx(book, tmp_path / "errors.xlsx"), config)
    [problem] = workbook.problems
    assert (problem.row, problem.column, problem.value) == (3, "Monocytes (/µl)", "#DIV/0!")
    assert problem.rule == "an Excel error value (#DIV/0!), not data"
    assert pd.isna(workbook.patients.loc[4, "monocytes"])
    assert "'#N/A' read as missing" in {n.rule for n in workbook.normalisations}


def _edit_sheet_xml(path: Path, sheet: int, edit: Callable[[str], str]) -> Path:
    """Rewrite ``xl/worksheets/sheet<sheet>.xml`` of a written workbook, as another program
    would have written it."""
    part = f"xl/worksheets/sheet{sheet}.xml"
    return rewrite_parts(
        path, path, lambda name, data: edit(data.decode()).encode() if name == part else data
    )


def test_a_sheet_whose_writer_left_out_the_cells_numbers_reads_as_a_numbered_one(
    tmp_path, config
) -> None:
    # OOXML lets a writer leave out a row's and a cell's r="…": the next row, the next column.
    # calamine reads such a sheet; an error cell in it was a silent blank.
    book = valid_book()
    for sheet in (book.patients, book.adverse_events):  # every cell written, none skipped
        for row in sheet:
            row.update({header: "NA" for header, value in row.items() if value is None})
    change = "Max change in target lesions (%)"
    book.set("patients", 2, change, -0.3)
    book.set("patients", 3, "Monocytes (/µl)", "#DIV/0!")
    path = write_xlsx(book, tmp_path / "numbered.xlsx")
    edited = openpyxl.load_workbook(path)
    column = get_column_letter(PATIENT_COLUMNS.index(change) + 1)
    edited["patients"][f"{column}2"].number_format = "0%"
    edited["patients"].row_dimensions[4].hidden = True
    edited.save(path)

    def unnumbered(name: str, data: bytes) -> bytes:
        if not name.startswith("xl/worksheets/"):
            return data
        return re.sub(rb'(<(?:c|row)\b[^>]*?) r="[A-Z]*\d+"', rb"\1", data)

    left_out = rewrite_parts(path, tmp_path / "unnumbered.xlsx", unnumbered)
    assert b' r="' not in zipfile.ZipFile(left_out).read("xl/worksheets/sheet1.xml")
    numbered, unnumbered_read = read_workbook(path, config), read_workbook(left_out, config)
    assert unnumbered_read.patients.equals(numbered.patients)
    assert unnumbered_read.problems == numbered.problems
    assert [(p.row, p.column, p.value) for p in numbered.problems] == [
        (3, "Monocytes (/µl)", "#DIV/0!"),
        (4, None, None),
    ]
    assert numbered.patients.loc[2, "best_change_pct"] == -30.0


def test_an_error_cell_after_a_formatted_blank_is_still_a_problem(tmp_path, config) -> None:
    # Excel writes a formatted empty cell as <c r="A3" s="1"/>: the cell after it was missed.
    book = valid_book()
    book.set("patients", 3, "Monocytes (/µl)", "#DIV/0!")
    path = write_xlsx(book, tmp_path / "formatted.xlsx")
    columns = list(book.patients[0])
    error = f"{get_column_letter(columns.index('Monocytes (/µl)') + 1)}3"
    before = f"{get_column_letter(columns.index('Monocytes (/µl)'))}3"

    def formatted_blank_before_the_error(xml: str) -> str:
        cell = re.search(rf'<c r="{before}"[^>]*>.*?</c>', xml)
        assert cell is not None and f'r="{error}" t="e"' in xml
        return xml.replace(cell[0], f'<c r="{before}" s="0"/>')

    _edit_sheet_xml(path, 1, formatted_blank_before_the_error)
    workbook = read_workbook(path, config)
    values = {(p.row, p.column, p.value) for p in workbook.problems}
    assert (3, "Monocytes (/µl)", "#DIV/0!") in values


def test_a_formula_without_a_saved_result_is_a_problem_not_a_blank(tmp_path, config) -> None:
    # openpyxl writes formulas without their result: calamine reads such a cell as empty.
    book = valid_book()
    book.set("patients", 3, "Monocytes (/µl)", "=A3*2")  # an optional number
    book.set("adverse_events", 4, "Adverse event", '=HYPERLINK("http://e", "x")')  # required
    workbook = read_workbook(write_xlsx(book, tmp_path / "formulas.xlsx"), config)
    found = {(p.sheet, p.row, p.column): p for p in workbook.problems}
    assert set(found) == {
        ("patients", 3, "Monocytes (/µl)"),
        ("adverse_events", 4, "Adverse event"),
    }
    number = found["patients", 3, "Monocytes (/µl)"]
    assert number.value == "=A3*2"
    assert number.rule == (
        "a formula whose result was never saved in the file, so there is no value to read"
    )
    assert "open the workbook in Excel or LibreOffice and save it" in str(number.suggestion)
    assert found["adverse_events", 4, "Adverse event"].value == '=HYPERLINK("http://e", "x")'


def test_a_formula_with_its_saved_result_is_read_as_that_result(tmp_path, config) -> None:
    book = valid_book()
    book.set("patients", 3, "Monocytes (/µl)", "=400+50")
    book.set("patients", 4, "Monocytes (/µl)", '=IF(1,"","x")')
    path = write_xlsx(book, tmp_path / "saved.xlsx")

    def saved_as_excel_saves_them(xml: str) -> str:  # the result after the formula
        xml = xml.replace("<f>400+50</f><v></v>", "<f>400+50</f><v>450</v>")
        cell = re.search(r'<c (r="\w+")><f>IF\(1,[^<]*</f><v></v>', xml)
        assert cell is not None
        return xml.replace(cell[0], cell[0].replace(cell[1], f'{cell[1]} t="str"'))

    workbook = read_workbook(_edit_sheet_xml(path, 1, saved_as_excel_saves_them), config)
    assert workbook.problems == ()
    assert workbook.patients.loc[3, "monocytes"] == 450
    assert pd.isna(workbook.patients.loc[4, "monocytes"])  # an empty text result: a blank


def test_a_row_holding_only_an_unsaved_formula_is_not_dropped(tmp_path, config) -> None:
    # calamine's grid ends at the last value it read: the formula's row was not in it.
    book = valid_book()
    row: Row = {header: None for header in book.patients[0]}
    row["Monocytes (/µl)"] = "=1+1"
    book.patients.append(row)
    workbook = read_workbook(write_xlsx(book, tmp_path / "last.xlsx"), config)
    assert (8, "Monocytes (/µl)", "=1+1") in {(p.row, p.column, p.value) for p in workbook.problems}


def test_cells_merged_down_a_column_are_read_in_every_row(tmp_path, config) -> None:
    # One patient's ID merged over the rows of their adverse events, one histology merged
    # over a group of patients: calamine gives the value to the first cell only.
    book = valid_book()
    book.set("adverse_events", 3, "Patient ID", None)  # rows 2-3 are P01's events
    book.set("patients", 4, "Histology", None)  # rows 3-4: both Papillary
    path = write_xlsx(book, tmp_path / "merged.xlsx")
    edited = openpyxl.load_workbook(path)
    ae_id = get_column_letter(list(book.adverse_events[0]).index("Patient ID") + 1)
    histology = get_column_letter(list(book.patients[0]).index("Histology") + 1)
    edited["adverse_events"].merge_cells(f"{ae_id}2:{ae_id}3")
    edited["patients"].merge_cells(f"{histology}3:{histology}4")
    edited["patients"].merge_cells("A9:C9")  # across columns, below the table: left alone
    edited.save(path)
    workbook = read_workbook(path, config)
    assert workbook.problems == ()
    assert workbook.adverse_events.loc[3, "patient_id"] == "P01"
    assert workbook.patients.loc[4, "histology"] == workbook.patients.loc[3, "histology"]
    notes = {(n.sheet, n.rule): n.count for n in workbook.normalisations}
    rule = "merged cells ({}) read as their first cell's value in every row they span"
    assert notes[("adverse_events", rule.format(f"{ae_id}2:{ae_id}3"))] == 1
    assert notes[("patients", rule.format(f"{histology}3:{histology}4"))] == 1


def test_cells_merged_down_in_an_xls_workbook_are_read_in_every_row(config) -> None:
    # Excel 97-2003 (tests/fixtures/spreadsheets/make_fixture.py): calamine lists its merged
    # ranges.
    workbook = read_workbook(FIXTURES / "spreadsheets" / "merged.xls", config)
    assert workbook.problems == ()
    assert workbook.adverse_events.loc[3, "patient_id"] == "P01"
    rule = "merged cells (A2:A3) read as their first cell's value in every row they span"
    assert [(n.sheet, n.count) for n in workbook.normalisations if n.rule == rule] == [
        ("adverse_events", 1)
    ]


def test_a_hidden_row_is_read_with_a_warning(tmp_path, config) -> None:
    book = valid_book()
    path = write_xlsx(book, tmp_path / "hidden.xlsx")
    edited = openpyxl.load_workbook(path)
    edited["patients"].row_dimensions[4].hidden = True  # as a filter or a hand hides it
    edited["patients"].row_dimensions[12].hidden = True  # below the table: nothing to say
    edited.save(path)
    workbook = read_workbook(path, config)
    assert 4 in workbook.patients.index  # read like every other row
    [warning] = workbook.problems
    assert (warning.sheet, warning.row, warning.severity) == ("patients", 4, "warning")
    assert warning.rule == "the row is hidden in the workbook, and read like every other row"
    assert "inclusion:" in str(warning.suggestion)


def test_a_number_formatted_as_a_percentage_reads_as_the_percentage_shown(tmp_path, config) -> None:
    # "-30%" typed in Excel is stored as -0.3 with a percentage format; "-30" beside it as -30.
    book = valid_book()
    change = "Max change in target lesions (%)"
    book.set("patients", 2, change, -0.3)
    book.set("patients", 3, change, 0.125)
    book.set("patients", 4, change, -30.0)  # typed without the % sign
    path = write_xlsx(book, tmp_path / "percent.xlsx")
    edited = openpyxl.load_workbook(path)
    column = get_column_letter(PATIENT_COLUMNS.index(change) + 1)
    edited["patients"][f"{column}2"].number_format = "0%"
    edited["patients"][f"{column}3"].number_format = '0.0"%"%'  # a custom format
    edited.save(path)
    workbook = read_workbook(path, config)
    assert workbook.problems == ()
    assert workbook.patients.loc[[2, 3, 4], "best_change_pct"].tolist() == [-30.0, 12.5, -30.0]
    rule = "numbers formatted as percentages read as the percentage shown (-0.3 shown as -30%: -30)"
    assert [(n.sheet, n.count) for n in workbook.normalisations if n.rule == rule] == [
        ("patients", 2)
    ]


@pytest.mark.parametrize("fixture", ["messy.ods", "messy.xls"])
def test_an_ods_or_xls_workbook_reads_as_it_is_shown(tmp_path, config, fixture) -> None:
    # tests/fixtures/spreadsheets/make_fixture.py: a merged ID, -30% typed as a percentage, a
    # hidden row, a hidden column and =1/0, read from content.xml (.ods) or the workbook's
    # records (.xls), as calamine lists none of them and reads the error as empty.
    book = valid_book()
    book.set("patients", 2, "Max change in target lesions (%)", -30.0)
    clean = read_workbook(write_xlsx(book, tmp_path / "clean.xlsx"), config)
    messy = read_workbook(FIXTURES / "spreadsheets" / fixture, config)
    columns = ["monocytes"]  # row 3's is the error, read as missing
    assert messy.patients.drop(columns=columns).equals(clean.patients.drop(columns=columns))
    assert messy.adverse_events.equals(clean.adverse_events)
    assert [(p.row, p.column, p.value, p.severity) for p in messy.problems] == [
        (3, "Monocytes (/µl)", "#DIV/0!", "error"),
        (4, None, None, "warning"),
        (None, "ECOG PS", None, "warning"),
    ]
    rules = {n.rule for n in messy.normalisations}
    assert "merged cells (A2:A3) read as their first cell's value in every row they span" in rules
    assert any(rule.startswith("numbers formatted as percentages") for rule in rules)


def test_an_xlsb_workbook_reads_as_excel_shows_it(tmp_path, config) -> None:
    # calamine reads an .xlsb sheet's values; its percentages, merged and hidden cells are
    # read from the sheet's records (tests/xlsb.py writes them as Excel does).
    from xlsb import Layout, write_book_xlsb

    book = valid_book()
    change = PATIENT_COLUMNS.index("Max change in target lesions (%)")
    book.set("patients", 2, "Max change in target lesions (%)", -30.0)
    clean = read_workbook(write_xlsx(book, tmp_path / "clean.xlsx"), config)
    book.set("patients", 2, "Max change in target lesions (%)", -0.3)  # typed as -30%
    book.set("adverse_events", 3, "Patient ID", None)  # rows 2-3 are P01's events, merged
    layouts = {
        "patients": Layout(
            percent={(1, change)}, hidden_rows={3}, hidden_columns={PATIENT_COLUMNS.index("Sex")}
        ),
        "adverse_events": Layout(merged=[(1, 2, 0, 0)]),
    }
    messy = read_workbook(write_book_xlsb(book, tmp_path / "messy.xlsb", layouts), config)
    assert messy.patients.equals(clean.patients)
    assert messy.adverse_events.equals(clean.adverse_events)
    assert [(p.row, p.column, p.severity) for p in messy.problems] == [
        (4, None, "warning"),
        (None, "Sex", "warning"),
    ]
    rules = {n.rule for n in messy.normalisations}
    assert "merged cells (A2:A3) read as their first cell's value in every row they span" in rules
    assert any(rule.startswith("numbers formatted as percentages") for rule in rules)


def test_xlsb_error_cells_are_problems_not_blanks(tmp_path, config) -> None:
    from xlsb import Layout, write_book_xlsb

    monocytes = PATIENT_COLUMNS.index("Monocytes (/µl)")
    layout = Layout(errors={(2, monocytes): 0x07, (3, monocytes): 0x2A})  # #DIV/0!, #N/A
    path = write_book_xlsb(valid_book(), tmp_path / "errors.xlsb", {"patients": layout})
    workbook = read_workbook(path, config)
    [problem] = workbook.problems
    assert (problem.row, problem.column, problem.value) == (3, "Monocytes (/µl)", "#DIV/0!")
    assert pd.isna(workbook.patients.loc[4, "monocytes"])
    assert "'#N/A' read as missing" in {n.rule for n in workbook.normalisations}


def test_a_hidden_column_the_study_reads_is_read_with_a_warning(tmp_path, config) -> None:
    path = write_xlsx(valid_book(), tmp_path / "hidden-column.xlsx")
    edited = openpyxl.load_workbook(path)
    for header in ("Sex", "Name"):  # Name is not read: nothing to say
        column = get_column_letter(PATIENT_COLUMNS.index(header) + 1)
        edited["patients"].column_dimensions[column].hidden = True
    edited.save(path)
    workbook = read_workbook(path, config)
    [warning] = workbook.problems
    assert (warning.sheet, warning.column, warning.severity) == ("patients", "Sex", "warning")
    assert warning.rule == "the column is hidden in the workbook, and read like every other column"
    assert workbook.patients["sex"].notna().all()


def test_control_characters_are_removed_as_a_spreadsheet_hides_them(tmp_path, config) -> None:
    # Excel writes a control character as _x001B_; calamine reads it back as the character.
    book = valid_book()
    book.set("adverse_events", 4, "Adverse event", "TERM")
    book.set("patients", 3, "Sex", "SEX")
    path = write_xlsx(book, tmp_path / "controls.xlsx")

    def pasted_from_a_terminal(xml: str) -> str:
        xml = xml.replace(">TERM<", ">Rash_x001B_[31m red_x0007_<")
        return xml.replace(">SEX<", ">Female_x000B__x001B_<")

    workbook = read_workbook(_edit_sheet_xml(_edit_sheet_xml(path, 1, pasted_from_a_terminal),
                                             2, pasted_from_a_terminal), config)  # fmt: skip
    assert workbook.problems == ()
    assert workbook.adverse_events.loc[4, "term"] == "Rash[31m red"
    assert workbook.patients.loc[3, "sex"] == "Female"
    removed = {(n.sheet, n.column): n.count for n in workbook.normalisations
               if n.rule == "control characters (not shown by spreadsheets) removed"}  # fmt: skip
    assert removed == {("adverse_events", "Adverse event"): 1, ("patients", "Sex"): 1}


def test_a_folder_of_parquet_files(tmp_path, config) -> None:
    book = valid_book()
    folder = tmp_path / "cohort"
    folder.mkdir()
    for sheet in ("patients", "adverse_events"):
        frame = pd.DataFrame(getattr(book, sheet))
        for column in frame.columns[frame.map(lambda v: isinstance(v, dt.date)).any()]:
            frame[column] = pd.to_datetime(frame[column])
        frame.to_parquet(folder / f"{sheet}.parquet")
    workbook = read_workbook(folder, config)
    assert workbook.source == "parquet"
    assert workbook.problems == ()
    assert workbook.patients.loc[2, "treatment_start"] == pd.Timestamp("2019-01-10")
    assert workbook.adverse_events.index.tolist() == [2, 3, 4, 5, 6, 7]


def test_sheets_and_headers_matched_ignoring_case(tmp_path, config) -> None:
    book = valid_book()
    book.sheet_names["patients"] = "Patients"
    book.rename("patients", "Sex", "SEX ")
    workbook = read_workbook(write_xlsx(book, tmp_path / "case.xlsx"), config)
    assert workbook.problems == ()
    assert workbook.sheet_name("patients") == "Patients"
    assert workbook.headers[("patients", "sex")] == "SEX"
    rules = {n.rule for n in workbook.normalisations}
    assert "sheet matched to 'patients' in study.yml (case, spacing or width differ)" in rules


def test_a_sheet_without_the_expected_headers(tmp_path, config) -> None:
    book = valid_book()
    book.patients = [{"Column A": 1, "Column B": 2}]
    workbook = read_workbook(write_xlsx(book, tmp_path / "no-header.xlsx"), config)
    [problem] = workbook.problems
    assert (problem.sheet, problem.row, problem.column) == ("patients", None, None)
    assert problem.rule.startswith("no header row found")


def test_two_columns_with_one_header(tmp_path, config) -> None:
    path = write_xlsx(valid_book(), tmp_path / "twice.xlsx")
    book = openpyxl.load_workbook(path)
    book["patients"].cell(row=1, column=25).value = "Sex"
    book.save(path)
    [problem] = read_workbook(path, config).problems
    assert (problem.row, problem.column) == (None, "Sex")
    assert "2 columns have this header" in problem.rule


def test_no_adverse_event_sheet_when_the_study_has_none(tmp_path, config) -> None:
    study = config.model_copy(update={"adverse_events": None})
    book = valid_book()
    book.sheet_names = {"patients": "patients"}
    workbook = read_workbook(write_xlsx(book, tmp_path / "no-ae.xlsx"), study)
    assert workbook.problems == ()
    assert workbook.adverse_events is None


def test_levels_are_those_of_the_schema() -> None:
    patients = importlib.import_module(f"{schema_package().__name__}.patients")
    assert (patients.SEXES, patients.END_REASONS, patients.RESPONSES) == (
        SEXES,
        END_REASONS,
        RESPONSES,
    )


def _encrypted(path: Path) -> None:
    """The start of an Office file encrypted with a password (an OLE container)."""
    marker = "EncryptionInfo".encode("utf-16-le")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + marker)


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("missing.xlsx", None, "no such file or folder"),
        ("empty.xlsx", lambda p: p.write_bytes(b""), "the file is empty"),
        ("letter.xlsx", lambda p: p.write_text("Dear colleague"), "not a readable spreadsheet"),
        ("locked.xlsx", _encrypted, "password-protected"),
        ("cohort.csv", lambda p: p.write_text("a,b\n"), "a folder with one file per sheet"),
        ("notes.txt", lambda p: p.write_text("hello"), "not a spreadsheet"),
    ],
)
def test_unreadable_files_raise_a_plain_error(tmp_path, config, name, make, words) -> None:
    path = tmp_path / name
    if make:
        make(path)
    with pytest.raises(UnreadableInputError, match=words):
        read_workbook(path, config)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [("patients.csv", b"", "the file is empty"), ("patients.parquet", b"PAR1", "parquet")],
)
def test_unreadable_files_in_a_folder(tmp_path, config, name, content, words) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(UnreadableInputError, match=words):
        read_workbook(tmp_path, config)


def test_a_missing_file_in_a_folder_is_a_problem(tmp_path, config) -> None:
    (tmp_path / "patients.csv").write_text("Patient ID,Sorafenib start\nP1,2020-01-01\n")
    problems = read_workbook(tmp_path, config).problems
    [problem] = [p for p in problems if p.sheet == "adverse_events"]
    assert (problem.row, problem.column) == (None, None)
    assert problem.rule == f"{tmp_path.name} has no file 'adverse_events'"


# Reading single cells.


@pytest.mark.parametrize(
    ("raw", "value", "words"),
    [
        (12, 12.0, None),
        ("1,500", 1500.0, "thousands separators removed"),
        ("\u221235", -35.0, "minus signs"),
        ("\u2013 2.5", -2.5, "minus signs"),
        ("１２００", 1200.0, "full-width digits read"),
        ("1,5", None, "not a number"),
        ("<5", None, "a bound"),
        (True, None, "TRUE/FALSE"),
        (pd.Timestamp("2020-01-05"), None, "a date, not a number"),
    ],
)
def test_read_number(raw, value, words) -> None:
    reading = read_number(raw)
    assert reading.value == value
    if words:
        assert words in (reading.note or reading.problem or "")


def test_read_number_with_percent_and_decimal_comma() -> None:
    assert read_number("-12,5 %", percent=True, decimal_comma=True).value == -12.5
    assert read_number("45%").problem == "not a number"
    assert read_number("1.500", decimal_comma=True).problem == (
        "an ambiguous number (the dot may group thousands)"
    )
    assert read_number("1.5", decimal_comma=True).value == 1.5


@pytest.mark.parametrize(
    ("raw", "grade"), [("G3", 3.0), ("grade 2", 2.0), ("Gr. 4", 4.0), (1, 1.0)]
)
def test_read_grade(raw, grade) -> None:
    assert read_grade(raw).value == grade


@pytest.mark.parametrize(
    ("raw", "value", "words"),
    [
        (pd.Timestamp("2020-01-05 13:00"), "2020-01-05", "time of day dropped"),
        (dt.date(2020, 1, 5), "2020-01-05", None),
        (43835, "2020-01-05", "Excel serial numbers read as dates"),
        (20200105, "2020-01-05", "YYYYMMDD"),
        ("05/01/2020", "2020-01-05", "DD/MM/YYYY"),
        ("2020/01/05", "2020-01-05", "YYYY/MM/DD"),
        ("2020-01-05 10:30", "2020-01-05", "YYYY-MM-DD"),
        (2019, None, "only a year"),
        (12, None, "a number, not a date"),
        ("2019-02-29", None, "not a valid calendar date"),
        ("Mar 2020", None, "incomplete date"),
        ("0020-01-05", None, "outside the years 1900-2100"),
        (dt.time(10, 30), None, "a time or duration"),
    ],
)
def test_read_date(raw, value, words) -> None:
    reading = read_date(raw, DateSettings(("%d/%m/%Y",)))
    assert reading.value == (pd.Timestamp(value) if value else None)
    assert (reading.note is None) if words is None else words in (reading.note or reading.problem)


@pytest.mark.parametrize(
    ("levels", "raw", "value", "suggestion"),
    [
        (SEXES, "F", "Female", None),
        (SEXES, "Femal", None, "did you mean 'Female'?"),
        (END_REASONS, "Adverse-Event", "adverse_event", None),
        (END_REASONS, "patient's decision", "patient_decision", None),
        (("Yes", "No"), 0, "No", None),
        (("Yes", "No"), True, "Yes", None),
        (("0", "1", "2"), 2.0, "2", None),
        (("Positive", "Negative"), "+", "Positive", None),
        (("Yes", "No"), "ｙｅｓ", "Yes", None),
    ],
)
def test_read_category(levels, raw, value, suggestion) -> None:
    spec = FieldSpec("field", "Field", "category", True, levels)
    reading = read_category(raw, levels, lookup_for(spec))
    assert (reading.value, reading.suggestion) == (value, suggestion)


def test_encoding_is_chosen_by_the_expected_headers() -> None:
    headers = ["Patient ID", "Neutrophils (/µl)"]
    latin = "Patient ID,Neutrophils (/µl),Note\nP1,4000,très\n".encode("cp1252")
    japanese = "Patient ID,Neutrophils (/μl),Note\nP1,4000,高血圧\n".encode("cp932")
    assert decode(latin, headers).encoding == "cp1252"
    assert decode(japanese, headers).encoding == "cp932"
    assert decode(b"Patient ID\n", headers).note is None


def _study(config: StudyConfig, **changes: object) -> StudyConfig:
    """The study with ``changes`` applied and validated as study.yml would be."""
    raw = {**config.model_dump(exclude_defaults=True), **changes, "folder": config.folder}
    return StudyConfig.model_validate(raw)


def test_a_declared_synonym_wins_over_a_built_in_missing_token(tmp_path, config) -> None:
    symptoms = config.variables["symptoms"].model_dump(exclude_defaults=True)
    variables = {**config.variables, "symptoms": {**symptoms, "synonyms": {"-": "No"}}}
    study = _study(config, variables=variables)
    book = valid_book()
    for row in (2, 4, 6):
        book.set("patients", row, "Subjective symptoms", "-")
    book.set("patients", 3, "Subjective symptoms", "--")  # a built-in token, not declared
    workbook = read_workbook(write_xlsx(book, tmp_path / "dash.xlsx"), study)
    values = workbook.patients["symptoms"].tolist()
    assert values[0] == values[2] == values[4] == "No"
    assert pd.isna(values[1])
    assert workbook.problems == ()


def test_synonyms_of_built_in_fields(tmp_path, config) -> None:
    synonyms = {
        "sex": {"1": "Male", "2": "Female"},
        "best_response": {"-": "NE"},
        "end_reason": {"PD": "adverse_event"},  # the study's own coding beats the built-in one
        "grade": {"severe": 3},
    }
    study = _study(config, synonyms=synonyms)
    book = valid_book()
    book.set("patients", 2, "Sex", 1)
    book.set("patients", 3, "Sex", "2")
    book.set("patients", 3, "Reason for stopping", "PD")
    book.set("patients", 7, "Best response (RECIST)", "-")
    book.set("adverse_events", 3, "CTCAE grade", "Severe")
    workbook = read_workbook(write_xlsx(book, tmp_path / "coded.xlsx"), study)
    patients = workbook.patients
    assert patients.loc[[2, 3], "sex"].tolist() == ["Male", "Female"]
    assert patients.loc[3, "end_reason"] == "adverse_event"
    assert patients.loc[7, "best_response"] == "NE"
    assert workbook.adverse_events.loc[3, "grade"] == 3
    assert workbook.problems == ()


def test_declared_missing_values_are_added_to_the_built_in_ones(tmp_path, config) -> None:
    study = _study(config, missing_values=["n.d.", "99"])
    book = valid_book()
    book.set("patients", 2, "Neutrophils (/µl)", "n.d.")
    book.set("patients", 3, "Neutrophils (/µl)", 99)  # typed as a number in Excel
    book.set("patients", 4, "Histology", "N.D.")
    book.set("patients", 5, "Sex", "unknown")  # built-in tokens still count
    workbook = read_workbook(write_xlsx(book, tmp_path / "nd.xlsx"), study)
    patients = workbook.patients
    assert patients.loc[[2, 3], "neutrophils"].isna().all()
    assert pd.isna(patients.loc[4, "histology"]) and pd.isna(patients.loc[5, "sex"])
    assert patients.loc[6, "neutrophils"] == 4400
    rules = {n.rule for n in workbook.normalisations}
    assert {"'n.d.' read as missing", "'99' read as missing", "'N.D.' read as missing"} <= rules


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {"synonyms": {"sex": {"-": "Male"}}, "missing_values": ["-"]},
            "synonyms.sex: '-' is declared both as a synonym and in missing_values",
        ),
        ({"synonyms": {"sex": {"W": "Woman"}}}, "'W' -> 'Woman' is not one of Male, Female"),
        ({"synonyms": {"grade": {"G6": 6}}}, "'G6' -> '6' is not one of 1, 2, 3, 4, 5"),
        ({"synonyms": {"histology": {"P": "Papillary"}}}, "synonyms.histology"),
    ],
)
def test_conflicting_or_impossible_synonyms_are_study_errors(config, changes, words) -> None:
    with pytest.raises(ValidationError, match=re.escape(words)):
        _study(config, **changes)


def test_a_folder_of_csv_and_parquet_is_refused(tmp_path, config) -> None:
    folder = write_csv_folder(valid_book(), tmp_path / "mixed")
    pd.DataFrame(valid_book().patients[:3]).astype(str).to_parquet(folder / "patients.parquet")
    with pytest.raises(UnreadableInputError) as info:
        read_workbook(folder, config)
    message = str(info.value)
    assert "holds both CSV and Parquet files" in message
    assert "patients.csv" in message and "patients.parquet" in message


def test_two_files_for_one_sheet_are_refused(tmp_path, config) -> None:
    folder = write_csv_folder(valid_book(), tmp_path / "twice")
    (folder / "Patients.CSV").write_bytes((folder / "patients.csv").read_bytes())
    with pytest.raises(UnreadableInputError, match=r"2 files hold the same sheet \(.*\); keep one"):
        read_workbook(folder, config)


def test_no_adverse_event_sheet_when_the_study_does_not_ask_for_one(tmp_path, config) -> None:
    raw = config.model_dump(exclude_defaults=True, exclude={"adverse_events", "sheets"})
    study = StudyConfig.model_validate({**raw, "folder": config.folder})
    book = valid_book()
    book.sheet_names = {"patients": "patients"}
    workbook = read_workbook(write_xlsx(book, tmp_path / "no-ae.xlsx"), study)
    assert workbook.problems == ()
    assert workbook.adverse_events is None
    assert any("no adverse events sheet" in n.rule for n in workbook.normalisations)
    # a study.yml that asks for AEs still needs the sheet
    [problem] = read_workbook(write_xlsx(book, tmp_path / "no-ae.xlsx"), config).problems
    assert problem.rule == "no-ae.xlsx has no sheet 'adverse_events'"


def test_unread_cells_are_found_with_and_without_a_namespace_prefix() -> None:
    from cohortpress.intake._reading import UnsavedFormula
    from cohortpress.intake._sheet_xml import unread_cells

    cells = (
        b'<c r="A2"><f>1+1</f></c><c r="B2" t="e"><v>#REF!</v></c><c r="C2" s="1"/>'
        b'<c r="D2"><f>2</f><v>2</v></c><c r="E2"><f t="shared" si="0"/></c>'
        b'<c r="F2" t="str"><f>IF(1,"","")</f><v></v></c><c r="G2"><f>3</f><v></v></c>'
    )
    expected = {
        (1, 0): UnsavedFormula("1+1"),
        (1, 1): "#REF!",
        (1, 4): UnsavedFormula(""),  # a shared formula's other cells repeat no text
        (1, 6): UnsavedFormula("3"),  # an empty number: never computed
    }
    plain = b'<worksheet><sheetData><row r="2">' + cells + b"</row></sheetData></worksheet>"
    assert unread_cells(plain) == expected
    prefixed = re.sub(rb"<(/?)(\w)", rb"<\1x:\2", plain)  # <x:c>, </x:f>, as some writers do
    assert unread_cells(prefixed) == expected


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=12),  # cells in each row, from A
    st.sampled_from(["every number", "the rows' numbers", "the cells' numbers"]),
    st.sampled_from(["", "x:"]),  # a namespace prefix, as some writers add
)
def test_a_sheet_numbered_by_its_reader_is_the_sheet_its_writer_numbered(
    widths: list[int], left_out: str, prefix: str
) -> None:
    """Rows from 1 and cells from A, none skipped (a writer that numbers nothing writes them
    so): numbering them gives back the sheet as a writer that numbers them wrote it."""
    from cohortpress.intake._sheet_xml import column_name, numbered

    def sheet(rows_numbered: bool, cells_numbered: bool) -> bytes:
        rows = []
        for r, width in enumerate(widths, start=1):
            cells = "".join(
                f'<{prefix}c{_reference(column_name(c), r) if cells_numbered else ""} t="n">'
                f"<{prefix}v>{r * c}</{prefix}v></{prefix}c>"
                for c in range(1, width + 1)
            )
            number = f' r="{r}"' if rows_numbered else ""
            rows.append(f'<{prefix}row{number} spans="1:{width}">{cells}</{prefix}row>')
        return f"<{prefix}sheetData>{''.join(rows)}</{prefix}sheetData>".encode()

    whole = sheet(True, True)
    given_sheet = {
        "every number": sheet(False, False),
        "the rows' numbers": sheet(False, True),
        "the cells' numbers": sheet(True, False),
    }[left_out]
    assert numbered(whole) is whole  # nothing to do: returned as it is
    assert numbered(given_sheet) == whole


def _reference(column: str, row: int) -> str:
    return f' r="{column}{row}"'


def test_a_value_as_close_to_two_levels_names_both() -> None:
    """ "PD" under iRECIST was answered "did you mean 'iUPD'?", the unconfirmed progression,
    though the confirmed one, iCPD, is as close: naming one is a guess."""
    from cohortpress.intake._categories import _did_you_mean, key

    irecist = ["iCR", "iPR", "iSD", "iUPD", "iCPD", "NE"]
    assert _did_you_mean("PD", {key(x): x for x in irecist}) == "did you mean 'iUPD' or 'iCPD'?"
    assert _did_you_mean("Femal", {key(x): x for x in ["Male", "Female"]}) == (
        "did you mean 'Female'?"
    )
