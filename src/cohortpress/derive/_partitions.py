"""Derive the cohort of an extract piece by piece on the Dask workers.

Every step of :func:`cohortpress.derive.derive_rows` reads one row (computed variables, markers
at their fixed cutoffs, inclusion rules, endpoints), so each worker derives its own pieces with
it; the client sums the flow (screened, excluded by reason, analysed) and the patients censored
at the cutoff. Whether anyone is left to analyse is asked of the whole extract. The adverse
events kept are those of the analysed patients, found by buckets of hashed patient IDs (no
shuffle; ``kept_events``). What stays on the workers is packed (``cohortpress._packed``): the
derived rows and the kept events, their text as categoricals and Arrow strings.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress._packed import Packed, pack
from cohortpress.derive._cohort import Exclusion, ExclusionRule, PartitionedCohort, PatientFlow
from cohortpress.derive._rows import known_at_cutoff

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from distributed import Client, Future

    from cohortpress.config import StudyConfig
    from cohortpress.validate._partitions import CheckedPiece, ValidatedExtract


@dataclass(frozen=True, eq=False)
class DerivedPiece:
    """One piece derived on a worker: its analysed rows (kept there, their text packed) and
    its share of the flow."""

    rows: Packed
    exclusions: tuple[Exclusion, ...]
    screened: int
    censored: int
    dated: bool

    @property
    def data(self) -> pd.DataFrame:
        """The analysed rows as the in-memory derivation made them."""
        return self.rows.frame()

    def summary(self) -> DerivedPiece:
        """Everything but the rows (and their columns, for the frame's metadata)."""
        return DerivedPiece(
            pack(self.data.iloc[:0]), self.exclusions, self.screened, self.censored, self.dated
        )


def derive_piece(checked: CheckedPiece, config: StudyConfig) -> DerivedPiece:
    """The in-memory derivation of one piece's rows."""
    from cohortpress.derive import derive_rows

    rows = derive_rows(checked.frame, config)
    return DerivedPiece(
        pack(rows.data), rows.exclusions, len(checked.rows), rows.censored, rows.dated
    )


def derive_extract(
    client: Client,
    validated: ValidatedExtract,
    config: StudyConfig,
    progress: Callable[[str, list[Future]], None],
) -> PartitionedCohort:
    """The analysed cohort, its rows left on the workers as a lazy Dask frame."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    from cohortpress.derive import nobody_left
    from cohortpress.validate._partitions import gather

    derived = client.map(derive_piece, validated.patients, config=config)
    progress("Derive", derived)
    summaries: list[DerivedPiece] = gather(client, client.map(DerivedPiece.summary, derived))
    exclusions = summed_exclusions([s.exclusions for s in summaries])
    screened = sum(s.screened for s in summaries)
    analysed = screened - sum(e.n for e in exclusions)
    if analysed == 0:
        raise nobody_left(config, exclusions)
    flow = PatientFlow(screened, exclusions, analysed)
    meta = _meta(summaries)
    # unpacked by each pass that reads them: the workers keep the packed rows only
    patients = dd.from_delayed([delayed(_data)(d) for d in derived], meta=meta, verify_meta=False)
    events, kept = None, []
    if validated.adverse_events is not None:
        kept = kept_events(client, derived, validated.adverse_events, config.data_cutoff)
        first = client.submit(_empty, validated.adverse_events[0]).result()
        events = dd.from_delayed([delayed(_rows)(k) for k in kept], meta=first, verify_meta=False)
    censored = sum(s.censored for s in summaries)
    return PartitionedCohort(
        patients, events, flow, config.time_unit, censored, dated=summaries[0].dated,
        pieces=tuple(derived), event_pieces=tuple(kept),
    )  # fmt: skip


def summed_exclusions(per_piece: list[tuple[Exclusion, ...]]) -> tuple[Exclusion, ...]:
    """The flow lines of all pieces, each rule once, in the order the rules apply.

    A piece lists the "insufficient data" line only when it has such a patient; the lines of
    every piece are in rule order, so each new rule goes after the rule before it.
    """
    order: list[ExclusionRule] = []
    counts: dict[ExclusionRule, int] = {}
    for lines in per_piece:
        before = -1
        for line in lines:
            if line.rule not in counts:
                order.insert(before + 1, line.rule)
                counts[line.rule] = 0
            counts[line.rule] += line.n
            before = order.index(line.rule)
    return tuple(Exclusion(rule, counts[rule]) for rule in order)


def _meta(summaries: list[DerivedPiece]) -> pd.DataFrame:
    """The columns and types of the derived rows, which must agree over the pieces."""
    from cohortpress.errors import InputDataError, Problem

    meta = summaries[0].data
    for s in summaries[1:]:
        if list(s.data.columns) != list(meta.columns) or not s.data.dtypes.equals(meta.dtypes):
            differs = [
                str(c) for c in meta.columns
                if c not in s.data.columns or s.data[c].dtype != meta[c].dtype
            ]  # fmt: skip
            raise InputDataError(
                [Problem("patients", None, ", ".join(differs[:5]) or None, None,
                         "the files of the extract store this column with different types")]
            )  # fmt: skip
    return meta


def kept_events(
    client: Client, derived: list[Future], events: list[Future], cutoff: dt.date
) -> list[Future]:
    """The adverse events of the analysed patients known at the data ``cutoff``
    (:func:`~cohortpress.derive._rows.known_at_cutoff`), without a shuffle: each derived piece
    splits its patient IDs, and each piece of events its rows, into buckets by a hash of the
    ID (as the ID rules of validation do); one task per bucket keeps the bucket's events whose
    ID is among the bucket's analysed IDs. A bucket's rows stay in file order (packed)."""
    from cohortpress.validate._id_buckets import buckets

    count = buckets(len(derived))
    ids = [client.submit(_analysed_ids, d, count) for d in derived]
    split = [client.submit(_events_split, e, count) for e in events]

    def bucket(parts: list[Future], b: int) -> list[Future]:
        return [client.submit(operator.getitem, p, b) for p in parts]

    return [
        client.submit(_kept_bucket, bucket(split, b), bucket(ids, b), cutoff) for b in range(count)
    ]


def _hashed(ids: pd.Series, count: int) -> np.ndarray:
    """The bucket of each ID: pandas' hash of its text (the same in every process)."""
    return pd.util.hash_array(ids.astype(str).to_numpy(object)) % np.uint64(count)


def _analysed_ids(piece: DerivedPiece, count: int) -> list[pd.Series]:
    ids = piece.rows.column("patient_id").dropna()
    bucket = _hashed(ids, count)
    ids = ids.astype("string[pyarrow]")
    return [ids[bucket == b] for b in range(count)]


def _events_split(checked: CheckedPiece, count: int) -> list[Packed]:
    """The piece's events (still packed) in buckets by their patient ID; rows without an ID
    belong to no analysed patient."""
    packed = checked.rows
    ids = packed.column("patient_id")
    present = ids.notna().to_numpy(dtype=bool)
    rows, ids = packed.data[present], ids[present]
    bucket = _hashed(ids, count)
    return [Packed(_trimmed(rows[bucket == b]), packed.restore) for b in range(count)]


def _trimmed(rows: pd.DataFrame) -> pd.DataFrame:
    """A slice of packed rows with only the categories it uses: a bucket sent to another
    worker would otherwise carry every distinct patient ID of its piece."""
    out = rows.copy(deep=False)
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].cat.remove_unused_categories()
    return out


