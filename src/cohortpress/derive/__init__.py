"""Derive: computed variables and markers, inclusion rules, endpoint times and events.

The patient flow and the cohort's types import no data-frame library: the analysis results
hold the flow, and a run that takes them from the build cache unpickles it without pandas.
The derivation itself (:mod:`cohortpress.derive._rows`, with pandas and NumPy) is imported
when one of its names is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress._lazy import lazy_names
from cohortpress.derive._cohort import (
    Cohort,
    Exclusion,
    ExclusionKind,
    ExclusionRule,
    PartitionedCohort,
    PatientFlow,
)

if TYPE_CHECKING:
    from cohortpress.derive._rows import DerivedRows, derive_cohort, derive_rows, nobody_left

__all__ = [
    "Cohort",
    "DerivedRows",
    "Exclusion",
    "ExclusionKind",
    "ExclusionRule",
    "PartitionedCohort",
    "PatientFlow",
    "derive_cohort",
    "derive_rows",
    "nobody_left",
]

_WITH_PANDAS: dict[str, str] = {
    name: "_rows" for name in ("DerivedRows", "derive_cohort", "derive_rows", "nobody_left")
}

__getattr__ = lazy_names(__name__, _WITH_PANDAS)  # the derivation's names, with pandas
