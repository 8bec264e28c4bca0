"""Every count the descriptive and survival statistics need, in one pass over the partitions.

Each partition is reduced to a ``Summary`` (plain pandas, testable without a cluster): value
counts of combinations of columns (blanks kept as a value of their own), events and
censorings per distinct (group, time), the response and treatment tables, the largest value
of some columns and the number of rows. Summaries of parts add up to the summary of the whole
(integers, so exactly and in any order); ``combine`` adds them, and ``summarise`` builds the
tree of additions (``WIDTH`` at a time) for one ``dask.compute``. A packed partition's
counts are taken from its categoricals' codes where they give the same frames (``_cells``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from dask.delayed import delayed

from cohortpress._packed import unpacked
from cohortpress.analyse._summaries import response_counts, treatment_counts
from cohortpress.analyse.distributed._cells import cell_counts, column_codes
from cohortpress.analyse.distributed._checks import check_survival
from cohortpress.analyse.distributed._survival import CENSORED, EVENTS, GROUP, TIME
from cohortpress.analyse.distributed._survival import _partition_counts as survival_part
from cohortpress.analyse.distributed._survival import _sum_counts as sum_survival

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    import dask.dataframe as dd
    from dask.delayed import Delayed
    from numpy.typing import NDArray

    from cohortpress.config import Response

WIDTH = 8  # summaries added per task of the tree
COUNT = "count"


@dataclass(frozen=True)
class Plan:
    """What to count: travels to the workers, so plain data only."""

    counts: tuple[tuple[str, ...], ...] = ()  # value counts of each combination of columns
    survival: tuple[tuple[str, str, str | None], ...] = ()  # (time, event, group or None)
    maxima: tuple[str, ...] = ()  # columns whose largest value is needed
    response: Response | None = None  # count best responses (and lasting SD) by these rules
    cutoff: dt.date | None = None  # count stopped treatments and their reasons at this date


@dataclass(frozen=True)
class Summary:
    """The counts of some patients; ``combine`` adds those of disjoint parts."""

    rows: int
    counts: dict[tuple[str, ...], pd.DataFrame] = field(default_factory=dict)
    survival: dict[tuple[str, str, str | None], pd.DataFrame] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=dict)
    response: pd.DataFrame | None = None  # best_response, lasting, count
    treatment: pd.DataFrame | None = None  # stopped, end_reason, count


def summarise_partition(
    part: pd.DataFrame, plan: Plan, packed: pd.DataFrame | None = None
) -> Summary:
    """The summary of one partition; ``packed``, the same rows as the partition is kept
    (``_packed``), lets the counts read its categoricals' codes (``_cells``)."""
    timed: dict[tuple[str, str], Any] = {}
    coded = None if packed is None else _Codes(part, packed)
    return Summary(
        rows=len(part),
        counts={keys: value_counts(part, keys, coded) for keys in plan.counts},
        survival={spec: _survival(part, spec, coded, timed) for spec in plan.survival},
        maxima={column: float(part[column].max()) for column in plan.maxima},
        response=None if plan.response is None else response_counts(part, plan.response),
        treatment=None if plan.cutoff is None else treatment_counts(part, plan.cutoff),
    )


class _Codes:
    """``column_codes`` of a partition's columns, each coded once."""

    def __init__(self, part: pd.DataFrame, packed: pd.DataFrame) -> None:
        self._part, self._packed = part, packed
        self._codes: dict[str, tuple[NDArray[np.int64], pd.Series] | None] = {}

    def __call__(self, column: str) -> tuple[NDArray[np.int64], pd.Series] | None:
        if column not in self._codes:
            self._codes[column] = column_codes(self._part[column], self._packed[column])
        return self._codes[column]