def _kept_bucket(parts: list[Packed], analysed: list[pd.Series], cutoff: dt.date) -> Packed:
    """The bucket's events of analysed patients known at the cutoff, in file order, packed."""
    present = [a.astype(object) for a in analysed if len(a)]
    ids = pd.Index(pd.concat(present) if present else [], dtype=object)
    kept = [Packed(p.data[_among(p.data["patient_id"], ids)], p.restore).frame() for p in parts]
    kept = [frame[known_at_cutoff(frame, cutoff)] for frame in kept]
    return pack(pd.concat(kept, ignore_index=True))


def _among(values: pd.Series, ids: pd.Index) -> np.ndarray:
    """Which packed IDs are among ``ids`` (a categorical's distinct values looked up once;
    Python strings compared, pandas' isin of Arrow strings being many times slower)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        known = np.asarray(values.cat.categories.astype(object).isin(ids), dtype=bool)
        codes = values.cat.codes.to_numpy()
        return (codes >= 0) & known[np.maximum(codes, 0)]
    return values.astype(object).isin(ids).to_numpy(dtype=bool)


def _data(piece: DerivedPiece) -> pd.DataFrame:
    return piece.data


def _rows(packed: Packed) -> pd.DataFrame:
    return packed.frame()


def _empty(checked: CheckedPiece) -> pd.DataFrame:
    return checked.frame.iloc[:0]
