"""What an .ods sheet's XML says that calamine's grid does not (see ``_sheet_xml`` for .xlsx).

An OpenDocument spreadsheet keeps every sheet in ``content.xml``, cells located by counting:
a row or a cell may stand for several (``number-rows-repeated``, ``number-columns-repeated``),
and the cells a merged one covers are ``covered-table-cell`` elements. What calamine's values
leave out is read here: numbers typed as percentages (``office:value-type="percentage"``, value
-0.3 shown as -30%), cells merged down a column (``number-rows-spanned``), hidden rows and
columns (``table:visibility`` "collapse", or "filter" for a filter's), and error cells, which
LibreOffice stores as an empty text with the error shown (``calcext:value-type="error"``,
#DIV/0!), read by calamine as empty. The file is walked only when it has one of them, so a
workbook without costs one search of its text.

And each sheet's extent (:func:`check_ods_extent`): calamine builds every sheet's grid when it
opens the file, from A1 to the last value, so one value typed a million rows down (8 kB of
.ods) would take 1.5 GB, and one in the last column of the last row billions of cells. The
extent is found from the end of each sheet's rows, and its width, where that could matter,
from its cells.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import re
import zipfile
from io import BytesIO
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from cohortpress.intake._marks import SheetMarks
from cohortpress.intake._sheet_xml import (
    MAX_SPARSE_CELLS,
    PART_ERRORS,
    column_name,
    refuse_if_sparse,
)

if TYPE_CHECKING:
    from pathlib import Path

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_CALC = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_MARKS = (
    b'value-type="percentage"', b"number-rows-spanned", b"table:visibility",
    b'calcext:value-type="error"',
)  # fmt: skip
_MAX_ROWS, _MAX_COLUMNS = 1_048_576, 16_384  # LibreOffice's largest sheet, as Excel's
_SHEET = re.compile(rb'<table:table\b[^>]*?\btable:name="([^"]*)"')
_ROW = re.compile(rb"<table:table-row[\s>/]")
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')


def check_ods_extent(path: Path) -> None:
    """Raise :class:`UnreadableInputError` if a sheet of the .ods file ``path`` would make
    calamine build a grid too large to hold and mostly empty (see ``_sheet_xml``); nothing for
    other files, or for one that cannot be read (calamine reports it)."""
    content = _content(path)
    starts = [(m.start(), html.unescape(m[1].decode())) for m in _SHEET.finditer(content)]
    ends = [start for start, _ in starts[1:]] + [len(content)] if starts else []
    for (start, name), end in zip(starts, ends, strict=True):
        table = content[start:end]
        rows = _last_row_with_a_value(table)
        if rows * _MAX_COLUMNS <= MAX_SPARSE_CELLS:
            continue
        columns, values = _width_and_values(table)
        refuse_if_sparse(name, rows, columns, values)


def _content(path: Path) -> bytes:
    if path.suffix.lower() != ".ods":
        return b""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read("content.xml")
    except PART_ERRORS:
        return b""


def _last_row_with_a_value(table: bytes) -> int:
    """The number (from 1) of the sheet's last row holding a value, counting repeated rows."""
    end = len(table)
    while (start := _last_row_start(table, end)) >= 0:
        if table.find(b"office:value-type=", start, end) >= 0:
            repeated = sum(int(n) - 1 for n in _ROWS_REPEATED.findall(table, 0, start))
            own = _ROWS_REPEATED.search(table, start, table.find(b">", start))  # itself
            return len(_ROW.findall(table, 0, start)) + repeated + (int(own[1]) if own else 1)
        end = start
    return 0


def _last_row_start(table: bytes, end: int) -> int:
    start = table.rfind(b"<table:table-row", 0, end)
    while start >= 0 and not _ROW.match(table, start):  # <table:table-rows>, -row-group
        start = table.rfind(b"<table:table-row", 0, start)
    return start


