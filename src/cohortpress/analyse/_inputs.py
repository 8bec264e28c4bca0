"""Checks and coercions shared by the survival functions of the analysis stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast, get_args

import numpy as np
import pandas as pd

from cohortpress.analyse._results import CITransform

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray


def survival_arrays(
    time: ArrayLike, event: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Times as floats and events as booleans, dropping pairs with a missing value.

    Missing pairs are dropped as R's default ``na.action = na.omit`` does; the caller reports
    the number used. Events must be 0/1 or booleans and times finite and non-negative, since
    quantiles are read from a curve that starts at time 0 (R's ``quantile.survfit``).
    """
    t, e = numbers(time), event_codes(event)
    if len(t) != len(e):
        raise ValueError(f"time and event differ in length ({len(t)} and {len(e)})")
    keep = ~np.isnan(t) & ~np.isnan(e)
    t = t[keep]
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("survival times must be finite numbers >= 0")
    return t, e[keep] == 1.0


def as_events(values: object) -> NDArray[np.bool_]:
    """Event indicators (no missing values) as booleans."""
    codes = event_codes(values)
    if np.isnan(codes).any():
        raise ValueError("event indicators must not be missing")
    return codes == 1.0


def event_codes(values: object) -> NDArray[np.float64]:
    """0/1 codes with NaN where missing; anything but 0/1/True/False is an error."""
    try:
        codes = numbers(values)
    except (TypeError, ValueError):
        codes = np.array([np.inf])
    if not np.all(np.isin(codes, (0.0, 1.0)) | np.isnan(codes)):
        raise ValueError("event indicators must be 0/1 or True/False")
    return codes


def numbers(values: object) -> NDArray[np.float64]:
    """Values as a flat float array, missing ones (None, NaN, pd.NA) as NaN."""
    series = pd.Series(pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="raise"))
    return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def check_conf_level(conf_level: float) -> float:
    """The confidence level as a float strictly between 0 and 1."""
    if not 0.0 < conf_level < 1.0:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    return float(conf_level)


def check_ci_transform(ci_transform: str) -> CITransform:
    """One of the supported pointwise confidence-interval transforms."""
    allowed = get_args(CITransform)
    if ci_transform not in allowed:
        raise ValueError(f"ci_transform must be one of {', '.join(allowed)}; got {ci_transform!r}")
    return ci_transform  # type: ignore[return-value]


def as_series(values: object) -> pd.Series:
    """A Series with a fresh 0..n-1 index (a categorical keeps its categories)."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return pd.Series(np.asarray(values).ravel())


def group_labels(values: object) -> tuple[list[str], NDArray[np.intp]]:
    """Observed group labels in display order, and each row's group index.

    A pandas ``Categorical`` keeps its category order (unused categories dropped); other values
    are sorted, as R orders the levels of ``factor(x)``.
    """
    group = pd.Series(cast("Any", values))  # a Categorical keeps its categories
    if isinstance(group.dtype, pd.CategoricalDtype):
        levels = [c for c in group.cat.categories if (group == c).any()]
    else:
        levels = sorted(pd.unique(group))
    codes = pd.Categorical(group, categories=levels).codes.astype(np.intp)
    return [level_text(v) for v in levels], codes


def level_text(value: object) -> str:
    """A category value as text: whole-number floats lose their ``.0`` (1.0 -> "1"), as in R."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)
