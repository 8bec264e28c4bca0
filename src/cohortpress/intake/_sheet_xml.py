"""What an .xlsx sheet's XML says that calamine's grid does not, read before the grid is built.

Cells calamine reads as empty though they are not: Excel error cells (#DIV/0!, #REF!, #N/A …),
and formulas whose result was never saved in the file (a workbook written by a program, as
openpyxl writes a formula, and not opened and saved in Excel since: there is nothing to read
but the formula). Left alone, either would silently become a missing value. The sheet's XML is
scanned for them (only when it holds an error or a formula) so intake can put them back and
report them like any other unreadable cell.

Hidden rows and columns (:func:`hidden_rows`, :func:`hidden_columns`): calamine reads them like
any other; the rows and columns a study reads are listed for a warning, since hiding a patient
is not excluding them.

Merged cells: calamine gives a merged range's value to its first cell only. A column whose
cells are merged down over several rows (one patient's ID over the rows of their adverse
events, one histology over a group of patients) means that value in every row; read as it
comes, the other rows would be blank. The ranges are read from the sheet's XML
(:func:`merged_down`).

Percentages: a number typed as "-30%" is stored as -0.3 in a cell formatted as a percentage.
calamine reads the -0.3; a column where some cells were typed so and others as "-30" would
mix the two scales without a word. The cells formatted as percentages are found from the
workbook's styles and the sheet's XML (:func:`percent_cells`) and read as the percentage shown.

A row written twice in the sheet's XML, which calamine reads as one row, the later cells
replacing the earlier, is refused (:func:`check_extent`), and so is a cell written twice, of
which calamine keeps the later value (:func:`refuse_repeated_cells`).

And the sheet's extent: calamine builds a grid from A1 to the last cell holding a value, so one
value typed far away (cell XFD1048576 of an otherwise small sheet) would make a grid of
billions of cells out of a file of a few kilobytes. Such a sheet is refused before the grid is
built (:func:`check_extent`).

Every scan finds cells by their reference (``r="B7"``); a sheet whose writer left the
references out, as OOXML allows, is numbered first (:func:`numbered`).
"""

from __future__ import annotations

import html
import itertools
import re
import zipfile
import zlib
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from cohortpress.errors import UnreadableInputError
from cohortpress.intake._reading import UnsavedFormula

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from cohortpress.intake._marks import Unread

# What reading a part of a damaged workbook may raise: a part missing (KeyError, a
# LookupError), an XML declaration naming an unknown encoding (LookupError), XML that does not
# parse, a damaged or encrypted zip entry. Where a part cannot be read, calamine reports the
# file in its own words.
PART_ERRORS = (
    LookupError, zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError, zlib.error,
    NotImplementedError, RuntimeError,
)  # fmt: skip

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A cell, written out (<c r="B2" t="e"><v>#DIV/0!</v></c>) or empty and self-closing
# (<c r="A2" s="1"/>, as Excel writes a formatted blank); some writers prefix the elements
# with a namespace (<x:c>).
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")
_TEXT_TYPES = (b"s", b"str", b"inlineStr")  # an empty saved value is an empty text
# The marks of a cell calamine reads as empty: an error's type, and a formula closed (or a
# shared one, self-closed) with no value, or an empty one, before the cell's end. Each starts
# with a literal, which keeps a scan of 100 MB near 0.1 s; candidates are checked as cells.
_MARKS = (
    re.compile(rb't="e"'),
    re.compile(rb"</f>(?:<v>\s*</v>|<v/>)?</c>"),
    re.compile(rb"/>(?:<v>\s*</v>|<v/>)?</c>"),
)
_PREFIXED_MARK = re.compile(  # the same where the elements carry a namespace prefix (<x:c>)
    rb"(?:</\w+:f>|/>)(?:<\w+:v>\s*</\w+:v>|<\w+:v/>)?</\w+:c>"
)
_CELL_START = re.compile(rb"<(?:\w+:)?c[\s/>]")
# A row or a cell tag, and its number (a cell's: its column's letters, then its row's).
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>")
_NUMBER = re.compile(rb'\sr="([A-Z]*)(\d+)"')
_FIRST_CELL_NUMBER = re.compile(rb'\s*<(?:\w+:)?c\s[^>]*?\br="([A-Z]+)(\d+)"')  # a row's


# The most cells a sheet's grid may have when it is also mostly empty: a sheet whose grid is
# larger than this and holds fewer than one value in SPARSE_RATIO of its cells is refused. A
# million patients in 24 columns is 24 million cells, nearly all filled.
MAX_SPARSE_CELLS = 20_000_000
SPARSE_RATIO = 100
# A row's number (a cell's reference starts with letters), and a cell of column AA or beyond,
# with and without a value. Their literal start keeps a scan of 100 MB of XML near 0.1 s.
_ROW_NUMBER = re.compile(rb' r="(\d+)"')
_WIDE = re.compile(rb' r="([A-Z]{2,3})\d')
_WIDE_VALUE = re.compile(
    rb' r="([A-Z]{2,3})\d+"[^>]*>(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?'
    rb"<(?:\w+:)?(?:v|is)\b"
)
_HOLDS_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b")
_CELL_REFERENCE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]+[0-9]+)"')
# A row or cell numbered from row 1,000,000, or a cell from column XAA (XFD is Excel's last)
_FAR = re.compile(rb' r="(?=[A-Z]{4}|[X-Z][A-Z]{2}\d|[A-Z]*\d{7})([A-Z]*)(\d+)"')
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
_HIDDEN = re.compile(rb'hidden="(?:1|true)"')
_UNIQUE_COUNT = re.compile(rb'\buniqueCount="(\d+)"')  # of the table of texts (<sst>)
_TEXT_ITEM = re.compile(rb"<(?:\w+:)?si[\s/>]")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\s")
_COLUMN_TAG = re.compile(rb"<(?:\w+:)?col\s")
_SPAN = re.compile(rb'\bmin="(\d+)"[^>]*?\bmax="(\d+)"')
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


