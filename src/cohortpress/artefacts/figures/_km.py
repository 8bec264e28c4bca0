"""Kaplan–Meier figure: step curves with censoring marks over a numbers-at-risk table."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from plotnine import (
    aes,
    annotate,
    element_blank,
    element_text,
    geom_point,
    geom_segment,
    geom_step,
    geom_text,
    ggplot,
    guide_legend,
    guides,
    labs,
    scale_colour_manual,
    scale_x_continuous,
    scale_y_continuous,
    scale_y_discrete,
    theme,
)

from cohortpress.artefacts.figures import _km_data as data
from cohortpress.artefacts.figures._risk_stack import RiskStack, risk_stack
from cohortpress.artefacts.figures._theme import REFERENCE_LINE, group_colours, theme_manuscript

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from cohortpress.analyse._results import KMEstimate, RiskTable

BASE_SIZE = 9.0
SMALL_SIZE = BASE_SIZE * 0.9
X_EXPAND = (0.03, 0)  # shared by the curves and the table so their x positions coincide
# Text must fit a half-page-width panel (about 2.3 inches): longer axis titles are wrapped and
# wider legends list one group per line. Widths are estimated at 0.6 em per character.
TITLE_CHARACTERS = 34
LEGEND_INCHES = 2.2


def figure_km(
    estimates: Sequence[KMEstimate],
    *,
    risk: RiskTable,
    time_label: str,
    ylabel: str,
    annotation: str | None = None,
    time_breaks: Sequence[float] | None = None,
    panel: str | None = None,
    median_lines: bool = True,
    censor_marks: bool | None = None,
    percent: bool = False,
    small_cell: int | None = None,
) -> RiskStack:
    """Kaplan–Meier curves of one or more groups with the numbers at risk underneath.

    Curves start at (0, 1), step down at each event time and end at the last observed time;
    ``+`` marks each distinct censoring time, as R's ``plot(survfit, mark.time = TRUE)``.
    Numbers at risk are those at the start of each of ``risk.times`` (R ``summary(survfit,
    times =)``), printed under the time axis, one row per group in the curve's colour.

    Parameters
    ----------
    estimates
        One estimate per group, in legend and table order.
    risk
        Numbers at risk for every group label.
    time_label, ylabel
        Axis titles, e.g. "Time (days)" and "Overall survival".
    annotation
        Text already formatted by the caller (medians, HR, log-rank p), placed in a corner
        that no curve crosses. Keep lines short (about 30 characters for a half-width panel).
    time_breaks
        Tick positions; by default ``risk.times``, so that the numbers sit under the ticks.
        Where the counts are too wide to sit side by side (a registry), every other tick is
        kept, with its number at risk.
    panel
        Panel letter drawn bold at the top left ("A", "B", ...).
    median_lines
        Dashed guides from S = 0.5 down to each reached median.
    censor_marks
        Draw the ``+`` marks; by default only while they can be told apart
        (:func:`marks_readable`: a registry's would merge into a band).
    percent
        Label the survival axis 0–100 instead of 0–1.
    small_cell
        The study's threshold: numbers at risk below it print as '<k' (see ``_suppress``).
    """
    if not estimates:
        raise ValueError("figure_km needs at least one Kaplan–Meier estimate")
    labels = [e.label for e in estimates]
    colours = group_colours(labels)
    shown = data.readable_times(risk.times, risk)
    thinned = len(shown) < len(risk.times)
    breaks = shown if thinned else list(time_breaks if time_breaks is not None else risk.times)
    x_max = max([data.last_time(estimates), *breaks, *risk.times]) or 1.0
    x_scale = scale_x_continuous(breaks=breaks or None, limits=(0, x_max), expand=X_EXPAND)
    curves = data.curve_frame(estimates, x_max)
    medians = data.median_segments(estimates if median_lines else [])
    plot = _curve_plot(curves, medians, colours)
    if data.marks_readable(estimates) if censor_marks is None else censor_marks:
        plot += _censor_layer(data.censor_frame(estimates, x_max))
    if annotation:
        plot += _annotation_layer(annotation, data.free_corner(curves, medians, x_max, annotation))
    plot += [x_scale, _survival_scale(percent), labs(x=_wrap(time_label), y=ylabel, tag=panel)]
    table = _risk_plot(data.risk_frame(risk, labels, shown, small_cell), colours)
    table += x_scale
    return risk_stack(plot, table, _table_height(len(labels)))


def _curve_plot(curves: pd.DataFrame, medians: pd.DataFrame, colours: dict[str, str]) -> ggplot:
    """Median guides under the step curves, in the house theme; a legend only for groups.

    Built with ``+=`` on the new plot: each ``+`` would deep-copy the plot so far.
    """
    plot = ggplot(curves, aes("time", "surv", colour="group"))
    plot += [
        _median_layer(medians),
        geom_step(direction="hv", size=0.7),
        scale_colour_manual(values=colours, limits=list(colours)),
        theme_manuscript(BASE_SIZE),
        theme(plot_margin_bottom=0),  # the table below brings its own spacing
    ]
    if len(colours) == 1:
        plot += theme(legend_position="none")
    elif _legend_width(list(colours)) > LEGEND_INCHES:
        plot += [guides(colour=guide_legend(ncol=1)), theme(legend_direction="vertical")]
    return plot


def _legend_width(labels: list[str]) -> float:
    """Estimated width in inches of a one-line legend: per entry a key, margins and text."""
    key_and_margins = BASE_SIZE * 1.6 + 11  # legend_key_width and the text's side margins
    points = sum(key_and_margins + 0.6 * SMALL_SIZE * len(label) for label in labels)
    return points / 72


def _wrap(title: str) -> str:
    """The title on as many lines as it takes to fit a half-page-width panel."""
    return "\n".join(textwrap.wrap(title, TITLE_CHARACTERS)) or title


def _median_layer(medians: pd.DataFrame) -> geom_segment:
    return geom_segment(
        aes(x="x", y="y", xend="xend", yend="yend"),
        data=medians,
        inherit_aes=False,
        colour=REFERENCE_LINE,
        linetype="dashed",
        size=0.4,
    )


def _censor_layer(marks: pd.DataFrame) -> geom_point:
    return geom_point(data=marks, shape="+", size=2.6, stroke=0.5, show_legend=False)


def _annotation_layer(text: str, corner: data.Corner) -> annotate:
    return annotate(
        "text", x=corner.x, y=corner.y, label=text, ha=corner.ha, va=corner.va, size=SMALL_SIZE
    )


def _survival_scale(percent: bool) -> scale_y_continuous:
    """S(t) from 0 to 1, ticks every 0.2, labelled as proportions or percentages."""
    ticks = [i / 5 for i in range(6)]
    labels = [f"{v * 100:.0f}" if percent else f"{v:.1f}" for v in ticks]
    return scale_y_continuous(limits=(0, 1), breaks=ticks, labels=labels, expand=(0.02, 0))


def _risk_plot(frame: pd.DataFrame, colours: dict[str, str]) -> ggplot:
    """Numbers at risk as text, one row per group (first group on top), no axes of its own."""
    rows = list(colours)[::-1]  # discrete y runs bottom-up
    plot = ggplot(frame, aes("time", "group", label="text", colour="group"))
    plot += [
        _geom_text_unclipped(size=SMALL_SIZE),
        scale_y_discrete(limits=rows),
        scale_colour_manual(values=colours, limits=list(colours)),
        labs(title="Number at risk", x=None, y=None),
        theme_manuscript(BASE_SIZE),
        theme(
            legend_position="none",
            axis_line=element_blank(),
            axis_ticks=element_blank(),
            axis_text_x=element_blank(),
            axis_title=element_blank(),
            axis_text_y=element_text(
                color=[colours[row] for row in rows],
                size=SMALL_SIZE,
                margin={"r": _label_gap(frame), "unit": "pt"},
            ),
            plot_title=element_text(
                size=SMALL_SIZE, weight="bold", ha="left", margin={"t": 6, "b": 2, "unit": "pt"}
            ),
            plot_title_position="plot",
            plot_margin_top=0,
        ),
    ]
    return plot


class _geom_text_unclipped(geom_text):
    """Text that may reach past the panel: the count under time 0 is centred on the axis,
    and a five- or six-digit registry count is wider than the panel's margin."""

    @staticmethod
    def draw_group(data, panel_params, coord, ax, params) -> None:
        before = len(ax.texts)
        geom_text.draw_group(data, panel_params, coord, ax, params)
        for text in ax.texts[before:]:
            text.set_clip_on(False)


def _label_gap(frame: pd.DataFrame) -> float:
    """Gap in points between the group labels and the panel: the numbers at time 0 are
    centred on the axis, so half the widest number must clear the labels."""
    widest = max((len(text) for text in frame["text"]), default=1)
    return 0.5 * widest * 0.6 * SMALL_SIZE + 4


def _table_height(n_rows: int) -> float:
    """Height in inches of the table: its title and one text line per group, plus margins."""
    line = 1.6 * SMALL_SIZE / 72
    return (n_rows + 1.6) * line + 0.05
