"""Keep Python's cyclic garbage collector from walking the imported libraries again and again.

A first run imports its libraries stage by stage (pandera to validate, SciPy to analyse,
great_tables for the tables, matplotlib for the figures). Each time the objects that survive
collections grow by a quarter, the collector walks every object of the process: five full
collections at paper size, 0.4 s of CPU, which ``-X importtime`` shows as the "self" time of
whichever module was loading (``tables._builders``, ``present.numbers``, ``config``); the
figure workers, forked from the run, walked their copy of it again.

So when a stage starts, the garbage is collected and what is left alive is frozen
(``gc.freeze``): later collections skip it, and each object is walked about once in a run
instead of once per full collection. The collection before each freeze keeps garbage from
being frozen (a pandas column that used ``.str`` or ``.dt`` is a reference cycle: without any
collection, a run of a million patients peaked 50–70 MB higher). Frozen objects are still
freed when nothing refers to them; a cycle that becomes garbage after its freeze waits until
the run ends and ``gc.unfreeze`` hands it back to the collector. Peak memory at 100,000 and
1,000,000 patients was unchanged by the freezing.

Before the extract is read (the "cache" and "read" stages) there is no such garbage yet, only
the imported libraries, so those stages freeze without collecting: the two walks found 4
objects to free and cost 70 ms of the run's own process, before it hands the figures over.

Only a process that ends with its run freezes (:func:`for_this_process`: ``cohortpress
report`` and the bench's runs). In a process that goes on (the preview, the tests, a library
caller), the objects handed back after a run would cost a full collection soon after, in
whatever runs next, so nothing is frozen there and the collector works as usual.

The same hook hands what the stage before freed back to the system, in every process
(:mod:`cohortpress._memory`): after the collection, which frees the cycles' memory too.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from cohortpress._memory import give_back

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cohortpress.pipeline import StageHook

P = ParamSpec("P")
R = TypeVar("R")

_process = {"freezes": False}
_BEFORE_THE_DATA = frozenset({"cache", "read"})  # stages that start before the extract is read


def for_this_process() -> None:
    """Freeze as stages start from now on: the process ends when its run does."""
    _process["freezes"] = True


def ends_with_its_run() -> bool:
    """Whether this process ends when its run does (it called :func:`for_this_process`)."""
    return _process["freezes"]


def freezing(stage: StageHook) -> StageHook:
    """``stage``, collecting the garbage and freezing what is alive when each stage starts
    (in a process that asked for it), and handing what the stage before freed back to the
    system (:func:`cohortpress._memory.give_back`, in every process)."""
    freezes = _process["freezes"]

    @contextlib.contextmanager
    def frozen(name: str) -> Iterator[None]:
        with stage(name):  # the collection's time counts in the stage
            if name not in _BEFORE_THE_DATA:
                if freezes:
                    gc.collect()  # over what was made since the last freeze only
                give_back()
            if freezes:
                gc.freeze()
            yield

    return frozen


def unfrozen_after(run: Callable[P, R]) -> Callable[P, R]:
    """``run``, handing every frozen object back to the collector when it returns or fails,
    so that no garbage is kept should the process build another report."""

    @functools.wraps(run)
    def unfreezing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return run(*args, **kwargs)
        finally:
            gc.unfreeze()

    return unfreezing
