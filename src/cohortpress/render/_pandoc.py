"""Running pandoc (the binary shipped in the ``pypandoc-binary`` wheel)."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pypandoc

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from pathlib import Path

_FILTER_MESSAGE = re.compile(r"\[cohortpress\] (?P<message>.+)")
_MAX_LINES = 12


def run_pandoc(args: list[str], cwd: Path) -> list[str]:
    """Run pandoc in ``cwd``; return its warnings, one per line.

    Raises
    ------
    RenderError
        pandoc failed: a message from our Lua filters as written, otherwise pandoc's own
        message, trimmed.
    """
    try:
        pandoc = pypandoc.get_pandoc_path()
    except OSError as exc:
        raise RenderError(f"pandoc is not available ({exc}); reinstall pypandoc-binary") from None
    done = subprocess.run([pandoc, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(_failure(done.stderr))
    return [line for line in done.stderr.splitlines() if line.strip()]


def _failure(stderr: str) -> str:
    ours = _FILTER_MESSAGE.search(stderr)
    if ours is not None:
        return ours["message"].strip()
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("stack traceback")]
    trimmed = "\n".join(lines[:_MAX_LINES]) + ("\n…" if len(lines) > _MAX_LINES else "")
    return f"pandoc could not render the manuscript:\n{trimmed}"
