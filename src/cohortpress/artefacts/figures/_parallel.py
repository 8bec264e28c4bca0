"""Drawing and writing figures side by side, one worker process per core, while the run goes on.

A run hands its built figures to a :class:`Drawer` (:func:`start_drawer`): a process forked
before the analysis, which imports matplotlib meanwhile and, given the figures, draws them
(:func:`save_all`) while the run writes its tables and documents. The run waits for the files
only before they are rendered, and the process that runs it never imports matplotlib.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
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
    from collections.abc import Iterator
    from concurrent.futures import Future
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
# pickled but the index; the built figures reach a Drawer's process pickled, some kB). Where
# fork is missing or unsafe (Windows; macOS, whose system libraries do not survive it) or
# there is one core or one figure, they are drawn one by one. A figure's bytes do not depend
# on the process that draws it.
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


class Drawer:
    """Draws a run's figures in a process of its own (see :func:`start_drawer`), or, where
    there is none, one by one when they are waited for."""

    def __init__(self, pool: ProcessPoolExecutor | None) -> None:
        self._pool = pool
        self._queued: tuple[list[Drawing], int] | None = None  # no process: drawn by wait()
        self._drawing: Future[None] | None = None

    def draw(self, drawings: list[Drawing], dpi: int) -> None:
        """Start drawing and writing ``drawings`` (PNG and SVG at ``dpi``); see :meth:`wait`."""
        if self._pool is None:
            self._queued = (drawings, dpi)
        else:
            self._drawing = self._pool.submit(save_all, drawings, dpi)

    def wait(self) -> None:
        """Return when every figure handed to :meth:`draw` is written; raise the error of
        the first that failed as :func:`save_all` raises it."""
        queued, self._queued = self._queued, None
        if queued is not None:
            save_all(*queued)
        drawing, self._drawing = self._drawing, None
        if drawing is not None:
            drawing.result()


@contextlib.contextmanager
def start_drawer() -> Iterator[Drawer]:
    """A :class:`Drawer` whose process is forked now and imports matplotlib while this one
    goes on: started before the analysis, it uses the core the analysis leaves idle.

    Where fork is missing or unsafe, or there is one core, no process is started and the
    figures are drawn one by one by :meth:`Drawer.wait`. Leaving with an error of the run, the
    figures handed over are finished first: a figure's error is raised instead, as when the
    figures were drawn before the documents were written. Ctrl-C: the figures not started are
    dropped, those being drawn are finished (as in :func:`save_all`), then it is raised.
    """
    pool: ProcessPoolExecutor | None = None
    try:
        if _FORK and _cores() > 1:
            with _sigint_blocked():  # see save_all
                pool = ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_follow_parent,
                    initargs=(os.getpid(),),
                )
                pool.submit(_prepare)  # forks the process
        drawer = Drawer(pool)
        try:
            yield drawer
        except Exception:
            drawer.wait()
            raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _prepare() -> None:
    """In the drawer's process, while the run analyses: import what drawing needs, so that
    the workers it forks (:func:`save_all`) start with it."""
    import matplotlib.backends.backend_svg  # noqa: F401 - loaded by the first SVG otherwise
    import PIL.PngImagePlugin  # noqa: F401 - loaded by the first PNG otherwise

    import cohortpress.artefacts.figures._save  # noqa: F401 - matplotlib, Agg, the figure code


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Ctrl-C waits until the block is left: a pool interrupted while it forks its workers
    could neither finish nor shut down, and the run would hang on exit. Forked workers inherit
    the blocked signal and ignore it (:func:`_follow_parent`): Ctrl-C is the run's to handle."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _follow_parent(parent: int) -> None:
    """In a worker: end with the run that forked it, even one killed with ``kill -9``.

    Linux kills the worker when its parent dies (``PR_SET_PDEATHSIG``); elsewhere a thread
    watches the parent's pid. Either way no worker outlives its run or holds the output lock.
    Ctrl-C is left to the run, which stops the pool and cleans up.

    What the worker inherited is frozen out of the garbage collector's sight: collecting
    would visit every object of the run, copying each page it touched (fork shares them).
    """
    gc.freeze()
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
