"""No identifier leaves the workbook: free text is screened for IDs, names, e-mails and phones.

The adverse event term is the one free-text field that reaches the report (Table III, the
text, results.json keys, the supplementary workbook). Each distinct term is searched once for

- a patient ID of the patients sheet or a word of a declared identifier column (names,
  initials, record numbers; study.yml ``identifiers:``), as a whole word and ignoring case.
  IDs and words shorter than :data:`MIN_LENGTH` characters are not looked for: "AB" or "7"
  would match ordinary words and numbers;
- an e-mail address, and a phone number (7 to 15 digits, optionally with +, spaces, dots,
  dashes or brackets; a date such as 2021-05-31 is not a phone number).

Texts and identifiers are compared as they read, not as they are encoded: an invisible
character (a zero-width space, a soft hyphen) is left out, and any other character outside ASCII
is transliterated (a Cyrillic а, a fullwidth Ｗ, a non-breaking hyphen read as a, W, -), on both
sides; a word's parts are also split at an underscore and where lower case turns upper
("SasakiKimiko"). The hits are cut from the text as written.

IDs and names are looked up in a set, one lookup per word of a term, so the cost grows with
the size of the data, not with the number of patients times the number of terms. When the
terms are known first (:func:`term_words`), only the IDs and names equal to one of their words
are indexed: a registry's million IDs are compared with a few dozen words once, column-wide.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from anyascii import anyascii

from cohortpress.errors import Problem
from cohortpress.intake import Normalisation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MIN_LENGTH = 3
REDACTED = "[redacted]"
PATIENT_ID = "a patient ID"
PHONE_NUMBER = "a phone number"
# Starts only where a run of its characters starts: tried at every position of a long run, it
# scanned the rest of the run each time (a 400 kB cell took minutes).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+?(?:\(\d{1,4}\)[ .-]?)?\d(?:[ .()-]{0,2}\d){5,16}(?!\w)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A word with its inner punctuation ("THY-001", "j.smith"); its parts are its runs of letters
# and digits, split at an underscore and where lower case turns upper ("Sasaki_Kimiko",
# "SasakiKimiko": Sasaki, Kimiko). Texts are matched as read (see :func:`_as_read`): ASCII.
WORD = re.compile(r"\w+(?:[^\w\s]\w+)*")
PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
MASK = "***"
# The most parts an ID or a name word is looked for with ('THY-001-b' has three): every run of
# the parts of a word is looked up, so without a bound a word of 8,000 parts took minutes.
MAX_PARTS = 12


@dataclass(frozen=True)
class Hit:
    """One identifying stretch of a text: where it is and what it looks like."""

    start: int
    end: int
    kind: str  # "a patient ID", "a name from 'Name'", "an e-mail address", "a phone number"


class IdentifierFinder:
    """Finds identifying stretches in free text, given the patients' IDs and names."""

    def __init__(
        self,
        patients: pd.DataFrame,
        identifiers: pd.DataFrame | None,
        among: frozenset[str] | None = None,
    ) -> None:
        """Index the IDs and the words of the identifier columns; with ``among`` (the case
        folded :func:`term_words` of the texts to screen), only those equal to one of them:
        no other can be found in those texts."""
        self.words: dict[str, str] = {}
        # Most parts in any ID or name word indexed, so lookups stay bounded.
        self.longest = 1
        self.among = among
        if identifiers is not None:
            for header, column in identifiers.items():
                words = _words(column.dropna().astype(str))
                self._add(words, f"a name or identifier from '{header}'")
        if "patient_id" in patients:
            ids = cast("pd.Series", patients["patient_id"])
            self._add(ids.dropna().astype(str).drop_duplicates(), PATIENT_ID)

    def _add(self, values: pd.Series, kind: str) -> None:
        """Index the values (column-wide string operations: a registry has millions)."""
        values = _read_alike(values)
        folded = values.str.casefold()
        if self.among is not None:
            keep = folded.isin(self.among).to_numpy(dtype=bool)
            values, folded = values.loc[keep], folded.loc[keep]
        long_enough = (values.str.len() >= MIN_LENGTH).to_numpy(dtype=bool)
        values, folded = values.loc[long_enough], folded.loc[long_enough]
        if values.empty:
            return
        self.words.update(dict.fromkeys(folded, kind))
        parts = int(values.str.count(PART.pattern).max())
        self.longest = max(self.longest, min(parts, MAX_PARTS))

    def hits(self, text: str) -> list[Hit]:
        """Every identifying stretch of ``text``, in order, not overlapping: found in the text
        as read (:func:`_as_read`), cut from it as written."""
        read, where = _as_read(text)
        if where is None:
            return self._hits(text)
        ends = [*where[1:], len(text)]  # a read character ends where the next one starts
        return [Hit(where[h.start], ends[h.end - 1], h.kind) for h in self._hits(read)]

    def _hits(self, text: str) -> list[Hit]:
        found = [Hit(m.start(), m.end(), "an e-mail address") for m in EMAIL.finditer(text)]
        found += [
            Hit(m.start(), m.end(), PHONE_NUMBER)
            for m in PHONE.finditer(text)
            if 7 <= sum(ch.isdigit() for ch in m.group()) <= 15 and not ISO_DATE.search(m.group())
        ]
        found += self._word_hits(text)
        return _without_overlaps(found)

    def _word_hits(self, text: str) -> list[Hit]:
        """Whole words (and runs of the parts of a word: 'THY-001' in 'THY-001-b') that are an
        ID or a name, ignoring case."""
        hits = []
        for word in WORD.finditer(text):
            parts = list(PART.finditer(word.group()))
            for i, first in enumerate(parts):
                for last in parts[i : i + self.longest]:
                    start, end = word.start() + first.start(), word.start() + last.end()
                    kind = self.words.get(text[start:end].casefold())
                    if kind is not None:
                        hits.append(Hit(start, end, kind))
        return hits


