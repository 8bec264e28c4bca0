"""The Quarto engine: ``quarto render`` in the staging folder, PDF through Quarto's typst format.

Before Quarto runs, :func:`stage_quarto` gives it the embedded engine's layout decisions: the
tables ``_landscape`` turns are wrapped in Quarto's landscape Div in the staged sources, and
``filters/landscape.lua`` is listed in the staged ``_quarto.yml`` for the typst and docx
formats at Quarto's ``post-quarto`` entry point: after Quarto's cross-references are
numbered (so the numbers stay where the author placed the tables, as in the embedded engine)
and before Quarto's own landscape filter turns the Div into landscape pages.
``filters/vector.lua`` is listed for typst and html, so that the PDF and the HTML page set
cohortpress's figures from their SVG in both engines (Word keeps the PNG).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

from cohortpress._yaml import dump_yaml
from cohortpress.errors import RenderError, StudyConfigError
from cohortpress.render._landscape import quarto_landscape
from cohortpress.render._options import QUARTO_FILE, read_config
from cohortpress.render._resources import STAGED, lua_filter

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

QUARTO_FORMATS = {"html": "html", "pdf": "typst", "docx": "docx"}
_MAX_LINES = 15
# Our filters in the staging folder, and where Quarto runs them (Quarto's filter entry points).
LANDSCAPE_FILTER = f"{STAGED}/filters/landscape.lua"
LANDSCAPE_ENTRY = {"path": LANDSCAPE_FILTER, "at": "post-quarto"}
VECTOR_FILTER = f"{STAGED}/filters/vector.lua"
VECTOR_ENTRY = {"path": VECTOR_FILTER, "at": "post-quarto"}
# Each filter with the Quarto formats that run it: HTML pages have no orientation, and DOCX
# keeps the figures' PNG.
_STAGED_FILTERS = {
    "landscape": (LANDSCAPE_ENTRY, ("typst", "docx")),
    "vector": (VECTOR_ENTRY, ("typst", "html")),
}
_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")


def stage_quarto(staging: Path, stem: str = "manuscript") -> None:
    """Prepare ``staging/<stem>.qmd`` for Quarto: the wide tables wrapped in Quarto's landscape
    Div in the document and the files it includes, and landscape.lua and vector.lua staged and
    listed in ``_quarto.yml`` under the formats that run them (see the module docstring).

    Raises
    ------
    RenderError
        The staged ``_quarto.yml`` cannot be read, or its typst or docx format is not a
        mapping of options.
    """
    for path in _sources(staging, staging / f"{stem}.qmd", ()):
        text = path.read_text(encoding="utf-8")
        turned = quarto_landscape(text)
        if turned != text:
            path.write_text(turned, encoding="utf-8")
    config_path = staging / QUARTO_FILE
    config = _read(config_path)
    formats = config.setdefault("format", {})
    if not isinstance(formats, dict):
        raise RenderError(f"{QUARTO_FILE}: format: must be a mapping of formats")
    for filter_name, (entry, format_names) in _STAGED_FILTERS.items():
        target = staging / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lua_filter(filter_name), target)
        for name in format_names:
            block = formats.get(name)
            block = {} if block in (None, "default") else block
            if not isinstance(block, dict):
                raise RenderError(f"{QUARTO_FILE}: format.{name}: must be a mapping of options")
            filters = block.get("filters") or []
            filters = filters if isinstance(filters, list) else [filters]
            if entry not in filters:
                filters.append(dict(entry))
            block["filters"] = filters
            formats[name] = block
    text = dump_yaml(config)
    config_path.write_text(text, encoding="utf-8")


def _read(path: Path) -> dict[str, Any]:
    """The staged ``_quarto.yml``, read as the render options read it (a problem at this
    stage is the render's)."""
    try:
        return read_config(path, QUARTO_FILE)
    except StudyConfigError as exc:
        raise RenderError(str(exc)) from None


def _sources(staging: Path, path: Path, seen: tuple[Path, ...]) -> Iterator[Path]:
    """``path`` and the files it includes, each once (Quarto's include rules: relative to the
    including file, ``/path`` to the staging folder); files outside the folder or missing are
    left to Quarto's own message."""
    if path in seen or not path.is_file() or not path.resolve().is_relative_to(staging.resolve()):
        return
    yield path
    seen = (*seen, path)
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _INCLUDE.match(line)
        if match is None:
            continue
        written = match["path"].strip("\"'")
        base = staging if written.startswith("/") else path.parent
        yield from _sources(staging, (base / written.lstrip("/")).resolve(), seen)


def quarto_path() -> str | None:
    """The ``quarto`` executable on PATH, if any."""
    return shutil.which("quarto")


def render_quarto(
    staging: Path,
    formats: Sequence[str],
    output_dir: str | None,
    stem: str = "manuscript",
    profile: str | None = None,
) -> dict[str, Path]:
    """Run Quarto on ``staging/<stem>.qmd`` (with ``--profile``, if given); outputs end up
    next to it.

    Raises
    ------
    RenderError
        Quarto is not on PATH, or it failed (its message, trimmed).
    """
    quarto = quarto_path()
    if quarto is None:
        raise RenderError(
            "the quarto engine was asked for, but quarto is not on PATH; "
            "install Quarto or use the embedded engine (--engine embedded)"
        )
    to = ",".join(QUARTO_FORMATS[f] for f in formats)
    command = [quarto, "render", f"{stem}.qmd", "--to", to]
    command += ["--profile", profile] if profile else []
    done = subprocess.run(command, cwd=staging, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()[-_MAX_LINES:]
        raise RenderError(f"Quarto could not render {stem}.qmd:\n" + "\n".join(lines))
    return {fmt: _collect(staging, output_dir, stem, fmt) for fmt in formats}


def _collect(staging: Path, output_dir: str | None, stem: str, fmt: str) -> Path:
    """The output for ``fmt``, moved from Quarto's output-dir (if set) to the staging folder."""
    name = f"{stem}.{fmt}"
    target = staging / name
    produced = staging / output_dir / name if output_dir else target
    if not produced.is_file():
        raise RenderError(f"Quarto finished but wrote no {name}")
    if produced != target:
        shutil.move(produced, target)
    return target
