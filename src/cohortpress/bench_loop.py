"""``make bench`` (``--loop``): the author's loop at paper size, timed as the author meets it.

Four cases run the real command line, ``python -m cohortpress report``, each time in a fresh
process on a fresh copy of the thyroid study in a temporary project (never on ``reports/``):
a first run with an empty build cache, and a re-render after a text edit of manuscript.qmd
(the cache kept by an untimed run just before), each for the three formats and for HTML alone.
The fifth case is the preview: a fresh process runs the preview's watch-and-build loop (without
a browser or server) on its own copy, and the time is taken from the moment the edit is saved to
the moment the new HTML is published, the file polling and settling included. Each case is
repeated; the median and the range are reported, and for each run started here its CPU time
(:class:`Timing`), which says how far from its floor on this machine's cores a run is.

A text-edit run must have been served by the build cache (its entry file is the same file
afterwards, not a new one): if it was not, the bench stops instead of timing the wrong thing.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cohortpress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cohortpress.preview import Build

Kind = Literal["cold", "edit", "preview"]
ALL_FORMATS = ("html", "pdf", "docx")
PATIENCE = 600.0  # seconds a preview build may take on a busy machine before the bench stops
ROOT_FILES = ("_quarto*.yml", "_variables.yml", "*.csl", "*.bib", "*.css", "*.docx")


@dataclass(frozen=True)
class Timing:
    """One timed command: its wall time, and the CPU time (user and system) of its process and
    of every process it waited for (pandoc, typst, the figure workers; R's own children). On
    ``n`` cores a run cannot take less than ``cpu_seconds / n``: a run near that floor is
    limited by its work, not by waiting."""

    seconds: float
    cpu_seconds: float | None = None  # None: not measured (the preview's refresh)


def run_timed(
    command: list[str], **options: Any
) -> tuple[subprocess.CompletedProcess[str], Timing]:
    """Run ``command`` (text output captured, no check) and time it. Commands are timed one at
    a time: the CPU time is the difference of this process's children's usage."""
    before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    seconds = time.perf_counter() - start
    return done, Timing(seconds, _children_cpu() - before)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Case:
    """One timed situation of the author's loop."""

    kind: Kind
    formats: tuple[str, ...]

    @property
    def label(self) -> str:
        what = {
            "cold": "first run (empty cache)",
            "edit": "after a text edit (cached)",
            "preview": "preview refresh (edit saved → HTML published)",
        }[self.kind]
        return f"{what}, {self.formats_label}"

    @property
    def formats_label(self) -> str:
        return "HTML, PDF, DOCX" if len(self.formats) == 3 else ", ".join(self.formats).upper()


CASES = (
    Case("cold", ALL_FORMATS),
    Case("cold", ("html",)),
    Case("edit", ALL_FORMATS),
    Case("edit", ("html",)),
    Case("preview", ("html",)),
)


def cases_for(formats: tuple[str, ...]) -> tuple[Case, ...]:
    """The cases whose formats are among ``formats`` (``--to html``: the HTML cases only)."""
    return tuple(case for case in CASES if set(case.formats) <= set(formats))


def copy_project(root: Path, study: Path, into: Path) -> Path:
    """Copy the project configuration, the study folder and its workbook from ``root`` into
    ``into``, keeping their places relative to each other; return the copied study folder.

    Raises
    ------
    SystemExit
        The study's workbook lies outside ``root``, so the copy could not find it.
    """
    from cohortpress.config import load_study

    root = root.resolve()
    for pattern in ROOT_FILES:
        for path in root.glob(pattern):
            if path.is_file():
                shutil.copy2(path, into / path.name)
    shutil.copytree(root / study, into / study)
    data = load_study(root / study).data_path.resolve()
    if not data.is_relative_to(root):
        sys.exit(f"bench: {study}'s workbook {data} is outside {root}; the bench cannot copy it")
    target = into / data.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    if data.is_dir():
        shutil.copytree(data, target)
    else:
        shutil.copy2(data, target)
    return into / study


def edit_manuscript(study: Path, marker: str) -> None:
    """Append a sentence to manuscript.qmd, as an author saving a text edit."""
    with (study / "manuscript.qmd").open("a", encoding="utf-8") as stream:
        stream.write(f"\n\nA sentence added by the bench ({marker}).\n")


def cache_entries(project: Path, study: Path) -> dict[str, int]:
    """The study's build-cache entries, by name, with their inode: a hit leaves the file as it
    is, a computed run writes a new one."""
    from cohortpress.publish import CACHE

    folder = project / "_output" / CACHE / study.name
    return {path.name: path.stat().st_ino for path in folder.glob("*.pickle")}


def _environment() -> dict[str, str]:
    """The child processes import this same cohortpress, wherever it was imported from."""
    source = str(Path(cohortpress.__file__).resolve().parents[1])
    paths = [source, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def run_report(project: Path, study: Path, formats: tuple[str, ...]) -> Timing:
    """``cohortpress report`` timed in a fresh process, interpreter start included."""
    command = [sys.executable, "-m", "cohortpress", "report", str(study), "--quiet"]
    command += ["--to", ",".join(formats)]
    done, timing = run_timed(command, cwd=project, env=_environment())
    if done.returncode != 0:
        sys.exit(f"bench: cohortpress report failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return timing


@contextlib.contextmanager
def _project(root: Path, study: Path) -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory(prefix="cohortpress-bench-") as folder:
        copied = copy_project(root, study, Path(folder))
        yield Path(folder), copied.relative_to(folder)


def time_case(case: Case, root: Path, study: Path, repeat: int) -> Timing:
    """One timed run of ``case`` on a fresh copy of the project."""
    with _project(root, study) as (project, copied):
        if case.kind == "cold":
            return run_report(project, copied, case.formats)
        if case.kind == "edit":
            run_report(project, copied, case.formats)  # keeps the cache entry
            before = cache_entries(project, copied)
            edit_manuscript(project / copied, f"edit {repeat}")
            timing = run_report(project, copied, case.formats)
            if not before or cache_entries(project, copied) != before:
                sys.exit("bench: the run after a text edit was not served by the build cache")
            return timing
        return _preview_in_child(project, copied)


def _preview_in_child(project: Path, study: Path) -> Timing:
    """The refresh's wall time; its CPU time is not told apart from the first build's."""
    command = [sys.executable, "-m", "cohortpress.bench", "--preview-child", str(study)]
    done, _ = run_timed(command, cwd=project, env=_environment())
    if done.returncode != 0:
        sys.exit(f"bench: the preview failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return Timing(float(json.loads(done.stdout.strip().splitlines()[-1])["refresh_seconds"]))


def preview_refresh(study: Path) -> dict[str, float]:
    """In this process: start a preview of ``study``, wait for its first build, save an edit
    of manuscript.qmd and time until the preview has published the HTML showing it."""
    from cohortpress.preview import Preview

    preview = Preview(study)  # the server is made but not started: no browser, no requests
    finished: queue.Queue[tuple[float, Build]] = queue.Queue()
    stop = threading.Event()

    def on_build(build: Build) -> None:
        finished.put((time.perf_counter(), build))

    watcher = threading.Thread(target=preview.watch, args=(on_build, stop), daemon=True)
    watcher.start()
    try:
        _, first = finished.get(timeout=PATIENCE)
        _check_build(first, None)
        marker = f"preview edit {os.getpid()}"
        saved = time.perf_counter()
        edit_manuscript(study, marker)
        published, build = finished.get(timeout=PATIENCE)
        _check_build(build, marker)
    finally:
        stop.set()
        watcher.join()
        preview.close()
    return {"refresh_seconds": published - saved}


def _check_build(build: Build, marker: str | None) -> None:
    if not build.ok or build.folder is None:
        sys.exit(f"bench: the preview build failed: {build.message}")
    if marker is not None and marker not in (build.folder / "manuscript.html").read_text("utf-8"):
        sys.exit("bench: the preview published HTML without the edit")


def summary(seconds: list[float]) -> dict[str, float]:
    """Median and range of the repeats."""
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)}


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as ``uptime`` prints them."""
    with contextlib.suppress(OSError):
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return "unknown"


def timed_range(stats: dict[str, float] | None) -> str:
    if stats is None:
        return "–"
    return f"{stats['median']:.2f} s ({stats['min']:.2f}–{stats['max']:.2f})"
