"""Column widths for the DOCX table floats, and a landscape page for one too wide for the text.

pandoc writes each table with equal grid columns and an automatic width, which Word lays out
from the content as it likes (often splitting words in a narrow stub). Here every table float
(cells in the "Table Text"/"Table Heading"/"Table Group" styles that docx.lua sets) gets fixed
column widths that add up to the text width: the stub column (the first) as wide as its labels
need, the other columns equal when that fits, each at least as wide as its longest word.

Widths are estimated from font metrics (``_font_metrics``) at the sizes of the cells' paragraph
styles, plus the table style's cell margins. Which tables turn is not decided here but once for
every format (``_landscape``): a table float marked ``landscape`` that is a block of the
document's body is set in a landscape section of its own (caption, table and notes). If a
column would be narrower than its longest word, the table's type is made smaller, down to 7 pt;
words are never split.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from cohortpress.render._docx_xml import W, edit_document
from cohortpress.render._docx_xml import w as _w
from cohortpress.render._font_metrics import text_width

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from cohortpress.render._docx_xml import Edit

_STYLES = "word/styles.xml"
TABLE_STYLES = ("TableText", "TableHeading", "TableGroup")
_TWIPS_PER_PT = 20
_SMALLEST = 14  # half-points: 7 pt, the smallest type a table is set in
_CELL_MARGIN = 108  # twips each side: Word's default when the table style sets none
# tblPr and rPr children that come after tblLayout and sz in the schema's order.
_AFTER_LAYOUT = {"tblCellMar", "tblLook", "tblCaption", "tblDescription"}
_AFTER_SIZE = {"szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
               "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"}  # fmt: skip


@dataclass(frozen=True)
class Font:
    """A paragraph style's run font: name, size in half-points, bold."""

    name: str
    size: int
    bold: bool


@dataclass(frozen=True)
class Column:
    """What one grid column holds, in twips of text at the table's own size: the widest cell
    on one line (``natural``) and the longest word (``word``); ``margin``, both sides."""

    natural: float
    word: float
    margin: float

    def need(self, scale: float = 1.0, *, wrapped: bool = False) -> float:
        return (self.word if wrapped else self.natural) * scale + self.margin


@dataclass(frozen=True)
class Plan:
    """The widths of a table's grid columns (twips), its type size (half-points; None: as
    styled) and whether it is set on a landscape page."""

    widths: tuple[int, ...]
    size: int | None = None
    landscape: bool = False


def set_table_widths(docx: Path, turned: frozenset[str] = frozenset()) -> None:
    """Rewrite ``word/document.xml`` of ``docx`` in place: widths for every table float, and a
    landscape section for each of ``turned`` (the identifiers ``_landscape`` marked)."""
    edit_document(docx, table_widths(turned))


def table_widths(turned: frozenset[str] = frozenset()) -> Edit:
    """The edit of :func:`set_table_widths` (see ``_docx_xml.edit_document``)."""
    return lambda root, parts: _fit_tables(root, parts, turned)


def _fit_tables(root: ET.Element, parts: Mapping[str, bytes], turned_ids: frozenset[str]) -> bool:
    styles = parts[_STYLES]
    body = root.find(_w("body"))
    section = body.find(_w("sectPr")) if body is not None else None
    if body is None or section is None or text_width_of(section) is None:
        return False  # no page size to fit: Word's automatic layout stays
    fonts, margin = style_fonts(styles), 2 * cell_margin(ET.fromstring(styles))
    turned: list[ET.Element] = []
    for table in [t for t in root.iter(_w("tbl")) if _is_float(t)]:
        style_empty_cells(table)
        columns = measure_columns(table, fonts, margin)
        if not columns:
            continue
        turn = any(child is table for child in body) and bool(
            float_ids(list(body), table) & turned_ids
        )
        plan = plan_widths(columns, section, _text_size(table, fonts), turn=turn)
        write_widths(table, plan.widths)
        if plan.size is not None:
            set_type_size(table, plan.size)
        if plan.landscape:
            turned.append(table)
    for table in turned:
        landscape_section(body, table, section)
    return True


