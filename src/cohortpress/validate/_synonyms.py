"""Which declared level a rejected value clearly stands for, and the study.yml line to accept it.

A value is taken as a spelling of a level only when the match is plain: the same letters once
case, spaces and punctuation are ignored ("ClearCell"), the start of exactly one level ("Fav",
"Intermed.") or its initials ("NCC" for "Non-clear cell"), or a close match to exactly one level
("Negatve"). Anything less certain gets no suggestion: the user decides what a value means.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata

import yaml

_CLOSE = 0.8  # difflib ratio; "Negatve" against "Negative" is 0.93, "Poor risk" vs "Poor" 0.62
_MIN_PREFIX = 3


def _letters(text: str) -> str:
    """Letters and digits only, case-folded: "Clear-cell " and "clearcell" are the same."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in normal if c.isalnum())


def _initials(level: str) -> str:
    return "".join(word[0] for word in re.split(r"[\s\-_/]+", level.casefold()) if word)


def declared_spelling(value: str, levels: tuple[str, ...]) -> str | None:
    """The one level ``value`` is clearly a spelling of, or None."""
    text = _letters(value)
    if not text:
        return None
    for matches in (
        [lvl for lvl in levels if _letters(lvl) == text],
        [lvl for lvl in levels if len(text) >= _MIN_PREFIX and _letters(lvl).startswith(text)],
        [lvl for lvl in levels if len(text) >= 2 and _initials(lvl) == text],
        [lvl for lvl in levels if _ratio(text, _letters(lvl)) >= _CLOSE],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None  # two levels fit: not clear
    return None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def synonyms_line(existing: dict[str, str], new: dict[str, str]) -> str:
    """``synonyms: {…}`` with the variable's present synonyms and the new ones, as YAML.

    The present ones are kept so the line can replace the variable's ``synonyms:`` as it is.
    """
    merged = dict(existing)
    known = {spelling.casefold() for spelling in existing}
    for spelling, level in new.items():
        if spelling.casefold() not in known:
            merged[spelling] = level
            known.add(spelling.casefold())
    text = yaml.safe_dump(
        {"synonyms": merged},
        default_flow_style=None,
        allow_unicode=True,
        sort_keys=False,
        width=math.inf,
    )
    return text.strip()