def value_counts(
    part: pd.DataFrame, keys: Sequence[str], coded: _Codes | None = None
) -> pd.DataFrame:
    """The patients with each combination of values of ``keys`` (blanks are a value);
    from the columns' codes when every key has them (the same frame)."""
    if coded is not None:
        codes = [coded(key) for key in keys]
        if all(c is not None for c in codes):
            ones = np.ones(len(part), dtype=np.int64)
            return cell_counts([c for c in codes if c is not None], keys, {COUNT: ones})
    # A key named twice (compare_by's column as a Table I row) is one column, as cell_counts
    # makes it: pandas would refuse to put it back twice.
    counts = part.groupby(list(dict.fromkeys(keys)), dropna=False, observed=True, sort=True).size()
    return counts.rename(COUNT).reset_index()


def _survival(
    part: pd.DataFrame,
    spec: tuple[str, str, str | None],
    coded: _Codes | None,
    timed: dict[tuple[str, str], Any],
) -> pd.DataFrame:
    """``survival_part`` of the spec; from codes (``_cells``) when the partition's are known
    and the group has them, the rows kept and the times coded once per (time, event)."""
    time, event, group = spec
    grouped = None
    if coded is not None and group is not None:
        grouped = coded(group)
    if coded is None or (group is not None and grouped is None):
        return survival_part(part, time=time, event=event, group=group)
    if (time, event) not in timed:
        check_survival(part, time, event)
        keep = (part[time].notna() & part[event].notna()).to_numpy()
        times = part.loc[keep, time].astype("float64") + 0.0  # -0.0 is 0.0, one time
        events = part.loc[keep, event].astype("int64").to_numpy()
        timed[(time, event)] = (keep, column_codes(times, times), events)
    keep, times, events = timed[(time, event)]
    weights = {EVENTS: events, CENSORED: 1 - events}
    if grouped is None:
        return cell_counts([times], [TIME], weights)
    return cell_counts([(grouped[0][keep], grouped[1]), times], [GROUP, TIME], weights)


def combine(summaries: Sequence[Summary]) -> Summary:
    """The summary of the union of disjoint parts: every count added up."""
    first = summaries[0]
    return Summary(
        rows=sum(s.rows for s in summaries),
        counts={k: _add([s.counts[k] for s in summaries], list(k)) for k in first.counts},
        survival={
            spec: sum_survival(
                pd.concat([s.survival[spec] for s in summaries], ignore_index=True),
                [GROUP, TIME] if spec[2] else [TIME],
            )
            for spec in first.survival
        },
        maxima={c: float(np.fmax.reduce([s.maxima[c] for s in summaries])) for c in first.maxima},
        response=_add_optional([s.response for s in summaries], ["best_response", "lasting"]),
        treatment=_add_optional([s.treatment for s in summaries], ["stopped", "end_reason"]),
    )


def summarise(frame: dd.DataFrame, plan: Plan, dtypes: dict[str, object] | None = None) -> Delayed:
    """The lazy summary of every partition of ``frame``, added up in a tree. With ``dtypes``
    the partitions are packed (``_packed``) and each task unpacks its own: no task holds an
    unpacked partition for another."""
    shared = delayed(plan, pure=True)  # one task holds the plan; every partition reads it
    level = [delayed(_summarised)(part, shared, dtypes) for part in frame.to_delayed()]
    while len(level) > 1:
        level = [delayed(combine)(level[i : i + WIDTH]) for i in range(0, len(level), WIDTH)]
    return level[0]


def _summarised(part: pd.DataFrame, plan: Plan, dtypes: dict[str, object] | None) -> Summary:
    if dtypes is None:
        return summarise_partition(part, plan)
    return summarise_partition(unpacked(part, dtypes), plan, part)


def _add(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    joined = pd.concat(frames, ignore_index=True)
    by = list(dict.fromkeys(keys))  # a key named twice is one column (see value_counts)
    summed = joined.groupby(by, dropna=False, observed=True, sort=True)[COUNT].sum()
    return summed.reset_index()


def _add_optional(frames: list[pd.DataFrame | None], keys: list[str]) -> pd.DataFrame | None:
    present = [f for f in frames if f is not None]
    return _add(present, keys) if present else None


__all__ = ["CENSORED", "COUNT", "EVENTS", "GROUP", "TIME", "Plan", "Summary", "summarise"]
