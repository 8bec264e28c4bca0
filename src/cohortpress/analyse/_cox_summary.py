"""From a Newton–Raphson fit to a ``CoxResult``: terms, global tests, factor tests, notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import chdtrc, ndtr, ndtri

from cohortpress.analyse._concordance import concordance
from cohortpress.analyse._cox_design import linear_predictor
from cohortpress.analyse._cox_newton import MAX_ITER
from cohortpress.analyse._results import CoxResult, CoxTerm, TestResult

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from cohortpress.analyse._concordance import Concordance
    from cohortpress.analyse._cox_design import Design, DesignColumn
    from cohortpress.analyse._cox_newton import NewtonFit
    from cohortpress.analyse._results import Ties


def cox_result(
    design: Design, usable: NDArray[np.intp], fit: NewtonFit, ties: Ties, conf_level: float
) -> CoxResult:
    """Assemble the result; coefficients that are singular or infinite get a note, no numbers."""
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
        note=_model_note(fit),
        concordance=c,
        conf_level=conf_level,
    )


def not_estimable(design: Design, varies: NDArray[np.bool_], ties: Ties, reason: str) -> CoxResult:
    """A model with nothing to fit (no events, or no covariate that varies)."""
    n, events = len(design.time), int(design.event.sum())
    return not_estimable_result(design.columns, n, events, varies, ties, reason)


def not_estimable_result(
    columns: tuple[DesignColumn, ...],
    n: int,
    n_events: int,
    varies: NDArray[np.bool_],
    ties: Ties,
    reason: str,
) -> CoxResult:
    """``not_estimable`` from the design's columns and counts, whichever engine read them."""
    terms = tuple(
        _empty_term(c, _constant_note(c) if not varies[j] else reason)
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
        note=reason,
    )


def _term(column: DesignColumn, fit: NewtonFit, i: int | None, z: float) -> CoxTerm:
    """Coefficient, Wald CI and p of one column, or the reason it has none."""
    if i is None:
        return _empty_term(column, _constant_note(column))
    if fit.singular[i]:
        why = (
            "no event occurred while patients with different values were at risk"
            if len(fit.singular) == 1
            else "collinear with other covariates"
        )
        return _empty_term(
            column, f"{_name(column)}: {why}, so its hazard ratio cannot be estimated."
        )
    if fit.infinite[i]:
        return _empty_term(column, _infinite_note(column))
    coef, se = float(fit.beta[i]), float(np.sqrt(fit.variance[i, i]))
    with np.errstate(over="ignore"):
        hr, lower, upper = np.exp([coef, coef - z * se, coef + z * se])
    if not np.all(np.isfinite([hr, lower, upper])):
        # A fit stopped on its way to infinity (R: "Ran out of iterations and did not
        # converge") leaves a CI bound beyond any float: no hazard ratio to report.
        return _empty_term(column, _infinite_note(column))
    return CoxTerm(
        covariate=column.covariate.name,
        label=_label(column),
        level=column.level,
        reference=column.reference,
        coef=coef,
        se=se,
        hr=float(hr),
        lower=float(lower),
        upper=float(upper),
        p=float(2 * ndtr(-abs(coef / se))),
        per=column.covariate.per,
    )


def _empty_term(column: DesignColumn, note: str) -> CoxTerm:
    return CoxTerm(
        covariate=column.covariate.name,
        label=_label(column),
        level=column.level,
        reference=column.reference,
        coef=None,
        se=None,
        hr=None,
        lower=None,
        upper=None,
        p=None,
        note=note,
        per=column.covariate.per,
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


def _model_note(fit: NewtonFit) -> str | None:
    if not fit.converged:
        return f"The fit did not converge in {MAX_ITER} iterations; the estimates are unreliable."
    if fit.infinite.any():
        return (
            "Some hazard ratios are not estimable (monotone likelihood, see their notes); "
            "Wald tests involving them are not reported."
        )
    return None


def _name(column: DesignColumn) -> str:
    label = column.covariate.label
    return f"{label}, {column.level}" if column.level is not None else label


def _constant_note(column: DesignColumn) -> str:
    if column.level is None:
        return (
            f"{_name(column)}: the same value in every patient analysed, so its hazard ratio "
            "cannot be estimated."
        )
    if column.patients == 0:
        return (
            f"{_name(column)}: no patients in this level, so its hazard ratio cannot be estimated."
        )
    return f"{_name(column)}: every patient analysed is in this level, so there is no comparison."


def _infinite_note(column: DesignColumn) -> str:
    if column.level is not None and column.events == 0:
        return (
            f"{_name(column)}: no events in this level, so the hazard ratio is zero "
            "(monotone likelihood) and is not estimated."
        )
    return (
        f"{_name(column)}: the likelihood keeps increasing along this coefficient "
        "(monotone likelihood), so its hazard ratio is not estimated."
    )


def _label(column: DesignColumn) -> str:
    cov = column.covariate
    if column.level is not None:
        return f"{column.level} vs {column.reference} (ref)"
    if cov.unit:
        return f"per {cov.per:g} {cov.unit}"
    return "per unit" if cov.per == 1 else f"per {cov.per:g} units"
