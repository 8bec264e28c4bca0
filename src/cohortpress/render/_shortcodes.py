"""Quarto shortcodes the embedded engine expands: meta, var and pagebreak (include is expanded
earlier, in ``_source.py``).

``{{< meta results.os.median >}}`` is replaced by the value at that dotted key of the document's
metadata (front matter, its metadata-files, ``_quarto.yml``), as Quarto does, so numbers stay
live in the author's own sentences; ``{{< var key >}}`` reads ``_variables.yml``. A missing key
or a key that holds a list or mapping stops the render; any other shortcode is named as
unsupported. ``{{{< … >}}}`` writes a shortcode literally.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cohortpress.render._source import SourceLine

_SHORTCODE = re.compile(r"(?<!\{)\{\{<\s*(?P<name>[\w-]+)(?P<args>.*?)>\}\}(?!\})")
_ESCAPED = re.compile(r"\{\{\{<(?P<inner>.*?)>\}\}\}")
_PAGEBREAK_LINE = re.compile(r"^\s*\{\{<\s*pagebreak\s*>\}\}\s*$")
_PAGEBREAK = [
    "",
    "```{=openxml}",
    '<w:p><w:r><w:br w:type="page"/></w:r></w:p>',
    "```",
    "",
    "```{=typst}",
    "#pagebreak(weak: true)",
    "```",
    "",
]
SUPPORTED = "include, meta, var, pagebreak"


def expand_lines(
    lines: Iterable[SourceLine], metadata: dict[str, Any], variables: dict[str, Any]
) -> list[str]:
    """The body's lines with every shortcode replaced by its value (or raw page-break blocks)."""
    out: list[str] = []
    for line in lines:
        if _PAGEBREAK_LINE.match(line.text):
            out.extend(_PAGEBREAK)
        else:
            out.append(expand_text(line.text, line.where, metadata, variables))
    return out


def expand_text(text: str, where: str, metadata: dict[str, Any], variables: dict[str, Any]) -> str:
    """One piece of text with its meta and var shortcodes replaced; ``where`` locates errors."""

    def replace(match: re.Match[str]) -> str:
        name, key = match["name"], match["args"].strip().strip("\"'")
        if name == "meta":
            return _value(metadata, key, f"{where}: {{{{< meta {key} >}}}}", "the metadata")
        if name == "var":
            return _value(variables, key, f"{where}: {{{{< var {key} >}}}}", "_variables.yml")
        if name in ("include", "pagebreak"):
            raise RenderError(f"{where}: the {name} shortcode must stand on a line of its own")
        raise RenderError(
            f"{where}: the shortcode {{{{< {name} >}}}} is not supported by the embedded engine "
            f"(supported: {SUPPORTED}); render with Quarto (--engine quarto) or remove it"
        )

    expanded = _SHORTCODE.sub(replace, text)
    if "{{<" in _ESCAPED.sub("", expanded):
        raise RenderError(f"{where}: a shortcode '{{{{<' is not closed by '>}}}}' on the same line")
    return _ESCAPED.sub(lambda m: "{{<" + m["inner"] + ">}}", expanded)


def _value(mapping: dict[str, Any], key: str, context: str, source: str) -> str:
    node: Any = mapping
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise RenderError(f"{context}: no such key in {source}{_suggestion(mapping, key)}")
        node = node[part]
    if isinstance(node, bool):
        return "true" if node else "false"
    if isinstance(node, str | int | float):
        return str(node)
    kind = "nothing" if node is None else "a list" if isinstance(node, list) else "a mapping"
    raise RenderError(f"{context}: the key holds {kind}, not a single value")


def _dotted_keys(node: Any, prefix: str = "") -> list[str]:
    if not isinstance(node, dict):
        return [prefix]
    return [key for k, v in node.items() for key in _dotted_keys(v, f"{prefix}{k}.")]


def _suggestion(mapping: dict[str, Any], key: str) -> str:
    keys = [k.rstrip(".") for k in _dotted_keys(mapping)]
    close = difflib.get_close_matches(key, keys, n=1)
    return f" (did you mean {close[0]}?)" if close else ""
