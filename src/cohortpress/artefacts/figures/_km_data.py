"""Plot-ready data for Kaplan–Meier figures, computed from ``KMEstimate`` tables only.

Every frame here is built from the distinct observed times of the estimates, and thinned to a
fixed grid along the time axis, so the cost of a figure does not grow with the number of
patients (registries of a million patients draw as fast as a 26-patient series).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.present import suppress as sup

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cohortpress.analyse._results import KMEstimate, RiskTable

# Steps closer than 1/TIME_RESOLUTION of the time axis are drawn as one: that is 0.04 mm in a
# 8 cm wide panel, far below what print or a 300 dpi PNG can show. Censoring marks (about 2 mm
# wide) are drawn once per cell of a MARK_RESOLUTION x MARK_RESOLUTION grid over the panel.
TIME_RESOLUTION = 2000
MARK_RESOLUTION = 500
# Above this many censored patients in a panel the + marks merge into a band over the curve
# (a registry); they are left out and the caption says so.
MAX_MARKED_CENSORED = 200
# Characters of numbers at risk that fit across a half-page-width panel (about 2.3 inches at
# 0.6 em per character), gaps included: wider rows keep every other time.
RISK_ROW_CHARACTERS = 34


@dataclass(frozen=True)
class Corner:
    """Where an in-panel text goes, in data coordinates, with its alignment."""

    x: float
    y: float
    ha: str
    va: str


def last_time(estimates: Sequence[KMEstimate]) -> float:
    """Latest observed time (event or censoring) over all groups; 0 when there is none."""
    return max((float(e.table["time"].max()) for e in estimates if len(e.table)), default=0.0)


def _grid_cells(values: np.ndarray, top: float, resolution: int = TIME_RESOLUTION) -> np.ndarray:
    """Index of the cell each value falls in, on a grid of ``resolution`` cells up to ``top``."""
    return np.floor(values / top * resolution)


def _starts(values: np.ndarray) -> np.ndarray:
    """True where a value differs from the one before it (the first value always starts)."""
    return np.r_[np.ones(min(len(values), 1), bool), values[1:] != values[:-1]]


def _ends(values: np.ndarray) -> np.ndarray:
    """True where a value differs from the one after it (the last value always ends)."""
    return np.r_[values[1:] != values[:-1], np.ones(min(len(values), 1), bool)]


def curve_frame(estimates: Sequence[KMEstimate], x_max: float) -> pd.DataFrame:
    """Vertices of each step curve: (0, 1), each event time, and the last observed time.

    Where several events fall in one grid cell only the last is kept, so the curve still ends
    each cell at the exact S(t).
    """
    parts = []
    for est in estimates:
        rows = est.table.loc[est.table["n_event"] > 0]
        t, s = rows["time"].to_numpy(float), rows["surv"].to_numpy(float)
        keep = _ends(_grid_cells(t, x_max))
        end_s = s[-1] if len(s) else 1.0
        times = np.r_[0.0, t[keep], last_time([est])]
        surv = np.r_[1.0, s[keep], end_s]
        parts.append(pd.DataFrame({"group": est.label, "time": times, "surv": surv}))
    return _with_group_order(parts, estimates)


def censor_frame(estimates: Sequence[KMEstimate], x_max: float) -> pd.DataFrame:
    """One mark per distinct censoring time (as R's ``mark.time``), at S(t) after that time.

    Marks that would overlap within one cell of the mark grid are drawn once.
    """
    parts = []
    for est in estimates:
        rows = est.table.loc[est.table["n_censor"] > 0]
        t, s = rows["time"].to_numpy(float), rows["surv"].to_numpy(float)
        keep = _starts(_grid_cells(t, x_max, MARK_RESOLUTION)) | _starts(
            _grid_cells(s, 1.0, MARK_RESOLUTION)
        )
        parts.append(pd.DataFrame({"group": est.label, "time": t[keep], "surv": s[keep]}))
    return _with_group_order(parts, estimates)


def marks_readable(estimates: Sequence[KMEstimate]) -> bool:
    """Whether the panel's censoring marks can be told apart (see ``MAX_MARKED_CENSORED``)."""
    censored = sum(int(e.table["n_censor"].sum()) for e in estimates)
    return censored <= MAX_MARKED_CENSORED


def readable_times(times: Sequence[float], risk: RiskTable) -> list[float]:
    """The times whose numbers at risk fit side by side: all of them at a paper's size;
    every other one (then every fourth, ...) when the counts run to tens of thousands."""
    widest = max((len(f"{n:,}") for counts in risk.n_risk.values() for n in counts), default=1)
    kept = list(times)
    step = 1
    while len(kept) > 2 and len(kept) * (widest + 2) > RISK_ROW_CHARACTERS:
        step *= 2
        kept = list(times)[::step]
    return kept


def median_segments(estimates: Sequence[KMEstimate]) -> pd.DataFrame:
    """Dashed guides to each reached median: across at S = 0.5, then down to the time axis."""
    medians = [e.median.estimate for e in estimates if e.median.estimate is not None]
    across = [max(medians)] if medians else []
    return pd.DataFrame(
        {
            "x": [0.0] * len(across) + medians,
            "y": 0.5,
            "xend": across + medians,
            "yend": [0.5] * len(across) + [0.0] * len(medians),
        },
        dtype=float,
    )


def risk_frame(
    risk: RiskTable,
    labels: Sequence[str],
    times: Sequence[float] | None = None,
    small_cell: int | None = None,
    totals: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Numbers at risk in long form (group, time, n, text), in the order of ``labels``, at
    ``times`` (default: all of the table's); with ``small_cell`` the text of a suppressed
    number is its mark ('<k', '*'), the groups at one time being one group of counts out of
    ``totals`` (see ``suppress.risk_marks``)."""
    missing = [label for label in labels if label not in risk.n_risk]
    if missing:
        msg = f"the risk table has no row for {missing}; it has {list(risk.n_risk)}"
        raise ValueError(msg)
    for label in labels:
        counts = risk.n_risk[label]
        if len(counts) != len(risk.times):
            msg = f"{label!r}: {len(counts)} numbers at risk for {len(risk.times)} times"
            raise ValueError(msg)
    rows = [risk.n_risk[label] for label in labels]
    marks = sup.risk_marks(list(zip(*rows, strict=True)), small_cell, totals)
    parts = []
    for g, (label, counts) in enumerate(zip(labels, rows, strict=True)):
        text = [marks[t][g] or f"{n:,}" for t, n in enumerate(counts)]
        parts.append(pd.DataFrame({"group": label, "time": risk.times, "n": counts, "text": text}))
    frame = pd.concat(parts, ignore_index=True)
    if times is not None:
        frame = frame.loc[frame["time"].isin(list(times))].reset_index(drop=True)
    frame["group"] = pd.Categorical(frame["group"], categories=list(labels))
    return frame


def _with_group_order(parts: list[pd.DataFrame], estimates: Sequence[KMEstimate]) -> pd.DataFrame:
    frame = pd.concat(parts, ignore_index=True)
    frame["group"] = pd.Categorical(frame["group"], categories=[e.label for e in estimates])
    return frame


def free_corner(curves: pd.DataFrame, medians: pd.DataFrame, x_max: float, text: str) -> Corner:
    """A panel corner that no curve or median guide passes through, for the annotation.

    The text's box is estimated from its line count and longest line (about 2.2% of the panel
    width per character, 7% of its height per line, which fits a half-page-width panel).
    Tried in order: top right, bottom left, bottom right; top right if none is free.
    """
    lines = text.splitlines() or [""]
    w = min(0.95, 0.022 * max(len(line) for line in lines))
    h = min(0.95, 0.07 * len(lines) + 0.03)
    candidates = [
        ((1 - w, 1.0, 1 - h, 1.0), Corner(x_max, 1.0, "right", "top")),
        ((0.02, w + 0.02, 0.0, h), Corner(0.02 * x_max, 0.0, "left", "bottom")),
        ((1 - w, 1.0, 0.0, h), Corner(x_max, 0.0, "right", "bottom")),
    ]
    for (x0, x1, y0, y1), corner in candidates:
        box = (x0 * x_max, x1 * x_max, y0, y1)
        if not _curves_cross(curves, box) and not _medians_cross(medians, box):
            return corner
    return candidates[0][1]


def _curves_cross(curves: pd.DataFrame, box: tuple[float, float, float, float]) -> bool:
    """Whether a step curve enters the box: over [x0, x1] it spans [S(x1), S(x0)]."""
    x0, x1, y0, y1 = box
    for _, curve in curves.groupby("group", observed=True):
        t, s = curve["time"].to_numpy(), curve["surv"].to_numpy()
        if x0 > t[-1]:
            continue
        at = np.searchsorted(t, [x0, min(x1, t[-1])], side="right") - 1
        high, low = s[at[0]], s[at[1]]
        if low <= y1 and high >= y0:
            return True
    return False


def _medians_cross(medians: pd.DataFrame, box: tuple[float, float, float, float]) -> bool:
    """Whether a median guide segment (horizontal or vertical) enters the box."""
    x0, x1, y0, y1 = box
    left = np.minimum(medians["x"], medians["xend"])
    right = np.maximum(medians["x"], medians["xend"])
    low = np.minimum(medians["y"], medians["yend"])
    high = np.maximum(medians["y"], medians["yend"])
    return bool(((left <= x1) & (right >= x0) & (low <= y1) & (high >= y0)).any())
