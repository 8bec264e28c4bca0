"""Cells of an .xlsx sheet that calamine reads as empty though they are not.

Two kinds: Excel error cells (#DIV/0!, #REF!, #N/A …), and formulas whose result was never
saved in the file (a workbook written by a program, as openpyxl writes a formula, and not
opened and saved in Excel since: there is nothing to read but the formula). Left alone,
either would silently become a missing value. The sheet's XML is scanned for them (only when
it holds an error or a formula) so intake can put them back and report them like any other
unreadable cell.
"""

from __future__ import annotations

import html
import re
import zipfile
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from cohortpress.intake._reading import UnsavedFormula

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

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

Unread = str | UnsavedFormula  # the error's text, or the formula


def unread_cells(path: Path, sheet: str) -> dict[tuple[int, int], Unread]:
    """(0-based row, 0-based column) -> what the cell holds, for every error cell and every
    formula without a saved result of ``sheet``."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            xml = archive.read(part) if part else b""
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return {}
    if b't="e"' not in xml and b"<f" not in xml and b":f" not in xml:
        return {}
    return dict(_unread(xml))


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
    for match in _CELL.finditer(xml):
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


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
