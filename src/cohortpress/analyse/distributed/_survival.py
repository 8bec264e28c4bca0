"""Events and censorings per distinct (group, time): one map-reduce over the extract.

Each partition counts its own rows; the counts are summed (a tree reduction on the cluster,
integers, so exact in any order) and the client builds Kaplan–Meier tables, numbers at risk,
log-rank tests and the reverse-KM follow-up from them with the in-memory functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from cohortpress.analyse._inputs import level_text
from cohortpress.analyse._km import OVERALL, km_estimate_from_counts, median_followup_from_counts
from cohortpress.analyse._logrank import logrank_from_counts
from cohortpress.analyse.distributed._checks import PartitionValueError, check_survival

if TYPE_CHECKING:
    import dask.dataframe as dd

    from cohortpress.analyse._results import (
        CITransform,
        KMEstimate,
        LogRankResult,
        QuantileEstimate,
    )

TIME, EVENTS, CENSORED = "time", "n_event", "n_censor"
GROUP = "group"


@dataclass(frozen=True)
class SurvivalCounts:
    """The combined counts: one row per distinct (group, time), sorted, groups in ``levels``
    order; a missing group is a row of its own (it counts in the overall curve only)."""

    counts: pd.DataFrame  # columns group (when grouped), time, n_event, n_censor
    levels: tuple[object, ...]  # the groups present, in display order

    def km_estimate(
        self,
        *,
        label: str = OVERALL,
        ci_transform: CITransform = "log-log",
        conf_level: float = 0.95,
    ) -> KMEstimate:
        """The curve of every patient with a time and an event, whatever their group."""
        t, d, c = self._overall()
        return km_estimate_from_counts(
            t, d, c, label=label, ci_transform=ci_transform, conf_level=conf_level
        )

    def km_by_group(
        self, *, ci_transform: CITransform = "log-log", conf_level: float = 0.95
    ) -> tuple[KMEstimate, ...]:
        """One curve per group present, labelled with the group's text."""
        return tuple(
            km_estimate_from_counts(
                rows[TIME],
                rows[EVENTS],
                rows[CENSORED],
                label=level_text(level),
                ci_transform=ci_transform,
                conf_level=conf_level,
            )
            for level, rows in self._groups()
        )

    def logrank(self) -> LogRankResult:
        """The log-rank test of the groups; patients without a group are left out."""
        if not self.levels:
            raise ValueError("the counts were not taken by group")
        grouped = self.counts[self.counts[GROUP].notna()]
        times, row = np.unique(grouped[TIME].to_numpy(dtype=np.float64), return_inverse=True)
        column = pd.Index(list(self.levels)).get_indexer(pd.Index(grouped[GROUP]))
        events = np.zeros((len(times), len(self.levels)), dtype=np.int64)
        censored = np.zeros_like(events)
        np.add.at(events, (row, column), grouped[EVENTS].to_numpy(dtype=np.int64))
        np.add.at(censored, (row, column), grouped[CENSORED].to_numpy(dtype=np.int64))
        return logrank_from_counts([level_text(v) for v in self.levels], events, censored)

    def median_followup(
        self, *, ci_transform: CITransform = "log-log", conf_level: float = 0.95
    ) -> QuantileEstimate:
        """Median follow-up by the reverse Kaplan–Meier method, over every patient."""
        t, d, c = self._overall()
        return median_followup_from_counts(
            t, d, c, ci_transform=ci_transform, conf_level=conf_level
        )

    def _overall(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        summed = self.counts.groupby(TIME, sort=True)[[EVENTS, CENSORED]].sum()
        return (
            summed.index.to_numpy(dtype=np.float64),
            summed[EVENTS].to_numpy(),
            summed[CENSORED].to_numpy(),
        )

    def _groups(self) -> list[tuple[object, pd.DataFrame]]:
        return [(level, self.counts[self.counts[GROUP] == level]) for level in self.levels]


def survival_counts(
    frame: dd.DataFrame, time: str, event: str, group: str | None = None, *, source: str = ""
) -> SurvivalCounts:
    """Count events and censorings per distinct (group, time) on the cluster, then combine.

    Rows with a missing time or event are left out (R's ``na.omit``, as the in-memory path);
    a time < 0 or an event other than 0/1 stops the computation with an error naming the
    column and the value. Groups are ordered as the in-memory log-rank orders them: a
    categorical's categories, else sorted.
    """
    for column in (time, event, *([group] if group else [])):
        if column not in frame.columns:
            raise ValueError(f"the extract has no column {column!r}")
    for column in (time, event):
        dtype = frame[column].dtype
        if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
            raise ValueError(f"column {column!r} holds {dtype}, not numbers")
    keys = [GROUP, TIME] if group else [TIME]
    meta = pd.DataFrame({
        **({GROUP: frame[group]._meta} if group else {}),
        TIME: pd.Series(dtype="float64"),
        EVENTS: pd.Series(dtype="int64"),
        CENSORED: pd.Series(dtype="int64"),
    })  # fmt: skip
    reduced = frame.reduction(
        chunk=_partition_counts,
        combine=_sum_counts,
        aggregate=_sum_counts,
        meta=meta,
        chunk_kwargs={"time": time, "event": event, "group": group},
        combine_kwargs={"keys": keys},
        aggregate_kwargs={"keys": keys},
    )
    try:
        counts = reduced.compute()
    except PartitionValueError as error:
        raise error.as_input_error(source or "the extract") from None
    counts = counts.reset_index(drop=True)
    return SurvivalCounts(counts, _levels(counts[GROUP]) if group else ())


def _partition_counts(part: pd.DataFrame, time: str, event: str, group: str | None) -> pd.DataFrame:
    """Events and censorings at each (group, time) of one partition."""
    part = part[[time, event, *([group] if group else [])]]  # not a copy of every column
    check_survival(part, time, event)
    kept = part[part[time].notna() & part[event].notna()]
    events = kept[event].astype("int64")
    counted = pd.DataFrame({
        **({GROUP: kept[group]} if group else {}),
        TIME: kept[time].astype("float64") + 0.0,  # -0.0 is 0.0, one time (as np.unique)
        EVENTS: events,
        CENSORED: 1 - events,
    })  # fmt: skip
    return _sum_counts(counted, [GROUP, TIME] if group else [TIME])


def _sum_counts(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts of the same (group, time) added up: integers, so the order does not matter."""
    summed = counts.groupby(keys, sort=True, dropna=False, observed=True)[[EVENTS, CENSORED]]
    return summed.sum().reset_index()


def _levels(groups: pd.Series) -> tuple[object, ...]:
    present = groups.dropna().unique()
    if isinstance(groups.dtype, pd.CategoricalDtype):
        return tuple(c for c in groups.cat.categories if c in set(present))
    return tuple(sorted(present))
