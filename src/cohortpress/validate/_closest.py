"""The closest known text to a word, as ``difflib.get_close_matches(word, known, n=1)`` finds
it, among a registry's million patient IDs.

difflib compares the word with every known text in turn, in Python: tens of seconds per word
at a million IDs. Its own bound is used here, column-wide: a text's similarity ratio is at
most its ``quick_ratio`` (the letters the two share, counted with repeats, over their total
length), computed for every known text at once from arrays of its characters. The ratio
proper is then computed, by difflib, in order of decreasing bound, until no text left can
reach the best ratio found: the answer is difflib's, the highest ratio then the greatest text.
"""

from __future__ import annotations

import difflib
from collections import Counter
from typing import Any

import numpy as np


class ClosestText:
    """The known texts, as arrays of character codes by length, ready for many words."""

    def __init__(self, known: list[str]) -> None:
        by_length: dict[int, list[str]] = {}
        for text in dict.fromkeys(known):
            by_length.setdefault(len(text), []).append(text)
        # one array per length: each row a text's character codes (a 2-D view, no padding)
        self.groups = [
            (length, texts, _codes(texts, length)) for length, texts in by_length.items()
        ]

    def closest(self, word: str, cutoff: float = 0.6) -> str | None:
        """``difflib.get_close_matches(word, known, n=1, cutoff=cutoff)``, or None."""
        counts = Counter(word)
        bounds: list[np.ndarray] = []
        texts: list[str] = []
        for length, group, codes in self.groups:
            total = length + len(word)
            if _ratio(min(length, len(word)), total) < cutoff:
                continue  # difflib's real_quick_ratio: the lengths alone rule them out
            shared = np.zeros(len(group), dtype=np.int64)
            for char, n in counts.items():
                shared += np.minimum((codes == ord(char)).sum(axis=1), n)
            quick = _ratio(shared, total)  # difflib's quick_ratio
            keep = np.flatnonzero(quick >= cutoff)
            bounds.append(quick[keep])
            texts += [group[i] for i in keep]
        if not texts:
            return None
        bound = np.concatenate(bounds)
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] | None = None
        for i in np.argsort(-bound, kind="stable"):
            if best is not None and bound[i] < best[0]:
                break  # no text left can reach the best ratio (nor tie it)
            matcher.set_seq1(texts[i])
            ratio = matcher.ratio()
            if ratio >= cutoff and (best is None or (ratio, texts[i]) > best):
                best = (ratio, texts[i])
        return best[1] if best else None


def _codes(texts: list[str], length: int) -> np.ndarray:
    """The texts (all ``length`` characters long) as rows of character codes."""
    if not length:
        return np.zeros((len(texts), 0), dtype=np.uint32)
    return np.array(texts, dtype=f"<U{length}").view(np.uint32).reshape(len(texts), length)


def _ratio(matches: Any, total: int) -> Any:
    """difflib's ratio of ``matches`` (a count, or an array of counts) to a total length:
    computed as difflib computes it, 1 for two empty texts."""
    return 2.0 * matches / total if total else matches * 0 + 1.0
