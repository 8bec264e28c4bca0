"""Running pandoc (the binary shipped in the ``pypandoc-binary`` wheel)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from collections.abc import Mapping

_FILTER_MESSAGE = re.compile(r"\[cohortpress\] (?P<message>.+)")
_MAX_LINES = 12
_RESOLVING = threading.Lock()


def pandoc_path() -> Path:
    """The pandoc binary of the ``pypandoc-binary`` wheel, found once for every thread.

    Never a pandoc on PATH: ``pypandoc.get_pandoc_path()`` tries PATH first, so an older
    system pandoc (without ``--embed-resources``) or a newer one would silently replace the
    version the filters and templates are written for.
    """
    with _RESOLVING:
        return _wheel_pandoc()


@cache
def _wheel_pandoc() -> Path:
    # Found, not imported: importing pypandoc loads urllib, http and ssl (30 ms) for nothing.
    spec = importlib.util.find_spec("pypandoc")
    if spec is None or spec.origin is None:
        raise RenderError("pypandoc-binary is not installed; pip install pypandoc-binary")
    files = Path(spec.origin).parent / "files"
    found = [files / name for name in ("pandoc", "pandoc.exe") if (files / name).is_file()]
    if not found:
        raise RenderError(f"the pandoc of pypandoc-binary is missing from {files}; reinstall it")
    return found[0]


def run_pandoc(args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """Run the wheel's pandoc in ``cwd``; return its warnings, one per line.

    Raises
    ------
    RenderError
        pandoc failed: a message from our Lua filters as written, otherwise pandoc's own
        message, trimmed.
    """
    command = [str(pandoc_path()), *args]
    environment = None if env is None else {**os.environ, **env}
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
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
