"""Manuscript figures: baseline images plus checks of what each figure shows.

Image tests follow matplotlib's own: DejaVu Sans (shipped with matplotlib), a fixed 72 dpi,
``matplotlib.testing.compare.compare_images`` with a tolerance; the drawn image and a copy of
the baseline go to ``tests/result_images/test_figures/`` for inspection. ``make test-update``
(``--snapshot-update``) rewrites the baselines; look at them before committing.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import PIL.Image
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath
from matplotlib.testing.compare import compare_images
from matplotlib.transforms import Bbox

from cohortpress._priority import BEHIND
from cohortpress.analyse import analyse
from cohortpress.analyse._km import km_estimate, risk_table
from cohortpress.analyse._results import KMEstimate, QuantileEstimate, RiskTable
from cohortpress.analyse._status import TermStatus
from cohortpress.artefacts import FIGURE_SUFFIXES, figures
from cohortpress.artefacts._figures import _annotation, by_figures
from cohortpress.artefacts._figures import build_figures as figures_of_study
from cohortpress.artefacts.figures import (
    KMFigure,
    WaterfallFigure,
    _parallel,
    _save,
    draw_figure,
    figure_km,
    figure_panels,
    figure_waterfall,
    save_figure,
    theme_manuscript,
)
from cohortpress.artefacts.figures import _annotate as annotate
from cohortpress.artefacts.figures import _km as km_figure
from cohortpress.artefacts.figures import _km_data as km_data
from cohortpress.artefacts.figures._panels import PanelGrid
from cohortpress.artefacts.figures._theme import group_colours
from cohortpress.derive import derive_cohort
from cohortpress.pipeline import check_workbook
from cohortpress.present.wording import curve_names, survival_axis_title

if TYPE_CHECKING:
    from collections.abc import Callable

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from cohortpress.analyse import StudyResults
    from cohortpress.config import StudyConfig

HERE = Path(__file__).parent
ROOT = HERE.parent
BASELINES = HERE / "baseline_images" / "test_figures"
RESULTS = HERE / "result_images" / "test_figures"
TOLERANCE = 2
DPI = 72
DAYS = (0.0, 500.0, 1000.0, 1500.0, 2000.0)
NO_DRAWING_WARNINGS = pytest.mark.filterwarnings("error::UserWarning")  # matplotlib's kind


# --- data -----------------------------------------------------------------------------------


def _cohort(seed: int, n: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Whole days to an exponential event, censored by uniform entry before the cutoff."""
    rng = np.random.default_rng(seed)
    event_time, censor_time = rng.exponential(scale, n), rng.uniform(100, 2200, n)
    return np.ceil(np.minimum(event_time, censor_time)), event_time <= censor_time


def _groups(seed: int, marker: str) -> tuple[list[KMEstimate], RiskTable]:
    """Two groups of 13 (high and low marker), as in Figures 2–3 of the thyroid paper."""
    data = {f"{marker} high": _cohort(seed, 13, 1800), f"{marker} low": _cohort(seed + 99, 13, 600)}
    estimates = [km_estimate(t, e, label=label) for label, (t, e) in data.items()]
    return estimates, risk_table(estimates, DAYS)


def _overall(seed: int = 3) -> tuple[list[KMEstimate], RiskTable]:
    time, event = _cohort(seed, 26, 1000)
    estimates = [km_estimate(time, event, label="All patients")]
    return estimates, risk_table(estimates, DAYS)


def _km(estimates: list[KMEstimate], risk: RiskTable, **kwargs: Any) -> KMFigure:
    options = {"time_label": "Time (days)", "ylabel": "Overall survival", **kwargs}
    return figure_km(estimates, risk=risk, **options)


