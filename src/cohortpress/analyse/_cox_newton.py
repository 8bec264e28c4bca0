"""Newton–Raphson for the Cox partial likelihood, step for step as R's ``coxph`` (coxfit6).

R's algorithm and defaults (``coxph.control``): covariates centred and scaled (0/1 columns
left alone), start at beta = 0, Newton steps through a Cholesky decomposition that treats
pivots below ``toler.chol`` as zero, step halving when the log-likelihood drops or is not
finite, convergence when its relative change is below 1e-9, at most 20 iterations.
Following it exactly means our iterates are R's, including where a coefficient runs off to
infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cohortpress.analyse._cox_likelihood import partial_likelihood, risk_sets

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from numpy.typing import NDArray

    from cohortpress.analyse._results import Ties

    # the log-likelihood, score and information at some beta
    Evaluation = tuple[float, NDArray[np.float64], NDArray[np.float64]]
    # beta (on the centred and scaled covariates) -> its evaluation
    Likelihood = Callable[[NDArray[np.float64]], Evaluation]

EPS = 1e-9
TOLER_CHOL = float(np.finfo(float).eps) ** 0.75
TOLER_INF = EPS**0.5
MAX_ITER = 20


@dataclass(frozen=True)
class NewtonFit:
    """A fitted model on the original scale of the covariates."""

    beta: NDArray[np.float64]
    variance: NDArray[np.float64]  # inverse information; rows of singular columns are 0
    singular: NDArray[np.bool_]  # no information left for the column (R: coefficient NA)
    infinite: NDArray[np.bool_]  # R's "Loglik converged before variable ... may be infinite"
    loglik_null: float
    loglik: float
    score_test: float
    iterations: int
    converged: bool


def newton_raphson(
    x: NDArray[np.float64], time: NDArray[np.float64], event: NDArray[np.bool_], ties: Ties
) -> NewtonFit:
    """Maximise the partial likelihood from beta = 0, as R's coxfit6."""
    centre, scale = _centre_and_scale(x)
    rs = risk_sets((x - centre) * scale, time, event, ties)
    return maximise(lambda beta: partial_likelihood(rs, beta), scale)


def maximise(likelihood: Likelihood, scale: NDArray[np.float64]) -> NewtonFit:
    """R's coxfit6 iterations on any evaluation of the likelihood (in memory, or one
    map-reduce per call on a cluster); ``scale`` maps the coefficients back to the
    covariates' own units."""
    steps = newton_steps(scale)
    beta = next(steps)
    while True:
        try:
            beta = steps.send(likelihood(beta))
        except StopIteration as done:
            return done.value


def newton_steps(
    scale: NDArray[np.float64],
) -> Generator[NDArray[np.float64], Evaluation, NewtonFit]:
    """``maximise`` one step at a time: yields each beta whose log-likelihood, score and
    information it needs next and is sent them back; returns the fit. So a caller can
    evaluate the steps of many models together (one map-reduce on a cluster for every model
    in flight), each model still following R's rules on its own.

    R's rules (coxfit6): a step is taken back when the log-likelihood drops below the best so
    far or when the log-likelihood, score or information is not finite (exp(x'beta)
    overflowed); the h-th step back in a row goes to (new + h·best) / (h + 1), halfway the
    first time, then closer to the best beta. Convergence is a relative change of the
    log-likelihood below EPS from the best so far, finite numbers, even just after a step
    back. Out of iterations, the fit is the best beta and its evaluation, not the last beta
    tried (that one may be a step that overflowed).
    """
    beta = np.zeros(len(scale))
    best = yield beta  # the evaluation at beta, the best so far
    loglik_null, score, info = best
    step = cholesky_solve(info, score)
    score_test = float(score @ step)
    new_beta, halving, iterations, converged = beta + step, 0, 0, False
    while iterations < MAX_ITER:
        iterations += 1
        new = yield new_beta
        finite = _finite(new)
        if finite and _relative_change(best[0], new[0]) <= EPS:
            beta, best, converged = new_beta, new, True
            break
        if not finite or new[0] < best[0]:
            halving += 1
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
        else:
            halving, beta, best = 0, new_beta, new
            new_beta = new_beta + cholesky_solve(new[2], new[1])
    loglik, score, info = best
    beta, variance, singular, infinite = _on_original_scale(beta, score, info, scale, converged)
    return NewtonFit(
        beta,
        variance,
        singular,
        infinite,
        loglik_null,
        loglik,
        score_test,
        iterations,
        converged,
    )


