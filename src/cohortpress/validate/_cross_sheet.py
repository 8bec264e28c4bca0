"""Rules that span sheets: every adverse event belongs to a patient of the patients sheet."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from cohortpress.errors import Problem

if TYPE_CHECKING:
    import pandas as pd


def unknown_patients(
    adverse_events: pd.DataFrame, patients: pd.DataFrame, sheet: str, header: str
) -> list[Problem]:
    """One problem per adverse event row whose patient ID is not in the patients sheet."""
    if "patient_id" not in adverse_events or "patient_id" not in patients:
        return []
    ids = adverse_events["patient_id"]
    unknown = ids.loc[ids.notna() & ~ids.isin(patients["patient_id"])]
    if unknown.empty:
        return []
    known = sorted(set(patients["patient_id"].dropna()))
    return [
        Problem(
            sheet,
            int(row),  # type: ignore[call-overload]
            header,
            str(pid),
            "no patient with this ID in the patients sheet",
            _did_you_mean(str(pid), known),
        )
        for row, pid in unknown.items()
    ]


def _did_you_mean(pid: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(pid, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