def _responses(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Best responses with changes consistent with RECIST 1.1 (renal paper, Figure 1)."""
    rng = np.random.default_rng(seed)
    response = rng.choice(["CR", "PR", "SD", "PD"], n, p=[0.05, 0.33, 0.52, 0.10])
    by_response = {"CR": (-100, -100), "PR": (-85, -30), "SD": (-29, 19), "PD": (20, 90)}
    change = np.array([rng.uniform(*by_response[r]) for r in response]).round(1)
    return change, response


def _drawn(fig: object, width: float, height: float) -> Figure:
    """The laid-out matplotlib figure, as ``save_figure`` draws it."""
    figure = draw_figure(fig, width, height, DPI)  # pyright: ignore[reportArgumentType]
    figure.canvas.draw()
    return figure


# --- baseline images ------------------------------------------------------------------------


def _assert_image(request: pytest.FixtureRequest, fig: object, name: str, size: tuple) -> None:
    """Compare the PNG that ``save_figure`` would write (the SVG is left to its own test)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    actual = RESULTS / f"{name}.png"
    draw_figure(fig, *size, DPI).savefig(actual, dpi=DPI, metadata={"Software": None})
    expected = BASELINES / f"{name}.png"
    if request.config.getoption("--snapshot-update", default=False):
        BASELINES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(actual, expected)
    assert expected.exists(), f"no baseline {expected}; `make test-update` writes it"
    shutil.copyfile(expected, RESULTS / f"{name}-expected.png")
    error = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert error is None, error


@NO_DRAWING_WARNINGS
def test_km_two_groups_image(request: pytest.FixtureRequest) -> None:
    estimates, risk = _groups(1, "LMR")
    note = "Median 1,077 vs 283 days\nHR 0.31 (95% CI 0.11–0.86)\nLog-rank p = 0.019"
    fig = _km(estimates, risk, annotation=note, panel="A")
    _assert_image(request, fig, "km_two_groups", (3.5, 3.6))


@NO_DRAWING_WARNINGS
def test_km_panels_2x2_image(request: pytest.FixtureRequest) -> None:
    panels = [
        _km(*_groups(seed, marker), annotation="Log-rank p = 0.42", panel=letter)
        for seed, marker, letter in zip(
            (1, 2, 3, 4), ("ALC", "NLR", "PLR", "LMR"), "ABCD", strict=True
        )
    ]
    _assert_image(request, figure_panels(panels, ncol=2), "km_panels_2x2", (7.0, 7.2))


@NO_DRAWING_WARNINGS
def test_km_overall_image(request: pytest.FixtureRequest) -> None:
    fig = _km(*_overall(), annotation="Median 543 days\n(95% CI 355–1,882)", panel="B")
    _assert_image(request, fig, "km_overall", (3.5, 3.6))


@NO_DRAWING_WARNINGS
def test_waterfall_image(request: pytest.FixtureRequest) -> None:
    _assert_image(request, figure_waterfall(*_responses(42)), "waterfall", (7.0, 2.9))


@NO_DRAWING_WARNINGS
def test_waterfall_binned_image(request: pytest.FixtureRequest) -> None:
    fig = figure_waterfall(*_responses(1000), max_bars=100)
    _assert_image(request, fig, "waterfall_binned", (7.0, 2.9))


# --- Kaplan–Meier structure -----------------------------------------------------------------


def test_public_names_resolve() -> None:
    assert all(getattr(figures, name, None) is not None for name in figures.__all__)


def test_theme_is_classic_with_journal_text() -> None:
    th = theme_manuscript(base_size=10)
    rc = th.rc()
    assert rc["xtick.labelsize"] == rc["ytick.labelsize"] == pytest.approx(9)
    assert not rc["axes.spines.top"] and not rc["axes.spines.right"] and not rc["axes.grid"]
    assert th.legend_position == "top"
    assert th.tag == pytest.approx(13)


def test_curve_starts_at_one_and_steps_at_each_event_time() -> None:
    (estimate,), _ = _overall()
    curve = km_data.curve_frame([estimate], 2500)
    events = estimate.table[estimate.table["n_event"] > 0]
    assert (curve["time"].iloc[0], curve["surv"].iloc[0]) == (0.0, 1.0)
    assert curve["time"].iloc[1:-1].tolist() == events["time"].tolist()
    assert curve["surv"].iloc[1:-1].tolist() == events["surv"].tolist()
    last = estimate.table.iloc[-1]
    assert (curve["time"].iloc[-1], curve["surv"].iloc[-1]) == (last["time"], last["surv"])


def _marks(figure: Figure) -> np.ndarray:
    """Data coordinates of the censoring marks drawn on the curve panel."""
    km_ax = figure.axes[0]
    return np.vstack([c.get_offsets() for c in km_ax.collections if isinstance(c, PathCollection)])


@NO_DRAWING_WARNINGS
def test_one_censor_mark_per_censored_time_at_the_curve() -> None:
    estimates, risk = _groups(2, "NLR")
    marks = _marks(_drawn(_km(estimates, risk), 3.5, 3.6))
    censored = pd.concat(e.table[e.table["n_censor"] > 0] for e in estimates)
    assert len(marks) == len(censored) > 0  # no two fall in one cell of the mark grid
    np.testing.assert_array_equal(marks, censored[["time", "surv"]].to_numpy())


def test_censor_marks_can_be_left_out() -> None:
    figure = _drawn(_km(*_groups(2, "NLR"), censor_marks=False), 3.5, 3.6)
    assert not [c for c in figure.axes[0].collections if isinstance(c, PathCollection)]


def test_median_guides_reach_each_median() -> None:
    estimates, _ = _groups(1, "LMR")
    medians = [e.median.estimate for e in estimates]
    segments = km_data.median_segments(estimates)
    assert segments.iloc[0].tolist() == [0.0, 0.5, max(medians), 0.5]
    assert segments["x"].iloc[1:].tolist() == medians
    assert (segments["yend"].iloc[1:] == 0).all()


@NO_DRAWING_WARNINGS
def test_risk_table_prints_the_risk_table_under_the_ticks() -> None:
    estimates, risk = _groups(1, "LMR")
    figure = _drawn(_km(estimates, risk), 3.5, 3.6)
    km_ax, table_ax = figure.axes
    texts = sorted(table_ax.texts, key=lambda t: (-t.get_position()[1], t.get_position()[0]))
    expected = [str(n) for label in risk.n_risk for n in risk.n_risk[label]]
    assert [t.get_text() for t in texts] == expected
    tick_x = [km_ax.transData.transform((t, 0))[0] for t in risk.times]
    text_x = [table_ax.transData.transform(t.get_position())[0] for t in texts]
    np.testing.assert_allclose(text_x, tick_x * len(risk.n_risk), atol=0.5)  # pixels


@NO_DRAWING_WARNINGS
def test_a_registry_panel_stays_readable() -> None:
    """Thousands of censored patients: no band of + marks; six-digit counts: every other
    tick, each count whole (not clipped by the panel) and clear of its neighbours."""
    time, event = _cohort(5, 200_000, 1000)
    estimates = [km_estimate(time, event, label="All patients")]
    risk = risk_table(estimates, DAYS)
    assert not km_data.marks_readable(estimates)
    figure = _drawn(_km(estimates, risk), 3.5, 3.6)
    km_ax, table_ax = figure.axes
    assert not [c for c in km_ax.collections if isinstance(c, PathCollection)]
    shown = km_data.readable_times(risk.times, risk)
    assert shown == list(DAYS[::2])
    assert [t.get_text() for t in table_ax.texts] == [
        f"{n:,}" for n, t in zip(risk.n_risk["All patients"], DAYS, strict=True) if t in shown
    ]
    assert not any(t.get_clip_on() for t in table_ax.texts)
    boxes = sorted((t.get_window_extent() for t in table_ax.texts), key=lambda b: b.x0)
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_a_paper_sized_panel_keeps_every_tick_and_mark() -> None:
    estimates, risk = _groups(1, "LMR")
    assert km_data.marks_readable(estimates)
    assert km_data.readable_times(risk.times, risk) == list(risk.times)


@NO_DRAWING_WARNINGS
def test_risk_table_keeps_its_height_while_the_curves_grow() -> None:
    fig = _km(*_groups(1, "LMR"))

    def heights(height: float) -> list[float]:
        figure = _drawn(fig, 3.5, height)
        return [ax.get_position().height * height for ax in figure.axes]

    (km_short, table_short), (km_tall, table_tall) = heights(3.6), heights(6.0)
    assert table_short == pytest.approx(table_tall, rel=0.1)  # margins scale with the figure
    assert table_short < 0.25 * km_short
    assert km_tall - km_short == pytest.approx(2.4, abs=0.05)


def test_panels_fill_an_incomplete_row_and_draw_a_panel_in_each_place() -> None:
    panel = _km(*_overall())
    grid = figure_panels([panel, panel, panel], ncol=2)
    assert [len(row) for row in grid.rows] == [2, 2]
    assert grid.rows[1][1] is None
    figure = _drawn(grid, 7.0, 7.2)
    assert len(figure.axes) == 3 * 2  # curves and table of each panel; none for the blank
    lefts = sorted({round(ax.get_position().x0, 6) for ax in figure.axes})
    assert len(lefts) == 2  # axes aligned in two columns


def test_stacking_below_a_km_figure_keeps_curves_and_table_together() -> None:
    panel = _km(*_overall())
    figure = _drawn(figure_panels([panel, figure_waterfall(*_responses(12))], ncol=1), 7, 7)
    curves, table, bars = (ax.get_position() for ax in figure.axes)
    assert curves.y0 > table.y1 > table.y0 > bars.y1
    assert table.y1 > curves.y0 - 0.1  # the table right under its curves


def test_registry_sized_estimate_draws_from_a_bounded_number_of_points() -> None:
    n = 300_000
    rng = np.random.default_rng(5)
    time, event = np.sort(rng.exponential(20.0, n)), rng.random(n) < 0.7
    surv = np.cumprod(1 - event / np.arange(n, 0, -1))
    table = pd.DataFrame(
        {"time": time, "n_event": event.astype(int), "n_censor": (~event).astype(int), "surv": surv}
    )
    median = QuantileEstimate(0.5, None, None, None)
    estimate = KMEstimate("Registry", n, int(event.sum()), table, median, (), "log-log", 0.95)
    curve = km_data.curve_frame([estimate], float(time[-1]))
    marks = km_data.censor_frame([estimate], float(time[-1]))
    assert len(curve) <= km_data.TIME_RESOLUTION + 2
    assert len(marks) <= 2 * km_data.MARK_RESOLUTION
    assert curve.iloc[-1].tolist()[1:] == [time[-1], surv[-1]]


def test_annotation_goes_where_no_curve_is() -> None:
    slow = pd.DataFrame({"group": "a", "time": [0.0, 900.0, 1000.0], "surv": [1.0, 0.9, 0.9]})
    fast = pd.DataFrame({"group": "a", "time": [0.0, 50.0, 1000.0], "surv": [1.0, 0.1, 0.1]})
    none = km_data.median_segments([])
    assert km_data.free_corner(fast, none, 1000.0, "p = 0.02").ha == "right"
    assert km_data.free_corner(fast, none, 1000.0, "p = 0.02").va == "top"
    assert km_data.free_corner(slow, none, 1000.0, "p = 0.02").va == "bottom"


@pytest.mark.parametrize("ncol", [1, 2])
def test_the_time_axis_title_is_wrapped_to_the_width_under_the_axes(ncol: int) -> None:
    """On as few lines as fit under the axes: one under a full-width panel, more under a
    half-width one; every line within the axes' width."""
    title = "Time from the start of first-line pembrolizumab (months)"
    panels = [_km(*_overall(), time_label=title, panel="AB"[i]) for i in range(ncol)]
    figure = _drawn(figure_panels(panels, ncol=ncol), 7, 5)
    renderer = figure.canvas.get_renderer()  # pyright: ignore[reportAttributeAccessIssue]
    curves = [ax for ax in figure.axes if ax.get_xlabel()]  # not the risk tables' axes
    assert len(curves) == ncol
    for ax in curves:
        label = ax.xaxis.label
        assert label.get_text().replace("\n", " ") == title
        assert label.get_text().count("\n") == ncol - 1
        assert label.get_window_extent(renderer).width <= ax.get_window_extent(renderer).width


def test_a_legend_too_wide_for_a_half_page_panel_lists_a_group_per_line() -> None:
    assert km_figure._legend_width(["LMR high", "LMR low"]) < km_figure.LEGEND_INCHES
    assert km_figure._legend_width(["Favourable", "Intermediate", "Poor"]) > km_figure.LEGEND_INCHES


def _curve_paths(ax: Axes) -> list[MplPath]:
    """The drawn step curves (solid or not, but not the grey median guides) in pixels."""
    paths = []
    for line in ax.get_lines():
        if line.get_color() == km_figure.REFERENCE_LINE:
            continue
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        steps = np.c_[np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]]  # as drawstyle steps-post
        paths.append(MplPath(ax.transData.transform(steps)))
    return paths


