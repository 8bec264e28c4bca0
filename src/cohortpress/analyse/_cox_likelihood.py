"""The Cox partial likelihood with Efron or Breslow ties: log-likelihood, score, information.

Vectorised over patients sorted by time: risk-set sums are reverse cumulative sums, and tied
events are expanded one row per event, so a million rows cost a few array passes per Newton
step. The sums are those of R's ``coxfit6`` (survival 3.x), term by term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from cohortpress.analyse._results import Ties


@dataclass(frozen=True)
class RiskSets:
    """Patients sorted by time, with the layout of the event times.

    ``group_start`` is, for each distinct event time, the first sorted row at that time (its
    risk set is that row and all later ones). ``event_rows`` are the events in sorted order,
    ``event_group`` their event time, ``group_first_event`` the first event of each time and
    ``tie_fraction`` k/d for the k-th of d tied events under Efron (0 under Breslow).
    ``largest_square`` is the largest x² of the rows in a risk set (see :func:`r_overflow`).
    """

    x: NDArray[np.float64]
    event_x: NDArray[np.float64]  # rows of x of the events
    event_x_sum: NDArray[np.float64]  # their sum, the first term of every score
    event_rows: NDArray[np.intp]
    event_group: NDArray[np.intp]
    group_start: NDArray[np.intp]
    group_first_event: NDArray[np.intp]
    tie_fraction: NDArray[np.float64]
    largest_square: float


def risk_sets(
    x: NDArray[np.float64], time: NDArray[np.float64], event: NDArray[np.bool_], ties: Ties
) -> RiskSets:
    """Sort once; every evaluation of the likelihood reuses the layout. Rows already in time
    order (an endpoint's fits read them so) are their own stable sort and are not copied."""
    if len(time) > 1 and bool(np.all(time[1:] >= time[:-1])):  # in order, no NaN
        sorted_time, sorted_x, sorted_event = time, np.ascontiguousarray(x), event
    else:
        order = np.argsort(time, kind="stable")
        sorted_time, sorted_x = time[order], np.ascontiguousarray(x[order])
        sorted_event = event[order]
    event_rows = np.flatnonzero(sorted_event)
    times = sorted_time[event_rows]  # already sorted: tie groups are runs
    first_event = np.flatnonzero(np.r_[True, times[1:] != times[:-1]]) if len(times) else event_rows
    counts = np.diff(np.r_[first_event, len(times)])
    event_group = np.repeat(np.arange(len(first_event)), counts)
    rank_in_tie = np.arange(len(event_rows)) - first_event[event_group]
    fraction = rank_in_tie / counts[event_group] if ties == "efron" else np.zeros(len(event_rows))
    group_start = np.searchsorted(sorted_time, times[first_event], side="left")
    at_risk = sorted_x[group_start[0] :] if len(group_start) else sorted_x[:0]
    return RiskSets(
        x=sorted_x,
        event_x=sorted_x[event_rows],
        event_x_sum=sorted_x[event_rows].sum(axis=0),
        event_rows=event_rows,
        event_group=event_group,
        group_start=group_start,
        group_first_event=first_event,
        tie_fraction=fraction.astype(float),
        largest_square=float(np.square(at_risk).max(initial=0.0)),
    )


def overreach() -> np.errstate:
    """The floating-point state of the likelihood's arithmetic: its warnings are expected.

    R's coxfit6 exponentiates x'beta as it is: a Newton step that overreaches (an outlying
    covariate, a coefficient on its way to infinity) can make a risk-set sum overflow to inf
    or underflow to 0. Then, in R as here, the log-likelihood, score or information is not
    finite and the iterations take the step back (``_cox_newton``).
    """
    return np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore")


def partial_likelihood(
    rs: RiskSets, beta: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Log partial likelihood, score vector and information matrix at ``beta``.

    For the k-th of d events tied at t (k = 0..d-1) Efron's denominator is
    S0(t) - (k/d)·D0(t), with S0 the risk-set sum of exp(x'beta) and D0 that of the tied
    events; Breslow's is S0(t) for every one of them (see :func:`event_terms`).

    exp(x'beta) is taken as R takes it, unclamped (see :func:`overreach`).
    """
    with overreach():
        risk = np.exp(rs.x @ beta)
        first = rs.group_start[0]
        bounds = rs.group_start - first
        s0 = _reverse_cumsum(np.add.reduceat(risk[first:], bounds))
        s1 = _reverse_cumsum(np.add.reduceat(risk[first:, None] * rs.x[first:], bounds))
        event_risk = risk[rs.event_rows]
        d0 = np.add.reduceat(event_risk, rs.group_first_event)
        d1 = np.add.reduceat(event_risk[:, None] * rs.event_x, rs.group_first_event)
        terms = event_terms(s0, s1, d0, d1, rs.tie_fraction, rs.event_group, rs.group_first_event)
        loglik = float(beta @ rs.event_x_sum - terms.log_denominators)
        score = rs.event_x_sum - terms.means
        info = _second_moments(rs, risk, terms) - terms.mean_products
        if s0[0] * rs.largest_square > _NEAR_OVERFLOW:  # only a step that overreaches
            info = r_overflow(info, risk[first:] @ np.square(rs.x[first:]))
        return loglik, score, info


@dataclass(frozen=True)
class EventTerms:
    """What the events add to the log-likelihood, score and information, given the sums of
    exp(x'beta) over the risk set (S0, S1) and over the tied events (D0, D1) of each event
    time: for each event, its denominator den and risk-set mean a = (S1 - c·D1) / den (c =
    k/d under Efron, 0 under Breslow). The risk-set second moments, which the two engines sum
    differently, are left to them, with the weights of each time's S2 and D2 relative to S0:
    the sum over the events of (S2(t) - c·D2(t)) / den is

        sum over rows u of  s2(u) / S0(t_u) · ``running``(t_u)  -  sum over event times t of
        D2(t) / S0(t) · ``tied``(t),

    s2(u) being a row's (or a time's) r·x x' and t_u the last event time at or before it.
    """

    log_denominators: float  # sum over the events of log(den)
    means: NDArray[np.float64]  # (p,) sum over the events of a
    mean_products: NDArray[np.float64]  # (p, p) sum over the events of a a'
    s0: NDArray[np.float64]  # (T,) S0 at each event time
    running: NDArray[np.float64]  # (T,) S0(t) · the sum of 1/den over the events up to t
    tied: NDArray[np.float64]  # (T,) S0(t) · the sum of c/den over the events at t


def event_terms(
    s0: NDArray[np.float64],
    s1: NDArray[np.float64],
    d0: NDArray[np.float64],
    d1: NDArray[np.float64],
    c: NDArray[np.float64],
    group: NDArray[np.intp],
    first: NDArray[np.intp],
) -> EventTerms:
    """The events' terms from the sums per event time (``group``: each event's time,
    ``first``: each time's first event, ``c``: each event's tie fraction).

    R's coxfit6 divides every sum by the denominator before it multiplies two of them (a/den,
    then (cmat - (a/den)·a)/den), so its score and information stay finite wherever the sums
    do. So here: S1 and D1 are divided by S0 first, and each denominator taken as its share
    of S0, den/S0, between 1/d and 1; the sums of a a' over the tied events are formed from
    these bounded numbers. Expanded as products of S1 and D1 with sums of 1/den², they
    overflowed (1/den² passes 1e308 once den < 1e-154) where R's numbers are finite. Likewise
    the running sum of 1/den over the event times is kept relative to S0(t): S0 falls with t,
    so that sum times S0(t) stays of the order of the number of events, while 1/S0(t) alone
    overflows once every exp(x'beta) at risk is below e^-708 (it is summed as logarithms).
    The log-likelihood takes -log(den), as R does, not log(1/den).
    """
    den = s0[group] - c * d0[group]
    share = den / s0[group]  # (S0 - c·D0) / S0: between 1/d and 1
    u, v = s1 / s0[:, None], d1 / s0[:, None]  # the risk set's and the tied events' S1/S0, D1/S0
    inverse = 1.0 / share
    squared = inverse * inverse
    weights = (inverse, c * inverse, squared, c * squared, c * c * squared)
    g = [np.add.reduceat(w, first) for w in weights]
    cross = (u * g[3][:, None]).T @ v
    log_s0 = np.log(s0)
    return EventTerms(
        log_denominators=float(np.log(den).sum()),
        means=(u * g[0][:, None] - v * g[1][:, None]).sum(axis=0),
        mean_products=(u * g[2][:, None]).T @ u - cross - cross.T + (v * g[4][:, None]).T @ v,
        s0=s0,
        running=np.exp(np.logaddexp.accumulate(np.log(g[0]) - log_s0) + log_s0),
        tied=g[1],
    )


_NEAR_OVERFLOW = float(np.finfo(np.float64).max) / 4


def r_overflow(info: NDArray[np.float64], s2_diagonal: NDArray[np.float64]) -> NDArray[np.float64]:
    """The information as R's has it when its sums of r·x x' overflow.

    R's coxfit6 sums r·x x' over each risk set and only then divides by the denominator, so
    an exp(x'beta) near the largest double times a large x² makes its information not finite,
    and its Newton step is taken back. Divided by S0 first, ours stays finite there; so the
    rows and columns whose largest such sum, Σ r·x_j² over the first event time's risk set
    (``s2_diagonal``), overflows are made not finite too, and the steps stay R's.
    """
    beyond = ~np.isfinite(s2_diagonal)
    return np.where(beyond[:, None] | beyond[None, :], np.inf, info) if beyond.any() else info


def _second_moments(
    rs: RiskSets, risk: NDArray[np.float64], terms: EventTerms
) -> NDArray[np.float64]:
    """Sum over events of (S2(t) - c·D2(t)) / den, as one weighted X'X.

    A patient's x x' enters S2 of every event time up to its own time and D2 of its own time
    when it is an event, so the sum is X' diag(w) X with one weight per patient (see
    :class:`EventTerms`): r / S0(t) times ``running``(t), t its last event time, less r / S0(t)
    times ``tied``(t) for an event. Patients who leave before the first event are in no risk
    set and are left out, not weighted by 0: an exp(x'beta) of theirs that overflowed would
    make inf·0 = NaN, where R adds nothing.
    """
    first = rs.group_start[0]
    span = np.diff(np.r_[rs.group_start, len(risk)])  # the rows whose last event time is t
    weight = risk[first:] / np.repeat(terms.s0, span) * np.repeat(terms.running, span)
    g = rs.event_group
    weight[rs.event_rows - first] -= risk[rs.event_rows] / terms.s0[g] * terms.tied[g]
    x = rs.x[first:]
    return (x * weight[:, None]).T @ x


def _reverse_cumsum(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sums from each row to the end: risk-set totals of blocks sorted by time."""
    return np.cumsum(values[::-1], axis=0)[::-1]
