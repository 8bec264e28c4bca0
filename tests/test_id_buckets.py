"""The patient-ID rules by hashed buckets find what one table of all IDs finds."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.validate._id_buckets import check_bucket, merged, split_ids

ids = st.lists(st.sampled_from(["RG-1", "RG-2", "rg-2", "RG-3", "RG-10", "X", None]), max_size=12)


def _bucketed(patients: list[list], events: list[list], count: int, keep: int):
    frames = [pd.DataFrame({"patient_id": p}, index=range(2, 2 + len(p))) for p in patients]
    event_frames = [pd.DataFrame({"patient_id": e}, index=range(2, 2 + len(e))) for e in events]
    split = [split_ids(f, i, count) for i, f in enumerate(frames)]
    split_events = [split_ids(f, i, count) for i, f in enumerate(event_frames)]
    findings = [
        check_bucket([s[b] for s in split], [s[b] for s in split_events], keep)
        for b in range(count)
    ]
    return merged(findings, keep)


def _rows(pieces: list[list]) -> list[tuple[str, int, int]]:
    return [
        (pid, piece, row)
        for piece, values in enumerate(pieces)
        for row, pid in enumerate(values, start=2)
        if pid is not None
    ]


@settings(max_examples=200, deadline=None)
@given(
    patients=st.lists(ids, min_size=1, max_size=4),
    events=st.lists(ids, max_size=3),
    count=st.integers(1, 5),
    keep=st.integers(1, 6),
)
def test_buckets_find_the_first_rows_of_the_whole_extract(patients, events, count, keep) -> None:
    rows = _rows(patients)
    known = [pid for pid, _, _ in rows]
    repeated = [r for r in rows if known.count(r[0]) > 1]  # file order: piece, then row
    unknown = [r for r in _rows(events) if r[0] not in known]
    found = _bucketed(patients, events, count, keep)
    assert found.repeated_rows == len(repeated) and found.unknown_rows == len(unknown)
    assert list(found.repeated.itertuples(index=False, name=None)) == repeated[:keep]
    assert list(found.unknown.itertuples(index=False, name=None)) == unknown[:keep]
