"""The check that a manuscript stays inside the Quarto subset the embedded engine supports.

Supported: Markdown, raw blocks (```{=html}, ```{=typst}, …), fenced divs (cross-reference
divs #tbl-…/#fig-…, #refs, custom classes), non-executed code blocks (```python). Anything
that needs Quarto itself stops the render with the feature and the line named: executable code
cells (```{python}) and inline code (`{python} x`), callouts, tabsets, column and conditional
content classes, and figure layouts. Shortcodes are checked where they are expanded
(``_shortcodes.py``), cross-references in ``filters/crossref.lua``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cohortpress.render._source import SourceLine

_CODE_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_EXECUTABLE = re.compile(r"^\{\s*(?P<engine>[A-Za-z][\w-]*)")
_INLINE_CODE = re.compile(r"`\{(?P<engine>[A-Za-z][\w-]*)\}[^`]*`")
_DIV = re.compile(r"^\s*:{3,}\s*(?P<attrs>\{[^}]*\}|[\w-]+)\s*$")
_CLASSES = re.compile(r"(?:^|[\s{])\.(?P<name>[\w-]+)")
_KEYS = re.compile(r"(?:^|[\s{])(?P<key>[\w-]+)=")
_UNSUPPORTED_CLASSES = {
    "callout": "callout blocks",
    "panel-": "tabsets and panels",
    "column-": "column and margin layouts",
    "content-visible": "conditional content blocks",
    "content-hidden": "conditional content blocks",
}
_UNSUPPORTED_KEYS = {"layout", "layout-ncol", "layout-nrow", "layout-align", "layout-valign"}
_ADVICE = "not supported by the embedded engine; render with Quarto (--engine quarto) or remove it"


def check_subset(lines: Iterable[SourceLine]) -> None:
    """Raise :class:`RenderError` at the first feature outside the supported subset."""
    fence: str | None = None
    for line in lines:
        if fence is not None:
            stripped = line.text.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                fence = None
            continue
        code = _CODE_FENCE.match(line.text)
        if code is not None:
            _check_code_cell(code["info"].strip(), line)
            fence = code["fence"]
            continue
        _check_div(line)
        _check_inline_code(line)


def _check_code_cell(info: str, line: SourceLine) -> None:
    match = _EXECUTABLE.match(info)
    if match is not None:
        raise RenderError(
            f"{line.where}: executable code cells (```{{{match['engine']}}}) are {_ADVICE}"
        )


def _check_inline_code(line: SourceLine) -> None:
    match = _INLINE_CODE.search(line.text)
    if match is not None:
        raise RenderError(f"{line.where}: inline code (`{{{match['engine']}}} …`) is {_ADVICE}")


def _check_div(line: SourceLine) -> None:
    match = _DIV.match(line.text)
    if match is None:
        return
    attrs = match["attrs"]
    classes = [m["name"] for m in _CLASSES.finditer(attrs)] if "{" in attrs else [attrs]
    for name in classes:
        for prefix, feature in _UNSUPPORTED_CLASSES.items():
            if name.startswith(prefix):
                raise RenderError(f"{line.where}: {feature} (.{name}) are {_ADVICE}")
    for key in (m["key"] for m in _KEYS.finditer(attrs)):
        if key in _UNSUPPORTED_KEYS:
            raise RenderError(f"{line.where}: figure and panel layouts ({key}=) are {_ADVICE}")
