"""Rules that read an adverse event, or a response, against the rest of the patient's record.

- An event that began after the patient died is an error: one of the two dates is wrong.
- An event that began after the data cutoff is not yet known at the cutoff: a warning, and
  the event is not counted (``derive``), as follow-up after the cutoff is censored.
- A fatal event (grade 5) of a patient without a date of death is a warning: the safety table
  would count a death that the survival analysis does not.
- A best response that counts as a response with a change of the tumour measure above the
  criteria's response threshold (a CR at +60 %) is a warning: one of the two is mistyped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.errors import Problem
from cohortpress.validate._schemas import number_text
from cohortpress.validate._translate import value_text
from cohortpress.validate._warnings import rows_text

if TYPE_CHECKING:
    import datetime as dt

    from cohortpress.response_criteria import Criteria

FATAL_GRADE = 5
AFTER_DEATH = "after the patient's date of death"
FATAL_WITHOUT_DEATH = (
    f"grade {FATAL_GRADE} (death) for a patient without a date of death: the safety table "
    "counts a death the survival analysis does not"
)


def after_death_rule(died: pd.Timestamp) -> str:
    """The rule of an event that began after its patient's death, naming the date of death."""
    return f"{AFTER_DEATH} ({died:%Y-%m-%d})"


def events_after_death(
    events: pd.DataFrame, patients: pd.DataFrame, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """An error per event that began after its patient's date of death."""
    needed = {"onset_date", "patient_id"}
    if not needed <= set(events) or not {"patient_id", "death_date"} <= set(patients):
        return []
    onset = events["onset_date"]
    died = events["patient_id"].map(_by_patient(patients, "death_date"))
    after = (onset.notna() & died.notna() & (onset > died)).to_numpy(dtype=bool)
    header = headers.get("onset_date", "onset_date")
    return [
        Problem(sheet, int(row), header, value_text(onset[row]),  # type: ignore[call-overload]
                after_death_rule(died[row]))
        for row in events.index[after]
    ]  # fmt: skip


def events_after_cutoff(
    events: pd.DataFrame, cutoff: dt.date, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """One warning for the events that began after the data cutoff, with their rows."""
    if "onset_date" not in events:
        return []
    late = events.index[(events["onset_date"] > pd.Timestamp(cutoff)).to_numpy(dtype=bool)]
    if not len(late):
        return []
    rule = (
        f"onset after the data cutoff ({cutoff:%Y-%m-%d}): not yet known at the cutoff, the "
        "event is not counted"
    )
    header = headers.get("onset_date", "onset_date")
    value = f"{len(late)} event(s), {rows_text(late)}"
    return [Problem(sheet, None, header, value, rule, severity="warning")]


def fatal_events_without_death(
    events: pd.DataFrame, patients: pd.DataFrame, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """A warning per grade 5 event whose patient has no date of death."""
    needed = {"grade", "patient_id"}
    if not needed <= set(events) or "patient_id" not in patients or "death_date" not in patients:
        return []
    deaths = _by_patient(patients, "death_date")
    fatal = (events["grade"] == FATAL_GRADE).to_numpy(dtype=bool)
    known = events["patient_id"].isin(patients["patient_id"]).to_numpy(dtype=bool)
    alive = events["patient_id"].map(deaths).isna().to_numpy(dtype=bool)
    header = headers.get("grade", "grade")
    return [
        Problem(sheet, int(row), header, str(FATAL_GRADE), FATAL_WITHOUT_DEATH, severity="warning")  # type: ignore[call-overload]
        for row in events.index[fatal & known & alive]
    ]


def responses_against_changes(
    patients: pd.DataFrame, criteria: Criteria, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """A warning per patient whose best response counts as a response while the change of
    the tumour measure is above the threshold at which the criteria's response begins."""
    if criteria.thresholds is None or not {"best_response", "best_change_pct"} <= set(patients):
        return []
    threshold = criteria.thresholds[1]
    responding = patients["best_response"].isin(criteria.codes_counting_as("response"))
    change = patients["best_change_pct"]
    doubtful = (responding & (change > threshold)).fillna(False).to_numpy(dtype=bool)
    header = headers.get("best_change_pct", "best_change_pct")
    problems = []
    for row in patients.index[doubtful]:
        code = str(patients.loc[row, "best_response"])
        rule = (
            f"the best response is {code}, yet the change is above the "
            f"{number_text(threshold)}% at which a response begins ({criteria.name})"
        )
        problems.append(
            Problem(sheet, int(row), header, value_text(change[row]), rule, severity="warning")  # type: ignore[call-overload]
        )
    return problems


def _by_patient(patients: pd.DataFrame, column: str) -> pd.Series:
    """``column`` by patient ID (an ID given twice is an error reported elsewhere: the first)."""
    known = patients.loc[patients["patient_id"].notna(), ["patient_id", column]]
    return known.drop_duplicates("patient_id").set_index("patient_id")[column]
