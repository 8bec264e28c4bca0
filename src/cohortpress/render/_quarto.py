"""The Quarto engine: ``quarto render`` in the staging folder, PDF through Quarto's typst format."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

QUARTO_FORMATS = {"html": "html", "pdf": "typst", "docx": "docx"}
_MAX_LINES = 15


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
