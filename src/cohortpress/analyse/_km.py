"""Kaplan–Meier estimates, survival at given times, numbers at risk and median follow-up.

Conventions (each as R's survival package, which the reference tests pin):

- Greenwood variance; pointwise bands under "log-log" (EZR, SAS LIFETEST, lifelines: the
  project default), "log" (R ``survfit``'s default) or "plain" (clipped to [0, 1]).
- Median and quartiles by R's rule: where S(t) equals the level over an interval, the midpoint
  of that interval (lifelines takes its start); their intervals are where the pointwise bands
  reach the level (Brookmeyer–Crowley, R ``quantile(fit)``).
- Numbers at risk at time t count the patients with time >= t, as R and SAS print them under
  a KM plot (at the start of each interval).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._inputs import check_ci_transform, check_conf_level, survival_arrays
from cohortpress.analyse._km_quantile import quantile_estimate
from cohortpress.analyse._km_table import km_table, km_table_from_counts
from cohortpress.analyse._results import KMEstimate, QuantileEstimate, RiskTable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray

    from cohortpress.analyse._results import CITransform

AT_COLUMNS = ("time", "n_risk", "surv", "std_err", "lower", "upper")
OVERALL = "all"  # the label of the curve of all patients (the presentation step names it)


def km_estimate(
    time: ArrayLike,
    event: ArrayLike,
    *,
    label: str = OVERALL,
    ci_transform: CITransform = "log-log",
    conf_level: float = 0.95,
) -> KMEstimate:
    """Kaplan–Meier estimate of one group, as R ``survfit(Surv(time, event) ~ 1)``.

    Pairs with a missing time or event are left out (R's ``na.omit``); ``n`` counts the rest.
    The table's ``std_err``, ``lower`` and ``upper`` are NaN where R reports NA: at S = 0
    (Greenwood's variance is infinite there) and at S = 1 under log-log.
    """
    transform = check_ci_transform(ci_transform)
    level = check_conf_level(conf_level)
    t, e = survival_arrays(time, event)
    return _estimate(km_table(t, e, transform, level), label, transform, level)


def km_estimate_from_counts(
    times: ArrayLike,
    n_event: ArrayLike,
    n_censor: ArrayLike,
    *,
    label: str = OVERALL,
    ci_transform: CITransform = "log-log",
    conf_level: float = 0.95,
) -> KMEstimate:
    """The estimate of ``km_estimate`` from the events and censorings at each distinct time.

    For counts gathered elsewhere (summed over the partitions of an extract): the same
    patients give the same estimate to the last bit. Times must be distinct and increasing.
    """
    transform = check_ci_transform(ci_transform)
    level = check_conf_level(conf_level)
    t, d, c = _counts(times, n_event, n_censor)
    return _estimate(km_table_from_counts(t, d, c, transform, level), label, transform, level)


def _estimate(table: pd.DataFrame, label: str, transform: CITransform, level: float) -> KMEstimate:
    return KMEstimate(
        label=label,
        n=int(table["n_event"].sum() + table["n_censor"].sum()),
        events=int(table["n_event"].sum()),
        table=table,
        median=quantile_estimate(table, 0.5),
        quartiles=(quantile_estimate(table, 0.75), quantile_estimate(table, 0.25)),
        ci_transform=transform,
        conf_level=level,
    )


def _counts(
    times: ArrayLike, n_event: ArrayLike, n_censor: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Counts as floats (as ``km_table`` holds them), checked: the counting went right."""
    t, d, c = (np.asarray(v, dtype=np.float64).ravel() for v in (times, n_event, n_censor))
    if not len(t) == len(d) == len(c):
        raise ValueError("times, n_event and n_censor differ in length")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(np.diff(t) <= 0):
        raise ValueError("times must be finite, >= 0, distinct and increasing")
    counts = np.concatenate((d, c))
    if np.any(counts < 0) or np.any(counts != np.round(counts)) or np.any(d + c == 0):
        raise ValueError("counts must be whole numbers >= 0, at least one patient per time")
    return t, d, c


def survival_at(estimate: KMEstimate, times: Sequence[float]) -> pd.DataFrame:
    """S(t) with its standard error and band at each time, as R ``summary(fit, times =,
    extend = TRUE)``: one row per requested time, in the order given.

    ``n_risk`` counts the patients still at risk at the start of t (time >= t); the estimate
    is the one in force at t. Before the first observed time S = 1 with a band of [1, 1];
    after the last, the final values carry on with nobody at risk.
    """
    table = estimate.table
    at = np.asarray(times, dtype=float)
    observed = table["time"].to_numpy(dtype=float)
    in_force = np.searchsorted(observed, at, side="right") - 1
    next_row = np.searchsorted(observed, at, side="left")
    n_risk = np.append(table["n_risk"].to_numpy(dtype=int), 0)[next_row]
    values = table[["surv", "std_err", "lower", "upper"]].to_numpy(dtype=float)
    rows = np.tile([1.0, 0.0, 1.0, 1.0], (len(at), 1))
    started = in_force >= 0
    rows[started] = values[in_force[started]]
    result = pd.DataFrame(rows, columns=pd.Index(AT_COLUMNS[2:]))
    result.insert(0, "n_risk", n_risk)
    result.insert(0, "time", at)
    return result


def risk_table(estimates: Sequence[KMEstimate], times: Sequence[float]) -> RiskTable:
    """Numbers at risk of each group at the start of each interval (R and SAS convention).

    Read from each estimate's table, never from raw data, so the numbers under a KM figure
    agree with the curves drawn above them. Group labels must be distinct.
    """
    labels = [e.label for e in estimates]
    if len(set(labels)) != len(labels):
        raise ValueError(f"the estimates' labels must be distinct, got {labels}")
    counts = {e.label: tuple(int(v) for v in survival_at(e, times)["n_risk"]) for e in estimates}
    return RiskTable(times=tuple(float(t) for t in times), n_risk=counts)


def median_followup(
    time: ArrayLike,
    event: ArrayLike,
    *,
    ci_transform: CITransform = "log-log",
    conf_level: float = 0.95,
) -> QuantileEstimate:
    """Median follow-up by the reverse Kaplan–Meier method (censoring is the "event").

    As R ``quantile(survfit(Surv(time, 1 - status) ~ 1), probs = 0.5)``: unlike the median
    observation time it is not shortened by early deaths. ``None`` where not reached.
    """
    t, e = survival_arrays(time, event)
    table = km_table(t, ~e, check_ci_transform(ci_transform), check_conf_level(conf_level))
    return quantile_estimate(table, 0.5)


def median_followup_from_counts(
    times: ArrayLike,
    n_event: ArrayLike,
    n_censor: ArrayLike,
    *,
    ci_transform: CITransform = "log-log",
    conf_level: float = 0.95,
) -> QuantileEstimate:
    """``median_followup`` from the counts at each distinct time: the reverse Kaplan–Meier
    is the same table with events and censorings swapped."""
    t, d, c = _counts(times, n_event, n_censor)
    transform, level = check_ci_transform(ci_transform), check_conf_level(conf_level)
    return quantile_estimate(km_table_from_counts(t, c, d, transform, level), 0.5)
