"""The manuscript source as the embedded engine reads it: front matter, then body lines with
``{{< include >}}`` expanded, each line remembering its file and line number for messages."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cohortpress._yaml import load_yaml
from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from pathlib import Path

MANUSCRIPT = "manuscript.qmd"
_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")
_FENCE = re.compile(r"^(---|\.\.\.)\s*$")
_REFERENCE = re.compile(r"@[\w-]+")
_TARGET = re.compile(r"^(?:image|resource|link|raw Typst) '(?P<target>[^']+)'")


@dataclass(frozen=True)
class SourceLine:
    """One line of the expanded manuscript and where it was written."""

    text: str
    file: str  # relative to the staging folder, with forward slashes
    number: int

    @property
    def where(self) -> str:
        return f"{self.file}, line {self.number}"


@dataclass(frozen=True)
class Source:
    """The manuscript's front matter (with its first line) and its expanded body."""

    front_matter: dict[str, Any]
    lines: tuple[SourceLine, ...]


def read_source(staging: Path, name: str = MANUSCRIPT) -> Source:
    """Read ``name`` (``manuscript.qmd``, ``supplement.qmd``…) from the staging folder and
    expand its includes.

    Includes follow Quarto: a ``{{< include path >}}`` line is replaced by the file's text;
    ``path`` is relative to the including file (``/path`` to the staging folder), and included
    files may include others.
    """
    staging = staging.resolve()
    path = staging / name
    if not path.is_file():
        raise RenderError(f"the staging folder {staging} has no {name}")
    lines = _text(path, name).splitlines()
    front_matter, body_start = _front_matter(lines, name)
    body = [SourceLine(text, name, n) for n, text in enumerate(lines, 1) if n >= body_start]
    return Source(front_matter, tuple(_expand(body, staging, (name,))))


def read_front_matter(path: Path) -> dict[str, Any]:
    """The front matter of a manuscript file, without reading its body (an empty mapping when
    it has none)."""
    return _front_matter(_text(path, path.name).splitlines(), path.name)[0]


def _text(path: Path, where: str) -> str:
    """A source file's text, which must be UTF-8 (an included Word file, say, is not text)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RenderError(
            f"{where}: not text in UTF-8 (byte {exc.start + 1}); include only text files, "
            "saved as UTF-8"
        ) from None


def _front_matter(lines: list[str], name: str) -> tuple[dict[str, Any], int]:
    """The YAML block between the first two ``---`` lines, and the body's first line number."""
    if not lines or lines[0].strip() != "---":
        return {}, 1
    end = next((i for i, line in enumerate(lines[1:], 1) if _FENCE.match(line)), None)
    if end is None:
        raise RenderError(f"{name}, line 1: the front matter has no closing '---' line")
    try:
        data = load_yaml("\n".join(lines[1:end]), f"{name} front matter")
    except ValueError as exc:
        raise RenderError(str(exc)) from None
    if data is not None and not isinstance(data, dict):
        raise RenderError(f"{name}, line 1: the front matter must be a mapping of keys")
    return data or {}, end + 2


def _expand(lines: list[SourceLine], staging: Path, chain: tuple[str, ...]) -> list[SourceLine]:
    out: list[SourceLine] = []
    for line in lines:
        match = _INCLUDE.match(line.text)
        if match is None:
            out.append(line)
            continue
        target = _resolve(match["path"].strip("\"'"), line, staging)
        name = target.relative_to(staging).as_posix()
        if name in chain:
            raise RenderError(f"{line.where}: {name} includes itself ({' → '.join(chain)})")
        text = _text(target, f"{line.where}: {name}").splitlines()
        included = [SourceLine(t, name, n) for n, t in enumerate(text, 1)]
        out.extend(_expand(included, staging, (*chain, name)))
    return out


def _resolve(written: str, line: SourceLine, staging: Path) -> Path:
    """The included file: relative to the including file, or to the staging folder if /path."""
    base = staging if written.startswith("/") else (staging / line.file).parent
    target = (base / written.lstrip("/")).resolve()
    if not target.is_relative_to(staging):  # said first: whether it exists is not told
        raise RenderError(
            f"{line.where}: the included file {written} is outside the staging folder"
        )
    if not target.is_file():
        raise RenderError(f"{line.where}: the included file {written} does not exist")
    return target


def locate(message: str, lines: tuple[SourceLine, ...]) -> str:
    """``message`` with the file and line of the first reference (``@tbl-x``) or of the image or
    resource (``image '../x.png'``) it names, so an error raised on the parsed document still
    points at the line the author wrote."""
    target = _TARGET.match(message)
    if target is not None:
        token = re.compile(re.escape(target["target"]))
    elif (match := _REFERENCE.search(message)) is not None:
        token = re.compile(rf"(?<![\w@]){re.escape(match[0])}(?![\w-])")
    else:
        return message
    # Raw HTML may write the target with character references ("&#58;"): pandoc's HTML reader
    # and confine.lua name it decoded, as a browser reads it.
    line = next(
        (
            line
            for line in lines
            if token.search(line.text) or token.search(html.unescape(line.text))
        ),
        None,
    )
    return message if line is None else f"{line.where}: {message}"
