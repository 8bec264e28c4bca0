"""Spreadsheet files (.xlsx, .xlsm, .xls, .xlsb, .ods) read with python-calamine.

Calamine returns date-formatted cells as dates (honouring the 1904 date system) but leaves a
date typed into a cell formatted as a number as its serial number. Serial numbers are read as
dates by the date reader, which needs to know the workbook's date system: that is read here
from ``xl/workbook.xml``.

What calamine's values do not say is taken from an .xlsx sheet's XML (``_sheet_xml``) before
and after the grid is built: a sheet whose values reach far outside its table is refused; error
cells and formulas without a saved result, which calamine reads as empty, are put back to be
reported; a number formatted as a percentage is read as the percentage shown; a cell merged
down a column gives its value to every row it spans (for .xls, from calamine's merged ranges);
hidden rows and columns are listed for a warning. An .ods file's percentages, merged cells,
hidden rows and hidden columns are read from its ``content.xml`` (``_ods_xml``); an .xlsb
file's, with its error cells and its extent, from its sheets' records (``_xlsb``), and an .xls
file's error cells, percentages and hidden rows and columns from its records (``_xls``).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from python_calamine import CalamineError, PasswordError

from cohortpress.errors import UnreadableInputError
from cohortpress.intake._marks import SheetMarks
from cohortpress.intake._ods_xml import check_ods_extent, ods_sheets
from cohortpress.intake._reading import is_blank, is_number
from cohortpress.intake._sheet_xml import (
    PART_ERRORS,
    check_extent,
    check_shared_strings,
    column_name,
    hidden_columns,
    hidden_rows,
    merged_down,
    percent_cells,
    percent_styles,
    refuse_repeated_cells,
    sheet_xml,
    unread_cells,
)
from cohortpress.intake._workbook import Normalisation
from cohortpress.intake._xls import xls_sheets
from cohortpress.intake._xlsb import xlsb_sheets

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from python_calamine import CalamineWorkbook

    from cohortpress.intake._marks import Unread

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


# Merged ranges named in a note about them; more are counted.
_RANGES_NAMED = 5


@dataclass(frozen=True)
class ExcelSheet:
    """A sheet's cells as read (no header), and what reading them noticed."""

    grid: pd.DataFrame
    notes: list[Normalisation]  # what was done to the cells as read (merged cells filled)
    hidden_rows: frozenset[int]  # Excel row numbers
    hidden_columns: frozenset[int]  # 0-based positions in ``grid``


def read_excel_sheets(
    path: Path, choose: Callable[[list[str]], list[str]]
) -> dict[str, ExcelSheet]:
    """Each sheet ``choose`` picks from the workbook's sheet names, by name. Raise
    :class:`UnreadableInputError` if the file cannot be read."""
    _check_not_empty(path)
    # Before calamine opens the file: for .ods and .xls it reads every sheet's cells then.
    check_ods_extent(path)
    check_shared_strings(path)  # .xlsx: calamine reserves room for the texts declared
    xls = xls_sheets(path)
    sheets: dict[str, ExcelSheet] = {}
    percent = percent_styles(path)
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            names = choose([str(name) for name in book.sheet_names])
            found = _marks(path, names, xls)  # an .xlsb sheet's extent is checked here
            for name in names:
                xml = sheet_xml(path, name)
                marks = found[name]
                grid = _grid(book, name, xml, marks.unread)
                percents = percent_cells(xml, percent) + marks.percent_cells
                notes = _as_percentages(grid, percents, name)
                merged = merged_down(xml) + marks.merged_down
                if path.suffix.lower() == ".xls":
                    merged += _merged_down_in_calamine(book, name)
                notes += _fill_merged_down(grid, merged, name)
                rows = frozenset(hidden_rows(xml) | marks.hidden_rows)
                columns = frozenset(hidden_columns(xml) | marks.hidden_columns)
                sheets[name] = ExcelSheet(grid, notes, rows, columns)
    except PasswordError:
        raise UnreadableInputError(_protected(path)) from None
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableInputError(_diagnose(path, exc)) from None
    except BaseException as exc:
        if not _panicked(exc):
            raise
        raise UnreadableInputError(_diagnose(path, exc)) from None
    return sheets