def style_empty_cells(table: ET.Element) -> None:
    """Give an empty cell's paragraph its row's table style: pandoc writes an empty cell (the
    value column of a row-group label) as a paragraph of no style, so it takes "Normal", which
    the submission layout double-spaces; the row would then stand out as a blank line."""
    for row in table.iter(_w("tr")):
        paragraphs = [p for cell in row.findall(_w("tc")) for p in cell.findall(_w("p"))]
        styled = [p.find(f"{_w('pPr')}/{_w('pStyle')}") for p in paragraphs]
        style = next((s.get(_w("val")) for s in styled if s is not None), "TableText")
        for paragraph, found in zip(paragraphs, styled, strict=True):
            if found is not None:
                continue
            properties = paragraph.find(_w("pPr"))
            if properties is None:
                properties = ET.Element(_w("pPr"))
                paragraph.insert(0, properties)
            properties.insert(0, ET.Element(_w("pStyle"), {_w("val"): style or "TableText"}))


# --- reading the styles and the page ---------------------------------------------------------


def style_fonts(styles_xml: bytes) -> dict[str, Font]:
    """Each paragraph style's font, size and weight, following ``basedOn`` and the defaults."""
    root = ET.fromstring(styles_xml)
    default = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}")
    base = _run_font(default, Font("Times New Roman", 24, False))
    styles = {s.get(_w("styleId"), ""): s for s in root.iter(_w("style"))}

    def resolve(style_id: str, seen: frozenset[str] = frozenset()) -> Font:
        style = styles.get(style_id)
        if style is None or style_id in seen:
            return base
        parent = style.find(_w("basedOn"))
        inherited = (
            resolve(parent.get(_w("val"), ""), seen | {style_id}) if parent is not None else base
        )
        return _run_font(style.find(_w("rPr")), inherited)

    return {style_id: resolve(style_id) for style_id in styles}


def _run_font(rpr: ET.Element | None, inherited: Font) -> Font:
    if rpr is None:
        return inherited
    fonts, size, bold = rpr.find(_w("rFonts")), rpr.find(_w("sz")), rpr.find(_w("b"))
    name = fonts.get(_w("ascii"), inherited.name) if fonts is not None else inherited.name
    half_points = int(size.get(_w("val"), inherited.size)) if size is not None else inherited.size
    is_bold = bold.get(_w("val"), "1") not in ("0", "false") if bold is not None else inherited.bold
    return Font(name, half_points, is_bold)


def cell_margin(styles: ET.Element) -> float:
    """The left (= right) cell margin of the "Table" table style pandoc's tables use."""
    for style in styles.iter(_w("style")):
        if style.get(_w("styleId")) == "Table":
            left = style.find(f"{_w('tblPr')}/{_w('tblCellMar')}/{_w('left')}")
            if left is not None:
                return float(left.get(_w("w"), _CELL_MARGIN))
    return _CELL_MARGIN


def text_width_of(section: ET.Element, *, landscape: bool = False) -> int | None:
    """The width between the margins (twips) of the section's pages, or turned sideways."""
    size, margins = section.find(_w("pgSz")), section.find(_w("pgMar"))
    if size is None or margins is None:
        return None
    page = size.get(_w("h" if landscape else "w"))
    if page is None:
        return None
    sides = sum(int(margins.get(_w(side), "0")) for side in ("left", "right", "gutter"))
    return int(page) - sides


# --- measuring and planning -----------------------------------------------------------------


def _is_float(table: ET.Element) -> bool:
    return any(s.get(_w("val")) in TABLE_STYLES for s in table.iter(_w("pStyle")))


def _rows(table: ET.Element) -> Iterable[list[tuple[int, int, ET.Element]]]:
    """Each row's cells as (first grid column, columns spanned, cell)."""
    for row in table.findall(_w("tr")):
        cells, column = [], 0
        for cell in row.findall(_w("tc")):
            span = cell.find(f"{_w('tcPr')}/{_w('gridSpan')}")
            width = int(span.get(_w("val"), "1")) if span is not None else 1
            cells.append((column, width, cell))
            column += width
        yield cells


def _paragraph_text(paragraph: ET.Element) -> str:
    return "".join(
        "\t" if node.tag == _w("tab") else (node.text or "")
        for node in paragraph.iter()
        if node.tag in (_w("t"), _w("tab"))
    )