# Excel's built-in percentage formats (0% and 0.00%); other formats are written out in the
# workbook's styles, and are percentages when a % sign is in them outside quotes and escapes.
BUILT_IN_PERCENT = frozenset({9, 10})
_QUOTED = re.compile(r'"[^"]*"|\\.')
_NUMBER_TYPES = (None, b"n")  # a cell's type: a number, written or computed


def shows_percent(format_code: str) -> bool:
    """Whether a number format written out in a workbook's styles shows a percentage."""
    return "%" in _QUOTED.sub("", format_code)


def percent_styles(path: Path) -> frozenset[int]:
    """The cell formats (``s="…"`` of a cell) of an .xlsx or .xlsm file that show a number as
    a percentage; empty for other files, or when the styles cannot be read."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return frozenset()
    try:
        with zipfile.ZipFile(path) as archive:
            styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except PART_ERRORS:
        return frozenset()
    percent = set(BUILT_IN_PERCENT)
    for number_format in styles.iter(f"{_MAIN}numFmt"):
        if shows_percent(number_format.get("formatCode", "")):
            percent.add(int(number_format.get("numFmtId", "-1")))
    formats = styles.find(f"{_MAIN}cellXfs")
    cells = [] if formats is None else formats.findall(f"{_MAIN}xf")
    return frozenset(i for i, xf in enumerate(cells) if int(xf.get("numFmtId", "0")) in percent)


def percent_cells(xml: bytes, styles: frozenset[int]) -> list[tuple[int, int]]:
    """(0-based row, 0-based column) of every number in the sheet's ``xml`` whose cell is
    formatted as a percentage (``styles``: :func:`percent_styles`)."""
    if not styles:
        return []
    found = []
    styled_so = re.compile(rb' s="(?:%s)"' % b"|".join(b"%d" % style for style in sorted(styles)))
    for styled in styled_so.finditer(xml):  # only the cells so formatted: few, found in C
        start = xml.rfind(b"<", 0, styled.start())
        cell = _CELL.match(xml, start)
        if cell is None or cell.start(1) > styled.start() or cell.end(1) < styled.end():
            continue  # the style of a row or a column, not of a cell
        ref, kind = _REF.search(cell[1]), _TYPE.search(cell[1])
        if ref and (kind[1] if kind else None) in _NUMBER_TYPES and _VALUE.search(cell[2] or b""):
            found.append((int(ref[2]) - 1, _column_number(ref[1].decode()) - 1))
    return found


def sheet_xml(path: Path, sheet: str) -> bytes:
    """The XML of ``sheet`` in an .xlsx or .xlsm file; empty for other files, or when the
    part cannot be found (calamine then reports the file in its own words)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return b""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            return numbered(archive.read(part)) if part else b""
    except PART_ERRORS:
        return b""


