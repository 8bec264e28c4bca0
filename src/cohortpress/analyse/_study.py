"""What the analysis of one study produces: plain, immutable numbers grouped by manuscript part."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cohortpress.analyse._conventions import Conventions
    from cohortpress.analyse._results import (
        ComparisonResult,
        CoxResult,
        KMEstimate,
        LogRankResult,
        ProportionEstimate,
        QuantileEstimate,
        RiskTable,
    )
    from cohortpress.analyse._status import MultivariateStatus
    from cohortpress.derive import PatientFlow


@dataclass(frozen=True)
class Distribution:
    """Median and range (and quartiles, mean and SD) of a continuous value."""

    n: int
    missing: int
    median: float | None
    q1: float | None
    q3: float | None
    minimum: float | None
    maximum: float | None
    mean: float | None = None
    sd: float | None = None  # sample SD (n - 1), as R's sd(); None below two values


@dataclass(frozen=True)
class LevelCount:
    level: str
    label: str
    count: int
    n: int  # denominator

    @property
    def percent(self) -> float | None:
        return 100.0 * self.count / self.n if self.n else None


@dataclass(frozen=True)
class CodeCount:
    """Patients in one category of a fixed vocabulary, by its code (an end reason, a best
    response): the presentation step names it."""

    level: str
    count: int
    n: int  # denominator

    @property
    def percent(self) -> float | None:
        return 100.0 * self.count / self.n if self.n else None


@dataclass(frozen=True)
class Characteristic:
    """One block of Table I: a continuous summary or the counts of some levels."""

    variable: str
    label: str | None  # study.yml's (the table1 row's or the variable's); None: a built-in field
    group: str | None
    kind: str  # "continuous" or "counts"
    unit: str | None = None
    distribution: Distribution | None = None
    levels: tuple[LevelCount, ...] = ()
    missing: int = 0
    abbreviation: str | None = None
    summary: str = "median_range"  # continuous: median_range, median_iqr or mean_sd


@dataclass(frozen=True)
class MarkerSummary:
    name: str
    label: str
    unit: str | None
    cutoff: float
    distribution: Distribution
    high: int
    low: int
    high_label: str
    low_label: str


@dataclass(frozen=True, eq=False)
class GroupedSurvival:
    """Kaplan–Meier curves of one endpoint by the levels of one factor, tested."""

    factor: str  # covariate / marker name
    label: str
    levels: tuple[str, ...]  # the level of each estimate, in order
    estimates: tuple[KMEstimate, ...]
    risk: RiskTable
    logrank: LogRankResult | None
    cox: CoxResult | None
    # survival at the endpoint's declared times, one tuple per level (in the order of levels)
    landmarks: tuple[tuple[Landmark, ...], ...] = ()


@dataclass(frozen=True)
class MultivariateSkipped:
    """Why an endpoint has no multivariable model: the status, with the author's reason
    (``rule: none``) or the entry threshold no two factors met."""

    status: MultivariateStatus
    reason: str | None = None
    threshold: float | None = None


@dataclass(frozen=True, eq=False)
class EndpointResult:
    kind: str
    label: str | None  # the name study.yml gives; None: the kind's (present.wording names it)
    abbreviation: str | None  # likewise
    overall: KMEstimate
    risk: RiskTable
    by: tuple[GroupedSurvival, ...]
    univariate: tuple[CoxResult, ...]  # one per covariate, in the order of study.yml
    multivariate: CoxResult | None
    multivariate_covariates: tuple[str, ...]
    multivariate_skipped: MultivariateSkipped | None
    covariate_labels: dict[str, str] = field(default_factory=dict)  # covariate name -> label
    landmarks: tuple[Landmark, ...] = ()  # survival at the declared times
    recorded: bool = False  # read from time/status columns (present words the definition)

    def unrecorded(self, g: GroupedSurvival) -> int:
        """The endpoint's patients without a value of ``g``'s factor: in none of its curves,
        yet counted in the endpoint's n, so every table and figure by ``g`` must say so."""
        return self.overall.n - sum(km.n for km in g.estimates)