def _width_and_values(table: bytes) -> tuple[int, int]:
    """The widest column holding a value (from 1) and about how many values the sheet holds.

    A row's last value is found in its text, and its column counted from the cells before it
    (a repeated cell counting as many): a few searches in C per row, no Python per cell.
    """
    starts = [m.start() for m in _ROW.finditer(table)] + [len(table)]
    width = 0
    for start, end in itertools.pairwise(starts):
        last = table.rfind(b"office:value-type=", start, end)
        if last < 0:
            continue
        last = table.find(b">", last)  # the end of that cell's tag: its own repeats count
        cells = table.count(b"<table:table-cell", start, last)
        cells += table.count(b"<table:covered-table-cell", start, last)
        repeated = sum(int(n) - 1 for n in _COLUMNS_REPEATED.findall(table, start, last))
        width = max(width, cells + repeated)
    return width, table.count(b"office:value-type=")


def ods_sheets(path: Path, names: list[str]) -> dict[str, SheetMarks]:
    """:class:`SheetMarks` of each sheet of ``names`` in the .ods file ``path``: empty ones when
    the file has nothing to say, or is not an .ods file or cannot be read (calamine then
    reports it in its own words)."""
    found = {name: SheetMarks() for name in names}
    content = _content(path)
    if not any(mark in content for mark in _MARKS):
        return found
    with contextlib.suppress(*PART_ERRORS):  # calamine reports the file
        _walk(content, found)
    return found


def _walk(content: bytes, found: dict[str, SheetMarks]) -> None:
    sheet: SheetMarks | None = None
    row = column = 0
    for event, element in ElementTree.iterparse(BytesIO(content), events=("start", "end")):
        if element.tag == f"{_TABLE}table":
            if event == "start":
                sheet, row, column = found.get(element.get(f"{_TABLE}name", "")), 0, 0
            else:
                sheet = None
                element.clear()
        elif element.tag == f"{_TABLE}table-column" and event == "end":
            columns = int(element.get(f"{_TABLE}number-columns-repeated", "1"))
            if sheet is not None and element.get(f"{_TABLE}visibility") in ("collapse", "filter"):
                sheet.hidden_columns.update(range(column, min(column + columns, _MAX_COLUMNS)))
            column += columns
        elif element.tag == f"{_TABLE}table-row" and event == "end":
            repeated = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
            if sheet is not None:
                _read_row(element, row, repeated, sheet)
            row += repeated
            element.clear()


def _read_row(element: ElementTree.Element, row: int, repeated: int, sheet: SheetMarks) -> None:
    """The row's cells (``row``: its 0-based number, standing for ``repeated`` rows)."""
    column = 0
    holds_values = False
    for cell in element:
        if cell.tag not in _CELLS:
            continue
        columns = int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
        kind = cell.get(f"{_OFFICE}value-type")
        holds_values |= kind is not None
        # The cells this one stands for, within a sheet's bounds (a repeat count past them,
        # damaged or forged, would list billions)
        block = (
            range(row, min(row + repeated, _MAX_ROWS)),
            range(column, min(column + columns, _MAX_COLUMNS)),
        )
        if kind == "percentage":
            sheet.percent_cells += [(r, c) for r in block[0] for c in block[1]]
        if cell.get(f"{_CALC}value-type") == "error":  # stored as an empty text
            shown = "".join(cell.itertext()).strip() or "#ERROR"
            holds_values = True
            sheet.unread.update({(r, c): shown for r in block[0] for c in block[1]})
        spanned = int(cell.get(f"{_TABLE}number-rows-spanned", "1"))
        across = int(cell.get(f"{_TABLE}number-columns-spanned", "1"))
        if spanned > 1 and across == 1 and repeated == 1:
            letters = column_name(column + 1)
            reference = f"{letters}{row + 1}:{letters}{row + spanned}"
            sheet.merged_down.append((reference, column, row, row + spanned - 1))
        column += columns
    hidden = element.get(f"{_TABLE}visibility", "visible") in ("collapse", "filter")
    if hidden and holds_values:  # a run of empty rows hidden below the table says nothing
        sheet.hidden_rows.update(range(row + 1, min(row + repeated, _MAX_ROWS) + 1))
