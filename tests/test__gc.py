"""The collector around a run: in a process that ends with its run, garbage collected and the
living frozen when a stage starts, everything handed back when the run ends, also when it
fails; in any other process, left as it is. In both, freed memory given back to the system
as a stage starts once the data are read."""

from __future__ import annotations

import contextlib
import gc
import weakref

import pytest

from cohortpress import _gc
from cohortpress._gc import freezing, unfrozen_after


@pytest.fixture
def ending(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test stands for a process that ends with its run (``cohortpress report``)."""
    monkeypatch.setitem(_gc._process, "freezes", True)


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def _recording(seen: list[str]):
    @contextlib.contextmanager
    def stage(name: str):
        seen.append(name)
        yield

    return stage


@pytest.mark.usefixtures("ending")
def test_a_stage_starts_with_the_garbage_collected_and_the_living_frozen() -> None:
    seen: list[str] = []
    garbage, alive = _Node(), _Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        with freezing(_recording(seen))("validate"):
            assert gone() is None  # collected, not frozen with the living
            assert gc.get_freeze_count() > 0
            assert gc.is_tracked(alive) and alive.me is alive
    finally:
        gc.unfreeze()
    assert seen == ["validate"]


@pytest.mark.usefixtures("ending")
@pytest.mark.parametrize("name", ["cache", "read"])
def test_stages_before_the_extract_is_read_freeze_without_collecting(name: str) -> None:
    """Nothing of the data exists yet, only the imports: no walk over them (70 ms)."""
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        with freezing(_recording([]))(name):
            assert gone() is not None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    gc.collect()
    assert gone() is None  # handed back when the run ends, and freed then


@pytest.mark.usefixtures("ending")
def test_the_run_unfreezes_whether_it_returns_or_fails() -> None:
    @unfrozen_after
    def run(fail: bool) -> str:
        with freezing(_recording([]))("read"):
            assert gc.get_freeze_count() > 0
        if fail:
            raise RuntimeError("the run failed")
        return "built"

    assert run(False) == "built"
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError, match="the run failed"):
        run(True)
    assert gc.get_freeze_count() == 0
    assert run.__name__ == "run"


@pytest.mark.usefixtures("ending")
def test_a_cycle_dying_after_its_freeze_is_collected_once_the_run_ends() -> None:
    @unfrozen_after
    def run() -> weakref.ref:
        late = _Node()
        with freezing(_recording([]))("analyse"):  # frozen while alive
            ref = weakref.ref(late)
        del late
        gc.collect()
        assert ref() is not None  # frozen: the collector does not see it
        return ref

    ref = run()
    gc.collect()
    assert ref() is None


def test_a_process_that_goes_on_freezes_nothing() -> None:
    seen: list[str] = []
    with freezing(_recording(seen))("tables"):
        assert gc.get_freeze_count() == 0
    assert seen == ["tables"]


@pytest.mark.parametrize("freezes", [True, False])
def test_what_a_stage_freed_is_given_back_once_the_data_are_read(
    monkeypatch: pytest.MonkeyPatch, freezes: bool
) -> None:
    """In every process, from the first stage after the reading (see cohortpress._memory)."""
    monkeypatch.setitem(_gc._process, "freezes", freezes)
    given: list[int] = []
    monkeypatch.setattr(_gc, "give_back", lambda: given.append(1))
    stage = freezing(_recording([]))
    try:
        for name in ("cache", "read"):
            with stage(name):
                pass
        assert given == []
        with stage("validate"):
            assert given == [1]
    finally:
        gc.unfreeze()
