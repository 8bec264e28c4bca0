"""Endpoint times and events read as recorded, from a time column and a status column.

Registry extracts and re-analyses often give ``os_months`` and ``os_event`` instead of dates.
Intake has read each status cell as ``event`` or ``censored`` through the endpoint's declared
values, and validation has stopped the run on a missing or negative time or an unknown
status, so here the columns are only converted. The data cutoff censors nothing: the times are
taken to run to the cutoff at which the registry recorded them (the Methods say so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.config import DAYS_PER_UNIT
from cohortpress.intake._fields import EVENT

if TYPE_CHECKING:
    import pandas as pd

    from cohortpress.config import Endpoint, TimeUnit


def recorded_endpoint(
    patients: pd.DataFrame, endpoint: Endpoint, study_unit: TimeUnit
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (time in the study's unit, time in days, event) from ``time`` and ``status``.

    The column is in the endpoint's ``time_unit`` (default: the study's, and then the values
    are taken exactly as written, so a time equal to a landmark stays equal to it). The days
    are computed from the column too, not back from the converted time, so a recorded time
    equal to a duration in days (the SD threshold of the CBR) stays equal to it.
    """
    if endpoint.time is None or endpoint.status is None:
        raise ValueError(f"the {endpoint.kind} endpoint is not read from columns")
    recorded = patients[endpoint.time].astype("float64")
    unit = endpoint.time_unit or study_unit
    time = recorded
    if unit != study_unit:
        time = recorded * (DAYS_PER_UNIT[unit] / DAYS_PER_UNIT[study_unit])
    event = patients[endpoint.status].eq(EVENT).fillna(False).astype("int64")
    return time, recorded * DAYS_PER_UNIT[unit], event
