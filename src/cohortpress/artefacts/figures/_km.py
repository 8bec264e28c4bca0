"""Kaplan–Meier figure: step curves with censoring marks over a numbers-at-risk table.

``figure_km`` only prepares what is drawn (cheap, in the main process, without matplotlib);
``KMFigure.draw`` draws it with matplotlib's object API into a cell of a figure (in a worker,
see _parallel.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cohortpress.artefacts.figures import _annotate as ann
from cohortpress.artefacts.figures._layout import (
    PAD,
    Box,
    Margins,
    axis_decoration,
    points,
    text_height,
)
from cohortpress.artefacts.figures._theme import (
    REFERENCE_LINE,
    group_colours,
    group_linestyles,
    theme_manuscript,
)
from cohortpress.present.wording import AT_RISK_TITLE

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from cohortpress.analyse._results import KMEstimate, RiskTable
    from cohortpress.artefacts.figures._layout import Measure

THEME = theme_manuscript(9.0)
BASE_SIZE = THEME.base_size
SMALL_SIZE = THEME.small
X_EXPAND = 0.03  # share of the time range left free on each side, for the curves and the table
Y_EXPAND = 0.02
# A legend wider than a half-page-width panel (about 2.3 inches) lists one group per line.
# Widths are estimated at 0.6 em per character.
LEGEND_INCHES = 2.2
TABLE_GAP, TITLE_GAP = 6.0, 2.0  # points above the table's title and between it and the rows
MARK_POINTS = 5.5  # censoring mark width


@dataclass(frozen=True, eq=False)
class KMFigure:
    """Everything one Kaplan–Meier panel draws, already computed from the estimates."""

    curves: dict[str, tuple[np.ndarray, np.ndarray]]  # group: (time, S(t)) of each vertex
    marks: dict[str, tuple[np.ndarray, np.ndarray]] | None  # group: censoring marks
    medians: np.ndarray  # one guide per row: x, y, xend, yend
    risk: dict[str, list[tuple[float, str]]]  # group: (time, number at risk as printed)
    colours: dict[str, str]
    linestyles: dict[str, Any]
    breaks: list[float]
    x_max: float
    time_label: str
    ylabel: str
    table_title: str
    annotation: str | None
    panel: str | None
    percent: bool

    @property
    def groups(self) -> list[str]:
        return list(self.colours)

    # --- layout ---------------------------------------------------------------------------

    def margins(self, measure: Measure, cell: Box) -> Margins:
        """Room for the legend and letter above, the axis titles and table to the left and
        below, and half the last tick label to the right."""
        top, bottom = self._top(measure), self._bottom(measure, cell)
        ylabel = self._ylabel(measure, cell)
        left = self._left(measure, ylabel.count("\n") + 1)
        return Margins(left, self._right(measure), top, bottom)

    def _left(self, measure: Measure, ylabel_lines: int) -> float:
        """Width left of the axes: the survival axis title and ticks, or the table's labels."""
        tick = max(measure.text(label, SMALL_SIZE)[0] for label in _survival_labels(self.percent))
        curves = axis_decoration(THEME) + tick + points(THEME.title_pad)
        curves += text_height(BASE_SIZE, ylabel_lines)
        table = self._label_gap(measure) + max(
            (measure.text(g, SMALL_SIZE)[0] for g in self.groups), default=0.0
        )
        return PAD + max(curves, table)

    def _right(self, measure: Measure) -> float:
        """Width right of the axes: half the last tick label or number at risk."""
        ends = [_tick(self.breaks[-1]) if self.breaks else "", *self._counts()]
        return PAD + 0.5 * max(measure.text(t, SMALL_SIZE)[0] for t in ends)

    def _time_title(self, measure: Measure, cell: Box) -> str:
        """The time axis title on as few lines as fit under the axes (their width as the
        panel alone would have them, its survival axis title on one line)."""
        width = cell.width - self._left(measure, 1) - self._right(measure)
        return measure.wrap(self.time_label, BASE_SIZE, max(width, 0.5))

    def _top(self, measure: Measure) -> float:
        """Height above the axes: the legend's rows, or the panel letter, whichever is taller."""
        rows = (
            0 if len(self.groups) == 1 else 1 if not self._vertical_legend() else len(self.groups)
        )
        legend = points(SMALL_SIZE * (1.3 * rows + 0.5 * (rows - 1) + 0.8)) if rows else 0.0
        letter = measure.text(self.panel, THEME.tag, "bold")[1] if self.panel else 0.0
        return PAD + max(legend, letter, points(SMALL_SIZE * 0.6))

    def _bottom(self, measure: Measure, cell: Box) -> float:
        """Height below the axes: tick labels, the time axis title, the table and its title.
        The table is never squeezed (its rows would overlap): the curves take what is left."""
        return PAD + self._x_decoration(measure, cell) + self._table_title() + self._table_height()

    def _vertical_legend(self) -> bool:
        return _legend_width(self.groups) > LEGEND_INCHES

    def _x_decoration(self, measure: Measure, cell: Box) -> float:
        """From the time axis to the bottom of its title."""
        lines = self._time_title(measure, cell).count("\n") + 1
        return (
            axis_decoration(THEME)
            + text_height(SMALL_SIZE)
            + points(THEME.title_pad)
            + text_height(BASE_SIZE, lines)
        )

    def _table_height(self) -> float:
        """Inches of the table's rows: one text line per group, each 1.6 lines apart."""
        return len(self.groups) * points(1.6 * SMALL_SIZE)

    @staticmethod
    def _table_title() -> float:
        """The table's title with the space above and below it."""
        return points(TABLE_GAP) + text_height(SMALL_SIZE) + points(TITLE_GAP)

    def _ylabel(self, measure: Measure, cell: Box) -> str:
        """The survival axis title, on two lines (or more) where one is taller than the axes."""
        height = cell.height - self._top(measure) - self._bottom(measure, cell)
        return measure.wrap(self.ylabel, BASE_SIZE, max(height, 0.5))

    def _label_gap(self, measure: Measure) -> float:
        """Gap between the group labels and the axes: the numbers at time 0 are centred on
        the axis, so half the widest number must clear the labels."""
        widest = max((measure.text(t, SMALL_SIZE)[0] for t in self._counts()), default=0.0)
        return 0.5 * widest + points(4)

    # --- drawing --------------------------------------------------------------------------

    def draw(self, figure: Figure, measure: Measure, cell: Box, axes: Box) -> None:
        """Curves in ``axes`` (inches), the table under them, letter and legend above."""
        ax = figure.add_axes(axes.fraction(figure))
        limits = (-X_EXPAND * self.x_max, (1 + X_EXPAND) * self.x_max)
        self._draw_curves(ax, limits)
        self._draw_axes(ax, self._time_title(measure, cell), self._ylabel(measure, cell))
        if len(self.groups) > 1:
            self._draw_legend(ax)
        if self.panel:
            figure.text(
                (cell.left + PAD) / figure.get_figwidth(),
                (cell.top - PAD) / figure.get_figheight(),
                self.panel, size=THEME.tag, weight="bold", ha="left", va="top",
            )  # fmt: skip
        table = Box(
            axes.left,
            axes.bottom
            - self._x_decoration(measure, cell)
            - self._table_title()
            - self._table_height(),
            axes.width,
            self._table_height(),
        )  # fmt: skip
        self._draw_table(figure, measure, table, limits, cell)
        if self.annotation:
            self._draw_annotation(ax, figure)

    def _draw_curves(self, ax: Axes, limits: tuple[float, float]) -> None:
        for x, y, xend, yend in self.medians:
            ax.plot(
                [x, xend], [y, yend],
                color=REFERENCE_LINE, linestyle=(0, (4, 3)), linewidth=THEME.guide, zorder=1,
            )  # fmt: skip
        for group in self.groups:
            time, surv = self.curves[group]
            ax.plot(
                time, surv, drawstyle="steps-post",
                color=self.colours[group], linestyle=self.linestyles[group],
                linewidth=THEME.curve, zorder=3, label=group,
            )  # fmt: skip
        if self.marks is not None:
            for group in self.groups:
                time, surv = self.marks[group]
                ax.scatter(
                    time, surv, marker="+",
                    s=MARK_POINTS**2, linewidths=0.9, color=self.colours[group], zorder=4,
                )  # fmt: skip
        ax.set_xlim(*limits)
        ax.set_ylim(-Y_EXPAND, 1 + Y_EXPAND)

    def _draw_axes(self, ax: Axes, time_title: str, ylabel: str) -> None:
        ticks = [i / 5 for i in range(6)]
        ax.set_yticks(ticks, _survival_labels(self.percent))
        ax.set_xticks(self.breaks, [_tick(b) for b in self.breaks])
        ax.set_xlabel(time_title, fontsize=BASE_SIZE)
        ax.set_ylabel(ylabel, fontsize=BASE_SIZE)

    def _draw_legend(self, ax: Axes) -> None:
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], color=self.colours[g], linestyle=self.linestyles[g],
                   linewidth=THEME.curve)
            for g in self.groups
        ]  # fmt: skip
        ax.legend(
            handles, self.groups, loc="lower left", bbox_to_anchor=(0.0, 1.0),
            ncol=1 if self._vertical_legend() else len(self.groups), borderaxespad=0.5,
            borderpad=0.0, handlelength=2.8, handletextpad=0.5, columnspacing=1.4,
            labelspacing=0.5, fontsize=SMALL_SIZE,
        )  # fmt: skip

    def _draw_table(
        self, figure: Figure, measure: Measure, box: Box, limits: tuple[float, float], cell: Box
    ) -> None:
        """Numbers at risk as text in the curves' colours, under the ticks (first group on
        top); unclipped, as a count under time 0 is centred on the axis and a six-digit
        registry count is wider than the panel's margin."""
        table = figure.add_axes(box.fraction(figure))
        n = len(self.groups)
        table.set_xlim(*limits)
        table.set_ylim(-0.5, n - 0.5)
        rows = range(n - 1, -1, -1)  # the first group on top
        for row, group in zip(rows, self.groups, strict=True):
            for time, text in self.risk[group]:
                table.text(
                    time, row, text, ha="center", va="center", fontsize=SMALL_SIZE,
                    color=self.colours[group], clip_on=False,
                )  # fmt: skip
        table.set_yticks(list(rows), self.groups)
        for label, group in zip(table.get_yticklabels(), self.groups, strict=True):
            label.set_color(self.colours[group])
        table.tick_params(
            axis="y", length=0, pad=self._label_gap(measure) * 72, labelsize=SMALL_SIZE
        )
        table.set_xticks([])
        table.patch.set_visible(False)
        for spine in table.spines.values():
            spine.set_visible(False)
        figure.text(
            (cell.left + PAD) / figure.get_figwidth(),
            (box.top + points(TITLE_GAP)) / figure.get_figheight(),
            self.table_title, size=SMALL_SIZE, weight="bold", ha="left", va="bottom",
        )  # fmt: skip

    def _draw_annotation(self, ax: Axes, figure: Figure) -> None:
        """The annotation where it covers the least curve; where its box fits nowhere free,
        the same text with each value's interval on a line of its own, if that fits better,
        and, still over a curve, outlined in white: the numbers stay legible, the curve shows
        on either side of them."""
        renderer = figure.canvas.get_renderer()  # pyright: ignore[reportAttributeAccessIssue]
        segments = self.segments(ax)
        best: tuple[float, Text] | None = None
        for variant in dict.fromkeys([self.annotation or "", ann.narrow(self.annotation or "")]):
            text = ax.text(0, 0, variant, fontsize=SMALL_SIZE, transform=ax.transAxes, zorder=5)
            _, cost = ann.place(ax, text, segments, renderer)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text)
            else:
                text.remove()
            if cost == 0:
                break
        if best is not None and best[0] > 0:  # over a curve: a white halo keeps it legible
            from matplotlib import patheffects  # drawing only (_parallel.py)

            best[1].set_path_effects([patheffects.withStroke(linewidth=2.5, foreground="white")])

    def segments(self, ax: Axes) -> ann.Segments:
        """What the annotation should not cover: curves, censoring marks, median guides."""
        parts = [ann.step_segments(*self.curves[group]) for group in self.groups]
        if self.marks is not None:
            ends = ax.transData.inverted().transform(
                [(0, 0), (MARK_POINTS / 72 * self._dpi(ax), 0)]
            )
            half = abs(ends[1, 0] - ends[0, 0]) / 2
            parts += [ann.marks(*self.marks[group], half) for group in self.groups]
        m = self.medians
        parts.append(ann.lines(m[:, 0], m[:, 1], m[:, 2], m[:, 3], ann.GUIDE_WEIGHT))
        return ann.Segments.join(parts)

    @staticmethod
    def _dpi(ax: Axes) -> float:
        return ax.get_figure(root=True).dpi  # pyright: ignore[reportOptionalMemberAccess]

    def _counts(self) -> list[str]:
        return [text for rows in self.risk.values() for _, text in rows]


