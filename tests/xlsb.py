"""A minimal .xlsb writer for the tests: no library writes Excel's binary workbook.

A binary workbook is a zip of record streams (MS-XLSB 2.1.4): each record a type and a size
as variable-length integers, then its data. This writes what calamine reads: the workbook's
sheet list (``xl/workbook.bin`` and its relationships) and each sheet's rows of cells, numbers
as ``BrtCellReal`` and text as ``BrtCellIsst`` (an index into ``xl/sharedStrings.bin``, as Excel
writes it) or ``BrtCellSt`` (inline). Dates are written as Excel serial numbers, as a cell
formatted as a number holds them.
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from defects import Book

Cell = tuple[int, int, object]  # 0-based row and column, value (str, int, float, date)

_EPOCH = dt.date(1899, 12, 30)
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>
{overrides}
</Types>"""
_SHEET_TYPE = "application/vnd.ms-excel.worksheet"
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{type}" Target="xl/workbook.bin"/>
</Relationships>"""
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WORKSHEET_REL = f"{_RELATIONSHIPS}/worksheet"


def record(kind: int, data: bytes = b"") -> bytes:
    """One record: its type (1 or 2 bytes) and size (1 to 4 bytes), 7 bits a byte."""
    return _varint(kind) + _varint(len(data)) + data


def wide(text: str) -> bytes:
    """An XLWideString: the count of UTF-16 code units, then the text."""
    encoded = text.encode("utf-16-le")
    return struct.pack("<I", len(encoded) // 2) + encoded


@dataclass
class Layout:
    """How a sheet's cells are shown, as Excel records it (0-based rows and columns)."""

    percent: set[tuple[int, int]] = field(default_factory=set)  # formatted 0% (style 1)
    errors: dict[tuple[int, int], int] = field(default_factory=dict)  # error code, as computed
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # rows, then columns


def sheet_records(
    cells: Iterable[Cell], layout: Layout | None = None, strings: list[str] | None = None
) -> bytes:
    """A worksheet's records, cells in row order; the used range its dimension record claims
    is A1 (Excel's own is the cells', but calamine does not go by it). With ``strings``, texts
    are written as Excel writes them, indexes into the workbook's shared strings (added to
    ``strings``), else inline."""
    layout = layout or Layout()
    out = [record(0x0081), record(0x0094, struct.pack("<IIII", 0, 0, 0, 0))]
    if layout.hidden_columns:  # BrtBeginColInfos, a BrtColInfo per column, BrtEndColInfos
        out.append(record(0x0186))
        out += [
            record(0x003C, struct.pack("<IIIIH", column, column, 2304, 0, 1))  # fHidden
            for column in sorted(layout.hidden_columns)
        ]
        out.append(record(0x0187))
    out.append(record(0x0091))  # BrtBeginSheetData
    current = None
    for row, column, value in cells:
        if row != current:
            # BrtRowHdr: the row, its style, height, flags (fDyZero: hidden) and no spans
            flags = 0x1000 if row in layout.hidden_rows else 0
            out.append(record(0x0000, struct.pack("<IIHHBI", row, 0, 300, flags, 0, 0)))
            current = row
        if (row, column) in layout.errors:  # a formula's error: BrtFmlaError, no formula
            head = struct.pack("<II", column, 0) + bytes([layout.errors[row, column]])
            out.append(record(0x000B, head + struct.pack("<HII", 0, 0, 0)))
        else:
            style = int((row, column) in layout.percent)
            if isinstance(value, str) and strings is not None:
                if value not in strings:
                    strings.append(value)
                out.append(record(0x0007, struct.pack("<III", column, style, strings.index(value))))
            else:
                out.append(_cell(column, value, style=style))
    out.append(record(0x0092))  # BrtEndSheetData
    if layout.merged:  # BrtBeginMergeCells, a BrtMergeCell per range, BrtEndMergeCells
        out.append(record(0x00B1, struct.pack("<I", len(layout.merged))))
        out += [record(0x00B0, struct.pack("<IIII", *merged)) for merged in layout.merged]
        out.append(record(0x00B2))
    out.append(record(0x0082))  # BrtEndSheet
    return b"".join(out)


