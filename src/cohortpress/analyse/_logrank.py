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

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray


def logrank_test(time: ArrayLike, event: ArrayLike, group: ArrayLike) -> LogRankResult:
    """Log-rank (Mantel–Haenszel) test of k >= 2 groups, as R ``survdiff(Surv(time, event) ~
    group)``.

    Rows with a missing time, event or group are left out. Groups are in the order of a
    categorical's categories, else sorted (R's factor levels). As R, only groups with a
    positive expected count enter the statistic, on (their number - 1) degrees of freedom;
    a group without events or with one patient is an ordinary group. With fewer than two
    such groups (for instance no events at all) there is nothing to compare: the statistic is
    0 on 0 degrees of freedom and p = 1, as R gives for 0 degrees of freedom, with a note.
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
    observed, expected, variance = _survdiff_sums(times, events, codes, len(labels))
    chisq, df, note = _chisq(observed, expected, variance)
    return LogRankResult(
        groups=tuple(labels),
        observed=tuple(float(v) for v in observed),
        expected=tuple(float(v) for v in expected),
        chisq=chisq,
        df=df,
        p=float(chdtrc(df, chisq)) if df > 0 else 1.0,
        note=note,
        n=tuple(int(v) for v in np.bincount(codes, minlength=len(labels))),
        variance=tuple(float(v) for v in np.diag(variance)),
    )


def _survdiff_sums(
    time: NDArray[np.float64], event: NDArray[np.bool_], codes: NDArray[np.intp], k: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Observed and expected events per group and the hypergeometric covariance matrix."""
    times, index = np.unique(time, return_inverse=True)
    cell = index * k + codes
    size = len(times) * k
    at_time = np.bincount(cell, minlength=size).reshape(len(times), k).astype(float)
    deaths = np.bincount(cell, weights=event, minlength=size).reshape(len(times), k)
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
) -> tuple[float, int, str | None]:
    """R's statistic: groups with expected > 0, the first of them dropped, (O-E)' V^-1 (O-E).

    Where V is 0 (at every event time all the patients at risk had the event, so no group can
    differ from the others) R's ``solve`` stops with "system is exactly singular"; here the
    statistic is 0 on 0 degrees of freedom, p = 1, with a note, as when there is one group.
    """
    used = np.flatnonzero(expected > 0)
    if len(used) < 2:
        return 0.0, 0, "fewer than two groups had patients at risk at an event time"
    rest = used[1:]
    diff = (observed - expected)[rest]
    v = variance[np.ix_(rest, rest)]
    if not np.any(v):
        return 0.0, 0, "at every event time, all the patients at risk had the event"
    return float(diff @ np.linalg.solve(v, diff)), len(used) - 1, None
