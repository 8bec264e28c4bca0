"""Drawing and writing figures side by side, one worker process per core."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.artefacts.figures._layout import Panel
    from cohortpress.artefacts.figures._panels import PanelGrid


@dataclass(frozen=True)
class Drawing:
    """A built figure waiting to be drawn and written by ``save_figure``."""

    figure: Panel | PanelGrid
    stem: Path
    width: float
    height: float
    panels: int  # how long it takes, roughly: the slowest are started first


# Drawing is CPU-bound Python (matplotlib) that threads cannot share, so figures are
# drawn in worker processes, one per core. They are forked: a worker starts with matplotlib
# imported and the figures built, and finds its figure in _QUEUED by index (nothing is
# pickled but the index). Where fork is missing or unsafe (Windows; macOS, whose system
# libraries do not survive it) or there is one core or one figure, they are drawn one by one.
# A figure's bytes do not depend on the process that draws it.
_FORK = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
_QUEUED: list[Drawing] = []


def save_all(drawings: list[Drawing], dpi: int) -> None:
    """Draw and write every figure, the slowest first.

    An error is raised as it was raised in the worker (type and message), and it is the
    error of the first figure in ``drawings`` that failed, as when drawn one by one.
    """
    workers = min(len(drawings), _cores()) if _FORK else 1
    if workers < 2:
        for index in range(len(drawings)):
            _save_one(drawings, index, dpi)
        return
    global _QUEUED  # the workers read it
    _QUEUED = drawings
    slowest_first = sorted(range(len(drawings)), key=lambda i: -drawings[i].panels)
    # Ctrl-C waits until every worker is forked and the pool is running: interrupted half way,
    # the pool could neither finish nor shut down, and the run would hang on exit. The workers
    # inherit the blocked signal and ignore it (_follow_parent): Ctrl-C is the run's to handle.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        with ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_follow_parent,
            initargs=(os.getpid(),),
        ) as pool:
            try:
                futures = {i: pool.submit(_save_queued, i, dpi) for i in slowest_first}
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
                for index in range(len(drawings)):
                    futures[index].result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _QUEUED = []


def _follow_parent(parent: int) -> None:
    """In a worker: end with the run that forked it, even one killed with ``kill -9``.

    Linux kills the worker when its parent dies (``PR_SET_PDEATHSIG``); elsewhere a thread
    watches the parent's pid. Either way no worker outlives its run or holds the output lock.
    Ctrl-C is left to the run, which stops the pool and cleans up.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the worker could ask
        os._exit(1)


def _die_with_parent() -> bool:
    if sys.platform != "linux":
        return False
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _save_queued(index: int, dpi: int) -> None:
    """In a worker: draw and write the figure it inherited at ``index``."""
    _save_one(_QUEUED, index, dpi)


def _save_one(drawings: list[Drawing], index: int, dpi: int) -> None:
    from cohortpress.artefacts.figures import save_figure

    d = drawings[index]
    save_figure(d.figure, d.stem, width=d.width, height=d.height, dpi=dpi)


def _cores() -> int:
    """Cores this process may run on (its affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
