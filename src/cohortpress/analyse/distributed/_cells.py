"""Counts by combinations of columns from integer codes, equal to pandas' grouping.

``groupby(keys, sort=True, dropna=False, observed=True)`` hashes every text cell of every
key; a partition kept packed (``_packed``) has its text as categoricals already, whose codes
index the sorted distinct values. Here each key column becomes such codes (a missing value
the last code, as pandas sorts it last), the combinations are counted with ``np.bincount``
and the keys are read back from the distinct values: the frame the grouping gives, the same
values and dtypes, rows in the same order. A column this cannot code exactly (neither text
whose categories are sorted, nor float64) returns None, and the caller groups as before.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

DENSE = 4  # combinations counted in a dense array while at most this many times the rows


def column_codes(
    values: pd.Series, packed: pd.Series
) -> tuple[NDArray[np.int64], pd.Series] | None:
    """Each row's index into the column's sorted distinct values (their number where
    missing), and those values in the column's dtype; ``packed`` is the same column as the
    partition keeps it. None for a column of another kind."""
    if isinstance(values.dtype, pd.StringDtype) and isinstance(packed.dtype, pd.CategoricalDtype):
        categories = packed.cat.categories
        if not categories.is_monotonic_increasing or categories.hasnans:
            return None
        codes = packed.cat.codes.to_numpy().astype(np.int64)
        distinct = pd.Series(categories.astype(values.dtype), dtype=values.dtype)
    elif values.dtype == np.float64:
        found, uniques = pd.factorize(values.to_numpy(), sort=True)
        codes, distinct = found.astype(np.int64), pd.Series(uniques, dtype=np.float64)
    else:
        return None
    return np.where(codes < 0, len(distinct), codes), distinct


def cell_counts(
    coded: Sequence[tuple[NDArray[np.int64], pd.Series]],
    names: Sequence[str],
    weights: dict[str, NDArray[np.int64]],
) -> pd.DataFrame:
    """One row per combination of the columns' values present (sorted as pandas sorts
    them, missing last), the columns' values under ``names``, and per ``weights`` the sum
    of its integers over the rows with that combination."""
    sizes = [len(distinct) + 1 for _, distinct in coded]
    total = math.prod(sizes)
    n = len(coded[0][0]) if coded else 0
    cell = np.zeros(n, dtype=np.int64)
    for (codes, _), size in zip(coded, sizes, strict=True):
        cell = cell * size + codes
    if total <= DENSE * n + 4096:
        rows = np.bincount(cell, minlength=total)
        present = np.flatnonzero(rows)
        sums = {
            k: np.bincount(cell, weights=w, minlength=total)[present] for k, w in weights.items()
        }
    else:
        present, inverse = np.unique(cell, return_inverse=True)
        sums = {
            k: np.bincount(inverse, weights=w, minlength=len(present)) for k, w in weights.items()
        }
    columns: dict[str, object] = {}
    rest = present
    for (_, distinct), size, name in reversed(list(zip(coded, sizes, names, strict=True))):
        columns[name] = distinct.reindex(rest % size).reset_index(drop=True)
        rest = rest // size
    frame = pd.DataFrame({name: columns[name] for name in names})
    for key, summed in sums.items():
        frame[key] = np.rint(summed).astype(np.int64)
    return frame