def numbered(xml: bytes) -> bytes:
    """The sheet's ``xml`` with every row and cell numbered (``r="B7"``), as the scans here
    find them. A writer may leave the numbers out: a row without one is the row after the
    last, a cell the column after the last, and calamine reads them so; an error cell among
    them was a silent blank. A writer numbers every one or none: the sheet's first rows and
    cells tell which (numbering 100,000 rows of 24 cells takes about 7 s; counting the numbers
    of every tag, to be sure, 1 s)."""
    first = itertools.islice(_ROW_OR_CELL.finditer(xml, max(xml.find(b"sheetData"), 0)), 256)
    if all(_NUMBER.search(tag[2]) for tag in first):
        return xml
    parts: list[bytes] = []
    done = row = column = 0
    for tag in _ROW_OR_CELL.finditer(xml):
        own = _NUMBER.search(tag[2])
        if tag[1] == b"row":  # an unnumbered row may hold numbered cells
            known = own or _FIRST_CELL_NUMBER.match(xml, tag.end())
            row, column = (int(known[2]) if known else row + 1), 0
            number = b' r="%d"' % row
        else:
            column = _column_number(own[1].decode()) if own and own[1] else column + 1
            number = b' r="%s%d"' % (column_name(column).encode(), row)
        if own is None:
            parts += [xml[done : tag.end(1)], number]
            done = tag.end(1)
    return b"".join([*parts, xml[done:]])


def unread_cells(xml: bytes) -> dict[tuple[int, int], Unread]:
    """(0-based row, 0-based column) -> what the cell holds, for every error cell and every
    formula without a saved result in the sheet's ``xml``."""
    if b't="e"' not in xml and b"<f" not in xml and b":f" not in xml:
        return {}
    return dict(_unread(xml))


def hidden_rows(xml: bytes) -> frozenset[int]:
    """The Excel numbers of the rows hidden in the sheet (by hand, or by a filter)."""
    found = (_ROW_NUMBER.search(tag) for tag in _hidden_tags(xml, _ROW_TAG))
    return frozenset(int(number[1]) for number in found if number)


def hidden_columns(xml: bytes) -> frozenset[int]:
    """The 0-based positions of the columns hidden in the sheet."""
    hidden: set[int] = set()
    for tag in _hidden_tags(xml, _COLUMN_TAG):
        span = _SPAN.search(tag)
        if span:
            hidden.update(range(int(span[1]) - 1, min(int(span[2]), 16_384)))
    return frozenset(hidden)


def _hidden_tags(xml: bytes, kind: re.Pattern[bytes]) -> list[bytes]:
    """The tags of ``kind`` (rows or columns) marked hidden: found from the mark, whose tag
    is looked at, so that a sheet costs a scan in C whatever its size."""
    tags = []
    for mark in _HIDDEN.finditer(xml):
        start = xml.rfind(b"<", 0, mark.start())
        if kind.match(xml, start):
            tags.append(xml[start : xml.find(b">", mark.end()) + 1])
    return tags


def merged_down(xml: bytes) -> list[tuple[str, int, int, int]]:
    """The sheet's merged ranges that span rows within one column: (the range as Excel
    writes it, 0-based column, first row, last row)."""
    end = max(xml.rfind(b"sheetData>"), 0)  # the merged ranges are listed after the cells
    ranges = []
    for first_column, first_row, last_column, last_row in _MERGED.findall(xml, end):
        first, last = int(first_row), int(last_row)
        if first_column == last_column and last > first:
            letters = first_column.decode()
            column = _column_number(letters) - 1
            ranges.append((f"{letters}{first}:{letters}{last}", column, first - 1, last - 1))
    return ranges


