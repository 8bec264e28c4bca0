"""Survival-time quantiles read off a Kaplan–Meier table by R's rule (``quantile.survfit``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.analyse._results import QuantileEstimate

if TYPE_CHECKING:
    from numpy.typing import NDArray

# R's default tolerance, sqrt(.Machine$double.eps): S(t) = 0.5000000000000002 counts as 0.5.
TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def quantile_estimate(table: pd.DataFrame, surv_level: float) -> QuantileEstimate:
    """The time where S(t) falls to ``surv_level``, with its Brookmeyer–Crowley interval.

    As R's ``quantile(survfit)``: where S(t) equals the level over an interval, the midpoint of
    that interval; the interval's limits are where the pointwise lower and upper bands reach
    the level. ``None`` where the curve or a band never gets there (not reached).
    """
    times = np.concatenate(([0.0], table["time"].to_numpy(dtype=float)))
    p = 1.0 - surv_level

    def at(column: str) -> float | None:
        cumulative = np.concatenate(([0.0], 1.0 - table[column].to_numpy(dtype=float)))
        return find_quantile(times, cumulative, p)

    return QuantileEstimate(
        surv_level=surv_level, estimate=at("surv"), lower=at("lower"), upper=at("upper")
    )


def find_quantile(x: NDArray[np.float64], y: NDArray[np.float64], p: float) -> float | None:
    """R's ``findq``: the x where the non-decreasing step function y (= 1 - S) reaches p.

    ``x`` starts at time 0 and ``y`` at 0; NaN in ``y`` (undefined band values) is skipped.
    Each distinct y keeps the first time it was reached. Matching within ``TOLERANCE`` from
    both sides gives the midpoint of a flat stretch at exactly p; a curve that ends flat at p
    gives the midpoint between the start of that stretch and the last observed time.
    """
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return None
    last_time = x[-1]
    first = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[first], y[first]
    if p == 0:
        return float(x[0])
    start = _first_reaching(y + TOLERANCE, p)
    if start is not None and not np.isnan(y[-1]) and abs(p - y[-1]) < TOLERANCE:
        return float((x[start] + last_time) / 2)
    end = _first_reaching(y - TOLERANCE, p)
    if start is None or end is None:
        return None
    return float((x[start] + x[end]) / 2)


def _first_reaching(values: NDArray[np.float64], p: float) -> int | None:
    """Index of the smallest value >= p, as R's ``approx(values, seq_along(values), p,
    method = "constant", f = 1)`` (NaN skipped, None outside the range of the values)."""
    index = np.flatnonzero(~np.isnan(values))
    order = index[np.argsort(values[index], kind="stable")]
    ordered = values[order]
    if len(ordered) == 0 or p < ordered[0] or p > ordered[-1]:
        return None
    return int(order[np.searchsorted(ordered, p, side="left")])
