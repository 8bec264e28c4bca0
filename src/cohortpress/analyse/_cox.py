"""Cox proportional-hazards models, as R ``coxph`` (survival 3.x) with its defaults.

Conventions: Efron ties by default (R's default; SAS PHREG defaults to Breslow, offered as
``ties="breslow"``); Wald confidence intervals and p-values per term; likelihood-ratio, Wald
and score global tests as R ``summary(coxph)``; for a categorical covariate with more than
two levels a global p from the joint Wald test of its coefficients (SAS PHREG's type 3 Wald
test; no refit needed); complete cases only; events per variable = events / number of
estimated coefficients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from cohortpress.analyse._cox_design import build_design
from cohortpress.analyse._cox_newton import newton_raphson
from cohortpress.analyse._cox_summary import cox_result, not_estimable
from cohortpress.analyse._inputs import check_conf_level, level_text
from cohortpress.analyse._status import ModelStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from cohortpress.analyse._results import CoxResult, Ties


@dataclass(frozen=True)
class CoxCovariate:
    """A covariate of a Cox model, described as study.yml describes it."""

    name: str  # key used in CoxResult.factor_tests and CoxTerm.covariate
    column: str  # column in the data frame
    kind: Literal["categorical", "continuous"]
    label: str  # human label of the covariate, e.g. "Risk group"
    levels: tuple[str, ...] | None = None  # categorical: all levels in display order
    reference: str | None = None  # categorical: the reference level (must be in levels)
    per: float = 1.0  # continuous: HR per `per` units
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("categorical", "continuous"):
            raise ValueError(f"{self.label}: kind must be categorical or continuous")
        if not (math.isfinite(self.per) and self.per > 0):
            raise ValueError(f"{self.label}: per must be a positive number, got {self.per!r}")
        if self.levels is not None:
            levels = tuple(level_text(v) for v in self.levels)
            if len(set(levels)) != len(levels):
                raise ValueError(f"{self.label}: levels repeat: {list(levels)}")
            object.__setattr__(self, "levels", levels)
        if self.reference is not None and self.levels is not None:
            if level_text(self.reference) not in self.levels:
                raise ValueError(
                    f"{self.label}: reference {self.reference!r} is not one of {list(self.levels)}"
                )
            object.__setattr__(self, "reference", level_text(self.reference))


def check_arguments(covariates: Sequence[CoxCovariate], ties: Ties, conf_level: float) -> float:
    """What either engine's fit asks of its arguments; the confidence level as checked."""
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be efron or breslow, got {ties!r}")
    names = [c.name for c in covariates]
    if len(set(names)) != len(names):
        raise ValueError(f"covariate names must be distinct, got {names}")
    return check_conf_level(conf_level)


def cox_fit(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[CoxCovariate],
    *,
    ties: Ties = "efron",
    conf_level: float = 0.95,
) -> CoxResult:
    """Fit a Cox model of ``time``/``event`` on ``covariates`` (complete cases only).

    What cannot be estimated is reported, not raised: no events, a covariate with a single
    value or a level without patients (``None`` values with a status), and a coefficient that
    runs off to infinity because a level has no events (R warns "Loglik converged before
    variable ...; coefficient may be infinite"): its hazard ratio is reported as not estimable.
    """
    level = check_arguments(covariates, ties, conf_level)
    design = build_design(data, time, event, covariates)
    n_events = int(design.event.sum())
    varies = np.ptp(design.x, axis=0) > 0 if len(design.time) else np.zeros(design.x.shape[1], bool)
    if n_events == 0:
        return not_estimable(design, varies, ties, ModelStatus.NO_EVENTS)
    if not varies.any():
        return not_estimable(design, varies, ties, ModelStatus.NO_COVARIATE_VARIES)
    usable = np.flatnonzero(varies)
    fit = newton_raphson(design.x[:, usable], design.time, design.event, ties)
    return cox_result(design, usable, fit, ties, level)
