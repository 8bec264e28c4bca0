"""Possible but doubtful values: listed as warnings in the report's data appendix.

Two kinds: a number outside its variable's ``plausible`` range (a lymphocyte count of 1.2
per µl was probably entered in ×10³/µl), and dates after the data cutoff, where follow-up is
censored. A treatment start after the cutoff leaves the patient no follow-up at all, so it
is an error, not a warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.errors import Problem
from cohortpress.validate._schemas import number_text
from cohortpress.validate._translate import value_text

if TYPE_CHECKING:
    import datetime as dt

    from cohortpress.config import Variable

FOLLOW_UP_DATES = ("treatment_end", "progression_date", "death_date", "last_contact")
MAX_ROWS_LISTED = 10


def implausible_values(
    frame: pd.DataFrame, variables: dict[str, Variable], sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """A warning per value inside its ``range`` but outside its ``plausible`` range."""
    problems = []
    for name, variable in variables.items():
        if variable.plausible is None or name not in frame:
            continue
        values = frame.loc[:, name]
        low, high = variable.plausible
        valid = values.between(*variable.range) if variable.range else values.notna()
        doubtful = valid & ~values.between(low, high)
        unit = f" {variable.unit}" if variable.unit else ""
        rule = f"outside the plausible range {number_text(low)}-{number_text(high)}{unit}"
        problems += [
            Problem(sheet, int(row), headers.get(name, name), value_text(v), rule,  # type: ignore[call-overload]
                    variable.plausible_hint, severity="warning")
            for row, v in values.loc[doubtful].items()
        ]  # fmt: skip
    return problems


def dates_after_cutoff(
    frame: pd.DataFrame, cutoff: dt.date, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """One warning per date column with dates after the cutoff, counting the patients."""
    problems = _starts_after_cutoff(frame, cutoff, sheet, headers)
    rule = f"dates after the data cutoff ({cutoff:%Y-%m-%d}): follow-up is censored at the cutoff"
    for name in (n for n in FOLLOW_UP_DATES if n in frame):
        late = frame.index[frame[name] > pd.Timestamp(cutoff)]
        if len(late):
            value = f"{len(late)} patient(s), {rows_text(late)}"
            header = headers.get(name, name)
            problems.append(Problem(sheet, None, header, value, rule, severity="warning"))
    return problems


def _starts_after_cutoff(
    frame: pd.DataFrame, cutoff: dt.date, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    if "treatment_start" not in frame:
        return []
    starts = frame["treatment_start"]
    late = starts.loc[starts > pd.Timestamp(cutoff)]
    rule = f"treatment starts after the data cutoff ({cutoff:%Y-%m-%d}): there is no follow-up"
    header = headers.get("treatment_start", "treatment_start")
    return [Problem(sheet, int(row), header, value_text(v), rule) for row, v in late.items()]  # type: ignore[call-overload]


def rows_text(rows: pd.Index) -> str:
    """'row 5' or 'rows 5, 7, …': the first :data:`MAX_ROWS_LISTED` Excel rows of ``rows``."""
    listed = ", ".join(str(r) for r in rows[:MAX_ROWS_LISTED])
    more = f" and {len(rows) - MAX_ROWS_LISTED} more" if len(rows) > MAX_ROWS_LISTED else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {listed}{more}"
