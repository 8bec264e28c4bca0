"""Parquet files (one per sheet), read with pyarrow into typed columns, the header as row 1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from cohortpress.errors import UnreadableInputError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd


def read_parquet_table(path: Path) -> pd.DataFrame:
    """The file's columns under their names, typed as stored (numbers, dates, text).

    Dates arrive as ``datetime64`` rather than Python date objects and text as Arrow
    strings rather than Python strings, so a registry's dates and words are read
    column-wide; the first data row is row 2, as in the sheet it was exported from.
    """
    try:
        return _to_pandas(pq.read_table(path))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UnreadableInputError(f"{path}: not a readable parquet file ({exc})") from None


def read_parquet_row_groups(path: Path, row_groups: list[int]) -> pd.DataFrame:
    """Some row groups of one file, typed as :func:`read_parquet_table` types the whole file
    (one partition of an extract read by the Dask engine)."""
    try:
        return _to_pandas(pq.ParquetFile(path).read_row_groups(row_groups))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UnreadableInputError(f"{path}: not a readable parquet file ({exc})") from None


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    # Text columns stay Arrow strings (pandas' ArrowDtype), so intake checks and encodes them
    # column-wide in C and makes Python strings only for the values it keeps (IDs, the
    # distinct words of a category); every other column is converted as the pandas path
    # always read it (pandas metadata, which would restore other extension types, ignored).
    # split_blocks and self_destruct: each column converted on its own and its Arrow memory
    # freed as it goes, so a registry is not held twice (the table is not used again)
    return table.to_pandas(
        date_as_object=False, coerce_temporal_nanoseconds=True, ignore_metadata=True,
        split_blocks=True, self_destruct=True, types_mapper=_text_as_arrow,
    )  # fmt: skip


def _text_as_arrow(arrow_type: pa.DataType) -> pd.ArrowDtype | None:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        import pandas as pd

        return pd.ArrowDtype(arrow_type)
    return None
