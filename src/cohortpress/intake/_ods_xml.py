"""What an .ods sheet's XML says that calamine's grid does not (see ``_sheet_xml`` for .xlsx).

An OpenDocument spreadsheet keeps every sheet in ``content.xml``, cells located by counting:
a row or a cell may stand for several (``number-rows-repeated``, ``number-columns-repeated``),
and the cells a merged one covers are ``covered-table-cell`` elements. Three things calamine's
values leave out are read here: numbers typed as percentages (``office:value-type=
"percentage"``, value -0.3 shown as -30%), cells merged down a column
(``number-rows-spanned``), and hidden rows (``table:visibility`` "collapse", or "filter" for a
filter's). The file is walked only when it has one of them, so a workbook without costs one
search of its text.
"""

from __future__ import annotations

import contextlib
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from cohortpress.intake._sheet_xml import column_name

if TYPE_CHECKING:
    from pathlib import Path

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_MARKS = (b'value-type="percentage"', b"number-rows-spanned", b"table:visibility")


@dataclass
class OdsSheet:
    """What a sheet of an .ods file says beyond its values, located as calamine's grid is
    (0-based row and column, from A1)."""

    percent_cells: list[tuple[int, int]] = field(default_factory=list)
    merged_down: list[tuple[str, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)  # Excel-style numbers, from 1


def ods_sheets(path: Path, names: list[str]) -> dict[str, OdsSheet]:
    """:class:`OdsSheet` of each sheet of ``names`` in the .ods file ``path``: empty ones when
    the file has nothing to say, or is not an .ods file or cannot be read (calamine then
    reports it in its own words)."""
    found = {name: OdsSheet() for name in names}
    if path.suffix.lower() != ".ods":
        return found
    try:
        with zipfile.ZipFile(path) as archive:
            content = archive.read("content.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return found
    if not any(mark in content for mark in _MARKS):
        return found
    with contextlib.suppress(ElementTree.ParseError):  # calamine reports the file
        _walk(content, found)
    for sheet in found.values():
        sheet.merged_down.sort(key=lambda merged: merged[1:])  # as _sheet_xml.merged_down
    return found


def _walk(content: bytes, found: dict[str, OdsSheet]) -> None:
    sheet: OdsSheet | None = None
    row = 0
    for event, element in ElementTree.iterparse(BytesIO(content), events=("start", "end")):
        if element.tag == f"{_TABLE}table":
            if event == "start":
                sheet, row = found.get(element.get(f"{_TABLE}name", "")), 0
            else:
                sheet = None
                element.clear()
        elif element.tag == f"{_TABLE}table-row" and event == "end":
            repeated = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
            if sheet is not None:
                _read_row(element, row, repeated, sheet)
            row += repeated
            element.clear()


def _read_row(element: ElementTree.Element, row: int, repeated: int, sheet: OdsSheet) -> None:
    """The row's cells (``row``: its 0-based number, standing for ``repeated`` rows)."""
    column = 0
    holds_values = False
    for cell in element:
        if cell.tag not in _CELLS:
            continue
        columns = int(cell.get(f"{_TABLE}number-columns-repeated", "1"))
        kind = cell.get(f"{_OFFICE}value-type")
        holds_values |= kind is not None
        if kind == "percentage":
            sheet.percent_cells += [
                (r, c) for r in range(row, row + repeated) for c in range(column, column + columns)
            ]
        spanned = int(cell.get(f"{_TABLE}number-rows-spanned", "1"))
        across = int(cell.get(f"{_TABLE}number-columns-spanned", "1"))
        if spanned > 1 and across == 1 and repeated == 1:
            letters = column_name(column + 1)
            reference = f"{letters}{row + 1}:{letters}{row + spanned}"
            sheet.merged_down.append((reference, column, row, row + spanned - 1))
        column += columns
    hidden = element.get(f"{_TABLE}visibility", "visible") in ("collapse", "filter")
    if hidden and holds_values:  # a run of empty rows hidden below the table says nothing
        sheet.hidden_rows.update(range(row + 1, row + repeated + 1))
