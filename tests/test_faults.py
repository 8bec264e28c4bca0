"""Runs that overlap, are killed or are interrupted: the output is always one whole run's.

Real ``cohortpress report`` processes on the small project of ``small_project.py`` (HTML only),
stopped at seeded random moments. After each: ``_output/thyroid`` is absent or complete, and all
of its files come from one run (results.json and the manuscript agree on the patient count); no
process of the run is left; the next run leaves no staging folder and one published version.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import IO

import pytest
from small_project import command, fewer_patients, make_project, patients_shown, run

from cohortpress.publish import STAGING, VERSIONS

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="looks for left-over processes in /proc"
)
SEED = 20261201
ALL_PATIENTS = 26  # the thyroid example's analysed population


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def smaller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The next extract, as it were: the same workbook with fewer patients."""
    return fewer_patients(tmp_path_factory.mktemp("extract") / "smaller.xlsx")


@dataclass
class _Run:
    """A run in a process group of its own, so what it started can be found afterwards.

    Its stderr goes to a file, not a pipe: a process the run left behind would keep a pipe
    open and hang the test instead of failing it.
    """

    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def finish(self) -> tuple[int, str]:
        """Wait for the run; its exit code and what it printed on stderr."""
        try:
            code = self.process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            pytest.fail("the run hung")
        self.log.seek(0)
        stderr = self.log.read().decode("utf-8", errors="replace")
        self.log.close()
        return code, stderr


def _start(study: Path, *args: str) -> _Run:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _Run.finish
    process = subprocess.Popen(
        command(study, *args), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
    )
    return _Run(process, log)


