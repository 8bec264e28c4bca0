"""Derive: computed variables and markers, inclusion rules, endpoint times and events.

The patient flow and the cohort's types import no data-frame library: the analysis results
hold the flow, and a run that takes them from the build cache unpickles it without pandas.
The derivation itself (:mod:`cohortpress.derive._rows`, with pandas and NumPy) is imported
when one of its names is first asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

_WITH_PANDAS = frozenset({"DerivedRows", "derive_cohort", "derive_rows", "nobody_left"})


def __getattr__(name: str) -> object:
    """The derivation's names, imported (with pandas) when first asked for."""
    if name not in _WITH_PANDAS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}._rows"), name)
