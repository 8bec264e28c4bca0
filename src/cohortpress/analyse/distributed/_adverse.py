"""Adverse events per term: the worst grade of each patient, with a patient's rows anywhere.

Each partition splits its events into buckets by a hash of the patient ID (pandas' hash, the
same in every process), so every patient's rows meet in one bucket without a Dask shuffle;
each bucket then counts, per term, its patients with the term and with a severe grade, and
its patients with any and any severe event. Patients are disjoint across the buckets, so the
counts add up to those of the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from dask.delayed import delayed

from cohortpress.analyse.distributed._summary import WIDTH

if TYPE_CHECKING:
    from collections.abc import Sequence

    import dask.dataframe as dd
    from dask.delayed import Delayed

    from cohortpress._packed import Packed

PATIENT = "patient_id"
MAX_BUCKETS = 64  # buckets at most: each holds the events of about 1/buckets of the patients


@dataclass(frozen=True)
class EventCounts:
    """Per term (index) the patients with it (``any``) and with a severe grade (``severe``);
    the patients with any event and with any severe event."""

    table: pd.DataFrame
    any_grade: int
    severe: int


def count_events(part: pd.DataFrame, severe_grade: int) -> EventCounts:
    """The counts of one partition holding all the rows of its patients (each patient ID
    read once, as a number: the groupings below compare numbers, not text)."""
    patient = pd.factorize(part[PATIENT])[0]  # -1: no ID, left out as groupby leaves it
    rows = part[["term", "grade"]].assign(**{PATIENT: patient})[patient >= 0]
    worst = rows.groupby(["term", PATIENT])["grade"].max().reset_index()
    severe = worst[worst["grade"] >= severe_grade]
    table = pd.DataFrame({
        "any": worst.groupby("term")[PATIENT].nunique(),
        "severe": severe.groupby("term")[PATIENT].nunique(),
    }).fillna(0).astype("int64")  # fmt: skip
    return EventCounts(table, int(rows[PATIENT].nunique()), int(severe[PATIENT].nunique()))


def add_events(counts: Sequence[EventCounts]) -> EventCounts:
    """The counts of disjoint sets of patients, added up."""
    tables = [c.table for c in counts]
    table = pd.concat(tables).groupby(level=0, sort=True).sum().astype("int64")
    return EventCounts(table, sum(c.any_grade for c in counts), sum(c.severe for c in counts))


def event_counts_of(buckets: list[Any], severe_grade: int) -> Delayed:
    """The lazy counts of events already split by patient (futures of ``Packed`` buckets,
    each holding every row of its patients): a count per bucket, unpacked in its task, then
    a tree of additions."""
    level = [delayed(_count_packed)(bucket, severe_grade) for bucket in buckets]
    while len(level) > 1:
        level = [delayed(add_events)(level[i : i + WIDTH]) for i in range(0, len(level), WIDTH)]
    return level[0]


def _count_packed(bucket: Packed, severe_grade: int) -> EventCounts:
    """``count_events`` of a bucket reading the three columns it counts, the patient ID as
    packed (its codes group the rows as the text would: only equality is read)."""
    columns = {PATIENT: bucket.data[PATIENT], "term": bucket.column("term")}
    part = pd.DataFrame({**columns, "grade": bucket.column("grade")}, index=bucket.data.index)
    return count_events(part, severe_grade)


def event_counts(events: dd.DataFrame, severe_grade: int) -> Delayed:
    """The lazy counts of all the events: a split by patient per partition, a count per
    bucket, then a tree of additions."""
    parts = events[[PATIENT, "term", "grade"]].to_delayed()
    count = max(1, min(len(parts), MAX_BUCKETS))
    split: list[Any] = [delayed(by_patient, nout=count)(part, count) for part in parts]
    level = [delayed(count_bucket)([s[b] for s in split], severe_grade) for b in range(count)]
    while len(level) > 1:
        level = [delayed(add_events)(level[i : i + WIDTH]) for i in range(0, len(level), WIDTH)]
    return level[0]


def by_patient(part: pd.DataFrame, count: int) -> list[pd.DataFrame]:
    """The rows of one partition in ``count`` buckets by a hash of the patient ID."""
    bucket = pd.util.hash_array(part[PATIENT].astype(str).to_numpy(object)) % np.uint64(count)
    return [part.loc[bucket == b] for b in range(count)]


def count_bucket(parts: list[pd.DataFrame], severe_grade: int) -> EventCounts:
    """The counts of one bucket: all the rows of its patients, from every partition."""
    return count_events(pd.concat(parts, ignore_index=True), severe_grade)
