"""Waterfall plot of the maximal change in target lesions, coloured by best response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from plotnine import (
    aes,
    element_blank,
    geom_hline,
    geom_rect,
    ggplot,
    labs,
    scale_fill_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
)

from cohortpress.artefacts._suppress import single
from cohortpress.artefacts.figures import _waterfall_data as data
from cohortpress.artefacts.figures._theme import (
    GROUP_COLOURS,
    REFERENCE_LINE,
    RESPONSE_COLOURS,
    theme_manuscript,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

RECIST_LINES = (20.0, -30.0)  # progression and partial-response thresholds of RECIST 1.1


@dataclass(frozen=True)
class WaterfallFigure:
    """The waterfall plot and, when it is not one bar per patient, the rule for its caption."""

    plot: ggplot
    n_patients: int  # patients with a bar (or a share of one)
    note: str | None  # e.g. how patients were grouped into bars, or who is not shown


def figure_waterfall(
    change_pct: Sequence[float | None],
    best_response: Sequence[str],
    *,
    response_order: Sequence[str] = ("CR", "PR", "SD", "PD", "NE"),
    thresholds: tuple[float, float] | None = RECIST_LINES,
    max_bars: int = 300,
    small_cell: int | None = None,
    not_measured: int = 0,
) -> WaterfallFigure:
    """One bar per patient, sorted from largest growth to largest shrinkage.

    Bars are coloured by best overall response; dashed lines mark ``thresholds`` (default +20%
    and −30%, the RECIST 1.1 thresholds for progression and partial response; None: no lines).
    Above ``max_bars`` patients, single bars would be thinner than a printed line, so patients
    are grouped, in rank order, into ``max_bars`` bars of equal size: each bar is its group's
    median change, divided in colour by the share of each response. ``note`` says so for the
    caption, and names the patients left out for having no recorded change: those among
    ``change_pct`` and the ``not_measured`` ones the caller left out before (suppressed below
    ``small_cell``).
    """
    frame = data.waterfall_frame(change_pct, best_response, response_order)
    binned = len(frame) > max_bars
    bars = data.binned_bars(frame, max_bars, response_order) if binned else data.patient_bars(frame)
    notes = [data.binning_note(frame, max_bars) if binned else None]
    missing = len(change_pct) - len(frame) + not_measured
    mark = single(missing, len(change_pct) + not_measured, small_cell)
    notes.append(data.missing_note(missing, mark))
    note = " ".join(n for n in notes if n) or None
    plot = _plot(bars, response_order, len(frame), thresholds)
    return WaterfallFigure(plot, len(frame), note)


def _plot(
    bars: pd.DataFrame,
    response_order: Sequence[str],
    n: int,
    thresholds: tuple[float, float] | None,
) -> ggplot:
    """Bars as rectangles (so a grouped bar can be divided by response), zero line, guides."""
    shown = [r for r in response_order if r in set(bars["response"])]
    colours = {
        r: RESPONSE_COLOURS.get(r, GROUP_COLOURS[i % len(GROUP_COLOURS)])
        for i, r in enumerate(response_order)
    }
    n_bars = int(bars["x"].max()) if len(bars) else 1
    breaks = _change_breaks(bars, thresholds)
    lines = list(thresholds or ())
    plot = ggplot(bars)
    plot += [  # += on the new plot: each + would deep-copy the plot so far
        geom_rect(aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax", fill="response")),
        geom_hline(yintercept=0, colour="black", size=0.5),
        *([geom_hline(yintercept=lines, colour=REFERENCE_LINE, linetype="dashed", size=0.5)]
          if lines else []),
        scale_fill_manual(values=colours, limits=shown),
        scale_x_continuous(limits=(0.5, n_bars + 0.5), expand=(0.01, 0)),
        scale_y_continuous(breaks=breaks, labels=_signed(breaks), expand=(0.03, 0)),
        labs(x=f"Patients (n = {n:,})", y="Maximal change from baseline (%)"),
        theme_manuscript(),
        theme(axis_line_x=element_blank(), axis_ticks_x=element_blank(),
              axis_text_x=element_blank()),
    ]  # fmt: skip
    return plot


def _signed(values: list[float]) -> list[str]:
    """Tick labels with a typographic minus sign, as journals print them."""
    return [f"{v:g}".replace("-", "\u2212") for v in values]


def _change_breaks(bars: pd.DataFrame, thresholds: tuple[float, float] | None) -> list[float]:
    """Ticks every 20 points from −100 to the largest growth (every 50 above 200%)."""
    top = max(float(bars["ymax"].max()) if len(bars) else 0.0, *(thresholds or (0.0,)))
    step = 20 if top <= 200 else 50
    return [float(v) for v in range(-100, int(top) + step, step)]
