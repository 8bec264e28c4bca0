"""Booktabs rules for DOCX tables whose header has more than one row.

The reference document's "Table" style draws the rules of a one-row header (heavy top and
bottom rules, a light rule under the first row). Word's table styles know only one header row,
so for a spanner header (a row of spanners over a row of column labels) the light rule goes
under the last header row instead, and each spanner gets a light rule under it
(booktabs' \\cmidrule), as cell borders written into the document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from cohortpress.render._docx_xml import edit_document
from cohortpress.render._docx_xml import w as _w

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_LIGHT_RULE = {"val": "single", "sz": "6", "space": "0", "color": "000000"}  # 0.75 pt
_NONE = {"val": "nil"}


def apply_booktabs_rules(docx: Path) -> None:
    """Rewrite ``word/document.xml`` of ``docx`` in place when a table has a multi-row header."""
    edit_document(docx, rule_headers)


def rule_headers(root: ET.Element, _parts: Mapping[str, bytes]) -> bool:
    """The edit of :func:`apply_booktabs_rules` (see ``_docx_xml.edit_document``)."""
    return any([_rule_header(table) for table in root.iter(_w("tbl"))])


def _header_rows(table: ET.Element) -> list[ET.Element]:
    rows = []
    for row in table.findall(_w("tr")):
        if row.find(f"{_w('trPr')}/{_w('tblHeader')}") is None:
            break
        rows.append(row)
    return rows


def _rule_header(table: ET.Element) -> bool:
    """Light rules under spanners and under the last header row; none under the first row."""
    rows = _header_rows(table)
    if len(rows) < 2:
        return False
    for row in rows[:-1]:
        for cell in row.findall(_w("tc")):
            spans = cell.find(f"{_w('tcPr')}/{_w('gridSpan')}")
            spanner = spans is not None and int(spans.get(_w("val"), "1")) > 1
            _bottom_border(cell, _LIGHT_RULE if spanner else _NONE)
    for cell in rows[-1].findall(_w("tc")):
        _bottom_border(cell, _LIGHT_RULE)
    return True


def _bottom_border(cell: ET.Element, attributes: dict[str, str]) -> None:
    """Set the cell's bottom border; tcBorders goes right after gridSpan/vMerge (schema order)."""
    properties = cell.find(_w("tcPr"))
    if properties is None:
        properties = ET.Element(_w("tcPr"))
        cell.insert(0, properties)
    borders = properties.find(_w("tcBorders"))
    if borders is None:
        borders = ET.Element(_w("tcBorders"))
        later = [i for i, child in enumerate(properties) if child.tag not in _BEFORE_BORDERS]
        properties.insert(later[0] if later else len(properties), borders)
    for old in borders.findall(_w("bottom")):
        borders.remove(old)
    ET.SubElement(borders, _w("bottom"), {_w(k): v for k, v in attributes.items()})


_BEFORE_BORDERS = {_w(tag) for tag in ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge")}
