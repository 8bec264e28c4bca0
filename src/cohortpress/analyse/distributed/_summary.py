"""Every count the descriptive and survival statistics need, in one pass over the partitions.

Each partition is reduced to a ``Summary`` (plain pandas, testable without a cluster): value
counts of combinations of columns (blanks kept as a value of their own), events and
censorings per distinct (group, time), the response and treatment tables, the largest value
of some columns and the number of rows. Summaries of parts add up to the summary of the whole
(integers, so exactly and in any order); ``combine`` adds them, and ``summarise`` builds the
tree of additions (``WIDTH`` at a time) for one ``dask.compute``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from dask.delayed import delayed

from cohortpress._packed import unpacked
from cohortpress.analyse._summaries import response_counts, treatment_counts
from cohortpress.analyse.distributed._survival import CENSORED, EVENTS, GROUP, TIME
from cohortpress.analyse.distributed._survival import _partition_counts as survival_part
from cohortpress.analyse.distributed._survival import _sum_counts as sum_survival

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence

    import dask.dataframe as dd
    from dask.delayed import Delayed

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


def summarise_partition(part: pd.DataFrame, plan: Plan) -> Summary:
    """The summary of one partition."""
    return Summary(
        rows=len(part),
        counts={keys: value_counts(part, keys) for keys in plan.counts},
        survival={
            spec: survival_part(part, time=spec[0], event=spec[1], group=spec[2])
            for spec in plan.survival
        },
        maxima={column: float(part[column].max()) for column in plan.maxima},
        response=None if plan.response is None else response_counts(part, plan.response),
        treatment=None if plan.cutoff is None else treatment_counts(part, plan.cutoff),
    )


def value_counts(part: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The patients with each combination of values of ``keys`` (blanks are a value)."""
    counts = part.groupby(list(keys), dropna=False, observed=True, sort=True).size()
    return counts.rename(COUNT).reset_index()


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
    return summarise_partition(part if dtypes is None else unpacked(part, dtypes), plan)


def _add(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    joined = pd.concat(frames, ignore_index=True)
    summed = joined.groupby(keys, dropna=False, observed=True, sort=True)[COUNT].sum()
    return summed.reset_index()


def _add_optional(frames: list[pd.DataFrame | None], keys: list[str]) -> pd.DataFrame | None:
    present = [f for f in frames if f is not None]
    return _add(present, keys) if present else None


__all__ = ["CENSORED", "COUNT", "EVENTS", "GROUP", "TIME", "Plan", "Summary", "summarise"]
