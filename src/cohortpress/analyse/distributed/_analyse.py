"""The whole ``StudyResults`` of a partitioned cohort, equal to the in-memory ``analyse``.

Passes over the data, in order:

1. Prepare and persist: the columns the analysis reads are selected, each Cox covariate and
   curve factor is coded on the workers (``Coding.apply``, the in-memory coding), and the
   result is kept in the workers' memory (``persist``): everything below reads it there.
2. One ``dask.compute`` for every count: a map over the persisted partitions and a tree of
   additions (``_summary``: value counts for Table I, markers, the comparison, treatment,
   dose reduction and the waterfall; events and censorings per (group, time) for every
   endpoint, curve factor and the follow-up; response and treatment tables; the largest
   times) and, in the same call, the adverse events split by hashed patient ID and counted
   (``_adverse``).
3. The Cox models, fitted together over the persisted frame (``PartitionedCox``): one fit
   per covariate and endpoint and one per ``by`` factor, then the multivariable models. Each
   partition's rows are kept once for all of them, and each round of tasks (one map-reduce:
   the facts, a Newton–Raphson step, the concordance) serves every model in flight, so the
   rounds are those of the slowest model.

Everything else runs on the client from the summed counts, with the in-memory estimators.
What the client holds: the distinct values of each counted column with their counts (a
continuous variable with a value per patient costs a row per patient), events per distinct
time and group, and two arrays rebuilt from counts — the waterfall's bars (one per measured
patient, as the figure draws) and, for a continuous row of the group comparison, its values
(eight bytes per patient, for the Wilcoxon / Kruskal–Wallis tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from dask.base import compute
from dask.delayed import delayed

from cohortpress._packed import pack
from cohortpress.analyse import software_versions
from cohortpress.analyse._conventions import Conventions
from cohortpress.analyse._study import StudyResults
from cohortpress.analyse._summaries import adverse_event_summary, response_settings
from cohortpress.analyse.distributed import _describe as describe
from cohortpress.analyse.distributed._adverse import EventCounts, event_counts, event_counts_of
from cohortpress.analyse.distributed._checks import PartitionValueError
from cohortpress.analyse.distributed._endpoints import (
    codings,
    endpoint_columns,
    endpoint_results,
    survival_keys,
)
from cohortpress.analyse.distributed._summary import Plan, Summary, summarise
from cohortpress.analyse.distributed._survival import SurvivalCounts

if TYPE_CHECKING:
    import dask.dataframe as dd

    from cohortpress.analyse._study import AdverseEventSummary
    from cohortpress.analyse._survival import Coding
    from cohortpress.config import Response, StudyConfig
    from cohortpress.derive import PartitionedCohort
    from cohortpress.derive._partitions import DerivedPiece


def analyse_partitioned(cohort: PartitionedCohort, config: StudyConfig) -> StudyResults:
    """Every number the manuscript shows, from a cohort partitioned on a Dask cluster.

    Equal to ``analyse`` on the same patients in memory: counts, order statistics, curves and
    tests to the last bit; the means and SDs to rounding (exact sums here, float sums in
    memory); the Cox models as ``cox_fit_partitioned`` matches ``cox_fit`` (relative 1e-9).
    """
    columns = list(cohort.patients.columns)
    response = response_settings(config, columns)
    plan = _plan(cohort, config, columns, response)
    coded = codings(config)
    needed = _needed(plan, coded, config, columns)
    dtypes = dict(_coded(cohort.patients._meta, needed, coded).dtypes)
    frame = _prepare(cohort, needed, coded).persist()
    try:
        summary, events = _count(frame, dtypes, plan, cohort, config)
        endpoints = endpoint_results(summary, frame, config, cohort.time_unit)
    except PartitionValueError as error:
        raise error.as_input_error("the analysed cohort") from None
    stats = config.statistics
    followup = SurvivalCounts(summary.survival[("os_time", "os_event", None)], ()).median_followup(
        ci_transform=stats.ci_transform_in_force, conf_level=stats.conf_level
    )
    adverse = None
    if events is not None and config.adverse_events is not None:
        adverse = _adverse_summary(events, summary.rows, config)
    return StudyResults(
        flow=cohort.flow,
        n=summary.rows,
        time_unit=cohort.time_unit,
        censored_at_cutoff=cohort.censored_at_cutoff,
        characteristics=describe.characteristics(summary, config),
        markers=describe.markers(summary, config),
        followup=followup,
        endpoints=endpoints,
        response=describe.response(summary, config),
        treatment=describe.treatment(summary, cohort, config),
        adverse_events=adverse,
        waterfall=describe.waterfall(summary, config),
        comparison=describe.comparison(summary, config),
        software=software_versions(),
        conventions=Conventions.resolve(stats),
    )


def _plan(
    cohort: PartitionedCohort, config: StudyConfig, columns: list[str], response: Response | None
) -> Plan:
    """What the one counting pass counts."""
    keys = [
        *describe.table1_keys(config),
        *describe.marker_keys(config),
        *(describe.treatment_keys(config) if cohort.dated else []),
        *describe.waterfall_keys(config, columns),
    ]
    return Plan(
        counts=tuple(dict.fromkeys(keys)),
        survival=tuple(survival_keys(config)),
        maxima=tuple(f"{e.kind}_time" for e in config.endpoints),
        response=response,
        cutoff=config.data_cutoff if cohort.dated else None,
    )


def _needed(
    plan: Plan, coded: dict[str, Coding], config: StudyConfig, columns: list[str]
) -> list[str]:
    """The columns of the patients the analysis reads (the rest is not kept in memory)."""
    wanted = [k for keys in plan.counts for k in keys] + endpoint_columns(config)
    wanted += [c.source for c in coded.values()]
    if plan.response is not None:
        wanted += ["best_response", *([] if plan.response.any_sd_duration else ["pfs_days"])]
    if plan.cutoff is not None:
        wanted += ["treatment_end", "end_reason"]
    return [c for c in dict.fromkeys(wanted) if c in columns and c not in coded]


def _prepare(
    cohort: PartitionedCohort, needed: list[str], coded: dict[str, Coding]
) -> dd.DataFrame:
    """The needed columns with the coded ones added, partition by partition, their text as
    categoricals (``_packed``): what the workers keep for every pass of the analysis. From
    the derived pieces themselves when the cohort has them, each unpacked in the task that
    codes it (a task of its own would hold every unpacked piece at once)."""
    patients = cohort.patients
    meta = pack(_coded(patients._meta, needed, coded)).data
    if cohort.pieces:
        import dask.dataframe as dd

        parts = [delayed(_piece_coded)(piece, needed, coded) for piece in cohort.pieces]
        return dd.from_delayed(parts, meta=meta, verify_meta=False)
    return patients.map_partitions(_coded_packed, needed, coded, meta=meta)


def _piece_coded(piece: DerivedPiece, needed: list[str], coded: dict[str, Coding]) -> pd.DataFrame:
    """``_coded_packed`` of a derived piece without unpacking it: ``pack`` packs column by
    column and the piece's rows are packed already, so a needed column, and a coded column
    that copies its source, is the piece's packed column as it is; the other coded columns
    are made from their sources (unpacked) and packed."""
    rows = piece.rows
    made = {c: coding for c, coding in coded.items() if coding.how != "copy"}
    sources = {coding.source for coding in made.values()}
    source = pd.DataFrame({c: rows.column(c) for c in sources}, index=rows.data.index)
    packed = pack(
        pd.DataFrame({c: coding.apply(source) for c, coding in made.items()}, index=source.index)
    ).data
    out = rows.data[needed].copy(deep=False)
    for column, coding in coded.items():
        out[column] = packed[column] if column in made else rows.data[coding.source]
    return out


def _coded(part: pd.DataFrame, needed: list[str], coded: dict[str, Coding]) -> pd.DataFrame:
    out = part[needed].copy()
    for column, coding in coded.items():
        out[column] = coding.apply(part)
    return out


def _coded_packed(part: pd.DataFrame, needed: list[str], coded: dict[str, Coding]) -> pd.DataFrame:
    return pack(_coded(part, needed, coded)).data


def _count(
    frame: dd.DataFrame,
    dtypes: dict[str, object],
    plan: Plan,
    cohort: PartitionedCohort,
    config: StudyConfig,
) -> tuple[Summary, EventCounts | None]:
    """Every count, in one ``dask.compute``: the patients' (the counts read text as the
    in-memory path does, each task unpacking its partition; the Cox design reads the
    categoricals, to the same codes) and the adverse events'."""
    settings = config.adverse_events
    if settings is None or cohort.adverse_events is None:
        (summary,) = compute(summarise(frame, plan, dtypes))
        return summary, None
    if cohort.event_pieces:  # packed buckets of patients: counted as they are
        counts = event_counts_of(list(cohort.event_pieces), settings.severe_grade)
    else:
        counts = event_counts(cohort.adverse_events, settings.severe_grade)
    summary, events = compute(summarise(frame, plan, dtypes), counts)
    return summary, events


def _adverse_summary(events: EventCounts, n: int, config: StudyConfig) -> AdverseEventSummary:
    return adverse_event_summary(events.table, n, events.any_grade, events.severe, config)