def _by_group(frame: pd.DataFrame, columns: list[str], labels: list[str]) -> dict[str, Any]:
    """The columns of each group's rows as arrays, for every label (empty where it has none)."""
    parts = dict(list(frame.groupby("group", observed=True, sort=False)))
    empty = frame.iloc[:0]
    return {
        label: tuple(parts.get(label, empty)[c].to_numpy() for c in columns) for label in labels
    }


def figure_km(
    estimates: Sequence[KMEstimate],
    *,
    risk: RiskTable,
    time_label: str,
    ylabel: str,
    names: Sequence[str] | None = None,
    table_title: str = AT_RISK_TITLE,
    annotation: str | None = None,
    time_breaks: Sequence[float] | None = None,
    panel: str | None = None,
    median_lines: bool = True,
    censor_marks: bool | None = None,
    percent: bool = False,
    small_cell: int | None = None,
    at_risk_totals: Sequence[int] | None = None,
) -> KMFigure:
    """Kaplan–Meier curves of one or more groups with the numbers at risk underneath.

    Curves start at (0, 1), step down at each event time and end at the last observed time;
    ``+`` marks each distinct censoring time, as R's ``plot(survfit, mark.time = TRUE)``.
    Groups differ in colour and in line type. Numbers at risk are those at the start of each
    of ``risk.times`` (R ``summary(survfit, times =)``), printed under the time axis, one row
    per group in the curve's colour.

    Parameters
    ----------
    estimates
        One estimate per group, in legend and table order.
    risk
        Numbers at risk for every group label.
    time_label, ylabel
        Axis titles, e.g. "Time (days)" and "Overall survival probability"
        (``present.wording``).
    names
        The curves' names in the legend and the table, one per estimate (``present.wording``;
        by default the estimates' labels).
    table_title
        The title of the numbers-at-risk table.
    annotation
        Text already formatted by the caller (medians, HR, log-rank p), placed where it covers
        the least of the curves (:mod:`._annotate`).
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
        The study's threshold: numbers at risk below it print as '<k' (see ``present.suppress``).
    at_risk_totals
        The numbers at risk under the overall curve at each of ``risk.times``, for curves by a
        factor: those at risk in no curve (without a value) are a hidden count too.
    """
    # Imported here, with pandas: the drawing process unpickles the figure without them.
    from cohortpress.artefacts.figures import _km_data as data

    if not estimates:
        raise ValueError("figure_km needs at least one Kaplan–Meier estimate")
    labels = [e.label for e in estimates]
    shown = data.readable_times(risk.times, risk)
    thinned = len(shown) < len(risk.times)
    breaks = shown if thinned else list(time_breaks if time_breaks is not None else risk.times)
    x_max = max([data.last_time(estimates), *breaks, *risk.times]) or 1.0
    marked = data.marks_readable(estimates) if censor_marks is None else censor_marks
    curves = data.curve_frame(estimates, x_max)
    table = data.risk_frame(risk, labels, shown, small_cell, at_risk_totals)
    shown_as = dict(zip(labels, names if names is not None else labels, strict=True))
    if len(set(shown_as.values())) != len(labels):
        raise ValueError(f"the curves' names must be distinct, got {list(shown_as.values())}")

    def named(by_label: dict[str, Any]) -> dict[str, Any]:
        return {shown_as[label]: value for label, value in by_label.items()}

    groups = list(shown_as.values())
    return KMFigure(
        curves=named(_by_group(curves, ["time", "surv"], labels)),
        marks=named(_by_group(data.censor_frame(estimates, x_max), ["time", "surv"], labels))
        if marked
        else None,
        medians=data.median_segments(estimates if median_lines else []).to_numpy(),
        risk=named(
            {
                group: [(float(t), str(text)) for t, text in zip(times, texts, strict=True)]
                for group, (times, texts) in _by_group(table, ["time", "text"], labels).items()
            }
        ),
        colours=group_colours(groups),
        linestyles=group_linestyles(groups),
        breaks=[float(b) for b in breaks],
        x_max=float(x_max),
        time_label=time_label,
        ylabel=ylabel,
        table_title=table_title,
        annotation=annotation or None,
        panel=panel,
        percent=percent,
    )


def _legend_width(labels: list[str]) -> float:
    """Estimated width in inches of a one-line legend: per entry a key, margins and text."""
    key_and_margins = SMALL_SIZE * (2.8 + 0.5 + 1.4)  # handle, gap to the text, column gap
    points_ = sum(key_and_margins + 0.6 * SMALL_SIZE * len(label) for label in labels)
    return points_ / 72


def _survival_labels(percent: bool) -> list[str]:
    """S(t) ticks every 0.2, labelled as proportions or percentages."""
    return [f"{i * 20}" if percent else f"{i / 5:.1f}" for i in range(6)]


def _tick(value: float) -> str:
    """A time tick: whole numbers without a decimal point (500, not 500.0)."""
    return str(int(value)) if value == int(value) else f"{value:g}"