def check_extent(xml: bytes, sheet: str) -> None:
    """Raise :class:`UnreadableInputError` if the grid calamine would build for the sheet's
    ``xml`` is too large to hold (:data:`MAX_SPARSE_CELLS`) and mostly empty.

    Calamine's grid reaches the last row and the last column holding a value; a formatted
    empty cell does not count. The cells' references bound it at little cost (one scan for
    the rows' numbers, one for the names of columns AA and beyond); only a sheet whose bound
    is over the limit is looked at closer: its last row holding a value, found from the end,
    and the widest column holding one.
    """
    _refuse_outside(xml, sheet)
    numbers = _ROW_NUMBER.findall(xml)
    _refuse_repeated_rows(numbers, sheet)
    rows = max(map(int, numbers), default=0)
    columns = max((_column_number(c.decode()) for c in set(_WIDE.findall(xml))), default=26)
    if rows * columns <= MAX_SPARSE_CELLS:
        return
    rows = _last_row_with_a_value(xml)
    columns = max((_column_number(c.decode()) for c in set(_WIDE_VALUE.findall(xml))), default=26)
    values = (xml.count(b"v>") + xml.count(b"is>")) // 2  # opening and closing tags
    refuse_if_sparse(sheet, rows, columns, values)


def _refuse_outside(xml: bytes, sheet: str) -> None:
    """Refuse a row or cell numbered past Excel's last row or column (a damaged or forged
    file): calamine would build a grid to reach it (a cell numbered Q4000000000 asked for
    3 TB). Only the rows' numbers of seven digits or more and the columns' names from XAA are
    looked at: few, in a sheet of Excel's (one scan, 0.25 s for 100,000 rows of 24 cells)."""
    for letters, digits in _FAR.findall(xml):
        row, column = int(digits), _column_number(letters.decode()) if letters else 1
        if row > EXCEL_ROWS or column > EXCEL_COLUMNS:
            where = f"outside any Excel sheet ({EXCEL_ROWS:,} rows, {EXCEL_COLUMNS:,} columns)"
            refuse_damaged(sheet, row - 1, column - 1, where)


def _refuse_repeated_rows(numbers: list[bytes], sheet: str) -> None:
    """Refuse a sheet whose XML writes a row twice (``<row r="7">`` twice; a damaged file, or
    a program's export gone wrong: Excel never writes one). calamine reads the two as one
    row, the later cell replacing the earlier where both have one: values lost, or changed,
    without a word (5 ms for 100,000 rows). A cell written twice: :func:`refuse_repeated_cells`.
    """
    number = _first_repeated(numbers)
    if number is not None:
        raise UnreadableInputError(
            f"sheet '{sheet}': row {int(number):,} is written twice in the file, and its cells "
            "would be read as one row, the later replacing the earlier: the workbook is "
            "damaged, or was not written by Excel. Open it in Excel, save it as .xlsx, and run "
            "again"
        )


def refuse_repeated_cells(xml: bytes, sheet: str, read: int) -> None:
    """Refuse a sheet whose XML writes a cell twice (``<c r="B7">`` twice, in one row or in
    two: a damaged file, or an export gone wrong): calamine keeps the later value, and the
    earlier is lost without a word. ``read``: how many cells calamine read a value from.

    The cells' references are compared (about 2 s at 100,000 rows of 24 cells) only when
    calamine read fewer values than the XML holds: counting the values' closing tags takes
    0.15 s there. An Excel error cell, or a text holding nothing, is also a value calamine
    reads as empty; its sheet is then looked at closer, and read as it is when no reference
    repeats.
    """
    if not xml:
        return
    if b"<c " in xml:  # unprefixed tags: counted as bytes
        written = xml.count(b"</v>") + xml.count(b"</is>")
    else:
        written = len(_HOLDS_VALUE.findall(xml))
    if read >= written:
        return
    reference = _first_repeated(_CELL_REFERENCE.findall(xml))
    if reference is not None:
        raise UnreadableInputError(
            f"sheet '{sheet}': cell {reference.decode()} is written twice in the file, and only "
            "the later value would be read: the workbook is damaged, or was not written by "
            "Excel. Open it in Excel, save it as .xlsx, and run again"
        )


