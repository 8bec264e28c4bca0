"""The text columns the analysis groups and counts by, held as integer level codes.

A registry's text cells are Python strings: every comparison (``== level``), missing-value
test, row selection and ``factorize`` of such a column walks a million objects, and the
analysis does each many times (Table I counts, the comparison's groups and tests, the curves
by factor, every Cox fit's design). Coded once per analysis, as a pandas ``Categorical`` whose
categories are the distinct values sorted (the order R gives ``factor(x)``'s levels and
``group_labels`` gives text), each of those is a pass over one byte per patient. The values,
and so every number computed from them, are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


def with_level_codes(patients: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``patients`` with each of ``columns`` that holds text as a ``Categorical`` of its sorted
    distinct values (a new frame: the other columns are shared, the cohort is not changed).
    Columns that are absent or not text are left as they are."""
    coded = {
        name: coded_text(patients[name])
        for name in dict.fromkeys(columns)
        if name in patients.columns and isinstance(patients[name].dtype, pd.StringDtype)
    }
    if not coded:
        return patients
    frame = patients.copy(deep=False)  # the other columns' arrays shared, not copied
    for name, values in coded.items():
        frame[name] = values  # replaces the column in this frame only
    return frame


def coded_text(values: pd.Series) -> pd.Series:
    """One text column as a ``Categorical`` of its sorted distinct values (missing: code -1)."""
    codes, distinct = pd.factorize(values, sort=True)
    as_codes = cast("Sequence[int]", codes)  # an integer array, as pandas takes it
    return pd.Series(pd.Categorical.from_codes(as_codes, categories=distinct), index=values.index)


def mapped_levels(values: pd.Series, lookup: Mapping[str, str]) -> pd.Series:
    """``values.map(lookup)`` of a ``Categorical``, as a ``Categorical`` of the sorted groups:
    the same values as mapping the text (a level outside ``lookup`` is missing), each level
    looked up once instead of each patient."""
    categories = list(values.cat.categories)
    mapped = [lookup.get(c) for c in categories]
    groups = sorted({m for m in mapped if m is not None})
    position = {g: k for k, g in enumerate(groups)}
    remap = np.array([-1 if m is None else position[m] for m in mapped] + [-1])
    codes = remap[values.cat.codes.to_numpy()]  # code -1 (missing) takes the last entry: -1
    as_codes = cast("Sequence[int]", codes)
    return pd.Series(
        pd.Categorical.from_codes(as_codes, categories=pd.Index(groups)), index=values.index
    )
