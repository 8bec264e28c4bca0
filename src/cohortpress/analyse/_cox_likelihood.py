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
    """

    x: NDArray[np.float64]
    event_x: NDArray[np.float64]  # rows of x of the events
    event_x_sum: NDArray[np.float64]  # their sum, the first term of every score
    event_rows: NDArray[np.intp]
    event_group: NDArray[np.intp]
    group_start: NDArray[np.intp]
    group_first_event: NDArray[np.intp]
    tie_fraction: NDArray[np.float64]


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
    return RiskSets(
        x=sorted_x,
        event_x=sorted_x[event_rows],
        event_x_sum=sorted_x[event_rows].sum(axis=0),
        event_rows=event_rows,
        event_group=event_group,
        group_start=np.searchsorted(sorted_time, times[first_event], side="left"),
        group_first_event=first_event,
        tie_fraction=fraction.astype(float),
    )


def partial_likelihood(
    rs: RiskSets, beta: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Log partial likelihood, score vector and information matrix at ``beta``.

    For the k-th of d events tied at t (k = 0..d-1) Efron's denominator is
    S0(t) - (k/d)·D0(t), with S0 the risk-set sum of exp(x'beta) and D0 that of the tied
    events; Breslow's is S0(t) for every one of them. The sums over k of the risk-set means
    and their outer products are taken per event time, through the scalar sums of 1/den,
    k/d/den, 1/den², (k/d)/den² and (k/d)²/den², so no array is events x covariates wide.
    """
    risk = np.exp(rs.x @ beta)
    first = rs.group_start[0]
    bounds = rs.group_start - first
    s0 = _reverse_cumsum(np.add.reduceat(risk[first:], bounds))
    s1 = _reverse_cumsum(np.add.reduceat(risk[first:, None] * rs.x[first:], bounds))
    event_risk = risk[rs.event_rows]
    d0 = np.add.reduceat(event_risk, rs.group_first_event)
    d1 = np.add.reduceat(event_risk[:, None] * rs.event_x, rs.group_first_event)
    c = rs.tie_fraction
    inverse = 1.0 / (s0[rs.event_group] - c * d0[rs.event_group])
    sums = [np.add.reduceat(v, rs.group_first_event) for v in _tie_weights(inverse, c)]
    loglik = float(beta @ rs.event_x_sum + np.log(inverse).sum())
    score = rs.event_x_sum - (s1 * sums[0][:, None] - d1 * sums[1][:, None]).sum(axis=0)
    info = _second_moments(rs, risk, sums[0], sums[1]) - _mean_products(s1, d1, *sums[2:])
    return loglik, score, info


def _tie_weights(inverse: NDArray[np.float64], c: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """Per event: 1/den, c/den, 1/den², c/den², c²/den² (c = k/d, 0 under Breslow)."""
    squared = inverse * inverse
    return [inverse, c * inverse, squared, c * squared, c * c * squared]


def _mean_products(
    s1: NDArray[np.float64],
    d1: NDArray[np.float64],
    g0: NDArray[np.float64],
    g1: NDArray[np.float64],
    g2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Sum over events of a a', a = (S1 - c D1) / den, expanded per event time."""
    cross = (s1 * g1[:, None]).T @ d1
    return (s1 * g0[:, None]).T @ s1 - cross - cross.T + (d1 * g2[:, None]).T @ d1


def _second_moments(
    rs: RiskSets, risk: NDArray[np.float64], alpha: NDArray[np.float64], beta: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Sum over events of (S2(t) - (k/d)·D2(t)) / den, as one weighted X'X.

    A patient's x x' enters S2 of every event time up to its own time (weight: the running
    sum of ``alpha`` = sum of 1/den) and D2 of its own time when it is an event (``beta`` =
    sum of (k/d)/den), so the sum is X' diag(w) X with one weight per patient.
    """
    # The running sum of alpha over the event times, each held from its time's first row to
    # the next time's: the same additions, in the same order, as a running sum over every row
    # (the rows between add 0), on a few thousand times instead of a million rows.
    span = np.diff(np.r_[0, rs.group_start, len(risk)])
    weight = risk * np.repeat(np.r_[0.0, np.cumsum(alpha)], span)
    weight[rs.event_rows] -= risk[rs.event_rows] * beta[rs.event_group]
    return (rs.x * weight[:, None]).T @ rs.x


def _reverse_cumsum(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sums from each row to the end: risk-set totals of blocks sorted by time."""
    return np.cumsum(values[::-1], axis=0)[::-1]
