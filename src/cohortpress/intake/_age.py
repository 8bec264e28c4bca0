"""Age at the start of treatment, when the sheet gives a birth date instead of an age."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def completed_years(birth: pd.Series, start: pd.Series) -> pd.Series:
    """Whole years between two dates, as a birthday count: 2000-06-01 to 2020-05-31 is 19.

    The conventional "age at index date" (completed years), not days / 365.25.
    """
    years = start.dt.year - birth.dt.year
    before_birthday = (start.dt.month < birth.dt.month) | (
        (start.dt.month == birth.dt.month) & (start.dt.day < birth.dt.day)
    )
    return (years - before_birthday.astype("float64")).astype("float64")