def _assert_annotation_covers_no_curve(figure: Figure) -> None:
    km_ax = figure.axes[0]
    (text,) = km_ax.texts
    box = text.get_window_extent()
    assert box.width > 0 and box.height > 0
    paths = _curve_paths(km_ax)
    assert paths
    crossed = [i for i, path in enumerate(paths) if path.intersects_bbox(box, filled=False)]
    assert not crossed, f"{text.get_text()!r} crosses curve {crossed}"
    for marks in (c for c in km_ax.collections if isinstance(c, PathCollection)):
        points = km_ax.transData.transform(marks.get_offsets())
        assert not box.count_contains(points)
    inside = km_ax.get_window_extent()
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
    assert box.y1 <= inside.y1


@pytest.fixture(scope="module")
def thyroid() -> tuple[StudyConfig, StudyResults]:
    config, workbook, report = check_workbook(ROOT / "reports" / "thyroid")
    assert report.ok
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
    return config, analyse(cohort, config)


def _os_by(results: StudyResults, factors: int) -> StudyResults:
    """The thyroid results with ``factors`` factors for OS: its four markers, repeated."""
    os_ = next(e for e in results.endpoints if e.kind == "os")
    by = (os_.by * -(-factors // len(os_.by)))[:factors]
    endpoints = tuple(dataclasses.replace(e, by=by) if e is os_ else e for e in results.endpoints)
    return dataclasses.replace(results, endpoints=endpoints)


@pytest.mark.parametrize(
    ("factors", "ncol", "height", "caption"),
    [
        (1, 1, 5.0, "according to baseline ALC in patients"),
        (2, 2, 5.0, "according to baseline (A) ALC, (B) NLR in patients"),
        (3, 2, 10.0, "according to baseline (A) ALC, (B) NLR, (C) PLR in patients"),
        (4, 2, 10.0, "according to baseline (A) ALC, (B) NLR, (C) PLR, (D) LMR in patients"),
    ],
)
def test_a_figure_by_factor_has_a_row_of_two_panels_as_tall_as_the_survival_figure(
    thyroid: tuple, tmp_path: Path, factors: int, ncol: int, height: float, caption: str
) -> None:
    """One factor is one panel drawn as the survival figure is, with no letter: a lone "A" and
    a half-width panel stretched over two rows' height read as a figure cut in half."""
    config, results = thyroid
    specs, drawings = figures_of_study(
        _os_by(results, factors), config, tmp_path, width=7.0, height=5.0
    )
    drawing = next(d for d in drawings if d.stem.name == "os-by")
    assert isinstance(drawing.figure, PanelGrid)
    assert (drawing.figure.ncol, drawing.width, drawing.height) == (ncol, 7.0, height)
    letters = [getattr(cell, "panel", None) for cell in drawing.figure.cells if cell is not None]
    assert letters == ([None] if factors == 1 else list("ABCD"[:factors]))
    assert caption in next(s.caption for s in specs if s.id == "os-by")
    assert not [d for d in drawings if d.stem.name.startswith("os-by-")]


@pytest.mark.parametrize(
    ("factors", "figures"),
    [(5, [3, 2]), (8, [4, 4]), (9, [3, 3, 3]), (13, [4, 3, 3, 3])],
)
def test_more_than_four_factors_are_shared_out_over_figures_of_full_size_panels(
    thyroid: tuple, tmp_path: Path, factors: int, figures: list[int]
) -> None:
    """Nine factors once failed with an IndexError (eight panel letters), and five to eight
    were squeezed into two rows' height; now each figure has at most four panels, lettered
    from A, as large as in a figure of four, and its caption names its own factors."""
    config, results = thyroid
    specs, drawings = figures_of_study(
        _os_by(results, factors), config, tmp_path, width=7.0, height=5.0
    )
    ids = ["os-by"] + [f"os-by-{n}" for n in range(2, len(figures) + 1)]
    by = {d.stem.name: d for d in drawings if d.stem.name.startswith("os-by")}
    assert list(by) == ids
    names = ["ALC", "NLR", "PLR", "LMR"] * 4
    for stem, panels in zip(ids, figures, strict=True):
        grid = by[stem].figure
        assert isinstance(grid, PanelGrid)
        assert (grid.ncol, by[stem].height) == (2, 5.0 * -(-panels // 2))
        letters = [getattr(cell, "panel", None) for cell in grid.cells if cell is not None]
        assert letters == list("ABCD"[:panels])
        caption = next(s.caption for s in specs if s.id == stem)
        shown = zip("ABCD"[:panels], names[:panels], strict=True)
        listed = ", ".join(f"({letter}) {name}" for letter, name in shown)
        assert f"according to baseline {listed} in patients" in caption
        del names[:panels]


@given(factors=st.integers(1, 14))
@settings(max_examples=30, deadline=None)
def test_every_factor_is_in_one_figure_in_its_order(thyroid: tuple, factors: int) -> None:
    _, results = thyroid
    endpoint = next(e for e in _os_by(results, factors).endpoints if e.kind == "os")
    figures = by_figures(endpoint)
    sizes = [len(groups) for _, groups in figures]
    assert [g for _, groups in figures for g in groups] == list(endpoint.by)
    assert len(figures) == -(-factors // 4)  # as few as hold them
    assert max(sizes) <= 4 and max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes, reverse=True)
    assert [stem for stem, _ in figures] == ["os-by"] + [
        f"os-by-{n}" for n in range(2, len(figures) + 1)
    ]


def _os_by_caption(config, results, group, folder: Path) -> str:
    """The caption of the overall survival figure by factor when ``group`` is its one panel."""
    study = dataclasses.replace(
        results,
        endpoints=tuple(dataclasses.replace(e, by=(group,)) if e.kind == "os" else e
                        for e in results.endpoints),
    )  # fmt: skip
    specs, _ = figures_of_study(study, config, folder, width=7.0, height=5.0)
    return next(s.caption for s in specs if s.id == "os-by")


def test_a_panel_of_one_group_names_no_hazard_ratio(thyroid: tuple, tmp_path: Path) -> None:
    """Every patient in one group (a cutoff below every value): one curve, and the Cox model
    not estimable. The annotation ended on a dangling "HR (95% CI) vs Low" and the caption
    read "high vs low LMR" for a panel with no low group."""
    config, results = thyroid
    os_ = next(e for e in results.endpoints if e.kind == "os")
    lmr = next(g for g in os_.by if g.factor == "LMR")
    assert lmr.cox is not None
    alone = dataclasses.replace(
        lmr,
        levels=lmr.levels[:1],
        estimates=lmr.estimates[:1],
        logrank=None,
        cox=dataclasses.replace(
            lmr.cox,
            terms=tuple(
                dataclasses.replace(t, hr=None, lower=None, upper=None) for t in lmr.cox.terms
            ),
        ),
    )
    note = _annotation(alone, results.time_unit, "threshold", "95% CI", ["High LMR"])
    assert note.splitlines() == ["Median (days)", "High LMR: 2,327"]
    caption = _os_by_caption(config, results, alone, tmp_path)
    assert "high vs low" not in caption
    assert caption.startswith("Overall survival according to baseline LMR in patients")


@NO_DRAWING_WARNINGS
def test_thyroid_os_by_lmr_annotation_covers_no_curve(thyroid: tuple) -> None:
    """The key figure of the thyroid study: the HR label used to be printed over a curve."""
    config, results = thyroid
    (lmr,) = [g for g in results.endpoint("os").by if g.factor == "LMR"]
    names = curve_names(lmr, config)
    style = config.statistics.resolved("p_style")
    note = _annotation(lmr, results.time_unit, style, "95% CI", names)
    assert "HR 0.21" in note
    assert "High LMR: " in note
    panel = figure_km(
        list(lmr.estimates), risk=lmr.risk, time_label="Time from the start of sorafenib (days)",
        ylabel="Overall survival probability", names=names, annotation=note, panel="D",
        time_breaks=lmr.risk.times,
    )  # fmt: skip
    for size in ((3.5, 5.0), (3.5, 3.6), (5.0, 5.0)):  # the cell in the paper, and others
        _assert_annotation_covers_no_curve(_drawn(panel, *size))


@NO_DRAWING_WARNINGS
@pytest.mark.parametrize("seed", range(1, 9))
def test_annotation_covers_no_curve_on_generated_curves(seed: int) -> None:
    note = "Median (days)\nHigh: 1,077\nLow: 283\nHR 0.31 (95% CI 0.11–0.86)\nLog-rank p = 0.019"
    figure = _drawn(_km(*_groups(seed, "LMR"), annotation=note, panel="A"), 3.5, 5.0)
    _assert_annotation_covers_no_curve(figure)


def _free_corner_exists(figure: Figure) -> bool:
    """Whether the annotation's box, padded as the placement pads it, fits in a corner of the
    axes clear of every drawn line (median guides included) and censoring mark."""
    km_ax = figure.axes[0]
    text, frame = km_ax.texts[0], km_ax.get_window_extent()
    pad, inset = (points * figure.dpi / 72 for points in (annotate.PAD_POINTS,
                                                            annotate.INSET_POINTS))  # fmt: skip
    extent = text.get_window_extent()
    width, height = extent.width + 2 * pad, extent.height + 2 * pad
    lines = [MplPath(km_ax.transData.transform(np.c_[np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]]))
             for x, y in (line.get_data() for line in km_ax.get_lines())]  # fmt: skip
    offsets = [c.get_offsets() for c in km_ax.collections if isinstance(c, PathCollection)]
    marks = km_ax.transData.transform(np.vstack(offsets)) if offsets else np.zeros((0, 2))
    half = km_figure.MARK_POINTS * figure.dpi / 72 / 2
    for cx, cy in annotate.CORNERS:
        x0 = frame.x0 + inset if cx == 0 else frame.x1 - inset - width
        y0 = frame.y0 + inset if cy == 0 else frame.y1 - inset - height
        box = Bbox.from_bounds(x0, y0, width, height)
        near = Bbox.from_extents(x0 - half, y0 - half, x0 + width + half, y0 + height + half)
        if not any(p.intersects_bbox(box, filled=False) for p in lines) and not (
            near.count_contains(marks)
        ):
            return True
    return False


@NO_DRAWING_WARNINGS
@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    seeds=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
    scales=st.tuples(st.floats(100, 5000), st.floats(100, 5000)),
    n=st.integers(5, 60),
    lines=st.integers(1, 5),
)
def test_annotation_covers_no_curve_when_a_corner_is_free(
    seeds: tuple[int, int], scales: tuple[float, float], n: int, lines: int
) -> None:
    """Whenever the annotation fits in a free corner, what is drawn covers no curve: the
    placement never trades a free place for a cheaper-looking one over a curve."""
    estimates = [
        km_estimate(*_cohort(seed, n, scale), label=label)
        for seed, scale, label in zip(seeds, scales, ("High", "Low"), strict=True)
    ]
    note = "\n".join(["Median (days)", "High: 1,077", "Low: 283",
                      "HR 0.31 (95% CI 0.11–0.86)", "Log-rank p = 0.019"][:lines])  # fmt: skip
    figure = _drawn(_km(estimates, risk_table(estimates, DAYS), annotation=note), 3.5, 4.0)
    free = _free_corner_exists(figure)
    event(f"a free corner: {free}")
    if free:
        _assert_annotation_covers_no_curve(figure)


@NO_DRAWING_WARNINGS
@pytest.mark.parametrize("lines", [1, 7])
def test_an_annotation_over_a_curve_has_a_white_halo_and_one_in_free_space_none(
    lines: int,
) -> None:
    """Three groups in a half-width panel leave no free space for seven lines: the text is
    drawn over the curves, outlined in white so that it stays legible; a short text finds a
    free corner and is drawn plain."""
    estimates = [
        km_estimate(*_cohort(seed, 30, 300 * (seed + 1)), label=label)
        for seed, label in enumerate(("0", "1", "2"))
    ]
    note = "\n".join(["Median (days)", "ECOG PS 0: 1,569", "ECOG PS 1: NR", "ECOG PS 2: 375",
                      "HR (95% CI) vs ECOG PS 0", "ECOG PS 1: 0.31 (0.04–2.56)",
                      "ECOG PS 2: 5.63 (0.57–55.14)"][:lines])  # fmt: skip
    figure = _drawn(_km(estimates, risk_table(estimates, DAYS), annotation=note), 3.5, 3.0)
    (text,) = figure.axes[0].texts
    halo = [e for e in text.get_path_effects() if type(e).__name__ == "withStroke"]
    assert bool(halo) == (not _free_corner_exists(figure))
    assert bool(halo) == (lines == 7)


def test_annotation_prefers_a_free_corner() -> None:
    """A curve that stays high leaves the corners under it free: the text goes to one."""
    (estimate,), risk = _overall()
    table = estimate.table.assign(surv=1 - (1 - estimate.table["surv"]) * 0.3)
    high = dataclasses.replace(estimate, table=table)
    figure = _drawn(_km([high], risk, annotation="Median NR", median_lines=False), 3.5, 3.6)
    box, frame = figure.axes[0].texts[0].get_window_extent(), figure.axes[0].get_window_extent()
    assert min(box.y0 - frame.y0, frame.y1 - box.y1) < 0.1 * frame.height  # top or bottom
    assert min(box.x0 - frame.x0, frame.x1 - box.x1) < 0.1 * frame.width  # at a side


def test_groups_differ_in_line_type_as_well_as_colour() -> None:
    """Curves must survive greyscale printing: no two groups share a line type, and the
    legend shows each group's line type."""
    labels = ["Favourable", "Intermediate", "Poor", "Very poor"]
    estimates = [
        km_estimate(*_cohort(seed, 20, 400 * (seed + 1)), label=label)
        for seed, label in enumerate(labels)
    ]
    figure = _drawn(_km(estimates, risk_table(estimates, DAYS)), 3.5, 4.5)
    km_ax = figure.axes[0]
    curves = [line for line in km_ax.get_lines() if line.get_label() in labels]
    assert [line.get_label() for line in curves] == labels
    styles = [str(line._dash_pattern) for line in curves]  # noqa: SLF001
    assert len(set(styles)) == len(labels)
    assert len({line.get_color() for line in curves}) == len(labels)
    legend = km_ax.get_legend()
    assert legend is not None
    keys = [str(h._dash_pattern) for h in legend.legend_handles]  # noqa: SLF001
    assert keys == styles


def test_y_axis_says_what_probability_it_shows() -> None:
    assert survival_axis_title("Overall survival") == "Overall survival probability"
    assert (
        survival_axis_title("Progression-free survival") == "Progression-free survival probability"
    )
    assert survival_axis_title("Time to treatment failure") == (
        "Probability of no treatment failure"
    )
    title = survival_axis_title("Overall survival")
    estimates, risk = _overall()
    figure = _drawn(_km(estimates, risk, ylabel=title), 3.5, 3.6)
    assert figure.axes[0].get_ylabel() == "Overall survival probability"


def test_figures_need_neither_pyplot_nor_plotnine(tmp_path: Path) -> None:
    """Figures are drawn on matplotlib's object API: no pyplot state, no plotnine."""
    code = (
        "import sys\n"
        "from cohortpress.artefacts import _figures\n"
        "from cohortpress.artefacts.figures import _parallel, save_figure\n"
        "print(sorted(m for m in ('plotnine', 'matplotlib.pyplot') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_a_km_grid_gives_the_same_bytes_each_time(tmp_path: Path) -> None:
    grid = figure_panels([_km(*_groups(1, "LMR"), annotation="p = 0.02", panel="A"),
                          _km(*_overall(), panel="B")])  # fmt: skip
    first = save_figure(grid, tmp_path / "a" / "km", width=7, height=3.5, dpi=100)
    second = save_figure(grid, tmp_path / "b" / "km", width=7, height=3.5, dpi=100)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    svg = first[1].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib" not in svg.split("<svg", 1)[1][:2000]


@pytest.mark.parametrize(
    ("panel", "mode"),
    [
        pytest.param(lambda: _km(*_groups(1, "LMR"), annotation="p = 0.02", panel="A"), "RGB",
                     id="groups-in-colour"),
        pytest.param(lambda: _km(*_overall(), panel="A"), "L", id="one-group-in-grey"),
    ],
)  # fmt: skip
def test_the_png_is_the_image_savefig_draws(
    tmp_path: Path, panel: Callable[[], KMFigure], mode: str
) -> None:
    """save_figure writes the pixels matplotlib's savefig draws, at the dpi asked, in the
    fewest channels that hold them: grey for a grey figure, colour without alpha for an opaque
    one, and with alpha where a pixel is transparent."""
    grid = figure_panels([panel()])
    png, _ = save_figure(grid, tmp_path / "km", width=3.5, height=3.5, dpi=100)
    reference = tmp_path / "reference.png"
    with mpl.rc_context(_save._RC):
        draw_figure(grid, 3.5, 3.5, 100).savefig(reference, dpi=100, metadata={"Software": None})
    written, drawn = PIL.Image.open(png), PIL.Image.open(reference)
    assert (written.mode, drawn.mode) == (mode, "RGBA")
    assert written.info == drawn.info  # the dpi, and no text chunk
    assert np.array_equal(np.asarray(written.convert("RGBA")), np.asarray(drawn))

    figure = draw_figure(grid, 3.5, 3.5, 100)
    figure.patch.set_alpha(0.0)
    _save._save_png(figure, tmp_path / "clear.png", 100)
    clear = PIL.Image.open(tmp_path / "clear.png")
    assert clear.mode == "RGBA"
    assert np.asarray(clear)[0, 0, 3] == 0


def test_more_groups_than_distinct_colours_are_refused() -> None:
    with pytest.raises(ValueError, match="at most 6 groups can be told apart; got 7"):
        group_colours([f"g{i}" for i in range(7)])


def test_risk_table_without_a_group_row_is_refused() -> None:
    estimates, risk = _groups(1, "LMR")
    with pytest.raises(ValueError, match="no row for \\['LMR low'\\]"):
        _km(estimates, RiskTable(risk.times, {"LMR high": risk.n_risk["LMR high"]}))


# --- waterfall structure --------------------------------------------------------------------


def test_waterfall_one_bar_per_patient_sorted_down() -> None:
    change, response = _responses(42)
    fig = figure_waterfall(change, response)
    bars = fig.bars
    assert isinstance(fig, WaterfallFigure) and fig.note is None and fig.n_patients == 42
    assert bars["x"].tolist() == list(range(1, 43))
    heights = (bars["ymin"] + bars["ymax"]).tolist()
    assert heights == sorted(change.tolist(), reverse=True)
    by_patient = dict(zip(change.tolist(), response.tolist(), strict=True))
    assert bars["response"].tolist() == [by_patient[h] for h in heights]


def test_waterfall_names_patients_without_a_change() -> None:
    change, response = _responses(10)
    change[[2, 5]] = np.nan
    fig = figure_waterfall(change, response)
    assert len(fig.bars) == fig.n_patients == 8
    assert fig.note == "2 patients without a recorded change in target lesions are not shown."


def test_waterfall_bins_large_cohorts_and_says_how() -> None:
    change, response = _responses(1000)
    fig = figure_waterfall(change, response, max_bars=100)
    bars = fig.bars
    assert bars["x"].nunique() == 100
    ordered = np.sort(change)[::-1].reshape(100, 10)
    length = (bars["ymax"] - bars["ymin"]).groupby(bars["x"]).sum()
    np.testing.assert_allclose(length, np.abs(np.median(ordered, axis=1)))
    assert "shown in 100 bars of 10 consecutive patients" in fig.note


def test_waterfall_refuses_unknown_responses() -> None:
    with pytest.raises(ValueError, match="best responses \\['iCR'\\] are not among"):
        figure_waterfall([-40.0, 10.0], ["PR", "iCR"])


def test_waterfall_takes_missing_values_as_pandas_gives_them() -> None:
    fig = figure_waterfall(pd.Series([-40.0, None, 12.5], dtype="Float64"), ["PR", "NE", "SD"])
    assert fig.bars["ymin"].tolist() == [0.0, -40.0]
    with pytest.raises(ValueError, match="no patient has a recorded change"):
        figure_waterfall([None, np.nan], ["NE", "NE"])


# --- saving ---------------------------------------------------------------------------------


def test_save_writes_png_and_svg_that_do_not_change_between_runs(tmp_path: Path) -> None:
    fig = figure_waterfall(*_responses(12))
    first = save_figure(fig, tmp_path / "a" / "waterfall", width=4, height=2, dpi=100)
    second = save_figure(fig, tmp_path / "b" / "waterfall", width=4, height=2, dpi=100)
    assert [p.name for p in first] == ["waterfall.png", "waterfall.svg"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert first[0].read_bytes()[16:24] == (400).to_bytes(4, "big") + (200).to_bytes(4, "big")
    assert b"<dc:date>" not in first[1].read_bytes()


def _drawings(folder: Path) -> list[_parallel.Drawing]:
    grid = figure_panels([_km(*_overall()), _km(*_groups(1, "LMR"), panel="B")])
    return [
        _parallel.Drawing(figure_waterfall(*_responses(12)), folder / "waterfall", 4, 2, 1),
        _parallel.Drawing(grid, folder / "survival", 6, 3, 2),
    ]


def _assert_drawn_as_alone(
    drawings: list[_parallel.Drawing], folder: Path, suffixes: tuple[str, ...] = FIGURE_SUFFIXES
) -> None:
    """Each figure's files are the bytes ``save_figure`` writes drawing it alone as PNG and
    SVG, and only those of ``suffixes`` were written."""
    for d in drawings:
        alone = save_figure(d.figure, folder / d.stem.name, width=d.width,
                            height=d.height, dpi=50)  # fmt: skip
        assert [p.suffix for p in alone] == list(FIGURE_SUFFIXES)
        for path in alone:
            drawn = d.stem.with_suffix(path.suffix)
            if path.suffix in suffixes:
                assert drawn.read_bytes() == path.read_bytes()
            else:
                assert not drawn.exists()


@pytest.mark.parametrize("suffixes", [(".svg",), (".png",)])
def test_a_figure_drawn_for_one_format_is_the_file_drawn_with_the_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffixes: tuple[str, ...]
) -> None:
    """A run of HTML alone draws the SVG alone (no pixels), one of Word the PNG alone: each
    file is the bytes it is when both are drawn, so the build cache and the published figures
    do not depend on which formats drew them."""
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)
    drawings = _drawings(tmp_path / "one")
    _parallel.save_all(drawings, dpi=50, suffixes=suffixes)
    _assert_drawn_as_alone(drawings, tmp_path / "alone", suffixes)


@pytest.mark.parametrize("suffixes", [(), (".pdf",), (".png", ".tiff")])
def test_a_figure_file_is_png_or_svg(tmp_path: Path, suffixes: tuple[str, ...]) -> None:
    grid = figure_panels([_km(*_overall())])
    with pytest.raises(ValueError, match="figure files are .png and .svg"):
        save_figure(grid, tmp_path / "km", width=3, height=3, dpi=50, suffixes=suffixes)
    assert list(tmp_path.iterdir()) == []


def test_figures_drawn_side_by_side_are_those_drawn_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)  # workers even on a one-core machine
    drawings = _drawings(tmp_path / "parallel")
    _parallel.save_all(drawings, dpi=50, suffixes=FIGURE_SUFFIXES)
    _assert_drawn_as_alone(drawings, tmp_path / "alone")


def test_an_error_drawing_a_figure_is_raised_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)
    monkeypatch.setattr(figures, "save_figure", _fail)  # inherited by forked workers
    drawings = _drawings(tmp_path)  # the survival figure (two panels) is started first
    with pytest.raises(ValueError, match="^cannot draw waterfall$"):  # the first in order
        _parallel.save_all(drawings, dpi=50, suffixes=FIGURE_SUFFIXES)
    assert _parallel._QUEUED == []


