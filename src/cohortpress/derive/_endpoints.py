"""Endpoint times and events from the dates of the patients sheet.

Times are calendar days from the first dose, converted to the study's time unit at the end.
Anything that happened after the data cutoff is treated as not yet known: the patient is
censored at the cutoff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import datetime as dt

ENDPOINT_DEFINITIONS = {
    "os": "from the start of treatment to death from any cause; patients alive were censored "
    "at the last date known alive",
    "pfs": "from the start of treatment to progression or death, whichever came first; patients "
    "without either were censored at the last date known alive",
    "ttf": "from the start of treatment to its discontinuation for any reason, including "
    "progression, toxicity, patient or physician decision and death; patients still on "
    "treatment were censored at the last date known alive",
}


def last_known_date(patients: pd.DataFrame) -> pd.Series:
    """Last contact, or the latest recorded date when last contact is missing."""
    dates = patients[["treatment_start", "treatment_end", "progression_date", "death_date"]]
    return patients["last_contact"].fillna(dates.max(axis=1))


def endpoint(patients: pd.DataFrame, kind: str, cutoff: dt.date) -> tuple[pd.Series, pd.Series]:
    """Return (days, event) for ``kind`` in {os, pfs, ttf}, censored at the data cutoff."""
    cutoff_ts = pd.Timestamp(cutoff)
    event_date = _event_date(patients, kind)
    event_date = event_date.where(event_date <= cutoff_ts)
    last_known = last_known_date(patients)
    censor_date = last_known.mask(last_known > cutoff_ts, cutoff_ts)  # NaT stays NaT
    end = event_date.fillna(censor_date)
    days = (end - patients["treatment_start"]).dt.days.astype("float64")
    return days, event_date.notna().astype("int64")


def _event_date(patients: pd.DataFrame, kind: str) -> pd.Series:
    if kind == "os":
        return patients["death_date"]
    if kind == "pfs":
        return patients[["progression_date", "death_date"]].min(axis=1)
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
