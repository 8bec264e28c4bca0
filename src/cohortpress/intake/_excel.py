"""Spreadsheet files (.xlsx, .xlsm, .xls, .xlsb, .ods) read with python-calamine.

Calamine returns date-formatted cells as dates (honouring the 1904 date system) but leaves a
date typed into a cell formatted as a number as its serial number, and turns Excel error
cells (#DIV/0!) into empty cells. Serial numbers are read as dates by the date reader, which
needs to know the workbook's date system: that is read here from ``xl/workbook.xml``. Error
cells of .xlsx files are put back from the sheet's XML (``_excel_errors``).
"""

from __future__ import annotations

import re
import zipfile
from typing import TYPE_CHECKING, cast

import pandas as pd
from python_calamine import CalamineError, PasswordError

from cohortpress.errors import UnreadableInputError
from cohortpress.intake._excel_errors import error_cells

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


def read_excel_grids(
    path: Path, choose: Callable[[list[str]], list[str]]
) -> dict[str, pd.DataFrame]:
    """The raw grid (no header, cells as read) of each sheet ``choose`` picks from the
    workbook's sheet names. Raise :class:`UnreadableInputError` if the file cannot be read."""
    _check_not_empty(path)
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            names = choose([str(name) for name in book.sheet_names])
            grids = {name: _grid(book, name, error_cells(path, name)) for name in names}
    except PasswordError:
        raise UnreadableInputError(_protected(path)) from None
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableInputError(_diagnose(path, exc)) from None
    return grids


def uses_1904_dates(path: Path) -> bool:
    """True if the workbook counts dates from 1904 (set in old Mac workbooks)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            workbook_xml = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return (
        re.search(r"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(1|true)\"", workbook_xml) is not None
    )


def _grid(book: pd.ExcelFile, name: str, errors: dict[tuple[int, int], str]) -> pd.DataFrame:
    # na_filter=False keeps "NA", "-", "#N/A" as written: intake decides what is missing.
    grid = cast("pd.DataFrame", book.parse(name, header=None, dtype=object, na_filter=False))
    for (row, column), text in errors.items():
        if row < grid.shape[0] and column < grid.shape[1]:
            grid.iloc[row, column] = text
    return grid


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise UnreadableInputError(f"{path}: the file is empty (0 bytes)")


def _protected(path: Path) -> str:
    return f"{path}: the workbook is password-protected; save a copy without a password"


def _diagnose(path: Path, exc: Exception) -> str:
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith(_OLE_MAGIC) and _ENCRYPTED_MARK in head:
        return _protected(path)
    return (
        f"{path}: not a readable spreadsheet ({exc}); the file may be damaged, or another "
        f"kind of file renamed to {path.suffix}"
    )
