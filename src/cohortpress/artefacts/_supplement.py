"""The supplementary workbook: one sheet per table, cells that cannot run as formulas.

The file is reproducible: the same tables give the same bytes (no creation time in the document
properties or the zip entries), so an unchanged report is an unchanged file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from cohortpress.artefacts.tables import Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FIXED_TIME = dt.datetime(1980, 1, 1)  # the earliest time a zip entry can carry
KEPT_WORKBOOKS = 4


def formula_like(value: object) -> bool:
    """Text a spreadsheet would take for a formula were it typed into a cell (OWASP's rule for
    CSV): stored as text all the same, and marked so (Excel's quote prefix) that editing the
    cell keeps it text. An apostrophe written into it would be printed, unlike the table's."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


@dataclass
class KeptWorkbook:
    """The supplementary workbook kept between runs of one build-cache key.

    Its bytes follow from the tables, which the build cache's key (``tables``) determines, and
    from the sheet names, which follow the author's text; so a kept workbook is found by the
    key and the sheet names, and a text edit that numbers the tables as before copies it
    instead of writing it again. A workbook this run wrote is kept by
    :meth:`keep`, which the pipeline calls only when the tables were made under the key.
    """

    folder: Path
    tables: str  # the build cache key the tables were computed (or cached) under
    read: bool = True  # False: --no-cache
    made: tuple[str, bytes] | None = None  # written by this run: its name, its bytes

    def name(self, sheets: dict[str, str]) -> str:
        # The key covers cohortpress's code and the installed libraries (XlsxWriter).
        text = json.dumps(["supplementary.xlsx", self.tables, sorted(sheets.items())])
        return hashlib.sha256(text.encode()).hexdigest() + ".xlsx"

    def find(self, sheets: dict[str, str]) -> bytes | None:
        if not self.read:
            return None
        try:
            content = (self.folder / self.name(sheets)).read_bytes()
        except OSError:
            return None
        if not zipfile.is_zipfile(io.BytesIO(content)):  # damaged: written anew
            return None
        with contextlib.suppress(OSError):
            os.utime(self.folder / self.name(sheets))  # used last: kept longest
        return content

    def keep(self) -> None:
        """Keep the workbook this run wrote (a folder that cannot be written is left)."""
        if self.made is None:
            return
        name, content = self.made
        with contextlib.suppress(OSError):
            self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the study's
            self.folder.mkdir(exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as stream:
                stream.write(content)
            Path(temporary).replace(self.folder / name)
            kept = sorted(self.folder.glob("*.xlsx"), key=lambda p: p.stat().st_mtime)
            for stale in kept[:-KEPT_WORKBOOKS]:
                stale.unlink()


def write_supplement(
    tables: list[Table], path: Path, sheets: dict[str, str], kept: KeptWorkbook | None = None
) -> Path:
    """Write each table's printed content to its own sheet, named as the documents number it
    (``sheets``: table id -> "Table I", "Table S1"; see ``present/placement.py``); with
    ``kept``, copy the workbook an earlier run wrote of the same tables and sheet names."""
    content = kept.find(sheets) if kept is not None else None
    if content is not None:
        path.write_bytes(content)
        return path
    _write_workbook(tables, path, sheets)
    if kept is not None:
        kept.made = (kept.name(sheets), path.read_bytes())
    return path


def _write_workbook(tables: list[Table], path: Path, sheets: dict[str, str]) -> None:
    """Each table on its sheet: the column labels (bold) over the printed cells, the caption
    and the notes two rows below, the columns as wide as their cells.

    Written with XlsxWriter, every text cell as a string: nothing the tables hold can become
    a formula, a link or a number, and the created time is fixed (XlsxWriter dates the zip
    entries 1980 already), so the same tables give the same bytes.
    """
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(str(path), options)  # written by close(), not before
    book.set_properties({"author": "cohortpress", "created": _FIXED_TIME})
    header = book.add_format({"bold": True, "bottom": 1})
    quoted = {
        None: book.add_format({"quote_prefix": True}),
        header: book.add_format({"bold": True, "bottom": 1, "quote_prefix": True}),
    }
    for table in tables:
        name = sheets.get(table.id, table.id)[:31]
        sheet = book.add_worksheet(name)
        labels = [table.column_labels.get(str(c), str(c)) for c in table.frame.columns]
        for column, label in enumerate(labels):
            _write(sheet, name, 0, column, label or "Variable", quoted, header)
        for row, values in enumerate(table.frame.itertuples(index=False), start=1):
            for column, value in enumerate(values):
                _write(sheet, name, row, column, value, quoted)
        sheet.autofit()  # before the caption and notes, which would widen the first column
        below = len(table.frame) + 2
        for row, text in enumerate((table.caption, *table.notes), start=below):
            _write(sheet, name, row, 0, str(text), quoted)
    book.close()


def _write(sheet: Worksheet, name: str, row: int, column: int, value: object,
           quoted: dict[Format | None, Format], style: Format | None = None) -> None:  # fmt: skip
    """One cell: text stored as a string as printed (``quoted``: ``style`` with the quote
    prefix, for :func:`formula_like` text), a number as a number, a missing value or empty
    text left blank. XlsxWriter cuts a string longer than a cell holds (32,767 characters)
    and says so only by its return code: raised here instead."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(row, column, value, style)
    elif (
        sheet.write_string(row, column, str(value), quoted[style] if formula_like(value) else style)
        == -2
    ):
        cell = f"row {row + 1}, column {column + 1}"
        raise RenderError(f"supplementary.xlsx: the text of sheet {name!r}, {cell}, is longer "
                          "than a spreadsheet cell holds (32,767 characters)")  # fmt: skip