def _fail(fig: object, stem: Path, **size: Any) -> None:
    raise ValueError(f"cannot draw {stem.name}")


def _note_priority(fig: object, stem: Path, **size: Any) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".niceness").write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))


@pytest.mark.skipif(
    not _parallel._FORK or not hasattr(os, "getpriority"),  # noqa: SLF001
    reason="without fork there are no workers; without priorities nothing to lower",
)
@pytest.mark.parametrize("behind", [False, True])
def test_figures_read_last_are_drawn_behind_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, behind: bool
) -> None:
    """An HTML run's figures are read once pandoc has written the page: their workers run at
    a lower priority, leaving the cores to the run's process and pandoc; the run's own
    priority is left as it is."""
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)
    monkeypatch.setattr(figures, "save_figure", _note_priority)  # inherited by the workers
    drawings = _drawings(tmp_path)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    with (
        _parallel.drawing_process() as forked,
        _parallel.start_drawer(forked, behind=behind) as drawer,
    ):
        drawer.draw(drawings, dpi=50, suffixes=FIGURE_SUFFIXES)
        drawer.wait()
    niceness = {int(d.stem.with_suffix(".niceness").read_text()) for d in drawings}
    assert niceness == {max(ours, BEHIND) if behind else ours}
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours


@pytest.mark.parametrize("cores", [1, 2])  # one core: no process, drawn when waited for
def test_figures_drawn_while_the_run_goes_on_are_those_drawn_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    monkeypatch.setattr(_parallel, "_cores", lambda: cores)
    drawings = _drawings(tmp_path / "drawer")
    with _parallel.start_drawer() as drawer:
        drawer.draw(drawings, dpi=50, suffixes=FIGURE_SUFFIXES)
        drawer.wait()
    _assert_drawn_as_alone(drawings, tmp_path / "alone")


