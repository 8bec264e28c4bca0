"""Figures and short tables in the DOCX that stay whole on one page, with their captions.

pandoc sets every figure as wide as the text, so a figure of four Kaplan–Meier panels is about
23 cm tall on A4, which with its caption is more than the 24.7 cm between the margins: Word and
LibreOffice then set the caption on the next page, away from its figure. Here each figure
image (a "Captioned Figure" paragraph, which the reference document keeps with its caption) is
made smaller, keeping its proportions, until it is at most ``SHARE`` of the text height.

A table float of at most ``SHORT_TABLE`` rows (far less than a page) has every row kept with
the next (``w:keepNext`` on its paragraphs but the last row's), so Word moves it whole to the
next page rather than breaking it after a row or two; a longer table breaks, with its header
row repeated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from cohortpress.render._docx_xml import edit_document, w

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

SHARE = 0.75  # of the text height: room for a caption of several lines below the figure
SHORT_TABLE = 30  # rows: with a caption and notes, well within a page at 9 pt
_EMU_PER_TWIP = 635
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_FIGURE_STYLE = "CaptionedFigure"


def keep_floats_whole(docx: Path) -> None:
    """Rewrite ``word/document.xml`` of ``docx`` in place: figures that fit with a caption,
    short tables kept on one page."""
    edit_document(docx, lambda root, parts: _fit(root, parts) | _keep_tables(root))


def text_height(section: ET.Element) -> int | None:
    """The height between the top and bottom margins (twips) of the section's pages."""
    size, margins = section.find(w("pgSz")), section.find(w("pgMar"))
    if size is None or margins is None or size.get(w("h")) is None:
        return None
    top, bottom = (abs(int(margins.get(w(side), "0"))) for side in ("top", "bottom"))
    return int(size.get(w("h"), "0")) - top - bottom


def _fit(root: ET.Element, _parts: Mapping[str, bytes]) -> bool:
    body = root.find(w("body"))
    section = body.find(w("sectPr")) if body is not None else None
    height = text_height(section) if section is not None else None
    if body is None or height is None:
        return False
    limit = int(SHARE * height * _EMU_PER_TWIP)
    changed = False
    for paragraph in root.iter(w("p")):
        style = paragraph.find(f"{w('pPr')}/{w('pStyle')}")
        if style is None or style.get(w("val")) != _FIGURE_STYLE:
            continue
        for inline in paragraph.iter(f"{{{_WP}}}inline"):
            changed |= _shrink(inline, limit)
    return changed


def _shrink(inline: ET.Element, limit: int) -> bool:
    """Scale the drawing's extents so that its height is at most ``limit`` EMU."""
    extent = inline.find(f"{{{_WP}}}extent")
    if extent is None:
        return False
    cx, cy = int(extent.get("cx", "0")), int(extent.get("cy", "0"))
    if cy <= limit or cy == 0:
        return False
    new_cx, new_cy = round(cx * limit / cy), limit
    for element in (extent, *inline.iter(f"{{{_A}}}ext")):
        element.set("cx", str(new_cx))
        element.set("cy", str(new_cy))
    return True


def _keep_tables(root: ET.Element) -> bool:
    changed = False
    for table in root.iter(w("tbl")):
        rows = table.findall(w("tr"))
        if not rows or len(rows) > SHORT_TABLE:
            continue
        for row in rows[:-1]:
            for paragraph in row.iter(w("p")):
                properties = paragraph.find(w("pPr"))
                if properties is None:
                    properties = ET.Element(w("pPr"))
                    paragraph.insert(0, properties)
                if properties.find(w("keepNext")) is None:
                    _insert_keep_next(properties)
                    changed = True
    return changed


def _insert_keep_next(properties: ET.Element) -> None:
    """``w:keepNext`` goes right after ``w:pStyle`` (the schema's order of pPr children)."""
    style = properties.find(w("pStyle"))
    index = list(properties).index(style) + 1 if style is not None else 0
    properties.insert(index, ET.Element(w("keepNext")))