def term_words(texts: Iterable[str]) -> frozenset[str]:
    """Every run of up to :data:`MAX_PARTS` parts of every word of the texts as read, case
    folded: what an ID or name must equal to be found in one of them."""
    found: set[str] = set()
    for text in texts:
        for word in WORD.finditer(_as_read(text)[0]):
            parts = [m.span() for m in PART.finditer(word.group())]
            for i, (start, _) in enumerate(parts):
                for _, end in parts[i : i + MAX_PARTS]:
                    found.add(word.group()[start:end].casefold())
    return frozenset(found)


def _words(names: pd.Series) -> pd.Series:
    """The words of each name ('Smith, John' -> Smith, John): a term naming either is caught."""
    read = _read_alike(pd.Series(names.unique(), dtype=object).astype(str))
    words = read.str.findall(WORD.pattern).explode().dropna()
    return words.astype(str).drop_duplicates()


def _as_read(text: str) -> tuple[str, list[int] | None]:
    """``text`` as a reader sees it, in ASCII, with where each of its characters comes from
    in ``text`` (None: ``text`` is ASCII, and read as it is). An invisible character (Unicode's
    format characters: a zero-width space, a soft hyphen, a word joiner) is left out; any other
    is transliterated after NFKC (a Cyrillic а, a fullwidth Ｗ, an accented ü, a non-breaking
    hyphen read as a, W, u, -)."""
    if text.isascii():
        return text, None
    parts: list[str] = []
    where: list[int] = []
    for i, character in enumerate(text):
        if character.isascii():
            read = character
        elif unicodedata.category(character) == "Cf":
            continue
        else:
            read = anyascii(unicodedata.normalize("NFKC", character))
        parts.append(read)
        where += [i] * len(read)
    return "".join(parts), where


def _read_alike(values: pd.Series) -> pd.Series:
    """The values (text) as :func:`_as_read` reads them: those outside ASCII changed, the
    others as they are (a registry's million IDs are not copied)."""
    other = ~values.map(str.isascii).to_numpy(dtype=bool)
    if not other.any():
        return values
    text = values.astype(object)
    text.loc[other] = text.loc[other].map(lambda value: _as_read(value)[0])
    return text


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def masked(text: str, hits: list[Hit]) -> str:
    """The text with each hit cut to its first character: 'Rash, call j***'."""
    return _replace(text, hits, lambda part: part[0] + MASK)