def test_figures_drawn_by_a_process_forked_before_are_those_drawn_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run forks the drawing process before it reads its extract and hands it over later."""
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)
    drawings = _drawings(tmp_path / "drawer")
    with _parallel.drawing_process() as forked, _parallel.start_drawer(forked) as drawer:
        drawer.draw(drawings, dpi=50, suffixes=FIGURE_SUFFIXES)
        drawer.wait()
    assert multiprocessing.active_children() == []
    _assert_drawn_as_alone(drawings, tmp_path / "alone")


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_error_before_the_figures_are_handed_over_ends_the_drawing_process(
    monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    """A validation error (or Ctrl-C) while the process imports matplotlib: it is ended, and
    the error raised as it was."""
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)
    with pytest.raises(error, match="^patients, row 3$"), _parallel.drawing_process():
        raise error("patients, row 3")
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("cores", [1, 2])
def test_a_figure_error_is_raised_when_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    monkeypatch.setattr(_parallel, "_cores", lambda: cores)
    monkeypatch.setattr(figures, "save_figure", _fail)  # inherited by the forked processes
    with _parallel.start_drawer() as drawer:
        drawer.draw(_drawings(tmp_path), dpi=50, suffixes=FIGURE_SUFFIXES)
        with pytest.raises(ValueError, match="^cannot draw waterfall$"):  # the first in order
            drawer.wait()


@pytest.mark.parametrize("cores", [1, 2])
def test_a_figure_error_comes_before_an_error_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    """The figures used to be drawn before the documents were written: when both fail, the
    figure's error is the one raised, as it was."""
    monkeypatch.setattr(_parallel, "_cores", lambda: cores)
    monkeypatch.setattr(figures, "save_figure", _fail)
    raised = pytest.raises(ValueError, match="^cannot draw waterfall$")
    with raised, _parallel.start_drawer() as drawer:
        drawer.draw(_drawings(tmp_path), dpi=50, suffixes=FIGURE_SUFFIXES)
        raise RuntimeError("the documents could not be written")


