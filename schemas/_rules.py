"""Small helpers shared by the row-level rules of the sheet schemas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pandera.pandas as pa

if TYPE_CHECKING:
    from collections.abc import Callable


def column(df: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name``, or an all-missing column when the sheet does not have it.

    Optional fields may be absent; a rule about an absent field then finds nothing to report.
    """
    if name in df.columns:
        return df[name]
    return pd.Series(pd.NA, index=df.index, dtype="object")


def not_before(df: pd.DataFrame, later: str, earlier: str) -> pd.Series:
    """True where ``later`` is on or after ``earlier``, or where either date is missing."""
    # cache=False: the columns are typed dates already, and pandas' cache check alone would
    # walk their values as Timestamp objects (a sixth of a registry piece's validation)
    later_dates = pd.to_datetime(column(df, later), cache=False)
    earlier_dates = pd.to_datetime(column(df, earlier), cache=False)
    return ~(later_dates < earlier_dates)


def both_or_neither(df: pd.DataFrame, given: str, needed: str) -> pd.Series:
    """True unless ``given`` has a value while ``needed`` is empty (an absent ``needed``
    column is reported once, as a column, by validation)."""
    if needed not in df.columns:
        return pd.Series(True, index=df.index)
    return ~(column(df, given).notna() & column(df, needed).isna())


def row_rule(test: Callable[[pd.DataFrame], pd.Series], *, error: str, cell: str) -> pa.Check:
    """A rule over whole rows, named after ``test``; a failing row is reported at its ``cell``.

    The rule decides for itself what a missing value means (usually: the rule does not
    apply), so it says ``ignore_na=False``: pandera would otherwise also test every cell of
    the sheet for missing values once per rule, seconds per rule on a registry's text columns.
    """
    return pa.Check(test, error=error, ignore_na=False, statistics={"column": cell})


def dates_in_order(name: str, *, later: str, earlier: str, error: str, cell: str) -> pa.Check:
    """A row rule: the date in ``later`` is not before the one in ``earlier`` (a missing date
    breaks no rule); a failing row is reported at its ``cell``."""

    def test(df: pd.DataFrame) -> pd.Series:
        return not_before(df, later, earlier)

    test.__name__ = test.__qualname__ = name
    return row_rule(test, error=error, cell=cell)
