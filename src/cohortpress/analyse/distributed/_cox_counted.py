"""A categorical-only Cox model's rows of a partition as counts, made once for every round.

With categorical covariates only, a row's design values are fixed by its pattern of codes
(one per covariate column), so the rows reduce to the patients per (distinct time, pattern)
— all of them and the events among them — counted once when the partition keeps its rows
(``Counted``). Each Newton–Raphson evaluation then takes the per-time sums from those cells
(a cell of n patients at risk r adds n·r to s0, n·r·x to s1, ...), and the concordance its
patients per (time, event, linear predictor): a pattern's values are those of each of its
rows, so only the order and grouping of the floating-point additions differ from summing row
by row (the integers are the same). Thyroid's fourteen two-level covariates: about 2 x the
distinct times cells a model, a fraction of the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._cox_design import linear_predictor
from cohortpress.analyse._cox_likelihood import overreach
from cohortpress.analyse.distributed._cox_concordance import combine_cells
from cohortpress.analyse.distributed._cox_sums import TimeSums, _sums_at, _weighted_sums

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from cohortpress.analyse.distributed._cox_design import Categories, PartitionModel

CELLS_LIMIT = 2**62  # distinct times x patterns past which a cell's key would overflow
DENSE = 4  # cells counted in a dense array while it is at most this many times the rows


@dataclass(frozen=True)
class Counted:
    """Patients per (distinct time, pattern) of one model's complete cases in a partition,
    sorted by time: ``count`` of them, ``events`` of which had the event; ``patterns`` holds
    each pattern's codes, one ``Categories`` of the distinct patterns per covariate column."""

    time: NDArray[np.float64]  # (C,) the cell's time
    pattern: NDArray[np.intp]  # (C,) the cell's pattern, a row of ``patterns``
    count: NDArray[np.int64]  # (C,) patients
    events: NDArray[np.int64]  # (C,) patients with the event
    patterns: tuple[Categories, ...]


def count_rows(
    time: NDArray[np.float64], event: NDArray[np.bool_], columns: Sequence[Categories]
) -> Counted | None:
    """The cells of rows sorted by time whose every column has a value (the model's complete
    cases); None when the cells are too many to key by one integer."""
    from cohortpress.analyse.distributed._cox_design import Categories

    keep = np.ones(len(time), dtype=bool)
    for column in columns:
        keep &= column.present()
    t, e = time[keep] + 0.0, event[keep]  # + 0.0: -0.0 is the time 0.0
    sizes = [max(len(column.texts), 1) for column in columns]
    patterns = math.prod(sizes)
    new = np.r_[True, t[1:] != t[:-1]] if len(t) else np.empty(0, dtype=bool)
    times = int(new.sum())
    if times * patterns >= CELLS_LIMIT:
        return None
    key = np.zeros(len(t), dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        key = key * size + column.codes[keep]
    cell = (np.cumsum(new) - 1) * patterns + key
    if times * patterns <= DENSE * len(t):
        count = np.bincount(cell, minlength=times * patterns)
        present = np.flatnonzero(count)
        count = count[present]
        events = np.bincount(cell[e], minlength=times * patterns)[present]
    else:
        present, inverse, count = np.unique(cell, return_inverse=True, return_counts=True)
        events = np.bincount(inverse[e], minlength=len(present))
    distinct, pattern = np.unique(present % patterns, return_inverse=True)
    codes = []
    for size in reversed(sizes):
        codes.append(distinct % size)
        distinct = distinct // size
    coded = tuple(
        Categories(c.astype(column.codes.dtype), column.texts)
        for c, column in zip(reversed(codes), columns, strict=True)
    )
    return Counted(
        t[new][present // patterns],
        pattern.astype(np.intp),
        count.astype(np.int64),
        events.astype(np.int64),
        coded,
    )


def pattern_x(counted: Counted, model: PartitionModel) -> NDArray[np.float64]:
    """Each pattern's usable design columns in the covariates' units, as ``model_rows`` codes
    a row with that pattern (a level's indicator 0.0 or 1.0)."""
    every = np.ones(len(counted.patterns[0].codes) if counted.patterns else 0, dtype=bool)
    design: list[NDArray[np.bool_]] = []
    for cov, column in zip(model.covariates, counted.patterns, strict=True):
        levels = [level for level in cov.levels or () if level != cov.reference]
        design += [column.indicator(every, level) for level in levels]
    x = np.empty((len(every), len(model.usable)), order="F")
    for k, j in enumerate(model.usable):
        x[:, k] = design[j]
    return x


def counted_sums(counted: Counted, model: PartitionModel, beta: NDArray[np.float64]) -> TimeSums:
    """``rows_sums`` from the cells: per distinct time the same sums, each pattern's rows
    added as one term of their number times their (equal) values."""
    x = (pattern_x(counted, model) - model.centre) * model.scale
    cell_x = x[counted.pattern]
    died = counted.events.astype(np.float64)
    t = counted.time
    start = np.flatnonzero(np.r_[True, t[1:] != t[:-1]]) if len(t) else np.empty(0, np.intp)
    events = np.add.reduceat(counted.events, start) if len(t) else np.empty(0, np.int64)
    event_x = _sums_at(died[:, None] * cell_x, start, cell_x.shape[1])
    with overreach():
        risk = np.exp(x @ beta)[counted.pattern]  # each cell's pattern's
        s0, s1, s2 = _weighted_sums(cell_x, risk * counted.count.astype(np.float64), start)
        d0 = d1 = d2 = None
        if model.ties == "efron":
            d0, d1, d2 = _weighted_sums(cell_x, risk * died, start)
    return TimeSums(t[start], events, s0, s1, s2, event_x, d0, d1, d2)


def counted_cells(
    counted: Counted, beta: NDArray[np.float64], model: PartitionModel
) -> pd.DataFrame:
    """``cell_counts`` from the cells: patients per (time, event, x'beta), the linear
    predictor of a pattern computed as for each of its rows."""
    score = linear_predictor(pattern_x(counted, model), beta) + 0.0
    censored = counted.count - counted.events
    alive, died = np.flatnonzero(censored), np.flatnonzero(counted.events)
    both = np.r_[alive, died]
    event = np.r_[np.zeros(len(alive), dtype=bool), np.ones(len(died), dtype=bool)]
    order = np.lexsort((event, counted.time[both]))  # by time, then event (stable)
    cell, event = both[order], event[order]
    cells = pd.DataFrame({
        "time": counted.time[cell],
        "event": event,
        "score": score[counted.pattern[cell]],
        "count": np.where(event, counted.events[cell], censored[cell]).astype(np.int64),
    })  # fmt: skip
    if len(np.unique(score)) < len(score):  # patterns of equal score at a time: one cell
        return combine_cells([cells])
    return cells
