"""Figures and short tables in the DOCX that stay whole on one page, with their captions.

pandoc sets every figure as wide as the text, so a figure of four Kaplan–Meier panels is about
23 cm tall on A4, which with its caption is more than the 24.7 cm between the margins: Word and
LibreOffice then set the caption on the next page, away from its figure. Here each figure
image (a "Captioned Figure" paragraph, which the reference document keeps with its caption) is
made smaller, keeping its proportions, until it and its caption fit the text height: the
caption's lines are estimated from its text in Times metrics at the "Image Caption" size, with
a line and a half to spare. A fixed share of the page (three quarters, before) shrank a
four-panel figure with a short caption to about 60% of the text width; this way it stays as
large as the page allows, as in the PDF.

A table float of at most ``SHORT_TABLE`` rows (far less than a page) has every row kept with
the next (``w:keepNext`` on its paragraphs but the last row's), so Word moves it whole to the
next page rather than breaking it after a row or two; a longer table breaks, with its header
row repeated.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from cohortpress.render._docx_widths import text_width_of
from cohortpress.render._docx_xml import edit_document, w
from cohortpress.render._font_metrics import text_width

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_CAPTION_PT = 10.0  # the "Image Caption" style: 10 pt, single spacing
_CAPTION_LINE_PT = 1.15 * _CAPTION_PT  # Word's single line of Times New Roman
_SPACING_PT = 6 + 3 + 12  # before the figure, before and after the caption
_SPARE_LINES = 1.5  # a wrapped word, the image line's descent
_TWIPS_PER_PT = 20
SHORT_TABLE = 30  # rows: with a caption and notes, well within a page at 9 pt
_EMU_PER_TWIP = 635
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_FIGURE_STYLE = "CaptionedFigure"
_CAPTION_STYLE = "ImageCaption"


def keep_floats_whole(docx: Path) -> None:
    """Rewrite ``word/document.xml`` of ``docx`` in place: figures that fit with a caption,
    short tables kept on one page."""
    edit_document(docx, fit_pages)


def fit_pages(root: ET.Element, parts: Mapping[str, bytes]) -> bool:
    """The edit of :func:`keep_floats_whole` (see ``_docx_xml.edit_document``)."""
    return _fit(root, parts) | _keep_tables(root)


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
    width = text_width_of(section) if section is not None else None
    if body is None or height is None or width is None:
        return False
    changed = False
    paragraphs = list(root.iter(w("p")))  # in document order: a figure's caption comes next
    for index, paragraph in enumerate(paragraphs):
        style = paragraph.find(f"{w('pPr')}/{w('pStyle')}")
        if style is None or style.get(w("val")) != _FIGURE_STYLE:
            continue
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        caption = _text(following) if following is not None and _is_caption(following) else ""
        limit = figure_limit(height, width, caption)
        for inline in paragraph.iter(f"{{{_WP}}}inline"):
            changed |= _shrink(inline, limit)
    return changed


def figure_limit(height: int, width: int, caption: str) -> int:
    """The tallest figure (EMU) that leaves room on a page of ``height`` × ``width`` twips
    of text for its caption and the spacing around both."""
    lines = math.ceil(text_width(caption, _CAPTION_PT) * _TWIPS_PER_PT / width) if caption else 0
    room = ((lines + _SPARE_LINES) * _CAPTION_LINE_PT + _SPACING_PT) * _TWIPS_PER_PT
    return int((height - room) * _EMU_PER_TWIP)


def _is_caption(paragraph: ET.Element) -> bool:
    style = paragraph.find(f"{w('pPr')}/{w('pStyle')}")
    return style is not None and style.get(w("val")) == _CAPTION_STYLE


def _text(paragraph: ET.Element) -> str:
    return "".join(t.text or "" for t in paragraph.iter(w("t")))


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
