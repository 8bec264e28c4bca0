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


@needs_fork
def test_the_analysis_compares_groups_without_scipy_stats_in_the_run() -> None:
    """In a process that ends with its run, scipy.stats is imported by the forked process
    only, and the comparison of Table I by groups is the one computed in the run's own
    process."""
    code = (
        "import pickle, sys\n"
        "from cohortpress import _gc\n"
        "from cohortpress.analyse import analyse\n"
        "from cohortpress.analyse._summaries import comparison\n"
        "from cohortpress.derive import derive_cohort\n"
        "from cohortpress.pipeline import check_workbook\n"
        f"config, workbook, _ = check_workbook({str(ROOT / 'reports/thyroid')!r})\n"
        "cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)\n"
        "_gc.for_this_process()\n"  # as cohortpress report: the process ends with the run
        "results = analyse(cohort, config)\n"
        "print('scipy.stats' in sys.modules)\n"
        "assert results.comparison is not None\n"
        "here = comparison(cohort, config)\n"  # NaN != NaN: compared as pickled
        "print(pickle.dumps(results.comparison) == pickle.dumps(here))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


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
    """The preview, a library caller: scipy.stats stays imported for the next runs."""
    code = (
        "import sys\n"
        "from cohortpress.analyse import analyse\n"
        "from cohortpress.derive import derive_cohort\n"
        "from cohortpress.pipeline import check_workbook\n"
        f"config, workbook, _ = check_workbook({str(ROOT / 'reports/thyroid')!r})\n"
        "cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)\n"
        "results = analyse(cohort, config)\n"
        "print('scipy.stats' in sys.modules, results.comparison is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
