"""The Cox partial likelihood from sums per distinct time, which partitions add up exactly.

A partition, given beta, reduces its rows to one row per distinct time: over all its rows at
that time the sums of r = exp(x'beta), r·x and r·x x'; over its events at that time their
count, the sum of x and (Efron) the same three r-weighted sums. Sums of different partitions
at the same time add up, so the client holds the whole cohort's sums per time; reverse
cumulative sums over time give every risk set, across partition boundaries. The likelihood,
score and information are then R's ``coxfit6`` sums, as ``analyse._cox_likelihood`` takes
them from the rows: only the order of floating-point additions differs.

Memory: every partition's and the client's sums hold distinct times x (2 + 2p + p²) floats
(twice the r-weighted terms under Efron), whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cohortpress.analyse._cox_likelihood import event_terms, overreach, r_overflow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from cohortpress.analyse._results import Ties


@dataclass(frozen=True)
class TimeSums:
    """Per distinct time (sorted, ascending): the sums a partition or the cohort holds.

    ``d0``, ``d1``, ``d2`` (the r-weighted sums over the events) are None under Breslow, whose
    denominators do not use them.
    """

    time: NDArray[np.float64]  # (T,)
    events: NDArray[np.int64]  # (T,) events at the time
    s0: NDArray[np.float64]  # (T,) sum of r over every row at the time
    s1: NDArray[np.float64]  # (T, p) sum of r·x
    s2: NDArray[np.float64]  # (T, p, p) sum of r·x x'
    event_x: NDArray[np.float64]  # (T, p) sum of x over the events
    d0: NDArray[np.float64] | None
    d1: NDArray[np.float64] | None
    d2: NDArray[np.float64] | None


def time_sums(
    x: NDArray[np.float64],
    time: NDArray[np.float64],
    event: NDArray[np.bool_],
    beta: NDArray[np.float64],
    ties: Ties,
) -> TimeSums:
    """The sums of one block of rows (a partition, or a whole cohort) at ``beta``."""
    order = np.argsort(time, kind="stable")
    t, x, e = time[order] + 0.0, x[order], event[order]  # + 0.0: -0.0 is the time 0.0
    start = np.flatnonzero(np.r_[True, t[1:] != t[:-1]]) if len(t) else np.empty(0, np.intp)
    events = np.add.reduceat(e.astype(np.int64), start) if len(t) else np.empty(0, np.int64)
    event_x = _sums_at(np.where(e[:, None], x, 0.0), start, x.shape[1])
    with overreach():
        risk = np.exp(x @ beta)
        s0, s1, s2 = _weighted_sums(x, risk, start)
        d0 = d1 = d2 = None
        if ties == "efron":
            d0, d1, d2 = _weighted_sums(x, np.where(e, risk, 0.0), start)
    return TimeSums(t[start], events, s0, s1, s2, event_x, d0, d1, d2)


def combine(parts: Sequence[TimeSums]) -> TimeSums:
    """The sums of several blocks: those at the same time added (any grouping of the rows
    into blocks gives the same sums, up to the order of additions)."""
    time = np.concatenate([p.time for p in parts])
    order = np.argsort(time, kind="stable")
    t = time[order]
    start = np.flatnonzero(np.r_[True, t[1:] != t[:-1]]) if len(t) else np.empty(0, np.intp)

    def added(field: str) -> NDArray:
        values = [getattr(p, field) for p in parts]
        if any(v is None for v in values):
            return None  # type: ignore[return-value]  # Breslow: not taken
        stacked = np.concatenate(values)[order]
        with overreach():  # inf + -inf: not finite, as the rows' sums would be
            return np.add.reduceat(stacked, start, axis=0) if len(t) else stacked

    return TimeSums(
        t[start],
        added("events"),
        added("s0"),
        added("s1"),
        added("s2"),
        added("event_x"),
        added("d0"),
        added("d1"),
        added("d2"),
    )


def likelihood(
    sums: TimeSums, beta: NDArray[np.float64], ties: Ties
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Log partial likelihood, score and information at ``beta`` from the cohort's sums.

    The k-th of d events tied at t (k = 0..d-1) has the denominator S0(t) - (k/d)·D0(t)
    under Efron and S0(t) under Breslow, S0(t) being the risk-set sum: the reverse
    cumulative sum of s0 from t on. The information's risk-set second moments are
    sum_t g(t)·S2(t) = sum_u s2(u)·G(u), G the running sum of g over the event times up to u,
    so no risk-set sum of p x p matrices is formed; each s2(u) is taken relative to S0 at its
    last event time, as the rows' likelihood takes each row's (``EventTerms``).
    """
    at_event = np.flatnonzero(sums.events > 0)
    d = sums.events[at_event]
    first = np.r_[0, np.cumsum(d)[:-1]]
    group = np.repeat(np.arange(len(d)), d)
    k = np.arange(len(group)) - first[group]
    c = k / d[group] if ties == "efron" else np.zeros(len(group))
    p = len(beta)
    with overreach():
        s0 = _reverse_cumsum(sums.s0)[at_event]
        s1 = _reverse_cumsum(sums.s1)[at_event]
        d0 = sums.d0[at_event] if sums.d0 is not None else np.zeros(len(d))
        d1 = sums.d1[at_event] if sums.d1 is not None else np.zeros((len(d), p))
        terms = event_terms(s0, s1, d0, d1, c, group, first)
        x_total = sums.event_x.sum(axis=0)
        loglik = float(beta @ x_total - terms.log_denominators)
        score = x_total - terms.means
        # From the first event time on (the rows before it are in no risk set: R adds
        # none), each time's s2 relative to S0 at its last event time (see EventTerms).
        last = np.cumsum(sums.events[at_event[0] :] > 0) - 1
        s2 = sums.s2[at_event[0] :] / terms.s0[last][:, None, None]
        second = np.tensordot(terms.running[last], s2, axes=1)
        if sums.d2 is not None:
            d2 = sums.d2[at_event] / terms.s0[:, None, None]
            second -= np.tensordot(terms.tied, d2, axes=1)
        s2_diagonal = np.einsum("tjj->j", sums.s2[at_event[0] :])
        return loglik, score, r_overflow(second - terms.mean_products, s2_diagonal)


def _weighted_sums(
    x: NDArray[np.float64], weight: NDArray[np.float64], start: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per time: sum of w, of w·x and of w·x x' (one column pair at a time: O(rows) memory).

    The columns are laid out one after another (Fortran order) so that each product reads
    contiguous memory: the same additions in the same order, some times faster."""
    p = x.shape[1]
    columns = np.asfortranarray(x)
    wx = weight[:, None] * columns
    s2 = np.empty((p, p, len(start)))
    for j in range(p):
        for k in range(j, p):
            s2[j, k] = s2[k, j] = _sums_at(wx[:, j] * columns[:, k], start, 0)
    return _sums_at(weight, start, 0), _sums_at(wx, start, p), np.moveaxis(s2, 2, 0).copy()


def _sums_at(values: NDArray[np.float64], start: NDArray[np.intp], p: int) -> NDArray[np.float64]:
    """Sums of the runs of rows beginning at ``start`` (an empty block has none)."""
    if len(start) == 0:
        return np.empty((0, p) if values.ndim == 2 else 0)
    return np.add.reduceat(values, start, axis=0)


def _reverse_cumsum(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sums from each time to the last: the risk sets' totals."""
    return np.cumsum(values[::-1], axis=0)[::-1]
