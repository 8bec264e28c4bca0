"""Plain, immutable results of the analysis stage.

Nothing here is formatted: artefacts (tables, figures, text, results.json) read these objects
and never raw data, so the manuscript's text and tables cannot disagree. Values that do not
exist (a median not reached, an infinite hazard ratio) are ``None``, never ``inf`` or ``NaN``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

    from cohortpress.analyse._status import (
        ComparisonStatus,
        LogRankStatus,
        ModelStatus,
        TermStatus,
    )

CITransform = Literal["log-log", "log", "plain"]
Ties = Literal["efron", "breslow"]


@dataclass(frozen=True)
class Concordance:
    """Harrell's C with its infinitesimal-jackknife standard error and the pair counts
    (computed in ``_concordance``)."""

    value: float
    se: float
    concordant: int
    discordant: int
    tied_x: int
    tied_y: int
    tied_xy: int


@dataclass(frozen=True, eq=False)
class QuantileEstimate:
    """A survival-time quantile with its Brookmeyer–Crowley confidence interval."""

    surv_level: float  # the S(t) level: 0.5 for the median, 0.75 and 0.25 for the quartiles
    estimate: float | None  # None = not reached
    lower: float | None  # None = not reached
    upper: float | None  # None = not reached


@dataclass(frozen=True, eq=False)
class KMEstimate:
    """Kaplan–Meier estimate of one group.

    ``table`` has one row per distinct observed time, as R's ``summary(survfit(...))`` with
    ``censored = TRUE``: columns ``time, n_risk, n_event, n_censor, surv, std_err, lower,
    upper``; ``std_err`` is the Greenwood standard error of S(t) and ``lower``/``upper`` the
    pointwise band under ``ci_transform``.
    """

    label: str
    n: int
    events: int
    table: pd.DataFrame
    median: QuantileEstimate
    quartiles: tuple[QuantileEstimate, ...]  # S = 0.75 and S = 0.25, in that order
    ci_transform: CITransform
    conf_level: float
    median_rule: str = "midpoint of a flat S(t) = 0.5 segment (R survfit, SAS LIFETEST)"


@dataclass(frozen=True, eq=False)
class RiskTable:
    """Numbers at risk at the start of each interval (R ``summary(survfit, times=)``)."""

    times: tuple[float, ...]
    n_risk: dict[str, tuple[int, ...]]  # group label -> counts at each time


@dataclass(frozen=True, eq=False)
class LogRankResult:
    """Log-rank test of equal survival across k groups."""

    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    chisq: float
    df: int
    p: float
    method: str = "log-rank (Mantel–Haenszel)"
    status: LogRankStatus | None = None  # why nothing was compared (chisq = 0, df = 0, p = 1)
    n: tuple[int, ...] = ()  # patients per group, as survdiff's N
    variance: tuple[float, ...] = ()  # diagonal of the (O - E) covariance: survdiff's var


@dataclass(frozen=True, eq=False)
class CoxTerm:
    """One coefficient of a Cox model: a level of a factor against its reference, or a
    continuous covariate per ``per`` units."""

    covariate: str  # the covariate's name in study.yml
    level: str | None
    reference: str | None
    coef: float | None
    se: float | None
    hr: float | None  # None when not estimable (see ``status``)
    lower: float | None
    upper: float | None
    p: float | None  # Wald p
    status: TermStatus | None = None  # why a value is missing
    per: float = 1.0  # continuous: the coefficient is per `per` units (R: I(x / per))
    covariate_label: str = ""  # the covariate's label in study.yml
    unit: str | None = None  # continuous: the covariate's unit (the label says "per 10 years")

    @property
    def z(self) -> float | None:
        """The Wald statistic coef / se (R: ``summary(coxph)$coefficients[, "z"]``)."""
        if self.coef is None or not self.se:
            return None
        return self.coef / self.se


@dataclass(frozen=True, eq=False)
class TestResult:
    """A global test of a model or a factor."""

    statistic: float
    df: int
    p: float
    method: str


@dataclass(frozen=True, eq=False)
class CoxResult:
    """A fitted Cox proportional-hazards model (univariate or multivariable)."""

    terms: tuple[CoxTerm, ...]
    n: int
    events: int
    ties: Ties
    converged: bool
    iterations: int
    loglik: tuple[float, float] | None  # (null, fitted)
    wald: TestResult | None
    likelihood_ratio: TestResult | None
    score: TestResult | None
    factor_tests: dict[str, TestResult] = field(default_factory=dict)  # covariate -> global p
    events_per_variable: float | None = None
    status: ModelStatus | None = None  # why the model could not be estimated, if it could not
    concordance: Concordance | None = None  # Harrell's C of the linear predictor, as R's
    conf_level: float = 0.95  # of the terms' Wald confidence intervals


class ComparisonTest(StrEnum):
    """Which test compared a variable between groups (the words: ``present.wording``)."""

    WILCOXON_EXACT = "wilcoxon_exact"  # R wilcox.test, exact p
    WILCOXON_NORMAL = "wilcoxon_normal"  # normal approximation with continuity correction
    KRUSKAL = "kruskal"  # R kruskal.test
    FISHER = "fisher"  # R fisher.test
    CHISQ = "chisq"  # R chisq.test(correct = FALSE), where Fisher's is infeasible


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """A two-or-more group comparison of one variable."""

    test: ComparisonTest  # which test; present.wording names it
    statistic: float | None
    p: float | None
    status: ComparisonStatus | None = None


@dataclass(frozen=True, eq=False)
class ProportionEstimate:
    """k of n with an exact (Clopper–Pearson) confidence interval."""

    k: int
    n: int
    estimate: float | None
    lower: float | None
    upper: float | None
    conf_level: float = 0.95
    method: str = "Clopper–Pearson (exact)"
