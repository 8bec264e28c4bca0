"""Waterfall plot of the maximal change in target lesions, coloured by best response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress.artefacts.figures._layout import (
    PAD,
    Box,
    Margins,
    axis_decoration,
    points,
    text_height,
)
from cohortpress.artefacts.figures._theme import (
    GROUP_COLOURS,
    REFERENCE_LINE,
    RESPONSE_COLOURS,
    theme_manuscript,
)
from cohortpress.present import format as fmt
from cohortpress.present.suppress import single

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from cohortpress.artefacts.figures._layout import Measure

RECIST_LINES = (20.0, -30.0)  # progression and partial-response thresholds of RECIST 1.1
THEME = theme_manuscript()
X_EXPAND, Y_EXPAND = 0.01, 0.03  # share of each range left free on either side
XLABEL, YLABEL = "Patients (n = {n:,})", "Maximal change from baseline (%)"


@dataclass(frozen=True)
class WaterfallFigure:
    """The waterfall plot and, when it is not one bar per patient, the rule for its caption."""

    bars: pd.DataFrame  # x, xmin, xmax, ymin, ymax, response (see _waterfall_data)
    response_order: tuple[str, ...]
    n_patients: int  # patients with a bar (or a share of one)
    note: str | None  # e.g. how patients were grouped into bars, or who is not shown
    thresholds: tuple[float, ...] = RECIST_LINES  # the criteria's dashed lines; () for none

    def margins(self, measure: Measure, cell: Box) -> Margins:
        """Room for the legend above, the change axis and its title left, the patients' title
        below."""
        breaks = _change_breaks(self.bars, self.thresholds)
        ticks = max(measure.text(t, THEME.small)[0] for t in _signed(breaks))
        left = (
            axis_decoration(THEME) + ticks + points(THEME.title_pad) + text_height(THEME.base_size)
        )
        top = points(THEME.small * 2.1)
        bottom = points(THEME.title_pad + 2) + text_height(THEME.base_size)
        return Margins(PAD + left, PAD + points(2), PAD + top, PAD + bottom)

    def draw(self, figure: Figure, measure: Measure, cell: Box, axes: Box) -> None:
        """Bars as rectangles (so a grouped bar can be divided by response), zero line, the
        criteria's guides, the legend above."""
        ax = figure.add_axes(axes.fraction(figure))
        colours = _colours(self.response_order)
        shown = [r for r in self.response_order if r in set(self.bars["response"])]
        for response in shown:
            part = self.bars.loc[self.bars["response"] == response]
            ax.bar(
                part["xmin"].to_numpy(), (part["ymax"] - part["ymin"]).to_numpy(),
                width=(part["xmax"] - part["xmin"]).to_numpy(), bottom=part["ymin"].to_numpy(),
                align="edge", color=colours[response], linewidth=0, label=response,
            )  # fmt: skip
        ax.axhline(0, color="black", linewidth=0.9, zorder=3)
        for y in self.thresholds:
            ax.axhline(y, color=REFERENCE_LINE, linestyle=(0, (4, 3)), linewidth=0.9, zorder=3)
        _axes(ax, self.bars, self.n_patients, self.thresholds)
        ax.legend(
            loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(shown), borderaxespad=0.3,
            borderpad=0.0, handlelength=1.8, handleheight=1.2, handletextpad=0.4,
            columnspacing=1.0, fontsize=THEME.small,
        )  # fmt: skip


def figure_waterfall(
    change_pct: Sequence[float | None],
    best_response: Sequence[str],
    *,
    response_order: Sequence[str] = ("CR", "PR", "SD", "PD", "NE"),
    max_bars: int = 300,
    small_cell: int | None = None,
    not_measured: int = 0,
    thresholds: tuple[float, float] | None = RECIST_LINES,
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
    # Imported here, with pandas: the drawing process unpickles the figure without them.
    from cohortpress.artefacts.figures import _waterfall_data as data

    frame = data.waterfall_frame(change_pct, best_response, response_order)
    binned = len(frame) > max_bars
    bars = data.binned_bars(frame, max_bars, response_order) if binned else data.patient_bars(frame)
    notes = [data.binning_note(frame, max_bars) if binned else None]
    missing = len(change_pct) - len(frame) + not_measured
    mark = single(missing, len(change_pct) + not_measured, small_cell)
    notes.append(data.missing_note(missing, mark))
    note = " ".join(n for n in notes if n) or None
    lines = tuple(thresholds or ())
    return WaterfallFigure(bars, tuple(response_order), len(frame), note, lines)


def _colours(response_order: Sequence[str]) -> dict[str, str]:
    return {
        r: RESPONSE_COLOURS.get(r, GROUP_COLOURS[i % len(GROUP_COLOURS)])
        for i, r in enumerate(response_order)
    }


def _axes(ax: Axes, bars: pd.DataFrame, n: int, thresholds: tuple[float, ...]) -> None:
    """Limits as the data and the guides need them; no patient axis, only its title."""
    n_bars = int(bars["x"].max()) if len(bars) else 1
    x_span = n_bars
    ax.set_xlim(0.5 - X_EXPAND * x_span, n_bars + 0.5 + X_EXPAND * x_span)
    low = min(float(bars["ymin"].min()) if len(bars) else 0.0, *thresholds, 0.0)
    high = max(float(bars["ymax"].max()) if len(bars) else 0.0, *thresholds, 0.0)
    span = high - low
    limits = (low - Y_EXPAND * span, high + Y_EXPAND * span)
    breaks = [b for b in _change_breaks(bars, thresholds) if limits[0] <= b <= limits[1]]
    ax.set_yticks(breaks, _signed(breaks))
    ax.set_ylim(*limits)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.set_xlabel(XLABEL.format(n=n), fontsize=THEME.base_size)
    ax.set_ylabel(YLABEL, fontsize=THEME.base_size)


def _signed(values: list[float]) -> list[str]:
    """Tick labels with a typographic minus sign, as journals print them."""
    return [fmt.plain(v) for v in values]


def _change_breaks(bars: pd.DataFrame, thresholds: tuple[float, ...]) -> list[float]:
    """Ticks every 20 points from −100 to the largest growth (every 50 above 200%)."""
    top = max(float(bars["ymax"].max()) if len(bars) else 0.0, *thresholds, 0.0)
    step = 20 if top <= 200 else 50
    return [float(v) for v in range(-100, int(top) + step, step)]
