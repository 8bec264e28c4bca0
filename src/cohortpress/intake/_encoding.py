"""Decode a text file whose encoding nobody wrote down.

UTF-8 (with or without a byte-order mark) and UTF-16 with a mark are recognised directly.
Otherwise each legacy encoding that decodes the bytes is scored: first by how many of the
headers the study expects appear in the text, then by how few signs of mis-decoding it shows
(runs of accented Latin letters where Japanese was meant; half-width katakana where an
accented letter was meant). Western Windows (cp1252) wins a tie, then Japanese (cp932).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress._folding import fold

if TYPE_CHECKING:
    from collections.abc import Iterable

LEGACY = ("cp1252", "cp932", "latin-1")
_NAMES = {
    "cp1252": "Windows Western (cp1252)",
    "cp932": "Japanese Shift_JIS (cp932)",
    "latin-1": "Latin-1",
}
_LATIN_RUN = re.compile(r"[\u0080-\u00ff\u0152-\u0178\u0192\u02c6-\u02dc\u2013-\u2122]{2}")
_HALF_WIDTH_KANA = re.compile(r"[\uff61-\uff9f]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # a Python codec name
    note: str | None  # what was recognised, for the normalisation record (None for UTF-8)


def decode(data: bytes, expected: Iterable[str]) -> Decoded:
    """The text of ``data`` in its most likely encoding."""
    if data.startswith(codecs.BOM_UTF8):
        text = data.decode("utf-8-sig", "replace")
        return Decoded(text, "utf-8-sig", "UTF-8 text with a byte-order mark")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Decoded(data.decode("utf-16", "replace"), "utf-16", "UTF-16 text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", None)
    except UnicodeDecodeError:
        pass
    keys = [fold(h) for h in expected]
    candidates = [(enc, text) for enc in LEGACY if (text := _try(data, enc)) is not None]
    best = max(candidates, key=lambda c: (_found(c[1], keys), -_garbled(c[0], c[1])))
    return Decoded(best[1], best[0], f"{_NAMES[best[0]]} text encoding")


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _found(text: str, keys: list[str]) -> int:
    folded = fold(text[:20000])
    return sum(key in folded for key in keys)


def _garbled(encoding: str, text: str) -> int:
    if encoding == "cp932":
        return len(_HALF_WIDTH_KANA.findall(text))
    return len(_LATIN_RUN.findall(text))
