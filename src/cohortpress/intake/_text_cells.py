"""Find, over a whole column at once, the text cells a per-cell rule could act on.

A registry's text columns hold millions of cells, nearly all clean. The rules that read text
(trimming an ID, a blank cell, a note line) stay the per-cell Python rules; the finders here
search the column in C, with Arrow's regular expressions, for the few cells such a rule could
change, so the rule runs on those only. Each finder is a superset of the cells its rule acts
on: a cell it leaves out is one the rule would leave as it is (tests check this for every
whitespace character and every character a note may start with).

A column typed as numbers or dates holds no text and has no candidates. Text that Arrow
cannot hold (a lone surrogate) makes every text cell a candidate: slower, never different.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from collections.abc import Iterator

# What str.strip() removes and re's \s matches: the characters for which str.isspace() holds.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# How a note line can begin, after spaces: the first two letters of each note word, each
# letter with every character Python's regular expressions match to it ignoring case (the
# long s for "s"), "n." of N.B., and the marks (see ``_notes.NOTE_START``).
NOTE_OPENINGS = ("no", "so", "ab", "fo", "le", "re", "co", "n.", "*", "†", "‡", "§", "¶")
CASE_VARIANTS = {"s": "sSſ"}  # letters matched, ignoring case, by more than their capital


def _class(characters: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in characters) + "]"


def _ignoring_case(opening: str) -> str:
    return "".join(
        _class(CASE_VARIANTS.get(c, c + c.upper() if c.isalpha() else c)) for c in opening
    )


# The control characters but tab, line feed and carriage return: no one types them, a
# spreadsheet does not show them, and pasted in from elsewhere (a terminal's colour codes, a
# bell) they would reach the documents and the terminal. Those that Python counts as
# whitespace read as a space, the others as nothing: the cell reads as it looks.
CONTROLS = "".join(map(chr, (*range(0x20), 0x7F, *range(0x80, 0xA0)))).translate(
    dict.fromkeys(map(ord, "\t\n\r"))
)
_VISIBLE = {ord(c): " " if c.isspace() else None for c in CONTROLS}
CONTROLS_REMOVED = "control characters (not shown by spreadsheets) removed"


def visible(text: str) -> str:
    """``text`` as a spreadsheet shows it: its control characters removed (see CONTROLS)."""
    return text.translate(_VISIBLE)


_SPACE = _class(WHITESPACE)
EDGE_SPACE = f"^$|^{_SPACE}|{_SPACE}$"  # empty, or a space at either end: strip() acts
NOTE_LIKE = f"^{_SPACE}*(?:{'|'.join(map(_ignoring_case, NOTE_OPENINGS))})"  # see NOTE_START


@dataclass(frozen=True)
class TextCells:
    """Cells found in a column: their positions and their text."""

    positions: np.ndarray
    texts: list[str]

    def pairs(self) -> Iterator[tuple[int, str]]:
        return zip(self.positions.tolist(), self.texts, strict=True)


def holds_text(column: pd.Series) -> bool:
    """True for a column whose cells may be text: Python objects, or Arrow strings."""
    return column.dtype == object or _arrow_string(column)


def all_text(column: pd.Series) -> bool:
    """True when every filled cell is text (a column of IDs or words, as Parquet and CSV
    give them); one pass in C."""
    if _arrow_string(column):
        return bool(column.notna().any())
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "string"


def spaced_empty_or_hidden(column: pd.Series) -> TextCells:
    """Text cells that ``visible(text).strip()`` changes: those :func:`spaced_or_empty` finds,
    and those holding a control character."""
    return _find(column, f"{EDGE_SPACE}|{_class(CONTROLS)}")


def spaced_or_empty(column: pd.Series) -> TextCells:
    """Text cells that are empty or begin or end with whitespace: the cells ``strip`` changes."""
    return _find(column, EDGE_SPACE)


def note_like(column: pd.Series) -> TextCells:
    """Text cells whose first character after any spaces may begin a note line."""
    return _find(column, NOTE_LIKE)


def encoded_text(column: pd.Series, positions: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
    """For an Arrow-backed text column, the cells at ``positions`` as codes into their
    distinct values (in order of first appearance; -1 for a missing cell), found in C without
    a Python string per cell; None for any other column."""
    if not _arrow_string(column):
        return None
    text = _chunks(column)
    if len(positions) < len(column):
        text = text.take(pa.array(positions))
    distinct = text.unique().drop_null()
    lookup = pc.SetLookupOptions(value_set=distinct, skip_nulls=True)
    codes = pc.call_function("index_in", [text], lookup).fill_null(-1)
    return codes.to_numpy(zero_copy_only=False).astype(np.intp), distinct.to_pylist()


def python_cells(column: pd.Series) -> np.ndarray:
    """The cells as Python objects, a missing cell None; equal Arrow strings become one
    Python string, as pandas' own reading of a Parquet file shares them."""
    if _arrow_string(column):
        return _chunks(column).to_pandas(deduplicate_objects=True).to_numpy(dtype=object)
    cells = column.to_numpy(dtype=object, copy=True)
    cells[column.isna().to_numpy()] = None
    return cells


def _chunks(column: pd.Series) -> pa.ChunkedArray:
    """The Arrow data under an Arrow-backed column, without a copy."""
    data = pa.array(column.array)  # pandas hands over its chunked array
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def _arrow_string(column: pd.Series) -> bool:
    dtype = column.dtype
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )


def _find(column: pd.Series, pattern: str) -> TextCells:
    if _arrow_string(column):
        text: pa.Array | pa.ChunkedArray = _chunks(column)
    elif column.dtype == object:
        converted = _object_text(column)
        if converted is None:
            return _every_text_cell(column)
        text = converted
    else:
        return TextCells(np.array([], dtype=np.intp), [])
    # match_substring_regex, called by name: pyarrow makes its functions at import time
    options = pc.MatchSubstringOptions(pattern)
    hits = pc.call_function("match_substring_regex", [text], options).fill_null(False)
    positions = np.flatnonzero(hits.to_numpy(zero_copy_only=False))
    return TextCells(positions, text.take(pa.array(positions)).to_pylist())


def _object_text(column: pd.Series) -> pa.Array | None:
    """The text cells of an object column as Arrow text (other cells null), or None when
    Arrow cannot hold them."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    values = column if kind == "string" else column.where(_is_text(column))
    try:
        return pa.array(values.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):
        return None


def _every_text_cell(column: pd.Series) -> TextCells:
    positions = np.flatnonzero(_is_text(column))
    cells = column.to_numpy(dtype=object)[positions]
    return TextCells(positions, [str(cell) for cell in cells])


def _is_text(column: pd.Series) -> np.ndarray:
    return column.map(lambda value: isinstance(value, str)).to_numpy(dtype=bool)
