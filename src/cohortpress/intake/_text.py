"""Reading identifiers and free-text terms."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from cohortpress.intake._reading import Reading, cell_text, is_datetime

if TYPE_CHECKING:
    import pandas as pd

ID_TRIMMED = "spaces around IDs removed"


def read_id(raw: object) -> Reading:
    """A patient ID as text; a number typed in Excel (12.0) reads as "12"."""
    if is_datetime(raw):
        return Reading(problem="a date, not a patient ID")
    text = cell_text(raw)
    trimmed = text.strip()
    return Reading(trimmed, note=ID_TRIMMED if trimmed != text else None)


def read_term(raw: object, synonyms: dict[str, str]) -> Reading:
    """An adverse event term: spaces tidied, then the study's synonyms applied.

    Synonyms are matched ignoring case, so "hfsr" and "HFSR" both read as the declared term.
    """
    text = " ".join(cell_text(raw).split())
    folded = {spelling.casefold(): term for spelling, term in synonyms.items()}
    term = folded.get(text.casefold())
    if term is not None and term != text:
        return Reading(term, note=f"'{text}' read as '{term}'")
    tidied = isinstance(raw, str) and text != raw
    return Reading(text, note="spaces in terms tidied" if tidied else None)


def merge_case_variants(terms: pd.Series) -> tuple[pd.Series, Counter[str]]:
    """Spell terms that differ only in case the way most rows spell them.

    "diarrhoea" and "Diarrhoea" would otherwise be counted as two adverse events.
    """
    counts = terms.dropna().value_counts(sort=False)
    spelling: dict[str, str] = {}
    for term, _n in sorted(counts.items(), key=lambda item: -item[1]):
        spelling.setdefault(str(term).casefold(), str(term))
    renamed = {t: spelling[str(t).casefold()] for t in counts.index}
    renamed = {old: new for old, new in renamed.items() if old != new}
    notes: Counter[str] = Counter()
    for old, new in renamed.items():
        notes[f"'{old}' written as '{new}'"] = int(counts[old])
    return terms.replace(renamed), notes