def _finite(evaluation: Evaluation) -> bool:
    """Whether the log-likelihood, score and information are all finite (R's ``notfinite``
    test: an overflowed exp(x'beta) leaves inf or NaN in one of them)."""
    loglik, score, info = evaluation
    return math.isfinite(loglik) and bool(np.isfinite(score).all() and np.isfinite(info).all())


def _relative_change(old: float, new: float) -> float:
    """|1 - old/new|, R's convergence measure; a log-likelihood of exactly 0 (a risk set of
    one patient at every event) makes R's C code divide by zero, which never converges."""
    return abs(1.0 - old / new) if new != 0 else math.inf


def _centre_and_scale(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """R's coxph: centre each column and scale it by 1 / mean absolute deviation, except
    columns whose values are all -1, 0 or 1 (indicators), which are left as they are."""
    indicator = np.all(np.isin(x, (-1.0, 0.0, 1.0)), axis=0)
    centre = centres(indicator, x.mean(axis=0))
    return centre, scales(indicator, np.abs(x - centre).mean(axis=0))


def centres(indicator: NDArray[np.bool_], mean: NDArray[np.float64]) -> NDArray[np.float64]:
    """The columns' means, 0 for indicator columns (R's coxph centring)."""
    return np.where(indicator, 0.0, mean)


def scales(indicator: NDArray[np.bool_], spread: NDArray[np.float64]) -> NDArray[np.float64]:
    """1 / mean absolute deviation from the centre, 1 for indicators and constant columns."""
    return np.where(indicator | (spread == 0), 1.0, 1.0 / np.where(spread == 0, 1.0, spread))


def _on_original_scale(
    beta: NDArray[np.float64],
    score: NDArray[np.float64],
    info: NDArray[np.float64],
    scale: NDArray[np.float64],
    converged: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Coefficients and variance without the scaling; singular and infinite coefficients.

    R's test for an infinite coefficient (only once converged): the Newton step still to go,
    |score' V|, exceeds both EPS and TOLER_INF times |beta|.
    """
    variance, singular = cholesky_inverse(info)
    beta, score = beta * scale, score / scale
    variance = variance * np.outer(scale, scale)
    step = np.abs(score @ variance)
    infinite = converged & (step > EPS) & (step > TOLER_INF * np.abs(beta)) & ~singular
    return beta, variance, singular, infinite


def _ldl(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """R's cholesky2: L D L' in one matrix (D on the diagonal, L below it); a pivot below
    TOLER_CHOL times the largest diagonal element is set to 0 (a singular column)."""
    a = np.array(matrix, dtype=float)
    largest = max(float(np.max(np.diag(a), initial=0.0)), 0.0)
    eps = largest * TOLER_CHOL if largest > 0 else TOLER_CHOL
    for i in range(len(a)):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            a[i, i] = 0.0
            continue
        below = a[i + 1 :, i] / pivot
        a[i + 1 :, i + 1 :] -= np.tril(np.outer(below, a[i + 1 :, i]))
        a[i + 1 :, i] = below
    return a


def cholesky_solve(matrix: NDArray[np.float64], rhs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Solve matrix · y = rhs as R's chsolve2, with 0 for the singular components."""
    a = _ldl(matrix)
    y = np.array(rhs, dtype=float)
    n = len(y)
    for i in range(n):
        y[i] -= a[i, :i] @ y[:i]
    for i in range(n - 1, -1, -1):
        y[i] = 0.0 if a[i, i] == 0 else y[i] / a[i, i] - a[i + 1 :, i] @ y[i + 1 :]
    return y


def cholesky_inverse(
    matrix: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The inverse with singular rows and columns set to 0 (R's chinv2), and which they are."""
    singular = np.diag(_ldl(matrix)) == 0
    inverse = np.column_stack([cholesky_solve(matrix, e) for e in np.eye(len(matrix))])
    inverse[singular, :] = 0.0
    inverse[:, singular] = 0.0
    return inverse, singular