def uses_1904_dates(path: Path) -> bool:
    """True if the workbook counts dates from 1904 (set in old Mac workbooks)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            workbook_xml = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    except PART_ERRORS:
        return False
    return (
        re.search(r"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(1|true)\"", workbook_xml) is not None
    )


def _marks(path: Path, names: list[str], xls: dict[str, SheetMarks]) -> dict[str, SheetMarks]:
    """What the sheets of an .ods, .xlsb or .xls file (``xls``: read before it was opened)
    say beyond calamine's values (an .xlsx sheet's XML is read as its grid is built)."""
    suffix = path.suffix.lower()
    if suffix == ".ods":
        return ods_sheets(path, names)
    if suffix == ".xlsb":
        return xlsb_sheets(path, names)
    return {name: xls.get(name, SheetMarks()) for name in names}


def _grid(
    book: pd.ExcelFile, name: str, xml: bytes, unread: dict[tuple[int, int], Unread]
) -> pd.DataFrame:
    """The sheet's cells as calamine reads them, with the cells it reads as empty though
    they are not put back (``xml``: the sheet's XML, empty where there is none; ``unread``:
    those found otherwise)."""
    check_extent(xml, name)
    unread = {**unread, **unread_cells(xml)}
    # na_filter=False keeps "NA", "-", "#N/A" as written: intake decides what is missing.
    grid = cast("pd.DataFrame", book.parse(name, header=None, dtype=object, na_filter=False))
    refuse_repeated_cells(xml, name, int((grid.to_numpy() != "").sum()))
    if unread:
        # calamine's grid ends at the last cell it read a value from: a row holding nothing
        # else is not in it, and is added back.
        rows = max(grid.shape[0], *(row + 1 for row, _ in unread))
        columns = max(grid.shape[1], *(column + 1 for _, column in unread))
        if (rows, columns) != grid.shape:
            grid = grid.reindex(index=range(rows), columns=range(columns), fill_value="")
    for (row, column), cell in unread.items():
        grid.iloc[row, column] = cast("Any", cell)  # an object cell, as calamine's are
    return grid


def _as_percentages(
    grid: pd.DataFrame, cells: list[tuple[int, int]], sheet: str
) -> list[Normalisation]:
    """Each number at ``cells`` (formatted as a percentage) as the percentage it is shown as:
    -0.3, shown as -30%, is -30 (shifted in decimal, so 0.3 is 30, not 30.000000000000004)."""
    shifted = 0
    rows, columns = grid.shape
    for row, column in cells:
        if row >= rows or column >= columns:  # no value there: nothing to read as shown
            continue
        value: object = grid.iloc[row, column]
        if isinstance(value, int | float) and is_number(value):
            grid.iloc[row, column] = float(Decimal(repr(float(value))).scaleb(2))
            shifted += 1
    if not shifted:
        return []
    rule = "numbers formatted as percentages read as the percentage shown (-0.3 shown as -30%: -30)"
    return [Normalisation(sheet, None, rule, shifted)]


def _merged_down_in_calamine(book: pd.ExcelFile, name: str) -> list[tuple[str, int, int, int]]:
    """:func:`merged_down` for an .xls file, whose merged ranges calamine lists (for .ods and
    .xlsb it lists none: ``_ods_xml`` and ``_xlsb`` find them). Reads the sheet again, as an
    .xls sheet (65,536 rows at most) costs little."""
    sheet = cast("CalamineWorkbook", book.book).get_sheet_by_name(name)
    ranges = []
    for (first, column), (last, last_column) in sheet.merged_cell_ranges or ():
        if column == last_column and last > first:
            letters = column_name(column + 1)
            ranges.append((f"{letters}{first + 1}:{letters}{last + 1}", column, first, last))
    return ranges


def _fill_merged_down(
    grid: pd.DataFrame, ranges: list[tuple[str, int, int, int]], sheet: str
) -> list[Normalisation]:
    """Give every cell of a range merged down one column its first cell's value (calamine
    leaves them empty); a note names the ranges, column by column and top to bottom, and
    counts the cells filled."""
    filled: list[str] = []
    cells = 0
    for reference, column, first, last in sorted(ranges, key=lambda merged: merged[1:]):
        if column >= grid.shape[1] or first >= grid.shape[0]:
            continue
        value = grid.iloc[first, column]
        below = grid.iloc[first + 1 : last + 1, column]
        empty = below.map(lambda cell: isinstance(cell, str) and not cell.strip())
        if is_blank(value) or not empty.any():
            continue
        grid.iloc[first + 1 : last + 1, column] = below.where(~empty, value)
        filled.append(reference)
        cells += int(empty.sum())
    if not filled:
        return []
    named = ", ".join(filled[:_RANGES_NAMED]) + (" …" if len(filled) > _RANGES_NAMED else "")
    rule = f"merged cells ({named}) read as their first cell's value in every row they span"
    return [Normalisation(sheet, None, rule, cells)]


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise UnreadableInputError(f"{path}: the file is empty (0 bytes)")


def _protected(path: Path) -> str:
    return f"{path}: the workbook is password-protected; save a copy without a password"


def _panicked(exc: BaseException) -> bool:
    """Whether ``exc`` is calamine's reader stopping at an inconsistency it did not expect (a
    Rust panic, raised as ``pyo3_runtime.PanicException``, which is no ``Exception``): a
    damaged or forged file, to report like any other unreadable one."""
    kind = type(exc)
    return kind.__module__ == "pyo3_runtime" and kind.__name__ == "PanicException"


def _diagnose(path: Path, exc: BaseException) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith(_OLE_MAGIC) and _ENCRYPTED_MARK in head:
        return _protected(path)
    return (
        f"{path}: not a readable spreadsheet ({exc}); the file may be damaged, or another "
        f"kind of file renamed to {path.suffix}"
    )
