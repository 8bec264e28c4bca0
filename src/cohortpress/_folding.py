"""How a workbook's words are compared, in a module of its own so that study.yml's checks
(``config``) and the workbook's reading (``intake``) share it without config importing pandas."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """The form in which headers and words are compared: Unicode-normalised (NFKC, so
    full-width "Ｙｅｓ" is "Yes" and the micro sign is μ), case-folded, spacing collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def cell_key(text: str) -> str:
    """The form a cell is matched to a declared level in: folded, ``_`` and ``-`` as spaces.
    Two levels with one key could not both be read: every cell would be taken as one of them."""
    return fold(re.sub(r"[_-]", " ", text))
