"""Text from a workbook or study.yml made literal for each place it is written.

Escaping happens once, where text is made: the generated Markdown (paragraphs, captions,
``results.yml``) escapes with :func:`markdown_text`; the raw HTML tables need nothing here, as
great_tables escapes every cell, label, spanner and note for HTML itself; figures draw text with
matplotlib's mathtext switched off (:data:`MATPLOTLIB_LITERAL_TEXT`). Pandoc's writers then
escape the parsed text for HTML, Typst and OpenXML themselves (tests/test_security.py).
"""

from __future__ import annotations

import html
import re
from typing import Any

# Everything pandoc's Markdown reader (and Quarto's) may read as markup anywhere in a line:
# escapes and raw TeX (\), code and raw attributes (`), emphasis (* _), links, images, spans,
# footnotes and citations ([ ] ! ^ @), raw HTML and entities (< > &), attributes and shortcodes
# ({ }), math ($), sub/superscript and strikeout (~ ^), pipe tables (|), headings (#), divs,
# definition lists and emoji (:).
_INLINE = re.compile(r"([\\`*_\[\]!^@<>&{}$~|#:])")
# What only matters at the start of a line: list markers (- + 1. 1)) followed by a space,
# setext underlines and horizontal rules (=, ---), a title block (%).
_LINE_START = re.compile(r"^( ?)(?:([-+=%])(?=\2|\s|$)|(\d+)(?=[.)](?:\s|$)))")
_WHITESPACE = re.compile(r"\s+")
# Smart punctuation would turn -- into a dash and ... into an ellipsis: the second character of
# each pair is escaped so the text keeps its characters. Quotes are left to become curly.
_RUNS = re.compile(r"(?<=-)-|(?<=\.)\.")


class Markdown(str):
    """Markdown that cohortpress itself wrote (a cross-reference, a citation): printed as it
    is by :func:`markdown_text`. Never made from workbook or study.yml text."""


def markdown_text(value: Any) -> str:
    """``value`` as Markdown that reads back as exactly its text, on one line.

    Runs of whitespace (line breaks, tabs) become one space, so a value stays one inline
    wherever it is placed, even at the start of a line or in a table cell. Dashes and dots keep
    their characters; only straight quotes may print curly (typography, not markup).
    A :class:`Markdown` value is already Markdown and is returned as it is.
    """
    if isinstance(value, Markdown):
        return value
    text = _INLINE.sub(r"\\\1", _WHITESPACE.sub(" ", str(value)))
    text = _RUNS.sub(lambda m: "\\" + m[0], text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    space, marker, digits = match.groups()
    if digits:  # "1." or "1)": escape the delimiter that follows
        return f"{space}{digits}\\"
    return f"{space}\\{marker}"


def markdown_tree(node: Any) -> Any:
    """Every string in a nested mapping or list escaped with :func:`markdown_text` (the
    ``results.yml`` meta file: Quarto reads metadata strings as Markdown)."""
    if isinstance(node, dict):
        return {key: markdown_tree(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [markdown_tree(value) for value in node]
    return markdown_text(node) if isinstance(node, str) else node


# matplotlib reads text between two $ as mathtext; cohortpress never writes math in figures, so
# every label, legend and annotation is drawn as the characters it holds.
MATPLOTLIB_LITERAL_TEXT = {"text.parse_math": False}


def html_text(value: Any) -> str:
    """``value`` as HTML text and attribute content that reads back as exactly its text (the
    preview's own pages; the published HTML is written by pandoc)."""
    return html.escape(str(value), quote=True)
