"""Compiling the Typst source to PDF with the ``typst`` wheel (no Typst installation needed).

The compiler runs in a child process (``_typst_worker.py``) with limits on CPU time, memory and
wall-clock time, so that an author's Typst block that loops or allocates without end ends the
render with a :class:`RenderError` instead of exhausting the machine. It reads files under the
staging folder only (Typst's ``root``) and loads no package: ``@preview/…`` imports are refused
before compiling, the package folders point at an empty folder, and the child's proxy settings
lead nowhere, so a package download fails even if one slipped through.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from cohortpress._priority import BEHIND
from cohortpress.errors import RenderError

_WORKER = Path(__file__).with_name("_typst_worker.py")
CPU_SECONDS = 120
MEMORY_BYTES = 4 * 1024**3  # the thyroid manuscript needs about a tenth of this
WALL_SECONDS = 300  # CPU_SECONDS, with room for a busy machine
_PACKAGE = re.compile(r"""(?:import|include)\s*\(?\s*["'](?P<spec>@[\w-]+/[^"']*)["']""")
_NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, every request fails
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY")


def compile_typst(source: Path, output: Path, root: Path, *, behind: bool = False) -> list[str]:
    """Compile ``source`` to ``output``; ``root`` bounds the files it may read (images).
    ``behind``: at a lower priority, as :func:`~cohortpress._priority.run_behind` says.

    Returns Typst's warnings as text. The PDF's creation date is today's, so two renders of
    the same day are byte-identical.

    Raises
    ------
    RenderError
        With Typst's message and where in the generated source it arose; or the package the
        source imports; or the limit the compiler ran into.
    """
    refuse_packages(source.read_text(encoding="utf-8"))
    packages = source.parent / "typst-packages"
    packages.mkdir(exist_ok=True)
    today = dt.datetime.combine(dt.date.today(), dt.time(), tzinfo=dt.UTC)
    job = {
        "source": str(source), "output": str(output), "root": str(root),
        "timestamp": int(today.timestamp()), "packages": str(packages),
        "cpu_seconds": CPU_SECONDS, "memory_bytes": MEMORY_BYTES,
        "niceness": BEHIND if behind else 0,
    }  # fmt: skip
    result = _run_worker(job)
    if "error" in result:
        raise RenderError(f"typst could not set the PDF: {result['error']}\n{result['diagnostic']}")
    return result["warnings"]


def refuse_packages(text: str) -> None:
    """Typst packages are downloaded from the network, which the render never does."""
    match = _PACKAGE.search(text)
    if match is not None:
        raise RenderError(
            f"raw Typst imports the package '{match['spec']}': Typst packages are downloaded "
            "from the network, which the embedded engine does not do"
        )


def _run_worker(job: dict[str, object]) -> dict[str, Any]:
    env = {**os.environ, **{name: _NOWHERE for name in _PROXY_VARIABLES}}
    env |= {name.lower(): _NOWHERE for name in _PROXY_VARIABLES}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(_WORKER)], input=json.dumps(job), env=env,
            capture_output=True, text=True, timeout=WALL_SECONDS, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"typst did not finish setting the PDF within {WALL_SECONDS} s; "
            "check the manuscript's raw Typst blocks"
        ) from None
    if done.returncode != 0 or not done.stdout:
        raise RenderError(
            "typst stopped before finishing the PDF (it exceeded its limit of "
            f"{CPU_SECONDS} s of CPU time or {MEMORY_BYTES // 1024**3} GiB of memory, or "
            "crashed); check the manuscript's raw Typst blocks"
        )
    return json.loads(done.stdout)
