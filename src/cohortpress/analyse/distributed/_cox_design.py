"""The Cox design of a partitioned extract: the global facts first, then the same rows per
partition as ``analyse._cox_design.build_design`` makes them in memory.

One reduction finds what the design depends on across every partition: the complete cases
and their events, each categorical covariate's levels present (with patients and events per
level) and each continuous covariate's sum, range and whether its values are all -1, 0 or 1
(R's test for an indicator, left unscaled). Every partition keeps its rows once for all the
models fitted together (``Block``: per (time, event) pair the rows sorted by time, each
covariate column coded once), and each model's rows are taken from them as ``build_design``
would code them with the levels fixed, so the columns, their order, the reference and every
value are the in-memory ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from cohortpress.analyse._cox_design import DesignColumn, _level_codes
from cohortpress.analyse._inputs import as_events, numbers
from cohortpress.analyse.distributed._cox_counted import Counted, count_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

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
class RowsPlan:
    """What a partition codes and keeps for the Cox models fitted together: every (time,
    event) pair they model and every covariate column they read, by (column, kind); and the
    models with categorical covariates only, by ``counted_key``, whose rows it also counts
    (``_cox_counted``)."""

    survival: tuple[tuple[str, str], ...]
    columns: tuple[tuple[str, str], ...]
    counted: tuple[CountedKey, ...] = ()

    @classmethod
    def of(cls, models: Sequence[ModelRows]) -> RowsPlan:
        """The plan covering ``models``."""
        survival = dict.fromkeys((m.time, m.event) for m in models)
        columns = dict.fromkeys((c.column, c.kind) for m in models for c in m.covariates)
        counted = dict.fromkeys(
            counted_key(m) for m in models if all(c.kind != "continuous" for c in m.covariates)
        )
        return cls(tuple(survival), tuple(columns), tuple(counted))

    def covers(self, other: RowsPlan) -> bool:
        """Whether every pair, column and count of ``other`` is kept by this plan."""
        pairs, columns = set(self.survival), set(self.columns)
        return (
            set(other.survival) <= pairs
            and set(other.columns) <= columns
            and set(other.counted) <= set(self.counted)
        )

    def with_(self, other: RowsPlan) -> RowsPlan:
        """This plan's pairs, columns and counts and then those of ``other``."""
        return RowsPlan(
            tuple(dict.fromkeys(self.survival + other.survival)),
            tuple(dict.fromkeys(self.columns + other.columns)),
            tuple(dict.fromkeys(self.counted + other.counted)),
        )


CountedKey = tuple[str, str, tuple[tuple[str, str], ...]]


def counted_key(model: ModelRows) -> CountedKey:
    """A model's (time, event, covariate columns by (column, kind)): what its counts depend on."""
    return (model.time, model.event, tuple((c.column, c.kind) for c in model.covariates))


