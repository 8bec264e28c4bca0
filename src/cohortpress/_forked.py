"""Work done in a forked process while the run goes on, on the core the run leaves idle.

A forked process starts with the run's data as they are (nothing is pickled but what it sends
back), which suits long work with a small result: the comparison of a registry's Table I by
groups (:func:`forked`, from :func:`cohortpress.analyse.analyse`). The figures' drawer
(:mod:`cohortpress.artefacts.figures._parallel`) starts its processes the same way.

Where fork is missing or unsafe (Windows; macOS, whose system libraries do not survive it) or
there is one core, nothing is forked and the work is done where it is asked for.
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
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from cohortpress._memory import give_back

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from multiprocessing.connection import Connection

T = TypeVar("T")

FORK = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


class Forked(Generic[T]):
    """The result of a task started in a forked process (see :func:`forked`)."""

    def __init__(self, task: Callable[[], T], receiving: Connection | None) -> None:
        self._task = task
        self._receiving = receiving

    def result(self) -> T:
        """The task's value, waiting for the process. If the process did not give it (the task
        raised, its value could not be sent, the process died), the task runs here instead:
        its error is raised here, as when it was always done here."""
        receiving, self._receiving = self._receiving, None
        if receiving is not None:
            with contextlib.suppress(EOFError, OSError):
                given, value = receiving.recv()
                if given:
                    return value
        return self._task()


@contextlib.contextmanager
def forked(task: Callable[[], T], *, fork: bool = True) -> Iterator[Forked[T]]:
    """``task`` started now in a forked process (``fork=False``, without fork or a second
    core: run when its result is asked for).

    The task must only compute: it reads the run's data as they were when forked, writes no
    file, and its value must pickle. Leaving the block ends the process if it still runs (an
    error of the run, or Ctrl-C, before the result was asked for): it leaves nothing behind.
    Ctrl-C is the run's to handle: the process ignores it, as the figures' workers do.
    """
    if not (fork and FORK and cores() > 1):
        yield Forked(task, None)
        return
    give_back()  # what the run freed and its allocators keep would be the process's too
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    _widen(receiving)
    with sigint_blocked():
        process = context.Process(target=_compute, args=(task, sending, os.getpid()))
        process.start()
    sending.close()
    try:
        yield Forked(task, receiving)
    finally:
        receiving.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _compute(task: Callable[[], object], sending: Connection, parent: int) -> None:
    """In the forked process: send ``(True, value)``, or ``(False, None)`` when the task
    raised or its value cannot be sent; the run then computes it itself, for the error.
    Nothing is printed here: a run that has gone on without the value closed the pipe."""
    follow_parent(parent)
    given: tuple[bool, object] = (False, None)
    with contextlib.suppress(BaseException):  # raised again by the run, as its own
        given = (True, task())
    give_back()  # what the task freed, while the run takes its value
    with contextlib.suppress(OSError):
        try:
            sending.send(given)
        except OSError:
            raise
        except Exception:  # the value would not pickle: nothing of it was written
            sending.send((False, None))


def _widen(receiving: Connection) -> None:
    """A pipe of 1 MiB (Linux's largest for a process without privileges) instead of 64 KiB.

    The run takes a value on a thread while its main thread works, and each read of the pipe
    waits for the interpreter's lock, which the main thread gives up every 5 ms: a million
    patients' snapshot (125 MB of Parquet) took 3.2 s to arrive, the forked process holding
    1.2 GB meanwhile; sent to a thread beside a busy main thread, 10 s at 64 KiB and 0.84 s at
    1 MiB. Where the size cannot be set, the pipe stays as it is."""
    import fcntl

    with contextlib.suppress(AttributeError, OSError):  # not Linux; a lower limit
        fcntl.fcntl(receiving.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)


def memory_to_spare(*, times: float = 1.0) -> bool:
    """Whether the machine has ``times`` as much memory available as this process holds, so
    that a process forked to work meanwhile, holding memory of its own, does not push the
    machine into swap. Where this cannot be read (no ``/proc``), no."""
    try:
        info = Path("/proc/meminfo").read_text(encoding="ascii").splitlines()
        available = next(int(line.split()[1]) for line in info if line.startswith("MemAvailable:"))
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    except (OSError, StopIteration, ValueError, IndexError):
        return False
    return available * 1024 >= times * pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Ctrl-C waits until the block is left: a pool interrupted while it forks its workers
    could neither finish nor shut down, and the run would hang on exit. Forked processes
    inherit the blocked signal and ignore it (:func:`follow_parent`): Ctrl-C is the run's to
    handle."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def follow_parent(parent: int) -> None:
    """In a forked process: end with the run that forked it, even one killed with ``kill -9``.

    Linux kills the process when its parent dies (``PR_SET_PDEATHSIG``); elsewhere a thread
    watches the parent's pid. Either way no process outlives its run or holds the output lock.
    Ctrl-C is left to the run, which stops the process and cleans up.

    What the process inherited is frozen out of the garbage collector's sight: collecting
    would visit every object of the run, copying each page it touched (fork shares them).
    """
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the process could ask
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


def cores() -> int:
    """Cores this process may run on (its affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
