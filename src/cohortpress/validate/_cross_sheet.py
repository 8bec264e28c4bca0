"""Rules that span sheets: every adverse event belongs to a patient of the patients sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress._folding import fold
from cohortpress.errors import Problem
from cohortpress.validate._closest import ClosestText

if TYPE_CHECKING:
    import pandas as pd

# A fuzzy "did you mean" costs one comparison per known patient: it is offered for the first
# unknown IDs only, so a sheet of thousands of unknown IDs costs linear, not quadratic, time.
# IDs that differ from a known one only in case, spacing, width or leading zeros are suggested
# for every row.
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


def id_key(pid: str) -> str:
    """The form in which an unknown ID is matched to a known one for "did you mean": case,
    spacing and width ignored, and the leading zeros of a number, which Excel drops from a
    cell formatted as a number ("0012" typed in one sheet, 12 in the other)."""
    folded = fold(pid)
    return (folded.lstrip("0") or "0") if folded.isdigit() else folded


def _suggestions(unknown: object, known_ids: pd.Series) -> dict[str, str]:
    """Unknown ID -> "did you mean …?" for those with a likely known ID: one with the same
    :func:`id_key` (the greatest, if several have), else, for the first unknown IDs, difflib's
    closest."""
    known = list(dict.fromkeys(known_ids.astype(str)))
    asked = {id_key(pid) for pid in unknown}  # type: ignore[attr-defined]
    alike: dict[str, str] = {}
    for pid in known:
        key = id_key(pid)
        if key in asked and (key not in alike or pid > alike[key]):
            alike[key] = pid
    closest: ClosestText | None = None
    found: dict[str, str] = {}
    fuzzy_left = FUZZY_SUGGESTIONS
    for pid in unknown:  # type: ignore[attr-defined]
        close = alike.get(id_key(pid))
        if close is None and fuzzy_left:
            fuzzy_left -= 1
            closest = closest or ClosestText(known)
            close = closest.closest(pid, cutoff=0.6)
        if close is not None:
            found[pid] = f"did you mean '{close}'?" + _zeros_hint(pid, close)
    return found


def _zeros_hint(pid: str, known: str) -> str:
    """Why two IDs that differ only in leading zeros do: the column of one sheet is numbers."""
    if fold(pid) == fold(known) or not (fold(pid).isdigit() and fold(known).isdigit()):
        return ""
    return (
        " The two differ only in leading zeros, which Excel drops from a number: format the "
        "ID columns of both sheets as text and type the IDs alike"
    )