@dataclass(frozen=True)
class Landmark:
    """S(t) at one declared time, as R ``summary(survfit(...), times = t)``; ``None`` values
    when t lies beyond the last follow-up (not estimable, never extrapolated)."""

    time: float
    n_risk: int
    surv: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class ResponseRate:
    """One rate of the response table: its code and k of n (``present.wording`` names it)."""

    rate: str  # orr, dcr or cbr
    abbreviation: str  # ORR
    codes: tuple[str, ...]  # the categories it counts (SD only when lasting, for the CBR)
    estimate: ProportionEstimate
    equals: str | None = None  # "dcr": the CBR is the DCR by definition (SD of any duration)


@dataclass(frozen=True)
class ResponseSummary:
    """Best overall response by category (missing ones last, in the denominator) and the rates."""

    criteria: str  # the name in study.yml (a built-in set's own spelling)
    reference: str | None  # citation key of the criteria
    counts: tuple[CodeCount, ...]  # each category of the criteria, then MISSING when any
    rates: tuple[ResponseRate, ...]  # every rate (orr, dcr, cbr), computed
    shown: tuple[str, ...]  # the rates the report gives, in study.yml order
    sd_min_value: float  # how long SD must last for the CBR, in sd_min_unit
    sd_min_unit: str
    sd_strict: bool
    sd_any: bool  # sd_min_duration 0: every SD counts for the CBR
    sd_short: int  # SD patients whose SD did not last long enough to count for CBR

    def rate(self, name: str) -> ResponseRate:
        return next(r for r in self.rates if r.rate == name)

    @property
    def shown_rates(self) -> tuple[ResponseRate, ...]:
        return tuple(self.rate(name) for name in self.shown)

    @property
    def orr(self) -> ProportionEstimate:
        return self.rate("orr").estimate

    @property
    def cbr(self) -> ProportionEstimate:
        return self.rate("cbr").estimate


MISSING_RESPONSE = "missing"  # the level of patients without a recorded best response


@dataclass(frozen=True)
class WaterfallData:
    """Maximal % change of target lesions per evaluable patient, without identifiers."""

    change_pct: tuple[float, ...]
    best_response: tuple[str, ...]
    not_measured: int


@dataclass(frozen=True)
class TreatmentSummary:
    duration: Distribution  # in the study's time unit
    reasons: tuple[CodeCount, ...]  # discontinued, by reason code (vocabulary.END_REASONS)
    ongoing: int
    dose_reduction: ProportionEstimate | None


@dataclass(frozen=True)
class AdverseEventRow:
    term: str
    any_grade: int
    severe: int


@dataclass(frozen=True)
class AdverseEventSummary:
    n: int
    grading: str
    severe_grade: int
    any_grade: int  # patients with any AE
    severe: int  # patients with any AE of grade >= severe_grade
    rows: tuple[AdverseEventRow, ...]


@dataclass(frozen=True)
class GroupComparison:
    """Table I split by the levels of one factor, each characteristic tested between them."""

    factor: str
    label: str | None  # study.yml's label of the factor; None: a built-in field
    levels: tuple[str, ...]  # the levels with patients (a marker's high and low labels)
    sizes: tuple[int, ...]
    rows: tuple[tuple[tuple[Characteristic, ...], ComparisonResult], ...]  # per level, test
    ungrouped: int = 0  # patients whose group is missing: in no column and in no test


@dataclass(frozen=True)
class FigureData:
    """What the figures are drawn from: the survival endpoints and the waterfall, computed
    before the rest of :class:`StudyResults` and given to :func:`~cohortpress.analyse.analyse`'s
    caller, which starts drawing them meanwhile. The same values as the results'."""

    n: int
    time_unit: str
    endpoints: tuple[EndpointResult, ...]
    waterfall: WaterfallData | None
    conventions: Conventions


@dataclass(frozen=True, eq=False)
class StudyResults:
    """Everything the manuscript shows, computed once."""

    flow: PatientFlow
    n: int
    time_unit: str
    censored_at_cutoff: int
    characteristics: tuple[Characteristic, ...]
    markers: tuple[MarkerSummary, ...]
    followup: QuantileEstimate
    endpoints: tuple[EndpointResult, ...]
    response: ResponseSummary | None
    treatment: TreatmentSummary | None  # None: no treatment dates in the workbook
    adverse_events: AdverseEventSummary | None
    conventions: Conventions  # as the analysis applied them: required, never a silent default
    waterfall: WaterfallData | None = None
    comparison: GroupComparison | None = None
    software: dict[str, str] = field(default_factory=dict)

    def endpoint(self, kind: str) -> EndpointResult:
        return next(e for e in self.endpoints if e.kind == kind)
