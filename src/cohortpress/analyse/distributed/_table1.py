"""Table I from value counts: one map-reduce per column, summed on the client.

A categorical column gives the count of each level; a continuous one gives its distinct
values with their counts, from which the median, quartiles and range are read exactly and
the mean and SD computed from exact sums (``analyse._value_counts``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from dask.base import compute
from pandas.api.types import is_numeric_dtype

from cohortpress.analyse._value_counts import distribution_from_counts

if TYPE_CHECKING:
    import dask.dataframe as dd

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
    """All the columns' value counts and missing counts in one pass over the extract.

    A tree reduction of per-partition counts (as the survival counts), not Dask's own
    ``value_counts``, which shuffles the values between workers to count them.
    """
    counts = [
        frame[[column]].reduction(
            chunk=_partition_value_counts,
            combine=_sum_value_counts,
            aggregate=_sum_value_counts,
            meta=pd.DataFrame(
                {
                    "value": pd.Series(dtype=frame[column].dtype),
                    "count": pd.Series(dtype="int64"),
                }
            ),
        )
        for column in columns
    ]
    missing = frame[columns].isna().sum()
    *computed, blanks = compute(*counts, missing)
    return [
        (c.set_index("value")["count"].rename_axis(None).astype("int64"), int(blanks[column]))
        for c, column in zip(computed, columns, strict=True)
    ]


def _partition_value_counts(part: pd.DataFrame) -> pd.DataFrame:
    """Each value of the partition's one column with its count (blanks left out)."""
    values = part.iloc[:, 0].dropna()
    return values.value_counts(sort=False).rename_axis("value").reset_index(name="count")


def _sum_value_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts of the same value added up (integers: exact in any order)."""
    return counts.groupby("value", sort=True, observed=True)["count"].sum().reset_index()