def _first_repeated(values: list[bytes]) -> bytes | None:
    """The first of ``values`` met a second time, or None."""
    if len(set(values)) == len(values):
        return None
    seen: set[bytes] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def check_shared_strings(path: Path) -> None:
    """Raise :class:`UnreadableInputError` if an .xlsx or .xlsm file's table of texts declares
    more of them than it holds (a damaged or forged file): calamine reserves room for the
    declared count when it opens the file, and a 2 kB part declaring four billion asked for
    96 GB. Nothing for other files, or where the part cannot be read (calamine reports it)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            table = archive.read("xl/sharedStrings.xml")
    except PART_ERRORS:
        return
    declared = _UNIQUE_COUNT.search(table, 0, table.find(b">", table.find(b"sst")) + 1)
    if declared is None:
        return
    held = sum(1 for _ in _TEXT_ITEM.finditer(table)) if b":si" in table else (
        table.count(b"<si>") + table.count(b"<si ") + table.count(b"<si/>")
    )  # fmt: skip
    if int(declared[1]) > held:
        raise UnreadableInputError(
            f"{path}: its table of texts (xl/sharedStrings.xml) declares {int(declared[1]):,} "
            f"of them and holds {held:,}: the workbook is damaged, or was not written by "
            "Excel. Open it in Excel or LibreOffice, save it again, and run again"
        )


def refuse_if_sparse(sheet: str, rows: int, columns: int, values: int) -> None:
    """Raise :class:`UnreadableInputError` for a grid of ``rows`` x ``columns`` holding about
    ``values`` values that is too large to hold and mostly empty (:data:`MAX_SPARSE_CELLS`)."""
    cells = rows * columns
    if cells > MAX_SPARSE_CELLS and cells > SPARSE_RATIO * values:
        raise UnreadableInputError(
            f"sheet '{sheet}': its values reach row {rows:,} and column "
            f"{column_name(columns)}, a grid of {cells:,} cells for about {values:,} values: "
            "something was typed far outside the table. Delete the rows below the table and "
            "the columns to its right, save the workbook, and run again"
        )


def refuse_damaged(sheet: str, row: int, column: int, what: str) -> None:
    """Raise :class:`UnreadableInputError` for a cell (0-based ``row`` and ``column``) the
    spreadsheet reader could not read: it would fail to allocate its grid, or stop at an
    index past the end of a table."""
    raise UnreadableInputError(
        f"sheet '{sheet}': a cell at row {row + 1:,}, column {column + 1:,}, {what}: the "
        "workbook is damaged, or was not written by Excel. Open it in Excel, save it as "
        ".xlsx, and run again"
    )


def _last_row_with_a_value(xml: bytes) -> int:
    """The number of the last row element holding a value (rows are in order in a sheet's
    XML, so this is usually the last one); 0 when none does."""
    end = len(xml)
    while (start := xml.rfind(b"row ", 0, end)) > 0:
        if xml[start - 1 : start] in (b"<", b":") and _HOLDS_VALUE.search(xml, start, end):
            number = _ROW_NUMBER.search(xml, start, xml.find(b">", start))
            return int(number[1]) if number else 0
        end = start
    return 0


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PACKAGE_REL}Relationship")}
    for element in workbook.iter(f"{_MAIN}sheet"):
        if element.get("name") == sheet:
            target = targets.get(element.get(f"{_REL}id"), "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _unread(xml: bytes) -> Iterator[tuple[tuple[int, int], Unread]]:
    """The error cells and the formulas without a saved result, found from their marks (an
    error's type, a formula closed with no value after it) so that a sheet of a hundred
    thousand formulas with their results costs a scan in C, not a Python step per cell."""
    marks = [*_MARKS, _PREFIXED_MARK] if b":c>" in xml else _MARKS
    starts = {_cell_start(xml, hit.start()) for mark in marks for hit in mark.finditer(xml)}
    for start in sorted(starts - {-1}):
        match = _CELL.match(xml, start)
        if match is None:
            continue
        attributes, content = match[1], match[2] or b""
        ref = _REF.search(attributes)
        if ref is None:
            continue
        at = (int(ref[2]) - 1, _column_number(ref[1].decode()) - 1)
        kind = _TYPE.search(attributes)
        value = _VALUE.search(content)
        if kind is not None and kind[1] == b"e":
            if value:
                yield at, html.unescape(value[1].decode())
            continue
        formula = _FORMULA.search(content)
        text_typed = kind is not None and kind[1] in _TEXT_TYPES
        saved = value is not None and (value[1] != b"" or text_typed)
        if formula is not None and not saved:
            yield at, UnsavedFormula(html.unescape((formula[1] or b"").decode()))


def _cell_start(xml: bytes, at: int) -> int:
    """Where the cell holding position ``at`` starts (its ``<c`` tag); -1 if none does."""
    start = xml.rfind(b"<", 0, at + 1)
    while start >= 0 and not _CELL_START.match(xml, start):
        start = xml.rfind(b"<", 0, start)
    return start


def column_name(number: int) -> str:
    """Excel's name of the 1-based column ``number``: 1 is A, 27 is AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
