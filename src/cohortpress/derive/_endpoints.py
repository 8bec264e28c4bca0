"""Endpoint times and events from the dates of the patients sheet.

Times are calendar days from the first dose, converted to the study's time unit at the end.
Anything that happened after the data cutoff is treated as not yet known: the patient is
censored at the cutoff. PFS is censored at the last contact or, when the study says so, at the
last tumour assessment (progression can only be seen at an assessment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import datetime as dt

CensorAt = Literal["last_contact", "last_assessment"]


def last_known_date(patients: pd.DataFrame) -> pd.Series:
    """Last contact, or the latest recorded date when last contact is missing."""
    columns = ["treatment_start", "treatment_end", "progression_date", "death_date"]
    return patients["last_contact"].fillna(_latest(patients, columns))


def endpoint(
    patients: pd.DataFrame, kind: str, cutoff: dt.date, censor_at: CensorAt = "last_contact"
) -> tuple[pd.Series, pd.Series]:
    """Return (days, event) for ``kind`` in {os, pfs, ttf}, censored at the data cutoff.

    ``censor_at="last_assessment"`` (PFS only) censors at the last tumour assessment; a patient
    with none recorded contributes no progression-free time (censored at day 0).
    """
    cutoff_ts = pd.Timestamp(cutoff)
    event_date = _event_date(patients, kind)
    event_date = event_date.where(event_date <= cutoff_ts)
    censor_at_date = _censor_date(patients, kind, censor_at)
    censor_date = censor_at_date.mask(censor_at_date > cutoff_ts, cutoff_ts)  # NaT stays NaT
    end = event_date.fillna(censor_date)
    days = (end - patients["treatment_start"]).dt.days.astype("float64")
    return days, event_date.notna().astype("int64")


def _censor_date(patients: pd.DataFrame, kind: str, censor_at: CensorAt) -> pd.Series:
    if censor_at == "last_contact":
        return last_known_date(patients)
    if kind != "pfs":
        raise ValueError(f"censoring at {censor_at} applies to PFS only, not {kind!r}")
    return patients["last_assessment"].fillna(patients["treatment_start"])


def _event_date(patients: pd.DataFrame, kind: str) -> pd.Series:
    if kind == "os":
        return patients["death_date"]
    if kind == "pfs":
        return _earliest(patients, ["progression_date", "death_date"])
    if kind == "ttf":
        return patients["treatment_end"]
    raise ValueError(f"unknown endpoint {kind!r}")


def treatment_days(patients: pd.DataFrame, cutoff: dt.date) -> pd.Series:
    """Days on treatment: to its end, or to the data cutoff while it goes on."""
    cutoff_ts = pd.Timestamp(cutoff)
    end = patients["treatment_end"].fillna(cutoff_ts)
    end = end.mask(end > cutoff_ts, cutoff_ts)
    return (end - patients["treatment_start"]).dt.days.astype("float64")


def touched_by_cutoff(patients: pd.DataFrame, cutoff: dt.date) -> int:
    """How many patients have a recorded date after the data cutoff (and were censored there)."""
    cols = ["treatment_end", "progression_date", "death_date", "last_contact"]
    after = patients[cols] > pd.Timestamp(cutoff)
    return int(np.count_nonzero(after.any(axis=1)))


def _latest(patients: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each row's latest date among ``columns``, ignoring missing ones (NaT when all are):
    ``max(axis=1)`` computed on the dates' integer form, where NaT is the smallest value."""
    dtype = _one_date_dtype(patients, columns)
    if dtype is None:
        return patients[columns].max(axis=1)
    ticks = np.column_stack([patients[c].to_numpy().view("int64") for c in columns])
    return pd.Series(ticks.max(axis=1).view(dtype), index=patients.index)


def _earliest(patients: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each row's earliest date among ``columns``, ignoring missing ones (NaT when all are)."""
    dtype = _one_date_dtype(patients, columns)
    if dtype is None:
        return patients[columns].min(axis=1)
    ticks = np.column_stack([patients[c].to_numpy().view("int64") for c in columns])
    missing = ticks == np.iinfo("int64").min  # NaT
    earliest = np.where(missing, np.iinfo("int64").max, ticks).min(axis=1)
    earliest[missing.all(axis=1)] = np.iinfo("int64").min
    return pd.Series(earliest.view(dtype), index=patients.index)


def _one_date_dtype(patients: pd.DataFrame, columns: list[str]) -> np.dtype | None:
    """The dtype all ``columns`` share when it is a NumPy datetime (no time zone), else None:
    the integer form then orders the dates as ``min``/``max`` do."""
    dtypes = {patients[c].dtype for c in columns}
    if len(dtypes) != 1 or not columns:
        return None
    (dtype,) = dtypes
    return dtype if isinstance(dtype, np.dtype) and dtype.kind == "M" else None
