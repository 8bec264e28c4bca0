"""The outcome of reading one cell, shared by the readers of each kind of value."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Written in place of a value to mean "not known"; compared after trimming and case-folding.
MISSING_TOKENS = frozenset(
    {"na", "n/a", "n.a.", "#n/a", "nan", "null", "-", "--", "–", "—", "unknown", "unk", "?"}
)
EXCEL_ERRORS = frozenset({"#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!"})


@dataclass(frozen=True)
class UnsavedFormula:
    """A spreadsheet cell holding a formula whose result was never saved in the file: there
    is no value to read (see ``_sheet_xml``). Never text, so no reader takes it as data."""

    formula: str  # without its "="; empty where the file does not repeat it (shared formulas)

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "a formula"


@dataclass(frozen=True)
class Reading:
    """A cell's typed value, or why it could not be read.

    ``note`` names the normalisation applied (the same words for every cell it touched, so
    they can be counted); ``problem`` is the reason a cell was not read, in plain words.
    """

    value: object = None
    note: str | None = None
    problem: str | None = None
    suggestion: str | None = None


def is_blank(raw: object) -> bool:
    """True for an empty cell: nothing, NaN/NaT, or only spaces."""
    if raw is None or raw is pd.NaT or raw is pd.NA:
        return True
    if isinstance(raw, float | np.floating):
        return math.isnan(raw)
    return isinstance(raw, str) and not raw.strip()


def is_number(raw: object) -> bool:
    """True for numeric cells; booleans (TRUE/FALSE cells) are not numbers."""
    return isinstance(raw, int | float | np.integer | np.floating) and not isinstance(
        raw, bool | np.bool_
    )


def is_datetime(raw: object) -> bool:
    """True for a date or date-time cell (Excel date, parquet date or timestamp)."""
    return isinstance(raw, dt.date | np.datetime64)


def cell_text(raw: object) -> str:
    """The cell as the user would read it, for messages: 3.0 as "3", dates as YYYY-MM-DD."""
    if is_number(raw) and float(raw).is_integer():  # type: ignore[arg-type]
        return str(int(raw))  # type: ignore[call-overload]
    if is_datetime(raw):
        stamp = pd.Timestamp(raw)  # type: ignore[arg-type]
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")
    return str(raw)


def missing_or_error(raw: object, declared: frozenset[str] = frozenset()) -> Reading | None:
    """A reading for a cell that stands for a missing value or an Excel error, else None.

    ``declared`` holds the study's own missing-value tokens (folded), matched against text
    and, since "99" typed in Excel is a number, against numbers as written.
    """
    if isinstance(raw, UnsavedFormula):
        return Reading(
            problem="a formula whose result was never saved in the file, so there is no value "
            "to read",
            suggestion="open the workbook in Excel or LibreOffice and save it, which stores "
            "each formula's result, or type the value instead of the formula",
        )
    if declared and is_number(raw) and cell_text(raw).casefold() in declared:
        return Reading(None, note=f"'{cell_text(raw)}' read as missing")
    if not isinstance(raw, str):
        return None
    token = raw.strip().casefold()
    if token in MISSING_TOKENS or token in declared:
        return Reading(None, note=f"'{raw.strip()}' read as missing")
    if token in EXCEL_ERRORS:
        return Reading(problem=f"an Excel error value ({raw.strip()}), not data")
    return None
