"""Frames kept in a Dask worker's memory between passes, with their text stored compactly.

A typed or derived piece holds a dozen text columns (sex, histology, the coded covariates…)
of a few distinct values each, and the patient ID, distinct per row. As Python strings each
cell costs a pointer and often an object of its own; a registry of ten million patients kept
that way needs some 10 GiB per worker. :func:`pack` stores a text column of few distinct
values as a categorical (one byte per row and the distinct values once) and any other text
column as Arrow strings (its bytes and an offset per row); numbers and dates are kept as
they are. :meth:`Packed.frame` gives back the frame as it was — the same values, the same
dtypes, missing values as they were — so every function reading it computes what it would
have computed on the original: the packing changes where the bytes are, not a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Mapping

FEW = 0.5  # a text column with at most this share of distinct values becomes a categorical


@dataclass(frozen=True)
class Packed:
    """A frame whose text columns are stored compactly, and how to restore each."""

    data: pd.DataFrame
    restore: Mapping[str, tuple[object, object]]  # column -> (original dtype, missing value)

    def frame(self) -> pd.DataFrame:
        """The frame as it was packed: the same columns, dtypes and values."""
        if not self.restore:
            return self.data
        out = self.data.copy(deep=False)
        for column in self.restore:
            out[column] = self.column(column)
        return out

    def column(self, name: str) -> pd.Series:
        """One column as it was packed."""
        values = self.data[name]
        if name not in self.restore:
            return values
        dtype, missing = self.restore[name]
        values = values.astype(dtype)  # pyright: ignore[reportArgumentType, reportCallIssue]
        if missing is None:  # an object column whose blanks were None, not NaN
            values = values.where(values.notna(), None)
        return values

    @property
    def columns(self) -> pd.Index:
        return self.data.columns

    def __len__(self) -> int:
        return len(self.data)


def pack(frame: pd.DataFrame) -> Packed:
    """``frame`` with its text columns stored compactly (see the module docstring)."""
    data = frame.copy(deep=False)
    restore: dict[str, tuple[object, object]] = {}
    for column in frame.columns:
        values = frame[column]
        missing = _packable(values)
        if missing is False:
            continue
        codes, uniques = pd.factorize(values)  # one pass: the distinct values, and each row's
        if len(uniques) <= FEW * max(len(values), 1):
            data[column] = _categorical(codes, uniques, values.index)
        elif isinstance(values.dtype, pd.StringDtype):
            data[column] = values.astype("string[pyarrow]")
        else:
            continue  # object text of many values: kept as it is
        restore[column] = (values.dtype, missing)
    return Packed(data, restore)


def _categorical(codes: np.ndarray, uniques: pd.Index, index: pd.Index) -> pd.Series:
    """The categorical ``astype("category")`` makes (categories sorted), from a factorization
    in order of appearance: the few distinct values are sorted, not the rows again."""
    order = uniques.argsort()
    rank = np.empty(len(order), dtype=codes.dtype)
    rank[order] = np.arange(len(order), dtype=codes.dtype)
    sorted_codes = np.where(codes < 0, codes, rank[np.maximum(codes, 0)]) if len(order) else codes
    dtype = pd.CategoricalDtype(uniques.take(order))
    categorical = pd.Categorical.from_codes(sorted_codes, dtype=dtype)  # pyright: ignore[reportArgumentType]
    return pd.Series(categorical, index=index)


def _packable(values: pd.Series) -> object:
    """The missing value to restore (pd.NA, NaN or None) if the column is text that packs
    and unpacks to itself; False otherwise."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "python":
        return pd.NA
    if values.dtype != object:
        return False
    present = values.dropna()
    if not all(type(v) is str for v in present):  # noqa: E721  (a str subclass may not round-trip)
        return False
    blanks = values[values.isna()]
    if all(v is None for v in blanks):
        return None
    if all(isinstance(v, float) and np.isnan(v) for v in blanks):
        return np.nan
    return False


def unpacked(part: pd.DataFrame, dtypes: Mapping[str, object]) -> pd.DataFrame:
    """A frame of categoricals or Arrow strings with those columns back in ``dtypes`` (the
    dtypes before packing; NaN for a blank of an object column)."""
    out = part.copy(deep=False)
    for column, dtype in dtypes.items():
        if column in out and out[column].dtype != dtype:
            out[column] = out[column].astype(dtype)  # pyright: ignore[reportArgumentType, reportCallIssue]
    return out