def redacted(text: str, hits: list[Hit]) -> str:
    """The text with each hit replaced by '[redacted]'."""
    return _replace(text, hits, lambda _part: REDACTED)


def _replace(text: str, hits: list[Hit], by: Callable[[str], str]) -> str:
    out, at = [], 0
    for hit in hits:
        out += [text[at : hit.start], by(text[hit.start : hit.end])]
        at = hit.end
    return "".join([*out, text[at:]])


@dataclass(frozen=True)
class Screening:
    """What screening one free-text column found: problems (stop) or replacements (redact)."""

    problems: tuple[Problem, ...] = ()
    values: pd.Series | None = None  # the column with identifiers replaced, when redacting
    notes: tuple[Normalisation, ...] = ()


def screen_column(
    values: pd.Series,
    finder: IdentifierFinder,
    sheet: str,
    header: str,
    *,
    redact: bool,
    factorized: tuple[np.ndarray, pd.Index] | None = None,
) -> Screening:
    """Screen every distinct value of a free-text column once; locate each hit by Excel row.

    ``factorized`` is ``pd.factorize(values)`` when the caller has it already."""
    codes, uniques = pd.factorize(values) if factorized is None else factorized
    distinct = pd.Index(uniques)
    hits = {code: h for code, text in enumerate(distinct) if (h := finder.hits(str(text)))}
    if not hits:
        return Screening()
    if redact:
        return _redaction(values, codes, distinct, hits, sheet, header)
    problems = []
    held = np.flatnonzero(np.isin(codes, list(hits)))  # the rows of the terms with a hit
    rows = pd.Series(values.index[held], dtype=object).groupby(codes[held]).agg(list)
    for code, found in hits.items():
        what = " and ".join(dict.fromkeys(h.kind for h in found))
        rule = f"free text holds {what}, which must not reach the report"
        suggestion = (
            f"remove it, or set `adverse_events.identifiers: redact` in study.yml to print "
            f"{REDACTED} instead"
        )
        shown = masked(str(distinct[code]), found)
        problems += [Problem(sheet, int(r), header, shown, rule, suggestion) for r in rows[code]]
    return Screening(problems=tuple(problems))


def _redaction(
    values: pd.Series,
    codes: np.ndarray,
    distinct: pd.Index,
    hits: dict[int, list[Hit]],
    sheet: str,
    header: str,
) -> Screening:
    replaced = pd.Index(
        [redacted(str(t), hits[c]) if c in hits else t for c, t in enumerate(distinct)]
    )
    per_code = pd.Series(codes).value_counts()
    counts: dict[str, int] = {}
    for code, found in hits.items():
        for kind in dict.fromkeys(h.kind for h in found):
            counts[kind] = counts.get(kind, 0) + int(per_code.get(code, 0) or 0)
    notes = tuple(
        Normalisation(sheet, header, f"{kind} replaced by '{REDACTED}'", n)
        for kind, n in counts.items()
    )
    new = pd.Series(replaced.take(codes), index=values.index, dtype=object).where(values.notna())
    return Screening(values=new, notes=notes)


def names_masked(problems: list[Problem], finder: IdentifierFinder) -> list[Problem]:
    """The problems, with the names and e-mail addresses in their values cut to a first
    letter ('Sex' = 'T*** H***'): a name typed into another column would otherwise reach the
    terminal, ``--format json`` and the preview's page. A problem's place (sheet, row,
    column) finds the cell. Patient IDs are shown (they are the study's pseudonyms, and what
    a duplicated or unknown ID problem is about), and so are numbers (a phone number's shape
    is a count's)."""
    shown: list[Problem] = []
    for problem in problems:
        if problem.value:
            found = finder.hits(problem.value)
            hits = [h for h in found if h.kind not in (PATIENT_ID, PHONE_NUMBER)]
            if hits:
                problem = replace(problem, value=masked(problem.value, hits))
        shown.append(problem)
    return shown
