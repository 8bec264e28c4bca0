"""What intake hands to validation and derive: typed sheets plus an account of the reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from cohortpress.errors import Problem


@dataclass(frozen=True)
class Normalisation:
    """One kind of change intake made to the values of a column, and how many cells it touched.

    Listed in the data appendix, so every reading of an unusual value is on record.
    """

    sheet: str  # the sheet (or file) as named in the input
    column: str | None  # the header as written; None for a change to the whole file
    rule: str  # the change in plain words, e.g. "'M' read as 'Male'"
    count: int  # cells (or rows) affected


@dataclass(frozen=True, eq=False)
class Workbook:
    """The cohort's sheets with canonical column names and typed values.

    Each frame's index is the Excel row number of its rows (the header row plus one for the
    first data row), so every later message can point at the row the user sees. ``headers``
    maps (sheet key, canonical field) to the header as written, where the sheet key is
    ``"patients"`` or ``"adverse_events"`` (the names in study.yml's ``sheets:``).
    """

    patients: pd.DataFrame
    adverse_events: pd.DataFrame | None  # None: the study has no adverse events sheet
    headers: dict[tuple[str, str], str]
    normalisations: tuple[Normalisation, ...]
    problems: tuple[Problem, ...]
    source: str  # "xlsx", "csv", "parquet", ...
    sheet_names: dict[str, str] | None = None  # sheet key -> sheet (or file) name as in the input
    # The declared identifier columns of the patients sheet (header -> values, same index),
    # kept apart so that only validation reads them: nothing later sees a name.
    identifiers: pd.DataFrame | None = None

    def sheet_name(self, key: str) -> str:
        """The name the user knows a sheet by, for messages."""
        return (self.sheet_names or {}).get(key, key)
