"""The Kaplan–Meier table: counts, S(t), Greenwood standard error and pointwise bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtri

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from cohortpress.analyse._results import CITransform

KM_COLUMNS = ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper")


def km_table(
    time: NDArray[np.float64],
    event: NDArray[np.bool_],
    ci_transform: CITransform,
    conf_level: float,
) -> pd.DataFrame:
    """One row per distinct observed time, as R's ``summary(survfit(...), censored = TRUE)``.

    ``std_err`` is the Greenwood standard error of S(t); where R reports NA (the band at
    S = 0, and at S = 1 under log-log) the table holds NaN, pandas' missing float.
    """
    times, index = np.unique(time, return_inverse=True)
    n_event = np.bincount(index, weights=event, minlength=len(times)).astype(np.float64)
    n_total = np.bincount(index, minlength=len(times)).astype(np.float64)
    return km_table_from_counts(times, n_event, n_total - n_event, ci_transform, conf_level)


def km_table_from_counts(
    times: NDArray[np.float64],
    n_event: NDArray[np.float64],
    n_censor: NDArray[np.float64],
    ci_transform: CITransform,
    conf_level: float,
) -> pd.DataFrame:
    """The same table from the events and censorings at each distinct time, in time order.

    These counts are sufficient statistics: summed over any split of the patients they give
    the counts of the whole, so a table built from counts combined across partitions equals
    the one built from the patients in one process, to the last bit.
    """
    n_total = n_event + n_censor
    n_risk = np.cumsum(n_total[::-1])[::-1]
    surv = np.asarray(np.cumprod(1.0 - n_event / n_risk), dtype=np.float64)
    se_log = greenwood_log_se(n_risk, n_event)
    lower, upper = pointwise_band(surv, se_log, ci_transform, conf_level)
    with np.errstate(invalid="ignore"):
        std_err = se_log * surv
    columns = (times, n_risk, n_event, n_censor, surv, std_err, lower, upper)
    table = pd.DataFrame(dict(zip(KM_COLUMNS, columns, strict=True)))
    return table.astype({"n_risk": int, "n_event": int, "n_censor": int})


def greenwood_log_se(
    n_risk: NDArray[np.float64], n_event: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Greenwood standard error of log S(t): sqrt(cumsum(d / (n (n - d)))), Inf once n = d."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    return np.sqrt(np.cumsum(terms))


def pointwise_band(
    surv: NDArray[np.float64],
    se_log: NDArray[np.float64],
    ci_transform: CITransform,
    conf_level: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pointwise confidence band of S(t), as R's ``survfit_confint`` (survival 3.x).

    "plain" is S ± z·SE clipped to [0, 1]; "log" is S·exp(±z·SE_log) with the upper limit
    capped at 1 (R's default); "log-log" is the complementary log-log band of EZR, SAS and
    lifelines, undefined at S = 0 and S = 1 as in R.
    """
    z = ndtri(1.0 - (1.0 - conf_level) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ci_transform == "plain":
            half = se_log * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if ci_transform == "log":
            s = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(s) - z * se_log), np.minimum(np.exp(np.log(s) + z * se_log), 1.0)
        s = np.where((surv == 0) | (surv == 1), np.nan, surv)
        shift = z * se_log / np.log(s)
        centre = np.log(-np.log(s))
        return np.exp(-np.exp(centre - shift)), np.exp(-np.exp(centre + shift))