def _paragraph_font(paragraph: ET.Element, fonts: dict[str, Font]) -> Font:
    style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
    font = fonts.get(style.get(_w("val"), "") if style is not None else "Normal")
    return font or fonts.get("Normal") or Font("Times New Roman", 24, False)


def _cell_extent(cell: ET.Element, fonts: dict[str, Font]) -> tuple[float, float]:
    """The cell's widest line and longest word, in twips. A word runs between ordinary
    spaces; the em spaces that indent a level stay with its first word."""
    natural = word = 0.0
    for paragraph in cell.findall(_w("p")):
        font = _paragraph_font(paragraph, fonts)
        size = font.size / 2

        def width(text: str, font: Font = font, size: float = size) -> float:
            return text_width(text, size, font=font.name, bold=font.bold) * _TWIPS_PER_PT

        text = _paragraph_text(paragraph)
        natural = max(natural, width(text))
        word = max([word, *(width(w) for w in text.split(" ") if w)])
    return natural, word


def measure_columns(table: ET.Element, fonts: dict[str, Font], margin: float) -> list[Column]:
    """Natural and longest-word width of each grid column, from the cells spanning it alone."""
    grid = table.findall(f"{_w('tblGrid')}/{_w('gridCol')}")
    natural, word = [0.0] * len(grid), [0.0] * len(grid)
    for row in _rows(table):
        for column, span, cell in row:
            if span == 1 and column < len(grid):
                cell_natural, cell_word = _cell_extent(cell, fonts)
                natural[column] = max(natural[column], cell_natural)
                word[column] = max(word[column], cell_word)
    return [Column(n, w, margin) for n, w in zip(natural, word, strict=True)]


def _text_size(table: ET.Element, fonts: dict[str, Font]) -> int:
    """The largest type size (half-points) of the table's cell paragraphs (those in the table
    styles: another paragraph, such as an empty one in Normal, would make a smaller type
    larger than the table's own)."""
    sizes = [
        _paragraph_font(p, fonts).size
        for p in table.iter(_w("p"))
        if (style := p.find(f"{_w('pPr')}/{_w('pStyle')}")) is not None
        and style.get(_w("val")) in TABLE_STYLES
    ]
    return max(sizes, default=18)


def fit_columns(columns: Sequence[Column], width: float, scale: float = 1.0) -> list[float] | None:
    """Widths (twips) adding up to ``width``, or None when a column would be narrower than its
    longest word. Tried in order: every cell on one line with the non-stub columns equal, then
    with each its own width (both spread over the whole width); then the stub wrapping at
    spaces beside equal, then own-width columns; then every column wrapping, the non-stub
    columns between their longest word and their natural width."""
    stub, rest = columns[0], list(columns[1:])
    natural = [c.need(scale) for c in rest]
    equal = [max(natural, default=0.0)] * len(rest)
    on_one_line = [(stub.need(scale), equal), (stub.need(scale), natural)]
    for stub_width, others in on_one_line:
        used = stub_width + sum(others)
        if used <= width:
            return [w * width / used for w in (stub_width, *others)]
    stub_word = stub.need(scale, wrapped=True)
    for others in (equal, natural):
        if stub_word + sum(others) <= width:
            return [width - sum(others), *others]
    words = [c.need(scale, wrapped=True) for c in rest]
    room = width - stub_word - sum(words)
    if room < 0:
        return None
    slack = sum(natural) - sum(words)
    share = min(1.0, room / slack) if slack > 0 else 0.0
    others = [w + (n - w) * share for w, n in zip(words, natural, strict=True)]
    return [width - sum(others), *others]


def plan_widths(columns: Sequence[Column], section: ET.Element, size: int, *, turn: bool) -> Plan:
    """Landscape when the table turns (``_landscape``'s decision), else portrait; at the
    table's own size when the columns fit, else at the largest smaller size (half a point at
    a time, down to 7 pt) at which they do."""
    portrait = text_width_of(section) or 0
    landscape = text_width_of(section, landscape=True) if turn else None
    turn = landscape is not None
    width = landscape if landscape is not None else portrait
    for smaller in range(size, _SMALLEST - 1, -1):
        widths = fit_columns(columns, width, smaller / size)
        if widths is not None:
            return Plan(_whole(widths, width), None if smaller == size else smaller, turn)
    words = [c.need(_SMALLEST / size, wrapped=True) for c in columns]  # wider than the text
    return Plan(_whole(words, sum(words)), _SMALLEST, turn)


