"""Drawing and writing figures side by side, one worker process per core, while the run goes on.

A run hands its built figures to a :class:`Drawer` (:func:`start_drawer`): a process forked
before the analysis, which imports matplotlib meanwhile and, given the figures, draws them
(:func:`save_all`) while the run writes its tables and documents. The run waits for the files
only before they are rendered, and the process that runs it never imports matplotlib.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress._forked import FORK as _FORK
from cohortpress._forked import cores as _cores
from cohortpress._forked import follow_parent as _follow_parent
from cohortpress._forked import sigint_blocked as _sigint_blocked
from cohortpress._priority import run_behind

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
_QUEUED: list[Drawing] = []


def save_all(
    drawings: list[Drawing], dpi: int, suffixes: tuple[str, ...], behind: bool = False
) -> None:
    """Draw and write every figure as the files of ``suffixes``, the slowest first; ``behind``:
    the workers at a lower priority (see :class:`Drawer`).

    An error is raised as it was raised in the worker (type and message), and it is the
    error of the first figure in ``drawings`` that failed, as when drawn one by one.
    """
    workers = min(len(drawings), _cores()) if _FORK else 1
    if workers < 2:
        for index in range(len(drawings)):
            _save_one(drawings, index, dpi, suffixes)
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
            initializer=_start_worker,
            initargs=(os.getpid(), behind),
        ) as pool:
            try:
                futures = {i: pool.submit(_save_queued, i, dpi, suffixes) for i in slowest_first}
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
                for index in range(len(drawings)):
                    futures[index].result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _QUEUED = []


def _start_worker(parent: int, behind: bool) -> None:
    _follow_parent(parent)
    if behind:
        run_behind(os.getpid())


class Drawer:
    """Draws a run's figures in a process of its own (see :func:`start_drawer`), or, where
    there is none, one by one when they are waited for.

    ``behind``: the figures are read last, after the run's longest chain of work (an HTML
    page takes them once pandoc has written it), so their workers leave the cores to the
    run's process, which writes pandoc's input, and to pandoc; drawn at one priority with
    them, they took a third of the run's core while the documents were written.
    """

    def __init__(self, pool: ProcessPoolExecutor | None, *, behind: bool = False) -> None:
        self._pool = pool
        self._behind = behind
        # no process: drawn by wait()
        self._queued: tuple[list[Drawing], int, tuple[str, ...]] | None = None
        self._drawing: Future[None] | None = None

    def draw(self, drawings: list[Drawing], dpi: int, suffixes: tuple[str, ...]) -> None:
        """Start drawing and writing ``drawings`` as the files of ``suffixes`` (the PNG at
        ``dpi``); see :meth:`wait`."""
        if self._pool is None:
            self._queued = (drawings, dpi, suffixes)
        else:
            self._drawing = self._pool.submit(save_all, drawings, dpi, suffixes, self._behind)

    def abandon(self) -> None:
        """Forget what was handed to :meth:`draw`: the run failed before it needed the
        figures (its analysis raised after handing them over), and its own error is the one
        to raise, not a figure's. What is being drawn is finished when the drawer's process
        is shut down (see :func:`start_drawer`)."""
        self._queued = self._drawing = None

    def wait(self) -> None:
        """Return when every figure handed to :meth:`draw` is written; raise the error of
        the first that failed as :func:`save_all` raises it."""
        queued, self._queued = self._queued, None
        if queued is not None:
            save_all(*queued)
        drawing, self._drawing = self._drawing, None
        if drawing is not None:
            drawing.result()


def fork_drawer() -> ProcessPoolExecutor | None:
    """The drawer's process (see :func:`start_drawer`), forked now to import matplotlib; None
    where fork is missing or unsafe, or there is one core."""
    if not (_FORK and _cores() > 1):
        return None
    with _sigint_blocked():  # see save_all
        pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_follow_parent,
            initargs=(os.getpid(),),
        )
        pool.submit(_prepare)  # forks the process
    return pool


@contextlib.contextmanager
def drawing_process() -> Iterator[ProcessPoolExecutor | None]:
    """:func:`fork_drawer` for a block that hands the process to :func:`start_drawer`: a run
    forks it before it reads its extract, whose imports and parsing leave the other core idle.

    Leaving the block with an error or Ctrl-C before :func:`start_drawer` ended the process
    (a validation error, say) ends it at once: it has drawn nothing, and the error is not kept
    waiting for matplotlib's import.
    """
    pool = fork_drawer()
    try:
        yield pool
    except BaseException:
        if pool is not None:
            _end_now(pool)
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _end_now(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's process, if it still runs (once shut down, the pool has none)."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


@contextlib.contextmanager
def start_drawer(
    forked: ProcessPoolExecutor | None = None, *, behind: bool = False
) -> Iterator[Drawer]:
    """A :class:`Drawer` whose process is ``forked`` (by :func:`drawing_process`), or forked
    now, and imports matplotlib while this one goes on: started before the analysis, it uses
    the core the analysis leaves idle. ``behind``: see :class:`Drawer`.

    Where fork is missing or unsafe, or there is one core, no process is started and the
    figures are drawn one by one by :meth:`Drawer.wait`. Leaving with an error of the run, the
    figures handed over are finished first: a figure's error is raised instead, as when the
    figures were drawn before the documents were written. Ctrl-C: the figures not started are
    dropped, those being drawn are finished (as in :func:`save_all`), then it is raised.
    """
    pool: ProcessPoolExecutor | None = forked
    try:
        if pool is None:
            pool = fork_drawer()
        drawer = Drawer(pool, behind=behind)
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

    import cohortpress.artefacts.figures._km  # noqa: F401 - the figures' classes, unpickled
    import cohortpress.artefacts.figures._save  # noqa: F401 - matplotlib, Agg, the figure code
    import cohortpress.artefacts.figures._waterfall  # noqa: F401


def _save_queued(index: int, dpi: int, suffixes: tuple[str, ...]) -> None:
    """In a worker: draw and write the figure it inherited at ``index``."""
    _save_one(_QUEUED, index, dpi, suffixes)


def _save_one(drawings: list[Drawing], index: int, dpi: int, suffixes: tuple[str, ...]) -> None:
    from cohortpress.artefacts.figures import save_figure

    d = drawings[index]
    save_figure(d.figure, d.stem, width=d.width, height=d.height, dpi=dpi, suffixes=suffixes)
