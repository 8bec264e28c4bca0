"""Open a folder of Parquet files (hive partitions included) as a lazy Dask frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dask.dataframe as dd

from cohortpress.errors import UnreadableInputError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


def read_extract(folder: Path, columns: Sequence[str] | None = None) -> dd.DataFrame:
    """The extract's rows, read lazily: nothing is loaded until a statistic is computed.

    Hive-style folders (``year=2020/...``) become a column of that name. Only ``columns`` are
    read, when given; a column the extract lacks is an error naming it.
    """
    if not folder.is_dir():
        raise UnreadableInputError(f"{folder}: not a folder of Parquet files")
    if not any(folder.rglob("*.parquet")):
        raise UnreadableInputError(f"{folder}: no .parquet files in it or its sub-folders")
    frame = dd.read_parquet(folder)
    if columns is not None:
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise UnreadableInputError(
                f"{folder}: the extract has no column {', '.join(map(repr, absent))}; "
                f"it has {', '.join(map(str, frame.columns))}"
            )
        frame = frame[list(columns)]
    return frame