def test_an_error_of_the_run_is_raised_once_the_figures_are_drawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parallel, "_cores", lambda: 2)
    drawings = _drawings(tmp_path)
    raised = pytest.raises(RuntimeError, match="^the documents could not be written$")
    with raised, _parallel.start_drawer() as drawer:
        drawer.draw(drawings, dpi=50, suffixes=FIGURE_SUFFIXES)
        raise RuntimeError("the documents could not be written")
    assert all(d.stem.with_suffix(".svg").is_file() for d in drawings)


@pytest.mark.skipif(
    not _parallel._FORK or _parallel._cores() < 2,  # noqa: SLF001
    reason="without fork or a second core the run draws its figures itself",
)
def test_the_run_draws_its_figures_without_matplotlib_in_its_own_process(
    tmp_path: Path,
) -> None:
    """matplotlib is imported by the drawing process, while the run analyses (and never by a
    cached run): the run builds its figures without it and writes the files drawn elsewhere."""
    from small_project import make_project

    study = make_project(tmp_path)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from cohortpress.pipeline import build_report\n"
        f"build_report(Path({str(study)!r}), formats=('html',), engine='embedded')\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    published = tmp_path / "_output" / "thyroid" / "figures"
    assert sorted(p.name for p in published.iterdir()) == [
        "survival.svg", "waterfall.svg",  # the HTML page sets the SVG: no PNG drawn
    ]  # fmt: skip


