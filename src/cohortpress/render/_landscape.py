"""Which table floats are set sideways: one decision, made once, that every format reads.

The PDF (typst.lua and the Typst template) and the DOCX (``_docx_widths``) used to decide each
by its own measure, so a table could turn in one and not in the other. Here the decision is
made on the Markdown before pandoc runs: a table float (a ``::: {#tbl-…}`` div) at the top level
of the document (``#tbl-…``, or a custom float kind's such as the supplement's ``#supptbl-…``)
whose HTML table does not fit the portrait text width with every cell on one line gets the
class ``landscape`` (Quarto's class for a landscape page). crossref.lua keeps it on
the float, typst.lua sets such a table on a page of its own, rotated, and the DOCX gets a
landscape section for it. An author may write ``.landscape`` on a table div to turn it anyway.

Quarto (1.6 and later) has a landscape page of its own: a Div of class ``landscape``, whose
content it sets on landscape pages (Typst) or in a landscape section (DOCX).
:func:`quarto_landscape` gives the Quarto engine the same tables in that shape, a Div of
classes ``landscape`` and ``cp-landscape`` around each float this module turns, which
``filters/landscape.lua`` then moves to the end of its section.

The width is estimated from Times metrics (``_font_metrics``) at the tables' type size with
the cell margins of the DOCX table style, against the narrower of the two formats' portrait
text widths, so a table that turns does so because it would not fit in either.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import lxml.html

from cohortpress.render._font_metrics import text_width

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.html import HtmlElement

LANDSCAPE = "landscape"
QUARTO_WRAPPER = "cp-landscape"  # a turned float's landscape Div for Quarto (landscape.lua)
# The landscape page of Quarto's DOCX section: A4 turned, as the reference document's A4.
QUARTO_PAGE = 'width="29.7cm" height="21cm"'
TABLE_PT = 9.0  # the tables' type: 0.9em of the PDF's 10 pt text; "Table Text" in the DOCX
CELL_MARGINS_PT = 2 * 108 / 20  # both sides of a cell: the DOCX "Table" style's margins
INDENT_PT = TABLE_PT  # one em per indent level of the stub
# The portrait text width of the narrower format: the DOCX reference document's A4 page less
# 2.5 cm margins (9072 twips, 16.0 cm); the PDF's is 16.4 cm (A4 less 2.3 cm margins).
PORTRAIT_TEXT_PT = 9072 / 20

_FENCE = re.compile(r"^(?P<colons>:{3,})\s*(?P<rest>.*?)\s*$")
_CODE = re.compile(r"^\s*(```|~~~)")
# A float's div: its identifier names the kind, "tbl-" or a custom kind's ("supptbl-").
_TABLE_DIV = re.compile(r"^\{(?P<attrs>[^}]*#[A-Za-z]+-[^}]*)\}$")
_ID = re.compile(r"#(?P<id>[A-Za-z]+-[\w:.-]+)")


def mark_landscape(markdown: str) -> str:
    """``markdown`` with the class ``landscape`` added to every top-level table float too wide
    for the portrait page (see the module docstring)."""
    lines = markdown.split("\n")
    for start, end in _top_level_table_divs(lines):
        match = _TABLE_DIV.match(_FENCE.match(lines[start])["rest"])  # type: ignore[index]
        if match is None or _has_class(match["attrs"], LANDSCAPE):
            continue
        width = natural_width("\n".join(lines[start + 1 : end]))
        if width is not None and width > PORTRAIT_TEXT_PT:
            colons = _FENCE.match(lines[start])["colons"]  # type: ignore[index]
            lines[start] = f"{colons} {{{match['attrs'].strip()} .{LANDSCAPE}}}"
    return "\n".join(lines)


def quarto_landscape(markdown: str) -> str:
    """``markdown`` for the Quarto engine: each top-level table float :func:`mark_landscape`
    turns (or the author marked) is wrapped in a Div of classes ``landscape`` (Quarto's) and
    ``cp-landscape``, with the page size of its DOCX section; the float itself loses the class,
    so Quarto turns it once. Wrapped floats are no longer top-level, so a second pass leaves
    the text as it is."""
    lines = mark_landscape(markdown).split("\n")
    for start, end in reversed(list(_top_level_table_divs(lines))):
        fence = _FENCE.match(lines[start])
        match = _TABLE_DIV.match(fence["rest"]) if fence else None
        if fence is None or match is None or not _has_class(match["attrs"], LANDSCAPE):
            continue
        attrs = " ".join(a for a in match["attrs"].split() if a != f".{LANDSCAPE}")
        outer = fence["colons"] + ":"
        lines[end] = f"{lines[end]}\n{outer}"
        wrapper = f"{outer} {{.{LANDSCAPE} .{QUARTO_WRAPPER} {QUARTO_PAGE}}}"
        lines[start] = f"{wrapper}\n{fence['colons']} {{{attrs}}}"
    return "\n".join(lines)


def landscape_tables(markdown: str) -> frozenset[str]:
    """The identifiers of the floats marked ``landscape`` at the top level."""
    found = set()
    lines = markdown.split("\n")
    for start, _end in _top_level_table_divs(lines):
        match = _TABLE_DIV.match(_FENCE.match(lines[start])["rest"])  # type: ignore[index]
        if match is not None and _has_class(match["attrs"], LANDSCAPE):
            ident = _ID.search(match["attrs"])
            if ident is not None:
                found.add(ident["id"])
    return frozenset(found)


def _has_class(attrs: str, name: str) -> bool:
    return f".{name}" in attrs.split()


def _top_level_table_divs(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(opening line, closing line) of each fenced div at depth 0 with a float's identifier;
    code blocks (raw HTML among them) are skipped."""
    depth, in_code, opened = 0, False, None
    for i, line in enumerate(lines):
        if _CODE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        fence = _FENCE.match(line)
        if fence is None:
            continue
        if fence["rest"]:
            if depth == 0 and _TABLE_DIV.match(fence["rest"]):
                opened = i
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0 and opened is not None:
                yield opened, i
                opened = None


def natural_width(block: str) -> float | None:
    """The width (points) of the first HTML table in ``block`` with every cell on one line,
    or None when the block holds no HTML table (a Markdown table wraps its cells)."""
    start = block.find("<table")
    if start < 0:
        return None
    end = block.rfind("</table>")
    table = lxml.html.fromstring(block[start : end + len("</table>")] if end > start else block)
    widths: dict[int, float] = {}
    for column, span, cell in _cells(table):
        if span != 1:
            continue
        text = " ".join(cell.text_content().split())
        extra = INDENT_PT * _indent(cell)
        need = text_width(text, TABLE_PT) + extra + CELL_MARGINS_PT
        widths[column] = max(widths.get(column, 0.0), need)
    return sum(widths.values()) if widths else None


def _indent(cell: HtmlElement) -> int:
    for name in (cell.get("class") or "").split():
        if name.startswith("gt_indent_") and name.removeprefix("gt_indent_").isdigit():
            return int(name.removeprefix("gt_indent_"))
    return 0


def _cells(table: HtmlElement) -> Iterator[tuple[int, int, HtmlElement]]:
    """Each header and body cell as (first column, columns spanned, cell), the columns taken
    by cells spanning down from rows above skipped."""
    taken: dict[int, set[int]] = {}
    rows = [row for row in table.iter("tr") if row.getparent().tag != "tfoot"]
    for r, row in enumerate(rows):
        column = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            while column in taken.get(r, set()):
                column += 1
            span = _int(cell.get("colspan"))
            for below in range(r + 1, r + _int(cell.get("rowspan"))):
                taken.setdefault(below, set()).update(range(column, column + span))
            yield column, span, cell
            column += span


def _int(value: str | None) -> int:
    return int(value) if value and value.strip().isdigit() else 1