class ModelRows(Protocol):
    """What ``RowsPlan.of`` reads of a model."""

    @property
    def time(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def covariates(self) -> Sequence[CoxCovariate]: ...


@dataclass(frozen=True)
class Categories:
    """A categorical covariate column of a partition: each row's index into the texts of
    the values seen (-1 where missing; one byte a row for up to 127 distinct texts)."""

    codes: NDArray[np.signedinteger]
    texts: tuple[str, ...]

    def present(self) -> NDArray[np.bool_]:
        """The rows with a value."""
        return self.codes >= 0

    def take(self, order: NDArray[np.intp]) -> Categories:
        """The column's rows in ``order``."""
        return Categories(self.codes[order], self.texts)

    def indicator(self, rows: NDArray[np.bool_], level: str) -> NDArray[np.bool_]:
        """Whether each of ``rows`` has the level (none when no row has its text)."""
        return self.codes[rows] == (self.texts.index(level) if level in self.texts else -1)


@dataclass(frozen=True)
class Values:
    """A continuous covariate column of a partition: its numbers (NaN where missing)."""

    values: NDArray[np.float64]

    def present(self) -> NDArray[np.bool_]:
        """The rows with a value."""
        return ~np.isnan(self.values)

    def take(self, order: NDArray[np.intp]) -> Values:
        """The column's rows in ``order``."""
        return Values(self.values[order])

    def divided(self, rows: NDArray[np.bool_], per: float) -> NDArray[np.float64]:
        """The values of ``rows`` divided by ``per``, as the in-memory design divides them."""
        return self.values[rows] / per


@dataclass(frozen=True)
class SurvivalRows:
    """A partition's rows with a time and an event of one pair, sorted by time (stable), with
    every covariate column of the plan in the same order."""

    time: NDArray[np.float64]
    event: NDArray[np.bool_]
    columns: dict[tuple[str, str], Categories | Values]


@dataclass(frozen=True)
class Block:
    """A partition's rows as every Cox model fitted together reads them, kept in the workers'
    memory between the passes: per (time, event) pair 9 bytes a row for the time and the
    event and, per covariate column, a byte a row (categorical) or eight (continuous).

    A model's rows are those with every one of its columns present (its complete cases),
    still in time order: the rows ``build_design`` keeps, sorted as each fit sorts them.
    ``counted``: those of a categorical-only model as patients per (time, pattern), by
    ``counted_key`` (absent when too many cells to key: its rows serve then)."""

    survival: dict[tuple[str, str], SurvivalRows]
    counted: dict[CountedKey, Counted] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Rows:
    """One model's complete cases in a partition, sorted by time: its usable columns in the
    covariates' units (x / per)."""

    time: NDArray[np.float64]
    event: NDArray[np.bool_]
    x: NDArray[np.float64]


def partition_rows(part: pd.DataFrame, plan: RowsPlan) -> Block:
    """The rows a partition keeps for the models of ``plan``.

    Values the fits would refuse (a time that is not a number, an event not 0/1) are left
    out here rather than raised: the facts pass (``partition_facts``, run before any fit
    reads these rows) raises the in-memory error for the rows a model would use, and rows
    no model uses raise nothing, as in memory."""
    columns = {key: _coded_column(part[key[0]], key[1]) for key in plan.columns}
    survival: dict[tuple[str, str], SurvivalRows] = {}
    for time, event in plan.survival:
        t, e = _coerced(part[time]), _coerced(part[event])
        keep = np.flatnonzero(~np.isnan(t) & np.isin(e, (0.0, 1.0)))
        order = keep[np.argsort(t[keep], kind="stable")]
        taken = {key: column.take(order) for key, column in columns.items()}
        survival[(time, event)] = SurvivalRows(t[order], e[order] == 1.0, taken)
    counted: dict[CountedKey, Counted] = {}
    for key in plan.counted:
        rows = survival[key[:2]]
        coded = [rows.columns[column] for column in key[2]]
        categories = [column for column in coded if isinstance(column, Categories)]
        cells = count_rows(rows.time, rows.event, categories) if coded == categories else None
        if cells is not None:
            counted[key] = cells
    return Block(survival, counted)


def model_rows(block: Block, model: PartitionModel) -> Rows:
    """The model's complete cases of a partition, coded as ``build_design`` codes them with
    the global levels (so its columns are the in-memory design's), the usable columns only.
    The values are the in-memory ones: a level's indicator is 0.0 or 1.0, a continuous
    covariate its number divided by ``per``."""
    rows = block.survival[(model.time, model.event)]
    coded = [rows.columns[(c.column, c.kind)] for c in model.covariates]
    keep = np.ones(len(rows.time), dtype=bool)
    for column in coded:
        keep &= column.present()
    design: list[Callable[[NDArray[np.bool_]], NDArray[np.float64] | NDArray[np.bool_]]] = []
    for cov, column in zip(model.covariates, coded, strict=True):
        if isinstance(column, Values):
            design.append(partial(column.divided, per=cov.per))
        else:
            levels = [level for level in cov.levels or () if level != cov.reference]
            design += [partial(column.indicator, level=level) for level in levels]
    # column by column (Fortran order), as the design's usable columns were taken before
    x = np.empty((int(keep.sum()), len(model.usable)), order="F")
    for k, j in enumerate(model.usable):
        x[:, k] = design[j](keep)
    return Rows(rows.time[keep], rows.event[keep], x)


def rows_spread(rows: Rows, centre: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum of |x - centre| per usable column: the mean absolute deviation R scales by."""
    return np.abs(rows.x - centre).sum(axis=0)


def _coded_column(values: pd.Series, kind: str) -> Categories | Values:
    if kind == "continuous":
        return Values(_coerced(values))
    present = values.notna().to_numpy()
    codes = np.full(len(values), -1, dtype=np.int64)
    inside, texts = _level_codes(values[present])
    codes[present] = inside
    return Categories(codes.astype(np.int8 if len(texts) < 127 else np.int32), tuple(texts))


def _coerced(values: pd.Series) -> NDArray[np.float64]:
    """``numbers`` with NaN for what is not a number (see ``partition_rows``)."""
    series = pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce")
    return np.asarray(pd.Series(series).to_numpy(dtype=np.float64, na_value=np.nan))


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