def test_a_hazard_ratio_not_estimated_is_ne_in_the_panel_and_explained(
    thyroid: tuple, tmp_path: Path
) -> None:
    """A level without a hazard ratio (no events in it) was left out of the annotation without
    a word, where the Cox table prints NE with its reason."""
    config, results = thyroid
    os_ = next(e for e in results.endpoints if e.kind == "os")
    lmr = next(g for g in os_.by if g.factor == "LMR")
    assert lmr.cox is not None and len(lmr.levels) == 2
    unestimated = dataclasses.replace(
        lmr,
        cox=dataclasses.replace(
            lmr.cox,
            terms=tuple(
                dataclasses.replace(
                    t, hr=None, lower=None, upper=None, status=TermStatus.NO_EVENTS_IN_LEVEL
                )
                for t in lmr.cox.terms
            ),
        ),
    )
    note = _annotation(unestimated, results.time_unit, "threshold", "95% CI", ["High", "Low"])
    assert "HR NE" in note.splitlines()
    caption = _os_by_caption(config, results, unestimated, tmp_path)
    assert "; NE: not estimable (Lymphocyte-to-monocyte ratio, High: no events in this " in caption
    assert "estimated.;" not in caption and "estimated.)" not in caption


def test_narrowing_breaks_before_a_values_interval_never_in_a_heading() -> None:
    text = "HR (95% CI) vs ECOG PS 0\nPoorly differentiated: 1.35 (0.16–11.48)\nA: NR (2–NR)"
    assert annotate.narrow(text).splitlines() == [
        "HR (95% CI) vs ECOG PS 0",
        "Poorly differentiated: 1.35",
        "(0.16–11.48)",
        "A: NR (2–NR)",  # short enough
    ]


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=3 * annotate._CHUNK + 7), st.integers(0, 99))  # noqa: SLF001
def test_a_registrys_curves_are_measured_in_chunks_as_a_whole(count: int, seed: int) -> None:
    """The overlap of thousands of segments is summed chunk by chunk (a boxes-by-segments
    matrix each, 5 MB at most instead of 190 MB); it is the whole matrix's, and a paper's
    hundred segments are one chunk, summed as before."""
    rng = np.random.default_rng(seed)
    x0, y0 = rng.uniform(0, 100, count), rng.uniform(0, 1, count)
    horizontal = rng.random(count) < 0.5
    x1 = np.where(horizontal, x0 + rng.uniform(0, 10, count), x0)
    y1 = np.where(horizontal, y0, y0 - rng.uniform(0, 0.2, count))
    segments = annotate.Segments(x0, y0, x1, y1, rng.choice([1.0, annotate.GUIDE_WEIGHT], count))
    lefts, bottoms = rng.uniform(0, 90, 50), rng.uniform(0, 0.9, 50)
    boxes = np.c_[lefts, bottoms, lefts + 10, bottoms + 0.1]
    whole = annotate._overlap(segments, boxes)  # noqa: SLF001 - the one matrix, as before
    np.testing.assert_allclose(annotate.overlap(segments, boxes), whole, rtol=1e-12, atol=1e-12)
    if count <= annotate._CHUNK:  # noqa: SLF001
        assert np.array_equal(annotate.overlap(segments, boxes), whole)
