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
    return _bucketed_frames(frames, event_frames, count, keep)


def _bucketed_frames(frames: list, event_frames: list, count: int, keep: int):
    """The findings of the pieces' frames (in file order) split into ``count`` buckets."""
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


DAY = pd.Timestamp("2021-01-01")
days = st.one_of(st.none(), st.integers(0, 4).map(lambda d: DAY + pd.Timedelta(days=d)))
patient_rows = st.lists(st.tuples(st.sampled_from(["RG-1", "RG-2", "RG-3", None]), days))
event_rows = st.lists(
    st.tuples(st.sampled_from(["RG-1", "RG-2", "RG-4"]), days, st.sampled_from([1.0, 5.0, None]))
)


@settings(max_examples=200, deadline=None)
@given(
    patients=st.lists(patient_rows, min_size=1, max_size=3),
    events=st.lists(event_rows, max_size=3),
    count=st.integers(1, 4),
    keep=st.integers(1, 5),
)
def test_buckets_read_each_event_against_its_patients_first_row(
    patients, events, count, keep
) -> None:
    """An event after its patient's death, and a grade 5 event of a known patient without a
    date of death: the rows ``validate._events`` finds in one workbook, in file order."""

    def frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
        data = pd.DataFrame(rows, columns=columns, index=range(2, 2 + len(rows)))
        for column in ("death_date", "onset_date"):
            if column in data:
                data[column] = pd.to_datetime(data[column])
        if "grade" in data:
            data["grade"] = data["grade"].astype("float64")
        return data

    frames = [frame(p, ["patient_id", "death_date"]) for p in patients]
    event_frames = [frame(e, ["patient_id", "onset_date", "grade"]) for e in events]
    found = _bucketed_frames(frames, event_frames, count, keep)
    deaths: dict[str, pd.Timestamp | None] = {}
    for rows in patients:
        for pid, died in rows:
            if pid is not None:
                deaths.setdefault(pid, died)
    late, fatal = [], []
    for piece, rows in enumerate(events):
        for row, (pid, onset, grade) in enumerate(rows, start=2):
            died = deaths.get(pid)
            if onset is not None and died is not None and onset > died:
                late.append((pid, piece, row, onset, died))
            if grade == 5.0 and pid in deaths and died is None:
                fatal.append((pid, piece, row))
    assert (found.after_death_rows, found.fatal_alive_rows) == (len(late), len(fatal))
    assert list(found.after_death.itertuples(index=False, name=None)) == late[:keep]
    assert list(found.fatal_alive.itertuples(index=False, name=None)) == fatal[:keep]