def styles_records() -> bytes:
    """Two cell formats: General (style 0) and Excel's built-in 0% (style 1)."""
    formats = [struct.pack("<HHHHHBBHH", 0, number_format, 0, 0, 0, 0, 0, 0, 0)
               for number_format in (0, 9)]  # fmt: skip
    return b"".join(
        [record(0x0116), record(0x0269, struct.pack("<I", len(formats)))]
        + [record(0x002F, data) for data in formats]
        + [record(0x026A), record(0x0117)]
    )


def write_xlsb(sheets: dict[str, bytes], path: Path, strings: list[str] | None = None) -> Path:
    """A workbook of ``sheets`` (name -> the sheet's records, see :func:`sheet_records`), and
    its shared ``strings`` where its sheets index them."""
    bundles = b"".join(
        record(0x009C, struct.pack("<II", 0, i + 1) + wide(f"rId{i + 1}") + wide(name))
        for i, name in enumerate(sheets)
    )
    workbook = record(0x0083) + record(0x008F) + bundles + record(0x0090) + record(0x0084)
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{_WORKSHEET_REL}" '
        f'Target="worksheets/sheet{i + 1}.bin"/>'
        for i in range(len(sheets))
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.bin" ContentType="{_SHEET_TYPE}"/>'
        for i in range(len(sheets))
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides=overrides))
        archive.writestr("_rels/.rels", _ROOT_RELS.format(type=f"{_RELATIONSHIPS}/officeDocument"))
        archive.writestr("xl/workbook.bin", workbook)
        archive.writestr(
            "xl/_rels/workbook.bin.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>",
        )
        archive.writestr("xl/styles.bin", styles_records())
        if strings is not None:  # BrtBeginSst (uses, texts), a BrtSSTItem each, BrtEndSst
            items = [record(0x0013, b"\x00" + wide(text)) for text in strings]
            count = struct.pack("<II", len(strings), len(strings))
            archive.writestr(
                "xl/sharedStrings.bin", record(0x009F, count) + b"".join(items) + record(0x00A0)
            )
        for i, data in enumerate(sheets.values()):
            archive.writestr(f"xl/worksheets/sheet{i + 1}.bin", data)
    return path


def table_cells(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[Cell]:
    """A header row and data rows as cells; empty values (None, "") are left out."""
    cells: list[Cell] = [(0, c, name) for c, name in enumerate(header)]
    for r, row in enumerate(rows, start=1):
        cells += [(r, c, value) for c, value in enumerate(row) if value not in (None, "")]
    return cells


def _cell(column: int, value: object, style: int = 0) -> bytes:
    head = struct.pack("<II", column, style)  # the column, its style, no flags
    if isinstance(value, str):
        return record(0x0006, head + wide(value))  # BrtCellSt
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        value = float((value - _EPOCH).days)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"no cell record for {value!r}")
    return record(0x0005, head + struct.pack("<d", float(value)))  # BrtCellReal


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def write_book_xlsb(
    book: Book, path: Path, layouts: dict[str, Layout] | None = None, *, shared: bool = True
) -> Path:
    """A test book (see ``defects``) as an .xlsb workbook; ``layouts`` by sheet key; its texts
    shared, as Excel writes them, or inline."""
    strings: list[str] | None = [] if shared else None
    sheets = {
        name: sheet_records(book_cells(book, key), (layouts or {}).get(key), strings)
        for key, name in book.sheet_names.items()
    }
    return write_xlsb(sheets, path, strings)


def book_cells(book: Book, key: str) -> list[Cell]:
    """The cells of a test book's sheet (``key``), the header in row 0."""
    return [
        (r, c, value)
        for r, row in enumerate(book.grid(key))
        for c, value in enumerate(row)
        if value not in (None, "")
    ]
