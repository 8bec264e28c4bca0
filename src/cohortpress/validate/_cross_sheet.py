"""Rules that span sheets: every adverse event belongs to a patient of the patients sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.errors import Problem
from cohortpress.intake._reading import fold
from cohortpress.validate._closest import ClosestText

if TYPE_CHECKING:
    import pandas as pd

# A fuzzy "did you mean" costs one comparison per known patient: it is offered for the first
# unknown IDs only, so a sheet of thousands of unknown IDs costs linear, not quadratic, time.
# IDs that differ from a known one only in case, spacing or width are suggested for every row.
FUZZY_SUGGESTIONS = 20


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
    suggestions = _suggestions(unknown.astype(str).unique(), patients["patient_id"].dropna())
    return [
        Problem(
            sheet,
            int(row),  # type: ignore[call-overload]
            header,
            str(pid),
            "no patient with this ID in the patients sheet",
            suggestions.get(str(pid)),
        )
        for row, pid in unknown.items()
    ]


def _suggestions(unknown: object, known_ids: pd.Series) -> dict[str, str]:
    """Unknown ID -> "did you mean …?" for those with a likely known ID: one that folds alike
    (the greatest, if several do), else, for the first unknown IDs, difflib's closest."""
    known = list(dict.fromkeys(known_ids.astype(str)))
    asked = {fold(pid) for pid in unknown}  # type: ignore[attr-defined]
    folded: dict[str, str] = {}
    for pid in known:
        key = fold(pid)
        if key in asked and (key not in folded or pid > folded[key]):
            folded[key] = pid
    closest: ClosestText | None = None
    found: dict[str, str] = {}
    fuzzy_left = FUZZY_SUGGESTIONS
    for pid in unknown:  # type: ignore[attr-defined]
        close = folded.get(fold(pid))
        if close is None and fuzzy_left:
            fuzzy_left -= 1
            closest = closest or ClosestText(known)
            close = closest.closest(pid, cutoff=0.6)
        if close is not None:
            found[pid] = f"did you mean '{close}'?"
    return found