def _whole(widths: Sequence[float], total: float) -> tuple[int, ...]:
    """Whole twips adding up to ``total``; the rounding goes to the stub."""
    rounded = [int(w) for w in widths]
    rounded[0] += round(total) - sum(rounded)
    return tuple(rounded)


# --- writing --------------------------------------------------------------------------------


def _child(parent: ET.Element, tag: str, *, index: int | None = None) -> ET.Element:
    found = parent.find(_w(tag))
    if found is None:
        found = ET.Element(_w(tag))
        parent.insert(len(parent) if index is None else index, found)
    return found


def _insert_before(parent: ET.Element, element: ET.Element, later: set[str]) -> None:
    """Insert ``element`` before the first child whose tag is in ``later`` (schema order)."""
    for i, child in enumerate(parent):
        if child.tag.removeprefix(f"{{{W}}}") in later:
            parent.insert(i, element)
            return
    parent.append(element)


def write_widths(table: ET.Element, widths: Sequence[int]) -> None:
    """The grid, the table width and every cell's width, with a fixed layout (Word keeps the
    widths instead of fitting the columns to their content)."""
    properties = _child(table, "tblPr", index=0)
    table_width = _child(properties, "tblW")
    table_width.attrib.clear()
    table_width.set(_w("type"), "dxa")
    table_width.set(_w("w"), str(sum(widths)))
    for old in properties.findall(_w("tblLayout")):
        properties.remove(old)
    layout = ET.Element(_w("tblLayout"), {_w("type"): "fixed"})
    _insert_before(properties, layout, _AFTER_LAYOUT)
    grid = table.find(_w("tblGrid"))
    if grid is not None:
        for column, width in zip(grid.findall(_w("gridCol")), widths, strict=False):
            column.set(_w("w"), str(width))
    for row in _rows(table):
        for column, span, cell in row:
            cell_properties = _child(cell, "tcPr", index=0)
            cell_width = cell_properties.find(_w("tcW"))
            if cell_width is None:
                cell_width = ET.Element(_w("tcW"))
                first = cell_properties.find(_w("cnfStyle")) is not None
                cell_properties.insert(1 if first else 0, cell_width)
            cell_width.attrib.clear()
            cell_width.set(_w("w"), str(sum(widths[column : column + span])))
            cell_width.set(_w("type"), "dxa")


def set_type_size(table: ET.Element, size: int) -> None:
    """Every run of the table (and each paragraph mark) in ``size`` half-points."""
    for paragraph in table.iter(_w("p")):
        runs = [_child(run, "rPr", index=0) for run in paragraph.findall(_w("r"))]
        mark = _child(_child(paragraph, "pPr", index=0), "rPr")
        for properties in [*runs, mark]:
            for tag in ("sz", "szCs"):
                for old in properties.findall(_w(tag)):
                    properties.remove(old)
            _insert_before(properties, ET.Element(_w("sz"), {_w("val"): str(size)}), _AFTER_SIZE)
            after_cs = _AFTER_SIZE - {"szCs"}
            _insert_before(properties, ET.Element(_w("szCs"), {_w("val"): str(size)}), after_cs)


# --- landscape sections ---------------------------------------------------------------------


def _style(element: ET.Element) -> str | None:
    style = element.find(f"{_w('pPr')}/{_w('pStyle')}")
    return style.get(_w("val")) if style is not None else None


def _is_page_break(element: ET.Element) -> bool:
    """A paragraph holding nothing but a page break (floats.lua's, in the submission layout)."""
    if element.tag != _w("p") or element.find(f".//{_w('t')}") is not None:
        return False
    breaks = element.findall(f"{_w('r')}/{_w('br')}")
    return bool(breaks) and all(b.get(_w("type")) == "page" for b in breaks)


def _holds_content(block: ET.Element) -> bool:
    """Whether a body block shows anything: not a bookmark end, the section properties, or
    an empty paragraph."""
    if block.tag in (_w("bookmarkEnd"), _w("sectPr")):
        return False
    if block.tag == _w("p"):
        return any(child.tag != _w("pPr") for child in block) and not _is_page_break(block)
    return True


