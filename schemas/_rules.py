"""Small helpers shared by the row-level rules of the sheet schemas."""

from __future__ import annotations

import pandas as pd


def column(df: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name``, or an all-missing column when the sheet does not have it.

    Optional fields may be absent; a rule about an absent field then finds nothing to report.
    """
    if name in df.columns:
        return df[name]
    return pd.Series(pd.NA, index=df.index, dtype="object")


def not_before(df: pd.DataFrame, later: str, earlier: str) -> pd.Series:
    """True where ``later`` is on or after ``earlier``, or where either date is missing."""
    later_dates = pd.to_datetime(column(df, later))
    earlier_dates = pd.to_datetime(column(df, earlier))
    return ~(later_dates < earlier_dates)


def both_or_neither(df: pd.DataFrame, given: str, needed: str) -> pd.Series:
    """True unless ``given`` has a value while ``needed`` is empty (an absent ``needed``
    column is reported once, as a column, by validation)."""
    if needed not in df.columns:
        return pd.Series(True, index=df.index)
    return ~(column(df, given).notna() & column(df, needed).isna())
