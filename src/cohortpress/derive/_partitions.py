"""Derive the cohort of an extract piece by piece on the Dask workers.

Every step of :func:`cohortpress.derive.derive_rows` reads one row (computed variables, markers
at their fixed cutoffs, inclusion rules, endpoints), so each worker derives its own pieces with
it; the client sums the flow (screened, excluded by reason, analysed) and the patients censored
at the cutoff. Whether anyone is left to analyse is asked of the whole extract. The adverse
events kept are those of the analysed patients (a join on the patient ID).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from cohortpress.derive._cohort import Exclusion, ExclusionRule, PartitionedCohort, PatientFlow

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    from distributed import Client, Future

    from cohortpress.config import StudyConfig
    from cohortpress.validate._partitions import CheckedPiece, ValidatedExtract


@dataclass(frozen=True, eq=False)
class DerivedPiece:
    """One piece derived on a worker: its analysed rows and its share of the flow."""

    data: pd.DataFrame
    exclusions: tuple[Exclusion, ...]
    screened: int
    censored: int
    dated: bool

    def summary(self) -> DerivedPiece:
        """Everything but the rows (and their columns, for the frame's metadata)."""
        return DerivedPiece(
            self.data.iloc[:0], self.exclusions, self.screened, self.censored, self.dated
        )


def derive_piece(checked: CheckedPiece, config: StudyConfig) -> DerivedPiece:
    """The in-memory derivation of one piece's rows."""
    from cohortpress.derive import derive_rows

    rows = derive_rows(checked.frame, config)
    return DerivedPiece(rows.data, rows.exclusions, len(checked.frame), rows.censored, rows.dated)


def derive_extract(
    client: Client,
    validated: ValidatedExtract,
    config: StudyConfig,
    progress: Callable[[str, list[Future]], None],
) -> PartitionedCohort:
    """The analysed cohort, its rows left on the workers as a lazy Dask frame."""
    import dask.dataframe as dd

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
    patients = dd.from_delayed(client.map(_data, derived), meta=meta, verify_meta=False)
    events = None
    if validated.adverse_events is not None:
        frames = client.map(_frame, validated.adverse_events)
        first = client.submit(_empty, frames[0]).result()
        table = dd.from_delayed(frames, meta=first, verify_meta=False)
        kept = patients[["patient_id"]]
        events = table.merge(kept, on="patient_id", how="inner")
        events = cast("dd.DataFrame", client.persist(events))
    censored = sum(s.censored for s in summaries)
    return PartitionedCohort(
        patients, events, flow, config.time_unit, censored, dated=summaries[0].dated
    )


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


def _data(piece: DerivedPiece) -> pd.DataFrame:
    return piece.data


def _frame(checked: CheckedPiece) -> pd.DataFrame:
    return checked.frame


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:0]