def float_ids(body: list[ET.Element], table: ET.Element) -> set[str]:
    """The bookmarks pandoc writes above a table float's caption: its identifier."""
    index = body.index(table)
    start, _end = _float_extent(body, index)
    return {e.get(_w("name"), "") for e in body[start:index] if e.tag == _w("bookmarkStart")}


def _float_extent(body: list[ET.Element], index: int) -> tuple[int, int]:
    """The first and last body element of the float around the table at ``index``: its
    caption above and notes below, with their bookmarks."""
    start = index
    while start > 0 and (
        body[start - 1].tag == _w("bookmarkStart")
        or (body[start - 1].tag == _w("p") and _style(body[start - 1]) == "TableCaption")
    ):
        start -= 1
    end = index
    while end + 1 < len(body) and (
        body[end + 1].tag == _w("bookmarkEnd")
        or (body[end + 1].tag == _w("p") and _style(body[end + 1]) == "TableNote")
    ):
        end += 1
    return start, end


def _section_copy(section: ET.Element, *, landscape: bool, first: bool) -> ET.Element:
    """The body's section properties for an inner section: the same headers, footers and
    margins; a title page only for the first section; page numbers run on."""
    inner = copy.deepcopy(section)
    if not first:
        for title_page in inner.findall(_w("titlePg")):
            inner.remove(title_page)
    for numbering in inner.findall(_w("pgNumType")):
        numbering.attrib.pop(_w("start"), None)
    if landscape:
        size = inner.find(_w("pgSz"))
        if size is not None:
            width, height = size.get(_w("w")), size.get(_w("h"))
            if width is not None and height is not None:
                size.set(_w("w"), height)
                size.set(_w("h"), width)
            size.set(_w("orient"), "landscape")
    return inner


def _end_section(paragraph: ET.Element, section: ET.Element) -> None:
    """Make ``paragraph`` the last of a section with ``section``'s properties."""
    properties = _child(paragraph, "pPr", index=0)
    properties.append(section)  # sectPr is the last child of pPr but for pPrChange


def landscape_section(body: ET.Element, table: ET.Element, final: ET.Element) -> None:
    """Set the float of ``table`` (caption, table, notes) on landscape pages of its own: a
    section break before it and after it. A page break beside it (the submission layout's) is
    taken over by the section break, which starts a new page itself."""
    for restart in final.iter(_w("numRestart")):
        restart.set(_w("val"), "continuous")  # one footnote count across the sections
    children = list(body)
    start, end = _float_extent(children, children.index(table))
    first = not any(p.find(f"{_w('pPr')}/{_w('sectPr')}") is not None for p in children[:start])
    before = children[start - 1] if start > 0 else None
    if before is None or before.find(f"{_w('pPr')}/{_w('sectPr')}") is None:
        portrait = _section_copy(final, landscape=False, first=first)
        if before is not None and _is_page_break(before):
            for run in before.findall(_w("r")):
                before.remove(run)
            _end_section(before, portrait)
        elif before is not None and before.tag == _w("p"):
            _end_section(before, portrait)  # its text stays on the page before
        else:
            paragraph = ET.Element(_w("p"))
            _end_section(paragraph, portrait)
            body.insert(start, paragraph)
            end += 1
    children = list(body)
    after = children[end + 1] if end + 1 < len(children) else None
    if after is not None and _is_page_break(after):
        body.remove(after)
        children.remove(after)
    last = children[end]
    turned = _section_copy(final, landscape=True, first=False)
    if not any(_holds_content(block) for block in children[end + 1 :]):
        final[:] = list(turned)  # the float ends the document: the last section is landscape
        final.attrib.update(turned.attrib)
    elif last.tag == _w("p") and last.find(f"{_w('pPr')}/{_w('sectPr')}") is None:
        _end_section(last, turned)
    else:
        paragraph = ET.Element(_w("p"))
        _end_section(paragraph, turned)
        body.insert(end + 1, paragraph)
    for title_page in final.findall(_w("titlePg")):
        final.remove(title_page)  # the last section no longer starts the document
