"""Parquet files (one per sheet), read with pyarrow: typed columns, the header as row 1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from cohortpress.errors import UnreadableInputError

if TYPE_CHECKING:
    from pathlib import Path


def read_parquet_grid(path: Path) -> pd.DataFrame:
    """The file as a raw grid: column names in the first row, then the values as objects.

    Laid out like a sheet so the same header search and row numbering apply (the first data
    row is row 2).
    """
    try:
        frame = pd.read_parquet(path, engine="pyarrow")
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UnreadableInputError(f"{path}: not a readable parquet file ({exc})") from None
    header = pd.DataFrame([list(map(str, frame.columns))], dtype=object)
    body = frame.astype(object).set_axis(range(frame.shape[1]), axis="columns")
    return pd.concat([header, body], ignore_index=True)
