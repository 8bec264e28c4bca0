"""Adverse events per term: the worst grade of each patient, with a patient's rows anywhere.

The events are shuffled by patient (Dask moves each row to the partition its patient id
hashes to: one pass over the events, through the network), so every patient's rows meet in
one partition; each partition then counts, per term, its patients with the term and with a
severe grade, and its patients with any and any severe event. Patients are disjoint across
the shuffled partitions, so the counts add up to those of the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from dask.delayed import delayed

from cohortpress.analyse.distributed._summary import WIDTH

if TYPE_CHECKING:
    from collections.abc import Sequence

    import dask.dataframe as dd
    from dask.delayed import Delayed

PATIENT = "patient_id"


@dataclass(frozen=True)
class EventCounts:
    """Per term (index) the patients with it (``any``) and with a severe grade (``severe``);
    the patients with any event and with any severe event."""

    table: pd.DataFrame
    any_grade: int
    severe: int


def count_events(part: pd.DataFrame, severe_grade: int) -> EventCounts:
    """The counts of one partition holding all the rows of its patients."""
    worst = part.groupby(["term", PATIENT])["grade"].max().reset_index()
    severe = worst[worst["grade"] >= severe_grade]
    table = pd.DataFrame({
        "any": worst.groupby("term")[PATIENT].nunique(),
        "severe": severe.groupby("term")[PATIENT].nunique(),
    }).fillna(0).astype("int64")  # fmt: skip
    return EventCounts(table, int(part[PATIENT].nunique()), int(severe[PATIENT].nunique()))


def add_events(counts: Sequence[EventCounts]) -> EventCounts:
    """The counts of disjoint sets of patients, added up."""
    tables = [c.table for c in counts]
    table = pd.concat(tables).groupby(level=0, sort=True).sum().astype("int64")
    return EventCounts(table, sum(c.any_grade for c in counts), sum(c.severe for c in counts))


def event_counts(events: dd.DataFrame, severe_grade: int) -> Delayed:
    """The lazy counts of all the events: a shuffle by patient, then one map-reduce."""
    by_patient = events[[PATIENT, "term", "grade"]].shuffle(on=PATIENT)
    level = [delayed(count_events)(part, severe_grade) for part in by_patient.to_delayed()]
    while len(level) > 1:
        level = [delayed(add_events)(level[i : i + WIDTH]) for i in range(0, len(level), WIDTH)]
    return level[0]
