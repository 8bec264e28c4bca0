"""Excel error cells (#DIV/0!, #REF!, #N/A …) of an .xlsx sheet, which calamine reads as empty.

Left alone, a broken formula would silently become a missing value. The sheet's XML is
scanned for cells of type ``e`` (only when it has any) so intake can put the error text back
and report it like any other unreadable cell.
"""

from __future__ import annotations

import re
import zipfile
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """(0-based row, 0-based column) -> error text, for every error cell of ``sheet``."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            xml = archive.read(part) if part else b""
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return {}
    if b't="e"' not in xml:
        return {}
    return dict(_errors(xml))


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PACKAGE_REL}Relationship")}
    for element in workbook.iter(f"{_MAIN}sheet"):
        if element.get("name") == sheet:
            target = targets.get(element.get(f"{_REL}id"), "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _errors(xml: bytes) -> Iterator[tuple[tuple[int, int], str]]:
    for match in _CELL.finditer(xml):
        attributes, content = match.groups()
        if b't="e"' not in attributes:
            continue
        ref, value = _REF.search(attributes), _VALUE.search(content)
        if ref and value:
            yield (int(ref[2]) - 1, _column_number(ref[1].decode()) - 1), value[1].decode()


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
