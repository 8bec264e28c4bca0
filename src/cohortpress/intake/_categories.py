"""Reading categorical cells: declared levels, their synonyms, and the built-in spellings.

Values are compared after trimming, case-folding and treating ``_``/``-`` as spaces, so
"adverse event", "Adverse_event" and "ADVERSE-EVENT" all read as ``adverse_event``.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from cohortpress._folding import cell_key as key
from cohortpress.intake._fields import END_REASONS, SEXES
from cohortpress.intake._reading import Reading, cell_text, is_datetime, is_number

if TYPE_CHECKING:
    from cohortpress.intake._fields import FieldSpec

_BUILT_IN: dict[tuple[str, ...], dict[str, str]] = {
    SEXES: {"m": "Male", "f": "Female", "man": "Male", "woman": "Female"},
    END_REASONS: {
        "pd": "progression",
        "disease progression": "progression",
        "progressive disease": "progression",
        "ae": "adverse_event",
        "adverse events": "adverse_event",
        "toxicity": "adverse_event",
        "died": "death",
        "patient request": "patient_decision",
        "patient's decision": "patient_decision",
        "patient choice": "patient_decision",
        "physician's decision": "physician_decision",
        "doctor's decision": "physician_decision",
    },
}
_YES_NO = {"y": "Yes", "n": "No", "1": "Yes", "0": "No", "true": "Yes", "false": "No"}
_POSITIVE_NEGATIVE = {"pos": "Positive", "neg": "Negative", "+": "Positive"}


def lookup_for(spec: FieldSpec) -> dict[str, str]:
    """Every accepted spelling (as a key) of the field's levels."""
    table = {key(level): level for level in spec.levels}
    for spelling, level in (*_built_ins(spec.levels).items(), *spec.spellings.items()):
        table.setdefault(key(spelling), level)
    table.update({key(spelling): level for spelling, level in spec.synonyms.items()})
    return table


def read_category(raw: object, levels: tuple[str, ...], lookup: dict[str, str]) -> Reading:
    """The declared level a cell stands for, or a problem naming the allowed values."""
    if is_datetime(raw):
        return Reading(problem="a date, not one of the allowed values")
    text = cell_text(raw) if is_number(raw) or isinstance(raw, bool) else str(raw).strip()
    level = lookup.get(key(text))
    if level is None:
        return Reading(
            problem="not one of the allowed values (" + ", ".join(levels) + ")",
            suggestion=_did_you_mean(text, lookup),
        )
    if text == level:
        padded = isinstance(raw, str) and raw != text
        return Reading(level, note="spaces around values removed" if padded else None)
    return Reading(level, note=f"'{text}' read as '{level}'")


def read_status(raw: object, spec: FieldSpec) -> Reading:
    """An endpoint's status cell as ``event`` or ``censored``, through the declared values
    only (matched like categories); anything else names the study.yml line to extend."""
    lookup = {key(spelling): level for spelling, level in spec.synonyms.items()}
    text = "" if is_datetime(raw) else cell_text(raw).strip()
    level = lookup.get(key(text)) if text else None
    if level is None:
        by_level = {lvl: [s for s, v in spec.synonyms.items() if v == lvl] for lvl in spec.levels}
        allowed = "; ".join(f"{lvl}: {', '.join(spellings)}" for lvl, spellings in by_level.items())
        return Reading(problem=f"neither an event nor censored ({allowed})", suggestion=spec.hint)
    return Reading(level, note=f"status '{text}' read as {level}")


def _built_ins(levels: tuple[str, ...]) -> dict[str, str]:
    folded = {level.casefold() for level in levels}
    if folded == {"yes", "no"}:
        return {spelling: _match(level, levels) for spelling, level in _YES_NO.items()}
    if folded == {"positive", "negative"}:
        return {spelling: _match(level, levels) for spelling, level in _POSITIVE_NEGATIVE.items()}
    return _BUILT_IN.get(levels, {})


def _match(level: str, levels: tuple[str, ...]) -> str:
    """The declared spelling of a built-in level ("yes" declared as "YES" stays "YES")."""
    return next(declared for declared in levels if declared.casefold() == level.casefold())


def _did_you_mean(text: str, lookup: dict[str, str]) -> str | None:
    """The closest level, or every level as close as it ("PD" under iRECIST: iUPD or iCPD, the
    unconfirmed and the confirmed progression: naming one would be a guess)."""
    wanted = key(text)
    close = difflib.get_close_matches(wanted, list(lookup), n=5, cutoff=0.6)
    if not close:
        return None
    score = difflib.SequenceMatcher(None, wanted, close[0]).ratio()
    best = [c for c in close if difflib.SequenceMatcher(None, wanted, c).ratio() == score]
    levels = list(dict.fromkeys(lookup[c] for c in best))
    return "did you mean " + " or ".join(f"'{level}'" for level in levels) + "?"
