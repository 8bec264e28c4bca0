"""The Cox design of a partitioned extract: the global facts first, then the same rows per
partition as ``analyse._cox_design.build_design`` makes them in memory.

One reduction finds what the design depends on across every partition: the complete cases
and their events, each categorical covariate's levels present (with patients and events per
level) and each continuous covariate's sum, range and whether its values are all -1, 0 or 1
(R's test for an indicator, left unscaled). With the levels fixed, every partition codes its
rows with the in-memory ``build_design``, so the columns, their order and the reference are
the in-memory ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cohortpress.analyse._cox_design import DesignColumn, _level_codes, build_design
from cohortpress.analyse._inputs import as_events, numbers

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from numpy.typing import NDArray

    from cohortpress.analyse._cox import CoxCovariate
    from cohortpress.analyse._results import Ties


@dataclass(frozen=True)
class LevelCounts:
    """A categorical covariate: patients and events per level present (as text)."""

    patients: dict[str, int]
    events: dict[str, int]


@dataclass(frozen=True)
class ValueRange:
    """A continuous covariate (divided by its ``per``): sum, smallest and largest value, and
    whether every value is -1, 0 or 1."""

    total: float
    low: float
    high: float
    indicator: bool


@dataclass(frozen=True)
class Facts:
    """What the design needs to know of the whole extract (complete cases only)."""

    n: int
    events: int
    covariates: tuple[LevelCounts | ValueRange, ...]


@dataclass(frozen=True)
class GlobalDesign:
    """The design's columns as in memory, and the covariates with their levels fixed."""

    n: int
    events: int
    columns: tuple[DesignColumn, ...]
    covariates: tuple[CoxCovariate, ...]  # categorical ones with levels and reference set
    varies: NDArray[np.bool_]
    indicator: NDArray[np.bool_]
    mean: NDArray[np.float64]


@dataclass(frozen=True)
class PartitionModel:
    """All a partition needs to turn its rows into the model's centred and scaled columns."""

    time: str
    event: str
    covariates: tuple[CoxCovariate, ...]
    usable: NDArray[np.intp]  # the design's columns that vary
    centre: NDArray[np.float64]
    scale: NDArray[np.float64]
    ties: Ties


def partition_facts(
    part: pd.DataFrame, time: str, event: str, covariates: Sequence[CoxCovariate]
) -> Facts:
    """The facts of one partition's complete cases (values checked as in memory)."""
    needed = [time, event, *(c.column for c in covariates)]
    frame = part.loc[part[needed].notna().all(axis=1), needed]
    numbers(frame[time])
    events = as_events(frame[event])
    return Facts(
        len(frame), int(events.sum()), tuple(_facts(frame[c.column], c, events) for c in covariates)
    )


def merge_facts(parts: Sequence[Facts]) -> Facts:
    """The facts of several partitions together."""
    first, *rest = parts
    covariates = list(first.covariates)
    for part in rest:
        covariates = [_merge(a, b) for a, b in zip(covariates, part.covariates, strict=True)]
    return Facts(sum(p.n for p in parts), sum(p.events for p in parts), tuple(covariates))


def global_design(facts: Facts, covariates: Sequence[CoxCovariate]) -> GlobalDesign:
    """The columns ``build_design`` would make of all the rows, from their facts: levels
    default to the values present, sorted, the first the reference (R's factor levels); a
    value not among declared levels is refused with the in-memory message."""
    columns: list[DesignColumn] = []
    resolved: list[CoxCovariate] = []
    varies: list[bool] = []
    indicator: list[bool] = []
    mean: list[float] = []
    n = facts.n
    for cov, fact in zip(covariates, facts.covariates, strict=True):
        if isinstance(fact, ValueRange):
            resolved.append(cov)
            columns.append(DesignColumn(cov, None, None, n, facts.events))
            varies.append(n > 0 and fact.high > fact.low)
            indicator.append(fact.indicator)
            mean.append(fact.total / n if n else np.nan)
            continue
        observed = set(fact.patients)
        levels = cov.levels or tuple(sorted(observed))
        unknown = sorted(observed - set(levels))
        if unknown:
            raise ValueError(
                f"{cov.label}: values {unknown} are not among the levels {list(levels)}"
            )
        if not levels:
            raise ValueError(f"{cov.label}: no value among the patients analysed")
        reference = cov.reference or levels[0]
        resolved.append(dataclasses.replace(cov, levels=levels, reference=reference))
        for level in levels:
            if level == reference:
                continue
            patients = fact.patients.get(level, 0)
            columns.append(DesignColumn(cov, level, reference, patients, fact.events.get(level, 0)))
            varies.append(0 < patients < n)
            indicator.append(True)
            mean.append(patients / n if n else np.nan)
    return GlobalDesign(
        n,
        facts.events,
        tuple(columns),
        tuple(resolved),
        np.array(varies, dtype=bool),
        np.array(indicator, dtype=bool),
        np.array(mean, dtype=float),
    )


@dataclass(frozen=True)
class Rows:
    """A partition's complete cases as the model sees them, sorted by time: what the
    workers keep in memory between the passes (rows x (p + 2) numbers)."""

    time: NDArray[np.float64]
    event: NDArray[np.bool_]
    # the usable columns, in the covariates' units (x / per); one byte a value when every
    # value is a small whole number (the indicators of categorical covariates), which
    # arithmetic with floats turns back into the same float64 values
    x: NDArray[np.float64] | NDArray[np.int8]


def partition_rows(part: pd.DataFrame, model: PartitionModel) -> Rows:
    """The complete cases of a partition coded by ``build_design`` with the global levels
    (so its columns are the in-memory design's), the usable columns only."""
    design = build_design(part, model.time, model.event, model.covariates)
    order = np.argsort(design.time, kind="stable")
    x = design.x[order][:, model.usable]
    small = x.astype(np.int8)
    return Rows(design.time[order], design.event[order], small if np.array_equal(small, x) else x)


def rows_spread(rows: Rows, centre: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum of |x - centre| per usable column: the mean absolute deviation R scales by."""
    return np.abs(rows.x - centre).sum(axis=0)


def _facts(
    values: pd.Series, cov: CoxCovariate, events: NDArray[np.bool_]
) -> LevelCounts | ValueRange:
    if cov.kind == "continuous":
        x = numbers(values) / cov.per
        if not len(x):
            return ValueRange(0.0, np.inf, -np.inf, True)
        indicator = bool(np.all(np.isin(x, (-1.0, 0.0, 1.0))))
        return ValueRange(float(x.sum()), float(x.min()), float(x.max()), indicator)
    codes, observed = _level_codes(values)
    patients = np.bincount(codes, minlength=len(observed))
    in_events = np.bincount(codes, weights=events, minlength=len(observed))
    return LevelCounts(
        {lv: int(k) for lv, k in zip(observed, patients, strict=True)},
        {lv: int(k) for lv, k in zip(observed, in_events, strict=True)},
    )


def _merge(a: LevelCounts | ValueRange, b: LevelCounts | ValueRange) -> LevelCounts | ValueRange:
    if isinstance(a, ValueRange) and isinstance(b, ValueRange):
        return ValueRange(
            a.total + b.total, min(a.low, b.low), max(a.high, b.high), a.indicator and b.indicator
        )
    assert isinstance(a, LevelCounts) and isinstance(b, LevelCounts)
    patients, events = dict(a.patients), dict(a.events)
    for level, count in b.patients.items():
        patients[level] = patients.get(level, 0) + count
        events[level] = events.get(level, 0) + b.events[level]
    return LevelCounts(patients, events)
