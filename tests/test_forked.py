"""Work done in a forked process gives what it gives when done here: its value, or its error
raised where it is asked for; leaving early ends the process."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cohortpress import _forked
from cohortpress._forked import forked

ROOT = Path(__file__).resolve().parents[1]
FORKS = _forked.FORK and _forked.cores() > 1
needs_fork = pytest.mark.skipif(not FORKS, reason="without fork or a second core nothing forks")


class _Refused(ValueError):
    """An error of the task, with a message the run prints."""


@pytest.mark.parametrize("fork", [True, False])
def test_the_value_is_the_one_computed_here(fork: bool) -> None:
    data = {"rows": list(range(1000))}  # read by fork, not pickled

    with forked(lambda: sum(data["rows"]), fork=fork) as value:
        assert value.result() == sum(range(1000))
    assert multiprocessing.active_children() == []


@needs_fork
def test_the_task_runs_in_another_process() -> None:
    import os

    with forked(os.getpid) as pid:
        assert pid.result() != os.getpid()


@pytest.mark.parametrize("fork", [True, False])
def test_an_error_of_the_task_is_raised_where_the_value_is_asked_for(fork: bool) -> None:
    def task() -> int:
        raise _Refused("patients, row 7, column age: not a number")

    refused = pytest.raises(_Refused, match="^patients, row 7, column age: not a number$")
    with forked(task, fork=fork) as value, refused:
        value.result()
    assert multiprocessing.active_children() == []


@needs_fork
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_a_large_value_arrives_through_a_wide_pipe() -> None:
    """A million patients' snapshot is 125 MB: through 64 KiB reads, each waiting for the
    interpreter's lock, it took seconds to reach the thread that takes it."""
    import fcntl

    payload = bytes(range(256)) * 40_000  # 10 MB
    with forked(lambda: payload) as value:
        receiving = value._receiving  # noqa: SLF001 - the pipe itself is what is checked
        assert receiving is not None
        assert fcntl.fcntl(receiving.fileno(), fcntl.F_GETPIPE_SZ) == 1 << 20
        assert value.result() == payload


@needs_fork
def test_a_value_that_does_not_pickle_is_computed_here() -> None:
    lock = threading.Lock()  # does not pickle

    with forked(lambda: lock) as value:
        assert value.result() is lock


@needs_fork
def test_leaving_before_the_value_is_asked_for_ends_the_process() -> None:
    import time

    failed = pytest.raises(RuntimeError, match="^the run failed$")
    with failed, forked(lambda: time.sleep(60)):
        raise RuntimeError("the run failed")
    assert multiprocessing.active_children() == []


def _analysed(*, ends_with_run: bool, fork_from: int | None = None) -> list[str]:
    """Analyse the thyroid study in a fresh process; print whether ``scipy.stats`` was
    imported, whether the comparison was forked, and whether it is the one computed here."""
    code = (
        "import pickle, sys\n"
        "import cohortpress._forked as forked_module\n"
        "import cohortpress.analyse as analyse_module\n"
        "from cohortpress import _gc\n"
        "from cohortpress.analyse._summaries import comparison\n"
        "from cohortpress.derive import derive_cohort\n"
        "from cohortpress.pipeline import check_workbook\n"
        f"config, workbook, _ = check_workbook({str(ROOT / 'reports/thyroid')!r})\n"
        "cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)\n"
        "asked = []\n"
        "real = forked_module.forked\n"
        "def recorded(task, *, fork=True):\n"
        "    asked.append(fork)\n"
        "    return real(task, fork=fork)\n"
        "forked_module.forked = recorded\n"
        + ("_gc.for_this_process()\n" if ends_with_run else "")  # as cohortpress report
        + (f"analyse_module.FORK_FROM = {fork_from}\n" if fork_from is not None else "")
        + "results = analyse_module.analyse(cohort, config)\n"
        "here = comparison(cohort, config)\n"  # NaN != NaN: compared as pickled
        "print('scipy.stats' in sys.modules, asked,"
        " pickle.dumps(results.comparison) == pickle.dumps(here))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_papers_comparison_is_computed_in_the_run_without_scipy_stats() -> None:
    """At paper size the comparison of Table I by groups takes milliseconds, less than forking:
    the run computes it itself, and no process imports scipy.stats (seconds of import for
    a Wilcoxon test, see analyse._compare)."""
    assert _analysed(ends_with_run=True) == ["False", "[False]", "True"]


@needs_fork
def test_a_registrys_comparison_is_forked_and_is_the_one_computed_here() -> None:
    """From FORK_FROM patients a run that ends with its command compares the groups in a
    forked process; what it takes from there is what the run computes itself."""
    assert _analysed(ends_with_run=True, fork_from=1) == ["False", "[True]", "True"]


@needs_fork
def test_ctrl_c_while_waiting_ends_the_process_and_is_raised() -> None:
    import os
    import signal
    import time

    interrupt = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt), forked(lambda: time.sleep(60)) as value:
        interrupt.start()
        value.result()
    assert multiprocessing.active_children() == []


def test_a_process_that_goes_on_compares_groups_itself() -> None:
    """The preview, a library caller: the comparison is computed in the process, whatever
    the cohort's size."""
    assert _analysed(ends_with_run=False, fork_from=1) == ["False", "[False]", "True"]