def _left_behind(pid: int) -> list[str]:
    """Live processes that the run started: its children, or anything in its process group."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text(encoding="utf-8", errors="replace")
        except OSError:  # the process ended while we looked
            continue
        name_end = text.rindex(")")
        state, ppid, group = text[name_end + 2 :].split()[:3]
        if state != "Z" and pid in (int(ppid), int(group)):
            found.append(text[: name_end + 1])
    return found


def _processes_after(pid: int) -> list[str]:
    """What is still running of the run, once a renderer it started had time to finish."""
    deadline = time.monotonic() + 30
    while (left := _left_behind(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _workers(pid: int) -> list[int]:
    """The run's forked figure workers: its children running the run's own command line."""
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    workers = []
    for child in children:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                workers.append(int(child))
    return workers


def _figure_workers(pid: int) -> list[int]:
    """The workers drawing the figures: forked by the run's drawing process, itself forked
    by the run before it reads the extract."""
    return [worker for child in _workers(pid) for worker in _workers(child)]


def _output(study: Path) -> Path:
    return study.parents[1] / "_output"


def _assert_tidy(study: Path) -> None:
    output = _output(study)
    assert list((output / STAGING).iterdir()) == []  # no run's folder left behind
    assert len(list((output / VERSIONS / "thyroid").iterdir())) == 1


def test_overlapping_runs_publish_one_whole_run(study: Path, smaller: Path) -> None:
    """Two extracts of one study at once: one run publishes, the other stops at once."""
    random = Random(SEED)
    for _ in range(2):
        full = _start(study)
        time.sleep(random.uniform(0.0, 3.0))
        small = _start(study, "--data", str(smaller))
        codes = {}
        for name, started in (("full", full), ("small", small)):
            code, stderr = started.finish()
            assert "Traceback" not in stderr
            assert code in (0, 5), stderr
            if code == 5:
                assert "another run" in stderr and "is publishing thyroid" in stderr
            codes[name] = code
        shown = patients_shown(_output(study) / "thyroid")
        assert 0 in codes.values()
        if codes["small"] != 0:
            assert shown == ALL_PATIENTS
        elif codes["full"] != 0:
            assert shown < ALL_PATIENTS
        _assert_tidy(study)


def test_killed_runs_leave_a_whole_output_and_no_process(study: Path, smaller: Path) -> None:
    random = Random(SEED + 1)
    for _ in range(4):
        extract = random.choice([(), ("--data", str(smaller))])
        started = _start(study, *extract)
        time.sleep(random.uniform(0.5, 15.0))
        started.process.kill()  # kill -9 of the run itself, not of its process group
        started.finish()
        assert _processes_after(started.pid) == []
        if (_output(study) / "thyroid").exists():
            patients_shown(_output(study) / "thyroid")
    done = run(study, "--data", str(smaller))
    assert done.returncode == 0, done.stderr
    assert patients_shown(_output(study) / "thyroid") < ALL_PATIENTS
    _assert_tidy(study)


def test_ctrl_c_keeps_the_previous_output_and_leaves_nothing(study: Path) -> None:
    """Ctrl-C while the figure workers draw (the terminal signals the whole process group)."""
    published = _output(study) / "thyroid"
    before = patients_shown(published) if published.exists() else None
    started = _start(study, "--no-cache")  # the figures are drawn, not taken from the cache
    while started.process.poll() is None and not _figure_workers(started.pid):
        time.sleep(0.02)
    _interrupted_cleanly(started, study, published, before)


def test_ctrl_c_while_the_extract_is_read(study: Path) -> None:
    """Ctrl-C as soon as the drawing process is forked: the run is reading and validating
    (importing pandas and pandera, whose finalisers may be what the signal interrupts)."""
    published = _output(study) / "thyroid"
    before = patients_shown(published) if published.exists() else None
    started = _start(study, "--no-cache")
    while started.process.poll() is None and not _workers(started.pid):
        time.sleep(0.01)
    _interrupted_cleanly(started, study, published, before)


def _interrupted_cleanly(started: _Run, study: Path, published: Path, before: object) -> None:
    """Ctrl-C to the run's process group (as the terminal sends it): exit 130 with its message,
    no traceback, the previous output as it was, nothing running, nothing staged."""
    os.killpg(started.pid, signal.SIGINT)
    code, stderr = started.finish()
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert code == 130, stderr
    assert "interrupted; the previous output is left as it was" in stderr
    if before is not None:
        assert patients_shown(published) == before
    assert _processes_after(started.pid) == []
    staging = _output(study) / STAGING
    assert not staging.exists() or list(staging.iterdir()) == []  # nothing staged left


def test_figure_workers_end_with_a_killed_run(study: Path) -> None:
    """kill -9 while the figures are drawn in forked workers: they exit by themselves."""
    started = _start(study, "--no-cache")  # the figures are drawn, not taken from the cache
    while started.process.poll() is None and not _workers(started.pid):
        time.sleep(0.05)
    workers = _workers(started.pid)
    started.process.kill()
    started.finish()
    assert workers, "the run ended before it forked its figure workers"
    assert _processes_after(started.pid) == []


FINALISER_INTERRUPTED = """
import sys, time, weakref
from cohortpress import cli
if sys.argv[1] == "kept":
    cli._keep_interrupts()
class Cached: pass
def finalise(_): raise KeyboardInterrupt  # Ctrl-C arriving while a finaliser runs
cached = Cached()
watch = weakref.ref(cached, finalise)
try:
    del cached
    for _ in range(200):
        time.sleep(0.005)
    print("went on")
except KeyboardInterrupt:
    print("stopped")
"""


@pytest.mark.parametrize(("hook", "expected"), [("kept", "stopped"), ("default", "went on")])
def test_an_interrupt_in_a_finaliser_stops_the_command(hook: str, expected: str) -> None:
    """Python cannot raise a Ctrl-C that lands in a weakref callback: by default it prints
    the exception with its traceback and goes on. The command line raises it again instead."""
    done = subprocess.run(
        [sys.executable, "-c", FINALISER_INTERRUPTED, hook], capture_output=True, text=True
    )
    assert done.stdout.strip() == expected
    assert ("Exception ignored" in done.stderr) == (hook == "default")
