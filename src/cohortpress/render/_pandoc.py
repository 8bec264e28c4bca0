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

from cohortpress._priority import run_behind
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


# The wheel's pandoc asks its runtime for a 64 MB heap from the start (-H64m, built in); for
# a manuscript that is most of its memory (180 MB resident, 130 MB with 16 MB) and no faster:
# measured on the thyroid study's passes, and at 100,000 patients, where two pandoc processes
# at once took 260 MB of the run's 900. Its runtime accepts the option (built with -rtsopts).
# Its heap is capped too: a bibliography of nested @string macros (ten levels, a few hundred
# bytes) expands past 15 GB; pandoc stops at the cap ("Heap exhausted") instead. No
# manuscript or bibliography of a real study comes near it (pandoc's passes peak at 180 MB).
HEAP_LIMIT = "1g"  # pandoc's spelling of 1 GiB
RUNTIME = ("+RTS", "-H16m", f"-M{HEAP_LIMIT}", "-RTS")
_HEAP_EXHAUSTED = "Heap exhausted"


def run_pandoc(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None, *, behind: bool = False
) -> list[str]:
    """Run the wheel's pandoc in ``cwd``; return its warnings, one per line. ``behind``: at a
    lower priority (:func:`cohortpress._priority.run_behind`).

    Raises
    ------
    RenderError
        pandoc failed: a message from our Lua filters as written, otherwise pandoc's own
        message, trimmed.
    """
    command = [str(pandoc_path()), *RUNTIME, *args]
    environment = None if env is None else {**os.environ, **env}
    pipe = subprocess.PIPE
    with subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=pipe, stderr=pipe, text=True
    ) as process:
        if behind:
            run_behind(process.pid)
        try:
            _, stderr = process.communicate()
        except BaseException:  # as subprocess.run: nothing is left running
            process.kill()
            raise
    if process.returncode != 0:
        raise RenderError(_failure(stderr))
    return [line for line in stderr.splitlines() if line.strip()]


def heap_exhausted(stderr: str) -> str | None:
    """The message for a pandoc stopped at :data:`HEAP_LIMIT`; None when it was not."""
    if _HEAP_EXHAUSTED not in stderr:
        return None
    return (
        f"pandoc needed more than {HEAP_LIMIT[:-1]} GiB of memory and was stopped: the "
        "document or a bibliography it reads expands without bound (nested @string macros, say)"
    )


def _failure(stderr: str) -> str:
    exhausted = heap_exhausted(stderr)
    if exhausted is not None:
        return exhausted
    ours = _FILTER_MESSAGE.search(stderr)
    if ours is not None:
        return ours["message"].strip()
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("stack traceback")]
    trimmed = "\n".join(lines[:_MAX_LINES]) + ("\n…" if len(lines) > _MAX_LINES else "")
    return f"pandoc could not render the manuscript:\n{trimmed}"
