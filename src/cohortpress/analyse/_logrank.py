"""The log-rank test of equal survival across k groups, as R ``survdiff(rho = 0)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import chdtrc

from cohortpress.analyse._inputs import (
    as_series,
    event_codes,
    group_labels,
    numbers,
    survival_arrays,
)
from cohortpress.analyse._results import LogRankResult
from cohortpress.analyse._status import LogRankStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray


def logrank_test(time: ArrayLike, event: ArrayLike, group: ArrayLike) -> LogRankResult:
    """Log-rank (Mantel–Haenszel) test of k >= 2 groups, as R ``survdiff(Surv(time, event) ~
    group)``.

    Rows with a missing time, event or group are left out. Groups are in the order of a
    categorical's categories, else sorted (R's factor levels). As R, only groups with a
    positive expected count enter the statistic, on (their number - 1) degrees of freedom;
    a group without events or with one patient is an ordinary group. With fewer than two
    such groups (for instance no events at all) there is nothing to compare: the statistic is
    0 on 0 degrees of freedom and p = 1, as R gives for 0 degrees of freedom, with a status.
    """
    groups = as_series(group)
    t, e = numbers(time), event_codes(event)
    if not len(t) == len(e) == len(groups):
        raise ValueError("time, event and group differ in length")
    keep = ~np.isnan(t) & ~np.isnan(e) & groups.notna().to_numpy()
    times, events = survival_arrays(t[keep], e[keep])
    labels, codes = group_labels(groups[keep])
    if len(labels) < 2:
        raise ValueError(f"the log-rank test needs at least two groups, got {labels}")
    at_time, deaths = _counts_by_time(times, events, codes, len(labels))
    n = tuple(int(v) for v in np.bincount(codes, minlength=len(labels)))
    return _result(labels, n, at_time, deaths)


def logrank_from_counts(
    labels: Sequence[str], n_event: ArrayLike, n_censor: ArrayLike
) -> LogRankResult:
    """``logrank_test`` from the events and censorings of each group at each distinct time.

    ``n_event`` and ``n_censor`` are (distinct times, in increasing order) x (groups, in the
    order of ``labels``) arrays, zero where a group has nobody at that time: sufficient
    statistics, so counts summed over the partitions of an extract give the test of the
    whole to the last bit.
    """
    # C order, as the in-memory path's arrays: numpy's sums run in an order set by the memory
    # layout, and a table read from a DataFrame is often in Fortran order (1 ulp apart).
    deaths = np.ascontiguousarray(n_event, dtype=np.float64)
    at_time = np.ascontiguousarray(deaths + np.asarray(n_censor, dtype=np.float64))
    if at_time.ndim != 2 or at_time.shape[1] != len(labels) or deaths.shape != at_time.shape:
        raise ValueError("the counts must be (times x groups), one column per label")
    if len(labels) < 2:
        raise ValueError(f"the log-rank test needs at least two groups, got {list(labels)}")
    n = tuple(int(v) for v in at_time.sum(axis=0))
    return _result(list(labels), n, at_time, deaths)


def _result(
    labels: list[str], n: tuple[int, ...], at_time: NDArray[np.float64], deaths: NDArray[np.float64]
) -> LogRankResult:
    observed, expected, variance = _survdiff_sums(at_time, deaths)
    chisq, df, status = _chisq(observed, expected, variance)
    return LogRankResult(
        groups=tuple(labels),
        observed=tuple(float(v) for v in observed),
        expected=tuple(float(v) for v in expected),
        chisq=chisq,
        df=df,
        p=float(chdtrc(df, chisq)) if df > 0 else 1.0,
        status=status,
        n=n,
        variance=tuple(float(v) for v in np.diag(variance)),
    )


def _counts_by_time(
    time: NDArray[np.float64], event: NDArray[np.bool_], codes: NDArray[np.intp], k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Patients and events of each group at each distinct time: (times x groups) arrays."""
    times, index = np.unique(time, return_inverse=True)
    cell = index * k + codes
    size = len(times) * k
    at_time = np.bincount(cell, minlength=size).reshape(len(times), k).astype(float)
    deaths = np.bincount(cell, weights=event, minlength=size).reshape(len(times), k)
    return at_time, np.asarray(deaths, dtype=np.float64)


def _survdiff_sums(
    at_time: NDArray[np.float64], deaths: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Observed and expected events per group and the hypergeometric covariance matrix."""
    at_risk = np.cumsum(at_time[::-1], axis=0)[::-1]
    n = at_risk.sum(axis=1)
    d = deaths.sum(axis=1)
    expected = (at_risk * (d / n)[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(n > 1, d * (n - d) / (n * n * (n - 1)), 0.0)
    variance = np.diag((weight * n) @ at_risk) - (at_risk * weight[:, None]).T @ at_risk
    return deaths.sum(axis=0), expected, variance


def _chisq(
    observed: NDArray[np.float64], expected: NDArray[np.float64], variance: NDArray[np.float64]
) -> tuple[float, int, LogRankStatus | None]:
    """R's statistic: groups with expected > 0, the first of them dropped, (O-E)' V^-1 (O-E).

    Where V is 0 (at every event time all the patients at risk had the event, so no group can
    differ from the others) R's ``solve`` stops with "system is exactly singular"; here the
    statistic is 0 on 0 degrees of freedom, p = 1, with a status, as when there is one group.
    """
    used = np.flatnonzero(expected > 0)
    if len(used) < 2:
        return 0.0, 0, LogRankStatus.FEWER_THAN_TWO_AT_RISK
    rest = used[1:]
    diff = (observed - expected)[rest]
    v = variance[np.ix_(rest, rest)]
    if not np.any(v):
        return 0.0, 0, LogRankStatus.ALL_AT_RISK_HAD_EVENT
    return float(diff @ np.linalg.solve(v, diff)), len(used) - 1, None
