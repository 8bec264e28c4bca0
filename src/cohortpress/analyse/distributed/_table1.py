"""Table I from value counts: one map-reduce per column, summed on the client.

A categorical column gives the count of each level; a continuous one gives its distinct
values with their counts, from which the median, quartiles and range are read exactly and
the mean and SD computed from exact sums (``analyse._value_counts``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dask.base import compute
from pandas.api.types import is_numeric_dtype

from cohortpress.analyse._value_counts import distribution_from_counts

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from cohortpress.analyse._study import Distribution


def category_counts(frame: dd.DataFrame, columns: list[str]) -> dict[str, tuple[pd.Series, int]]:
    """Per column: the count of each value present (sorted by value) and the missing count."""
    return {
        column: (counts.sort_index(), missing)
        for column, (counts, missing) in zip(columns, _value_counts(frame, columns), strict=True)
    }


def continuous_distribution(frame: dd.DataFrame, columns: list[str]) -> dict[str, Distribution]:
    """Per numeric column, the ``Distribution`` the in-memory Table I gives (exact order
    statistics; mean and SD from exact sums)."""
    for column in columns:
        if not is_numeric_dtype(frame[column].dtype):
            raise ValueError(f"column {column!r} holds {frame[column].dtype}, not numbers")
    out = {}
    for column, (counts, missing) in zip(columns, _value_counts(frame, columns), strict=True):
        values = counts.index.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"column {column!r} holds an infinite value")
        out[column] = distribution_from_counts(values, counts.to_numpy(dtype=np.int64), missing)
    return out


def _value_counts(frame: dd.DataFrame, columns: list[str]) -> list[tuple[pd.Series, int]]:
    """All the columns' value counts and missing counts in one pass over the extract."""
    counts = [frame[column].dropna().value_counts() for column in columns]
    missing = frame[columns].isna().sum()
    *computed, blanks = compute(*counts, missing)
    return [
        (c.astype("int64"), int(blanks[column]))
        for c, column in zip(computed, columns, strict=True)
    ]
