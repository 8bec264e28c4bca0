"""From a Newton–Raphson fit to a ``CoxResult``: terms, global tests, factor tests, statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri

from cohortpress.analyse._concordance import concordance
from cohortpress.analyse._cox_design import linear_predictor
from cohortpress.analyse._results import CoxResult, CoxTerm, TestResult
from cohortpress.analyse._status import ModelStatus, TermStatus

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from cohortpress.analyse._cox_design import Design, DesignColumn
    from cohortpress.analyse._cox_newton import NewtonFit
    from cohortpress.analyse._results import Concordance, Ties


def cox_result(
    design: Design, usable: NDArray[np.intp], fit: NewtonFit, ties: Ties, conf_level: float
) -> CoxResult:
    """Assemble the result; coefficients that are singular or infinite get a status, no numbers."""
    c = concordance(design.time, design.event, linear_predictor(design.x[:, usable], fit.beta))
    n, events = len(design.time), int(design.event.sum())
    return fitted_result(design.columns, n, events, usable, fit, ties, conf_level, c)


def fitted_result(
    columns: tuple[DesignColumn, ...],
    n: int,
    n_events: int,
    usable: NDArray[np.intp],
    fit: NewtonFit,
    ties: Ties,
    conf_level: float,
    c: Concordance | None,
) -> CoxResult:
    """The result from the design's columns and counts, whichever engine fitted it."""
    z = float(ndtri(1.0 - (1.0 - conf_level) / 2.0))
    position = {int(j): i for i, j in enumerate(usable)}
    terms = tuple(_term(column, fit, position.get(j), z) for j, column in enumerate(columns))
    estimated = np.flatnonzero(~fit.singular)
    return CoxResult(
        terms=terms,
        n=n,
        events=n_events,
        ties=ties,
        converged=fit.converged,
        iterations=fit.iterations,
        loglik=(fit.loglik_null, fit.loglik),
        wald=None if fit.infinite.any() else _wald(fit, estimated, "Wald"),
        likelihood_ratio=_chisq_test(
            2 * (fit.loglik - fit.loglik_null), estimated, "likelihood ratio"
        ),
        score=_chisq_test(fit.score_test, estimated, "score (log-rank)"),
        factor_tests=_factor_tests(columns, usable, fit),
        events_per_variable=n_events / len(estimated) if len(estimated) else None,
        status=_model_status(fit),
        concordance=c,
        conf_level=conf_level,
    )


def not_estimable(
    design: Design, varies: NDArray[np.bool_], ties: Ties, status: ModelStatus
) -> CoxResult:
    """A model with nothing to fit (no events, or no covariate that varies)."""
    n, events = len(design.time), int(design.event.sum())
    return not_estimable_result(design.columns, n, events, varies, ties, status)


def not_estimable_result(
    columns: tuple[DesignColumn, ...],
    n: int,
    n_events: int,
    varies: NDArray[np.bool_],
    ties: Ties,
    status: ModelStatus,
) -> CoxResult:
    """``not_estimable`` from the design's columns and counts, whichever engine read them."""
    terms = tuple(
        _empty_term(c, _constant_status(c) if not varies[j] else TermStatus.MODEL_NOT_ESTIMABLE)
        for j, c in enumerate(columns)
    )
    return CoxResult(
        terms=terms,
        n=n,
        events=n_events,
        ties=ties,
        converged=False,
        iterations=0,
        loglik=None,
        wald=None,
        likelihood_ratio=None,
        score=None,
        status=status,
    )


def _term(column: DesignColumn, fit: NewtonFit, i: int | None, z: float) -> CoxTerm:
    """Coefficient, Wald CI and p of one column, or the reason it has none."""
    if i is None:
        return _empty_term(column, _constant_status(column))
    if fit.singular[i]:
        single = len(fit.singular) == 1
        return _empty_term(column, TermStatus.NO_EVENT_CONTRAST if single else TermStatus.COLLINEAR)
    if fit.infinite[i]:
        return _empty_term(column, _infinite_status(column))
    coef, se = float(fit.beta[i]), float(np.sqrt(fit.variance[i, i]))
    with np.errstate(over="ignore"):
        hr, lower, upper = np.exp([coef, coef - z * se, coef + z * se])
    if not np.all(np.isfinite([hr, lower, upper])):
        # A fit stopped on its way to infinity (R: "Ran out of iterations and did not
        # converge") leaves a CI bound beyond any float: no hazard ratio to report.
        return _empty_term(column, _infinite_status(column))
    return CoxTerm(
        covariate=column.covariate.name,
        level=column.level,
        reference=column.reference,
        coef=coef,
        se=se,
        hr=float(hr),
        lower=float(lower),
        upper=float(upper),
        p=float(2 * ndtr(-abs(coef / se))),
        per=column.covariate.per,
        covariate_label=column.covariate.label,
        unit=column.covariate.unit,
    )


def _empty_term(column: DesignColumn, status: TermStatus) -> CoxTerm:
    return CoxTerm(
        covariate=column.covariate.name,
        level=column.level,
        reference=column.reference,
        coef=None,
        se=None,
        hr=None,
        lower=None,
        upper=None,
        p=None,
        status=status,
        per=column.covariate.per,
        covariate_label=column.covariate.label,
        unit=column.covariate.unit,
    )


def _wald(fit: NewtonFit, index: NDArray[np.intp], method: str) -> TestResult | None:
    """b' V^-1 b over the given coefficients, as R's ``coxph.wtest``."""
    if len(index) == 0:
        return None
    b = fit.beta[index]
    statistic = float(b @ np.linalg.solve(fit.variance[np.ix_(index, index)], b))
    return _chisq_test(statistic, index, method)


def _chisq_test(statistic: float, index: NDArray[np.intp], method: str) -> TestResult | None:
    if len(index) == 0:
        return None
    return TestResult(float(statistic), len(index), float(chdtrc(len(index), statistic)), method)


def _factor_tests(
    columns: tuple[DesignColumn, ...], usable: NDArray[np.intp], fit: NewtonFit
) -> dict[str, TestResult]:
    """Joint Wald test of each categorical covariate with more than two levels (two or more
    columns, declared levels or not), over its estimated coefficients; left out when one of
    them is infinite (the test would be void)."""
    tests: dict[str, TestResult] = {}
    for cov in dict.fromkeys(c.covariate for c in columns):
        count = sum(1 for c in columns if c.covariate is cov)
        if cov.kind != "categorical" or count < 2:
            continue
        index = np.array(
            [i for i, j in enumerate(usable) if columns[j].covariate is cov], dtype=np.intp
        )
        if fit.infinite[index].any():
            continue
        test = _wald(fit, index[~fit.singular[index]], "Wald (joint test of the factor's levels)")
        if test is not None:
            tests[cov.name] = test
    return tests


def _model_status(fit: NewtonFit) -> ModelStatus | None:
    if not fit.converged:
        return ModelStatus.NOT_CONVERGED
    if fit.infinite.any():
        return ModelStatus.MONOTONE
    return None


def _constant_status(column: DesignColumn) -> TermStatus:
    if column.level is None:
        return TermStatus.CONSTANT
    if column.patients == 0:
        return TermStatus.EMPTY_LEVEL
    return TermStatus.ONLY_LEVEL


def _infinite_status(column: DesignColumn) -> TermStatus:
    if column.level is not None and column.events == 0:
        return TermStatus.NO_EVENTS_IN_LEVEL
    return TermStatus.MONOTONE
