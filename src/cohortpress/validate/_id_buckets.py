"""The patient-ID rules spanning an extract's pieces, by buckets of hashed IDs.

Four rules need every piece at once: a patient ID in more than one row, an adverse event
whose patient is in no piece of the patients sheet, an event that began after its patient's
death, and a fatal (grade 5) event of a patient without a date of death (the last two as
``validate._events`` words them for a workbook). All are answered in one pass without a
shuffle of rows: each piece splits its IDs (with their piece and row, and the dates and grade
the rules read) into :func:`buckets` by a hash of the ID, so equal IDs of any piece land in
the same bucket; one task per bucket then counts its patient IDs and looks its adverse events'
IDs up among them. A bucket returns only
the first rows of each finding, in file order, and how many rows it found, so what reaches the
client is bounded by the number listed, whatever the size of the extract. The listing is the
first rows of the extract in file order (pieces in file order, rows within a file), the same
whichever worker ran which bucket.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.validate._events import FATAL_GRADE

if TYPE_CHECKING:
    from distributed import Client, Future

MAX_BUCKETS = 64  # buckets at most: each holds about 1/buckets of the IDs
ORDER = ["piece", "row"]
CARRIED = ("death_date", "onset_date", "grade")  # what the rules read besides the ID


@dataclass(frozen=True)
class IdFindings:
    """The first rows (columns patient_id, piece, row; file order) of each rule, and how many
    rows each rule found in all. ``after_death`` also holds each event's onset_date and its
    patient's death_date."""

    repeated: pd.DataFrame
    repeated_rows: int
    unknown: pd.DataFrame
    unknown_rows: int
    after_death: pd.DataFrame
    after_death_rows: int
    fatal_alive: pd.DataFrame
    fatal_alive_rows: int


def buckets(pieces: int) -> int:
    """As many buckets as pieces of the patients sheet, at most MAX_BUCKETS."""
    return max(1, min(pieces, MAX_BUCKETS))


def no_ids() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series(dtype=object),
            "piece": pd.Series(dtype="int64"),
            "row": pd.Series(dtype="int64"),
        }
    )


def split_ids(frame: pd.DataFrame, piece: int, count: int) -> list[pd.DataFrame]:
    """The IDs of one piece (with the piece's number, each ID's row and the columns of
    :data:`CARRIED` it has) in ``count`` buckets by a hash of the ID (pandas' hash: the same
    in every process)."""
    if "patient_id" not in frame:
        return [no_ids() for _ in range(count)]
    given = frame["patient_id"].notna().to_numpy(dtype=bool)
    ids = frame["patient_id"].loc[given].astype(str)
    text = ids.to_numpy(object)
    bucket = pd.util.hash_array(text) % np.uint64(count)
    carried = {c: frame[c].to_numpy()[given] for c in CARRIED if c in frame}
    table = pd.DataFrame(  # Arrow strings: a few bytes per ID while the buckets wait
        {
            "patient_id": pd.array(text, dtype="string[pyarrow]"),
            "piece": piece,
            "row": ids.index.to_numpy("int64"),
            **carried,
        }
    )
    return [table.loc[bucket == b].reset_index(drop=True) for b in range(count)]


def check_bucket(patients: list[pd.DataFrame], events: list[pd.DataFrame], keep: int) -> IdFindings:
    """One bucket's findings of each rule (see :class:`IdFindings`): the first ``keep`` rows
    of each in file order, and how many rows each rule found."""
    located = ["patient_id", *ORDER]
    # as Python strings: pandas' isin of Arrow strings is many times slower
    ids = _stacked(patients).astype({"patient_id": object})
    repeated = ids.loc[ids["patient_id"].duplicated(keep=False), located]
    asked = _stacked(events).astype({"patient_id": object})
    # each event's patient: the first row of its ID (one given twice is an error of its own),
    # as for a workbook; -1 for an unknown patient
    first = ids.drop_duplicates("patient_id")
    patient = pd.Index(first["patient_id"]).get_indexer(pd.Index(asked["patient_id"]))
    known = patient >= 0
    unknown = asked.loc[~known, located]
    after_death, fatal_alive = no_ids(), no_ids()
    if "death_date" in first and len(asked):
        deaths = first["death_date"].to_numpy(dtype="datetime64[ns]")
        died = np.where(known, deaths[patient], np.datetime64("NaT"))
        if "onset_date" in asked:
            onset = asked["onset_date"].to_numpy(dtype="datetime64[ns]")
            late = ~np.isnat(onset) & ~np.isnat(died) & (onset > died)
            after_death = asked.loc[late, [*located, "onset_date"]]
            after_death = after_death.assign(death_date=died[late])
        if "grade" in asked:
            fatal = asked["grade"].eq(FATAL_GRADE).to_numpy(dtype=bool, na_value=False)
            fatal_alive = asked.loc[fatal & known & np.isnat(died), located]
    return IdFindings(
        _first(repeated, keep), len(repeated), _first(unknown, keep), len(unknown),
        _first(after_death, keep), len(after_death), _first(fatal_alive, keep), len(fatal_alive),
    )  # fmt: skip


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of the parts one after another (none: no rows, with the columns)."""
    present = [p for p in parts if len(p)]
    return pd.concat(present, ignore_index=True) if present else no_ids()


def _first(rows: pd.DataFrame, keep: int) -> pd.DataFrame:
    first = rows.sort_values(ORDER, kind="stable").head(keep).reset_index(drop=True)
    return first.astype({"patient_id": object})


def merged(findings: list[IdFindings], keep: int) -> IdFindings:
    """The buckets' findings together: the first ``keep`` rows of the extract per rule."""

    def together(rule: str) -> tuple[pd.DataFrame, int]:
        rows = _stacked([getattr(f, rule) for f in findings])
        return _first(rows, keep), sum(getattr(f, f"{rule}_rows") for f in findings)

    return IdFindings(
        *together("repeated"), *together("unknown"),
        *together("after_death"), *together("fatal_alive"),
    )  # fmt: skip


def find_id_problems(
    client: Client, patients: list[Future], events: list[Future] | None, keep: int
) -> IdFindings:
    """Both rules over the pieces (futures of typed frames, in file order): one split per
    piece, one check per bucket, the first ``keep`` rows of each rule gathered."""
    count = buckets(len(patients))
    split = [client.submit(split_ids, f, i, count) for i, f in enumerate(patients)]
    split_events = [client.submit(split_ids, f, i, count) for i, f in enumerate(events or [])]

    def bucket(parts: list[Future], b: int) -> list[Future]:
        return [client.submit(operator.getitem, p, b) for p in parts]

    checks = [
        client.submit(check_bucket, bucket(split, b), bucket(split_events, b), keep)
        for b in range(count)
    ]
    return merged(list(client.gather(checks)), keep)  # pyright: ignore[reportArgumentType]
