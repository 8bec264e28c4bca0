"""Derivation of the patients' rows: computed variables, inclusion, endpoint times and events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.config import DAYS_PER_UNIT
from cohortpress.derive._cohort import Cohort, Exclusion, PatientFlow
from cohortpress.derive._derived import compute_variables
from cohortpress.derive._endpoints import CensorAt, endpoint, touched_by_cutoff, treatment_days
from cohortpress.derive._inclusion import apply_inclusion
from cohortpress.derive._recorded import recorded_endpoint
from cohortpress.errors import CohortpressError, InputDataError, Problem, StudyConfigError

if TYPE_CHECKING:
    import datetime as dt

    from cohortpress.config import StudyConfig

_OPTIONAL_DATES = (
    "treatment_start",  # absent only when every endpoint is read from time/status columns
    "treatment_end",
    "progression_date",
    "death_date",
    "last_contact",  # likewise
    "last_assessment",
)
_OPTIONAL_TEXT = ("end_reason",)  # no best_response column: the response analysis is left out


def derive_cohort(
    patients: pd.DataFrame, adverse_events: pd.DataFrame | None, config: StudyConfig
) -> Cohort:
    """Compute the study's variables, apply its inclusion rules, derive the endpoints."""
    rows = derive_rows(patients, config)
    if rows.data.empty:
        raise nobody_left(config, rows.exclusions)
    data = rows.data
    flow = PatientFlow(len(patients), rows.exclusions, len(data))
    events = None
    if adverse_events is not None:
        analysed = adverse_events["patient_id"].isin(data["patient_id"]).to_numpy(dtype=bool)
        analysed &= known_at_cutoff(adverse_events, config.data_cutoff)
        events = adverse_events.take(np.flatnonzero(analysed))  # a frame of its own, copied once
    excluded = rows.reasons.dropna()
    return Cohort(
        data, events, flow, config.time_unit, rows.censored, dated=rows.dated, excluded=excluded
    )


def known_at_cutoff(events: pd.DataFrame, cutoff: dt.date) -> np.ndarray:
    """Which adverse events began by the data cutoff (or have no onset date): one that began
    after it is not yet known at the cutoff and is not counted, as follow-up after the cutoff
    is censored (validation warns of each)."""
    if "onset_date" not in events:
        return np.ones(len(events), dtype=bool)
    return ~(events["onset_date"] > pd.Timestamp(cutoff)).to_numpy(dtype=bool)


@dataclass(frozen=True, eq=False)
class DerivedRows:
    """What derivation makes of some rows of the patients sheet (all of them, or one
    partition of an extract): each step reads one row only, so the flow counts add up over
    partitions."""

    data: pd.DataFrame  # the analysed patients with their variables, markers and endpoints
    exclusions: tuple[Exclusion, ...]  # the flow lines, in the order the rules apply
    reasons: pd.Series  # the ExclusionRule that excluded each row (None for those kept)
    censored: int  # analysed patients with a recorded date after the data cutoff
    dated: bool  # the sheet has treatment dates


def derive_rows(patients: pd.DataFrame, config: StudyConfig) -> DerivedRows:
    """Computed variables and markers, inclusion, endpoint times and events, row by row.

    Rows may be none at all, or all excluded: whether anyone is left to analyse is a question
    about the whole sheet, asked by the caller (:func:`nobody_left`).
    """
    data, _ = compute_variables(_with_absent_fields(patients), config)
    data["treatment_days"] = treatment_days(data, config.data_cutoff)
    included, exclusions, reasons = apply_inclusion(data, config)
    # The kept rows, taken once (``take`` gives a frame of its own, as ``loc`` and a copy did)
    data = data.take(np.flatnonzero(included.to_numpy(dtype=bool)))
    per_unit = DAYS_PER_UNIT[config.time_unit]
    dated = "treatment_start" in patients.columns
    derived = _endpoints_from_dates(config, dated=dated)
    times: dict[str, tuple[pd.Series, pd.Series, pd.Series]] = {}  # kind -> time, days, event
    for kind, censor_at in derived.items():
        days, event = endpoint(data, kind, config.data_cutoff, censor_at)
        times[kind] = (days / per_unit, days, event)
    for e in config.endpoints:
        if e.recorded:
            times[e.kind] = recorded_endpoint(data, e, config.time_unit)
    if "os" not in times:
        raise _no_followup(config)
    for kind, (time, days, event) in times.items():
        data[f"{kind}_time"] = time
        data[f"{kind}_event"] = event
        if kind == "pfs":
            data["pfs_days"] = days
    censored = touched_by_cutoff(data, config.data_cutoff)
    return DerivedRows(data, exclusions, reasons, censored, dated)


def _endpoints_from_dates(config: StudyConfig, *, dated: bool) -> dict[str, CensorAt]:
    """Endpoint kind -> censoring rule, for every endpoint derived from dates: the study's
    own, and OS and PFS (follow-up and the clinical benefit rate read them) when the workbook
    has treatment dates and the study does not read them from columns."""
    derived: dict[str, CensorAt] = {e.kind: e.censor_at for e in config.endpoints if not e.recorded}
    recorded = {e.kind for e in config.endpoints if e.recorded}
    if dated:
        derived |= {
            kind: "last_contact" for kind in ("os", "pfs") if kind not in recorded | set(derived)
        }
    return derived


def _no_followup(config: StudyConfig) -> StudyConfigError:
    """Median follow-up is the reverse Kaplan–Meier estimate of OS: without dates, it needs OS."""
    return StudyConfigError(
        "study.yml: endpoints: the workbook has no treatment dates and no endpoint is `kind: "
        "os`, so the median follow-up (reverse Kaplan–Meier of overall survival) cannot be "
        "computed; add an os endpoint read from `time` and `status` columns"
    )


def _with_absent_fields(patients: pd.DataFrame) -> pd.DataFrame:
    """The patients with every optional date and the end reason present, empty where the
    workbook has no such column (validation has stopped the run if the study needs it).
    Columns are only added, to a new frame over the same columns, as ``compute_variables``
    adds its own; the kept rows are taken (copied) once, after inclusion."""
    data = patients.copy(deep=False)
    for field in _OPTIONAL_DATES:
        if field not in data:
            data[field] = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
    for field in _OPTIONAL_TEXT:
        if field not in data:
            data[field] = pd.Series(pd.NA, index=data.index, dtype="string")
    return data


def nobody_left(config: StudyConfig, exclusions: tuple[Exclusion, ...]) -> CohortpressError:
    """Why there is no patient to analyse: the inclusion rule excluded all, or none was given."""
    if exclusions:
        from cohortpress.present.wording import exclusion_reason

        why = "; ".join(f"{e.n:,} {exclusion_reason(e.rule)}" for e in exclusions if e.n)
        rules = config.inclusion.model_fields_set & {"criteria", "min_treatment"}
        keys = ", ".join(f"inclusion.{key}" for key in sorted(rules)) or "inclusion"
        return StudyConfigError(f"study.yml: {keys}: no patient is left to analyse ({why})")
    sheet = config.sheets.get("patients", "patients")
    return InputDataError([Problem(sheet, None, None, None, "the sheet has no patients")])
