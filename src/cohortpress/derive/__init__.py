"""Derive: computed variables and markers, inclusion rules, endpoint times and events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.config import DAYS_PER_UNIT
from cohortpress.derive._cohort import Cohort, Exclusion, PatientFlow
from cohortpress.derive._derived import compute_variables
from cohortpress.derive._endpoints import endpoint, touched_by_cutoff, treatment_days
from cohortpress.derive._inclusion import apply_inclusion

if TYPE_CHECKING:
    import pandas as pd

    from cohortpress.config import StudyConfig

__all__ = ["Cohort", "Exclusion", "PatientFlow", "derive_cohort"]


def derive_cohort(
    patients: pd.DataFrame, adverse_events: pd.DataFrame, config: StudyConfig
) -> Cohort:
    """Compute the study's variables, apply its inclusion rules, derive the endpoints."""
    data, _ = compute_variables(patients, config)
    data["treatment_days"] = treatment_days(data, config.data_cutoff)
    included, exclusions = apply_inclusion(data, config)
    data = data.loc[included].copy()
    per_unit = DAYS_PER_UNIT[config.time_unit]
    kinds = {e.kind for e in config.endpoints} | {"pfs", "os"}
    for kind in sorted(kinds):
        days, event = endpoint(data, kind, config.data_cutoff)
        data[f"{kind}_time"] = days / per_unit
        data[f"{kind}_event"] = event
    data["pfs_days"] = endpoint(data, "pfs", config.data_cutoff)[0]
    flow = PatientFlow(len(patients), exclusions, len(data))
    events = adverse_events[adverse_events["patient_id"].isin(data["patient_id"])]
    censored = touched_by_cutoff(data, config.data_cutoff)
    return Cohort(data, events.copy(), flow, config.time_unit, censored)
