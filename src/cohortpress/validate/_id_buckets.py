"""The patient-ID rules spanning an extract's pieces, by buckets of hashed IDs.

Two rules need every piece at once: a patient ID in more than one row, and an adverse event
whose patient is in no piece of the patients sheet. Both are answered in one pass without a
shuffle of rows: each piece splits its IDs (with their piece and row) into :func:`buckets` by
a hash of the ID, so equal IDs of any piece land in the same bucket; one task per bucket then
counts its patient IDs and looks its adverse events' IDs up among them. A bucket returns only
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

if TYPE_CHECKING:
    from distributed import Client, Future

MAX_BUCKETS = 64  # buckets at most: each holds about 1/buckets of the IDs
ORDER = ["piece", "row"]


@dataclass(frozen=True)
class IdFindings:
    """The first rows (columns patient_id, piece, row; file order) of each rule, and how many
    rows each rule found in all."""

    repeated: pd.DataFrame
    repeated_rows: int
    unknown: pd.DataFrame
    unknown_rows: int


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
    """The IDs of one piece (with the piece's number and each ID's row) in ``count`` buckets
    by a hash of the ID (pandas' hash: the same in every process)."""
    if "patient_id" not in frame:
        return [no_ids() for _ in range(count)]
    ids = frame["patient_id"].dropna().astype(str)
    text = ids.to_numpy(object)
    bucket = pd.util.hash_array(text) % np.uint64(count)
    table = pd.DataFrame(  # Arrow strings: a few bytes per ID while the buckets wait
        {
            "patient_id": pd.array(text, dtype="string[pyarrow]"),
            "piece": piece,
            "row": ids.index.to_numpy("int64"),
        }
    )
    return [table.loc[bucket == b].reset_index(drop=True) for b in range(count)]


def check_bucket(patients: list[pd.DataFrame], events: list[pd.DataFrame], keep: int) -> IdFindings:
    """One bucket's repeated patient IDs and adverse events of unknown patients: the first
    ``keep`` rows of each in file order, and how many rows each rule found."""
    # as Python strings: pandas' isin of Arrow strings is many times slower
    ids = _stacked(patients).astype({"patient_id": object})
    repeated = ids.loc[ids["patient_id"].duplicated(keep=False)]
    asked = _stacked(events).astype({"patient_id": object})
    unknown = asked.loc[~asked["patient_id"].isin(ids["patient_id"])]
    return IdFindings(_first(repeated, keep), len(repeated), _first(unknown, keep), len(unknown))


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of the parts one after another (none: no rows, with the columns)."""
    present = [p for p in parts if len(p)]
    return pd.concat(present, ignore_index=True) if present else no_ids()


def _first(rows: pd.DataFrame, keep: int) -> pd.DataFrame:
    first = rows.sort_values(ORDER, kind="stable").head(keep).reset_index(drop=True)
    return first.astype({"patient_id": object})


def merged(findings: list[IdFindings], keep: int) -> IdFindings:
    """The buckets' findings together: the first ``keep`` rows of the extract per rule."""
    return IdFindings(
        _first(_stacked([f.repeated for f in findings]), keep),
        sum(f.repeated_rows for f in findings),
        _first(_stacked([f.unknown for f in findings]), keep),
        sum(f.unknown_rows for f in findings),
    )


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
