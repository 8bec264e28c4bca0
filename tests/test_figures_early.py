"""The figures' data leave the analysis first: a run draws its survival curves while the rest
of the analysis, the tables and the documents are made, and nothing else changes."""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cohortpress.analyse import FigureData, analyse
from cohortpress.analyse import _summaries as summaries
from cohortpress.analyse import _survival as survival
from cohortpress.artefacts.figures import _parallel
from cohortpress.derive import derive_cohort
from cohortpress.pipeline import build_report, check_workbook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cohortpress.config import StudyConfig
    from cohortpress.derive import Cohort

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def thyroid() -> tuple[Cohort, StudyConfig]:
    config, workbook, _ = check_workbook(ROOT / "reports/thyroid")
    return derive_cohort(workbook.patients, workbook.adverse_events, config), config


def test_the_figure_data_come_first_and_are_the_results(
    thyroid: tuple[Cohort, StudyConfig],
) -> None:
    cohort, config = thyroid
    calls: list[object] = []
    results = analyse(cohort, config, meanwhile=lambda: calls.append("meanwhile"),
                      figure_data=calls.append)  # fmt: skip
    data = calls[0]
    assert isinstance(data, FigureData) and calls[1:] == ["meanwhile"]  # before the rest ends
    assert (data.n, data.time_unit) == (results.n, results.time_unit)
    assert data.conventions == results.conventions
    # NaN != NaN: compared as pickled
    assert pickle.dumps(data.endpoints) == pickle.dumps(results.endpoints)
    assert pickle.dumps(data.waterfall) == pickle.dumps(results.waterfall)
    assert pickle.dumps(analyse(cohort, config)) == pickle.dumps(results)


class _First(ValueError):
    pass


class _Second(ValueError):
    pass


def _raising(error: type[Exception]) -> Callable[..., None]:
    """A stand-in for an analysis step that fails."""

    def step(*_: object) -> None:
        raise error("refused")

    return step


def test_an_earlier_parts_error_is_still_raised_first(
    thyroid: tuple[Cohort, StudyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoints are computed ahead of their turn; Table I's error, computed before them
    in the results' order, is the one raised, and no figure is started."""
    cohort, config = thyroid
    monkeypatch.setattr(summaries, "characteristics", _raising(_First))
    monkeypatch.setattr(survival, "endpoint_results", _raising(_Second))
    started: list[FigureData] = []
    with pytest.raises(_First):
        analyse(cohort, config, figure_data=started.append)
    assert started == []


def test_an_endpoints_error_is_raised_in_its_place(
    thyroid: tuple[Cohort, StudyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    cohort, config = thyroid
    monkeypatch.setattr(survival, "endpoint_results", _raising(_Second))
    monkeypatch.setattr(summaries, "response", _raising(_First))  # after the endpoints
    started: list[FigureData] = []
    with pytest.raises(_Second):
        analyse(cohort, config, figure_data=started.append)
    assert started == []


class _Recording:
    """A stage hook that remembers the stage in which the figures were handed to the drawer."""

    def __init__(self) -> None:
        self.current: list[str] = []
        self.drawn_in: list[str] = []

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.current.append(name)
        try:
            yield
        finally:
            self.current.pop()


def test_a_run_hands_its_figures_over_during_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = _Recording()
    draw = _parallel.Drawer.draw

    def recorded(self: _parallel.Drawer, *args: object, **kwargs: object) -> None:
        hook.drawn_in.append(hook.current[-1] if hook.current else "")
        draw(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_parallel.Drawer, "draw", recorded)
    monkeypatch.chdir(ROOT)
    built = build_report("reports/thyroid", formats=("html",), output_root=tmp_path,
                         hook=hook, cache=False, archive=False)  # fmt: skip
    assert hook.drawn_in == ["analyse"]
    assert sorted(p.name for p in (built.folder / "figures").iterdir()) == [
        "os-by.svg", "survival.svg", "ttf-by.svg",  # HTML alone: the SVG
    ]  # fmt: skip


def test_an_analysis_error_after_the_handover_is_the_runs_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures were handed over, and their drawing fails; the analysis then fails too.
    The run reports the analysis' error, as when the figures were drawn after it."""

    def failing(*_: object) -> None:
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(_parallel, "_save_one", failing)
    monkeypatch.setattr(summaries, "response", _raising(_First))  # after the endpoints
    monkeypatch.chdir(ROOT)
    with pytest.raises(_First):
        build_report("reports/thyroid", formats=("html",), output_root=tmp_path,
                     cache=False, archive=False)  # fmt: skip


# Builds the thyroid study's figures, then, in a fresh process as the drawing process starts
# (forked before the run imports pandas), prepares to draw and unpickles them: prints whether
# pandas was imported there.
_DRAWER_SCRIPT = """
import pickle, sys
data = sys.stdin.buffer.read()
from cohortpress.artefacts.figures import _parallel
_parallel._prepare()
drawings = pickle.loads(data)
assert drawings and all(d.figure is not None for d in drawings)
print("pandas" in sys.modules)
"""


def test_the_drawing_process_needs_no_pandas(
    thyroid: tuple[Cohort, StudyConfig], tmp_path: Path
) -> None:
    """The drawing process is forked before the run has imported pandas, so that its import of
    matplotlib uses the core the run's own imports leave idle; the figures it is handed must
    unpickle without pandas (half a second of import, at the moment the figures wait for it)."""
    import subprocess
    import sys

    from cohortpress.artefacts._figures import build_figures

    cohort, config = thyroid
    _, drawings = build_figures(analyse(cohort, config), config, tmp_path, width=7.0, height=3.6)
    done = subprocess.run(
        [sys.executable, "-c", _DRAWER_SCRIPT],
        input=pickle.dumps(drawings),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().split() == ["False"]
