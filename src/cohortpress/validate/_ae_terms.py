"""Adverse event terms that look like one event written two ways: a warning with the
``adverse_events: synonyms:`` line that would count them as one.

Checked after the study's synonyms are applied (intake already merged terms differing only in
case). Terms are linked when they share a normalised key, built in layers:

1. the same letters and digits, ignoring spaces, hyphens and punctuation ("Hand foot syndrome");
2. the same after British/American spelling ("Diarrhoea", "Diarrhea"; "tumour"; "-ised");
3. the same CTCAE term once abbreviations and lab wording are read ("AST increased",
   "Elevated AST", "Aspartate aminotransferase increased"; "HTN", "Hypertension");

or when one is the initials of the other ("HFSR", "Hand-foot skin reaction"), the other plus a
qualifier ("General fatigue", "Fatigue"), or a near spelling: one letter changed, added or
removed (or two swapped in a term of 15 letters or more), counted on difflib's opcodes; never
across hypo-/hyper-, brady-/tachy- or increased/decreased, nor between two CTCAE terms
(Hypokalemia, Hypocalcemia). Keys are grouped in dictionaries, and near spellings compared only
when they share a form with one letter left out (symmetric deletion), so the check grows
linearly with the number of terms.

Each group is mapped toward one term: a CTCAE spelling, else one that is not an abbreviation,
else the most frequent.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import yaml

from cohortpress.errors import Problem
from cohortpress.validate._ctcae import (
    ABBREVIATIONS,
    CTCAE_TERMS,
    DECREASED,
    INCREASED,
    OPPOSITES,
    QUALIFIERS,
    SAME_EVENT,
)

if TYPE_CHECKING:
    import pandas as pd

_BRITISH = (
    (re.compile(r"(?<=[a-z])ae|^ae(?=[a-z])"), "e"),  # anaemia, haemorrhage
    (re.compile(r"(?<=[a-z])oe|^oe(?=[a-z])"), "e"),  # diarrhoea, oedema, oesophagitis
    (re.compile(r"our\b"), "or"),  # tumour
    (re.compile(r"is(e|ed|ation)\b"), r"iz\1"),  # generalised
    (re.compile(r"(?<=[a-z])paen"), "pen"),  # neutropaenia
)
MIN_FUZZY_LENGTH = 5
# Terms longer than this are compared as written only: a term is a few words (CTCAE's longest
# has 87 characters), and the near-spelling search costs the square of a term's length (a cell
# of Excel's 32,767 characters took 0.8 GB and minutes).
MAX_FUZZY_LENGTH = 200


def _words(term: str) -> list[str]:
    text = unicodedata.normalize("NFKC", term).casefold()
    return re.findall(r"[^\W_]+", text)


def plain_key(term: str) -> str:
    """Layer 1: letters and digits only."""
    return "".join(_words(term))


def _spelled(words: list[str]) -> list[str]:
    out = []
    for word in words:
        for pattern, replacement in _BRITISH:
            word = pattern.sub(replacement, word)
        out.append(word)
    return out


def spelling_key(term: str) -> str:
    """Layer 2: British and American spellings read alike."""
    return "".join(_spelled(_words(term)))


def event_words(term: str) -> list[str]:
    """Layer 3 as words: abbreviations expanded, lab wording as CTCAE writes it."""
    words: list[str] = []
    direction = None
    for word in _spelled(_words(term)):
        if word in INCREASED:
            direction = "increased"
        elif word in DECREASED:
            direction = "decreased"
        else:
            words += ABBREVIATIONS.get(word, word).split()
    if direction:
        words.append(direction)
    phrase = " ".join(words)
    return SAME_EVENT.get(phrase, phrase).split()


def event_key(term: str) -> str:
    return "".join(event_words(term))


def _initials(term: str) -> str | None:
    words = _words(term)
    return "".join(w[0] for w in words) if len(words) >= 2 else None


def _is_abbreviation(term: str) -> bool:
    words = _words(term)
    return len(words) == 1 and 2 <= len(words[0]) <= 6 and term.strip().isupper()


def _unqualified(term: str) -> str | None:
    words = event_words(term)
    kept = [w for w in words if w not in QUALIFIERS]
    return "".join(kept) if kept and len(kept) < len(words) else None


def _opposed(a: str, b: str) -> bool:
    return any((word in a) != (word in b) for word in OPPOSITES)


def _letters_apart(a: str, b: str) -> int:
    """Letters changed, added or removed between a and b (difflib's opcodes)."""
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _allowed(length: int) -> int:
    """Letters a near spelling may differ by: one below 15 letters, two (a swap) from 15."""
    return 1 if length < 15 else 2


def _close(a: str, b: str) -> bool:
    """A near spelling: few letters apart for the length, and not opposite events."""
    if a == b or min(len(a), len(b)) < MIN_FUZZY_LENGTH or _opposed(a, b):
        return False
    allowed = _allowed(min(len(a), len(b)))
    return abs(len(a) - len(b)) <= allowed and _letters_apart(a, b) <= allowed


def why(variant: str, target: str) -> str:
    """In words, why two terms look like one event."""
    if plain_key(variant) == plain_key(target):
        return "other spaces, hyphens or punctuation"
    if spelling_key(variant) == spelling_key(target):
        return "British/American spelling"
    if event_key(variant) == event_key(target):
        return "abbreviation or other CTCAE wording"
    if _is_abbreviation(variant) and _initials(target) == variant.strip().casefold():
        return "initials"
    if _unqualified(variant) == event_key(target) or _unqualified(target) == event_key(variant):
        return "a qualifier added"
    apart = _letters_apart(spelling_key(variant), spelling_key(target))
    return f"spelling {apart} letter{'s' if apart != 1 else ''} apart"


class _Groups:
    """Union–find over term indices."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def _link_equal_keys(terms: list[str], groups: _Groups) -> dict[str, int]:
    """Join terms with the same event key; return event key -> one of its terms."""
    first: dict[str, int] = {}
    for i, term in enumerate(terms):
        key = event_key(term)
        if key in first:
            groups.join(i, first[key])
        else:
            first[key] = i
    return first


def _link_initials_and_qualifiers(terms: list[str], keys: dict[str, int], groups: _Groups) -> None:
    by_initials: dict[str, list[int]] = defaultdict(list)
    for i, term in enumerate(terms):
        initials = _initials(term)
        if initials and len(initials) >= 2:
            by_initials[initials].append(i)
    for i, term in enumerate(terms):
        if _is_abbreviation(term):
            for j in by_initials.get(term.strip().casefold(), ()):
                groups.join(i, j)
        bare = _unqualified(term)
        if bare is not None and bare in keys:
            groups.join(i, keys[bare])


def _deletions(key: str) -> set[str]:
    """The key, and the key with one letter left out (symmetric-deletion candidates)."""
    return {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}


def _link_near_spellings(keys: dict[str, int], terms: list[str], groups: _Groups) -> None:
    """Join near spellings. Keys one edit apart (a letter changed, added, removed, or two
    swapped) share a form with one letter left out, so keys are compared only when they
    share one: linear in the number of terms."""
    by_form: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if MIN_FUZZY_LENGTH <= len(key) <= MAX_FUZZY_LENGTH:
            for form in _deletions(key):
                by_form[form].append(key)
    for candidates in by_form.values():
        if len(candidates) < 2:
            continue
        for i, a in enumerate(candidates):
            for b in candidates[i + 1 :]:
                both_ctcae = {terms[keys[a]].casefold(), terms[keys[b]].casefold()} <= CTCAE_TERMS
                if not both_ctcae and _close(a, b):
                    groups.join(keys[a], keys[b])


@dataclass(frozen=True)
class Duplicate:
    """A term that looks like ``target`` written another way."""

    term: str
    target: str
    reason: str
    rows: int
    first_row: int

    @property
    def synonym_line(self) -> str:
        """The line to add under ``adverse_events: synonyms:``."""
        return f"{json.dumps(self.term, ensure_ascii=False)}: {_yaml_scalar(self.target)}"


def _yaml_scalar(text: str) -> str:
    """The text as a plain YAML scalar when it reads back the same, else double-quoted."""
    plain = yaml.safe_dump(text, allow_unicode=True, default_flow_style=True).strip()
    plain = plain.removesuffix("...").strip()
    return plain if plain == text else json.dumps(text, ensure_ascii=False)


def near_duplicates(terms: pd.Series) -> list[Duplicate]:
    """Terms that look like another term of the sheet, each with the term to map it to."""
    present = terms.dropna().astype(str)
    counts = present.value_counts(sort=False)
    firsts = present[~present.duplicated()]
    first_row = {str(t): int(r) for t, r in zip(firsts.tolist(), firsts.index, strict=True)}
    return near_duplicates_counted(counts, first_row)


def near_duplicates_counted(counts: pd.Series, first_row: dict[str, int]) -> list[Duplicate]:
    """:func:`near_duplicates` from the rows per distinct term and the row of its first
    appearance (summed over the pieces of an extract by the Dask engine)."""
    names = [str(term) for term in counts.index]
    groups = _Groups(len(names))
    keys = _link_equal_keys(names, groups)
    _link_initials_and_qualifiers(names, keys, groups)
    _link_near_spellings(keys, names, groups)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(names)):
        members[groups.find(i)].append(i)
    found = []
    for group in (g for g in members.values() if len(g) > 1):
        target = names[min(group, key=lambda i: _preference(names[i], int(counts.iloc[i])))]
        found += [
            Duplicate(names[i], target, why(names[i], target), int(counts.iloc[i]),
                      first_row[names[i]])
            for i in group
            if names[i] != target
        ]  # fmt: skip
    return sorted(found, key=lambda d: (d.target.casefold(), d.term.casefold()))


def _preference(term: str, count: int) -> tuple[bool, bool, int, str]:
    """CTCAE spelling first, then a written-out term, then the most rows, then alphabetical."""
    return (term.casefold() not in CTCAE_TERMS, _is_abbreviation(term), -count, term)


def duplicate_term_warnings(terms: pd.Series, sheet: str, header: str) -> list[Problem]:
    """One warning per term that looks like another, with the synonyms line that merges it."""
    return [_warning(d, sheet, header) for d in near_duplicates(terms)]


def duplicate_term_warnings_coded(
    codes: np.ndarray,
    uniques: pd.Index,
    rows: pd.Index,
    held: set[int],
    sheet: str,
    header: str,
) -> list[Problem]:
    """:func:`duplicate_term_warnings` from the column's factorization (``pd.factorize``:
    codes in order of first appearance, -1 for a blank) and its Excel ``rows``, leaving out
    the terms whose code is ``held``: counted on the codes, the rows not read again."""
    import pandas as pd

    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    # a code first appears where the running maximum of the codes grows
    firsts = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    kept = [k for k in range(len(uniques)) if k not in held]
    names = [str(uniques[k]) for k in kept]
    per_term = pd.Series(counts[kept], index=pd.Index(names, dtype=object), dtype="int64")
    excel_rows = rows.to_numpy()
    first_row = {name: int(excel_rows[firsts[k]]) for name, k in zip(names, kept, strict=True)}
    return [_warning(d, sheet, header) for d in near_duplicates_counted(per_term, first_row)]


def duplicate_term_warnings_counted(
    counts: dict[str, int], first: dict[str, tuple[str, int]], header: str
) -> list[Problem]:
    """:func:`duplicate_term_warnings` from the rows per term and the file and row of its
    first appearance (an extract read in pieces)."""
    import pandas as pd

    rows = {term: row for term, (_, row) in first.items()}
    found = near_duplicates_counted(pd.Series(counts, dtype="int64"), rows)
    return [_warning(d, first[d.term][0], header) for d in found]


def _warning(d: Duplicate, sheet: str, header: str) -> Problem:
    return Problem(
        sheet,
        d.first_row,
        header,
        d.term,
        f"looks like '{d.target}' ({d.reason}; {d.rows} row{'s' if d.rows != 1 else ''}); "
        f"if it is the same event, add under adverse_events: synonyms: {d.synonym_line}",
        severity="warning",
    )
