"""The analysed cohort: inclusion applied, endpoints and markers derived, flow recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cohortpress.config import DAYS_PER_UNIT

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from cohortpress.config import Duration


class ExclusionKind(StrEnum):
    """Which kind of rule excluded a patient; the presentation step words it."""

    CRITERION = "criterion"  # one of study.yml's `inclusion.criteria`
    INSUFFICIENT_DATA = "insufficient_data"  # a criterion read a missing value (missing: exclude)
    SHORT_TREATMENT = "short_treatment"  # treated for less than `inclusion.min_treatment`


@dataclass(frozen=True)
class ExclusionRule:
    """The identity of a line of the patient flow: the rule's kind and its parameters, no
    words of cohortpress's own (``present.wording.exclusion_reason`` makes them). Equal rules
    are one line, so the flow lines of partitions add up by rule."""

    kind: ExclusionKind
    reason: str | None = None  # CRITERION: the author's words from study.yml, kept as data
    minimum: Duration | None = None  # SHORT_TREATMENT: the minimum treatment duration


@dataclass(frozen=True)
class Exclusion:
    """One line of the patient flow: the rule and the patients it excluded."""

    rule: ExclusionRule
    n: int


@dataclass(frozen=True)
class PatientFlow:
    """Screened → excluded (with reasons) → analysed; the counts always add up."""

    screened: int
    exclusions: tuple[Exclusion, ...]
    analysed: int

    @property
    def excluded(self) -> int:
        return sum(e.n for e in self.exclusions)


@dataclass(frozen=True, eq=False)
class Cohort:
    """The analysed population, one row per patient, ready for analysis.

    Besides the input fields, ``patients`` holds ``treatment_days``, ``<endpoint>_time`` and
    ``<endpoint>_event`` for every endpoint and for PFS (which CBR reads), each marker's value
    and ``<marker>_group``. Times are in ``time_unit``.
    """

    patients: pd.DataFrame
    adverse_events: pd.DataFrame | None  # None: the study has no adverse events sheet
    flow: PatientFlow
    time_unit: str
    censored_at_cutoff: int
    dated: bool = True  # False: the workbook has no treatment dates (endpoints read as recorded)
    # The rule (an ExclusionRule) that excluded each excluded patient, by Excel row (the
    # analysed patients are absent).
    excluded: pd.Series = field(default_factory=lambda: _no_exclusions())

    def to_unit(self, days: float) -> float:
        return days / DAYS_PER_UNIT[self.time_unit]


@dataclass(frozen=True, eq=False)
class PartitionedCohort:
    """The analysed population of an extract read partition by partition on a Dask cluster.

    ``patients`` has the columns of :attr:`Cohort.patients` (input fields, ``treatment_days``,
    ``<endpoint>_time``/``_event``, markers and ``<marker>_group``), lazily, one partition per
    file or part of a file; ``adverse_events`` keeps the analysed patients' rows. The flow and
    the count censored at the cutoff are summed over the partitions when the cohort is made.
    """

    patients: dd.DataFrame
    adverse_events: dd.DataFrame | None
    flow: PatientFlow
    time_unit: str
    censored_at_cutoff: int
    dated: bool = True
    # on the Dask engine, what the workers keep (futures): the derived pieces (with ``.data``,
    # the rows of one partition of ``patients``) and the adverse events in packed buckets of
    # patients (each holding every row of its patients), read by the analysis in the task
    # that uses them
    pieces: tuple[Any, ...] = ()
    event_pieces: tuple[Any, ...] = ()

    def to_unit(self, days: float) -> float:
        return days / DAYS_PER_UNIT[self.time_unit]


def _no_exclusions() -> pd.Series:
    import pandas as pd  # here: the flow above is unpickled by cached runs without pandas

    return pd.Series(dtype=object)
