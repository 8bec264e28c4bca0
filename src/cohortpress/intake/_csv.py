"""CSV files: one file per sheet, in any common encoding and with , ; tab or | between fields.

The delimiter is the one under which the most expected headers appear as whole fields.
With semicolons (how Excel writes CSV where the comma is the decimal mark), decimal commas
are read in numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from cohortpress._folding import fold
from cohortpress.errors import UnreadableInputError
from cohortpress.intake._encoding import decode

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


@dataclass(frozen=True)
class CsvGrid:
    grid: pd.DataFrame  # raw cells (text), no header, row i is line i + 1
    notes: tuple[str, ...]  # what was recognised: encoding, delimiter
    decimal_comma: bool


def read_csv_grid(path: Path, expected: Iterable[str]) -> CsvGrid:
    """The cells of a CSV file as text, one grid row per line."""
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableInputError(f"{path}: the file is empty")
    expected = list(expected)
    decoded = decode(data, expected)
    delimiter = _delimiter(decoded.text, expected)
    notes = [f"read as {decoded.note}"] if decoded.note else []
    if delimiter != ",":
        notes.append(f"fields separated by {_DELIMITER_NAMES[delimiter]}")
    return CsvGrid(_cells(decoded.text, delimiter, path), tuple(notes), delimiter == ";")


def _cells(text: str, delimiter: str, path: Path) -> pd.DataFrame:
    """Every field as text ("" when empty), one row per record.

    pandas' C parser does a registry in seconds; it needs the widest row up front, so when a
    later row is wider than the first lines (or the file is otherwise irregular) the
    standard library's reader, which accepts any shape, reads it instead.
    """
    width = max(len(row) for row in csv.reader(text[:20000].splitlines()[:60], delimiter=delimiter))
    try:
        return pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, names=range(width), dtype=str,
            na_filter=False, skip_blank_lines=False, engine="c",
        )  # fmt: skip
    except (pd.errors.ParserError, ValueError):
        pass
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableInputError(f"{path}: not a CSV text file ({exc})") from None
    return pd.DataFrame(rows, dtype=object)


def _delimiter(text: str, expected: list[str]) -> str:
    head = text[:20000].splitlines()[:60]
    keys = {fold(h) for h in expected}
    return max(DELIMITERS, key=lambda d: (_headers_found(head, d, keys), _fields(head, d)))


def _headers_found(lines: list[str], delimiter: str, keys: set[str]) -> int:
    rows = csv.reader(lines, delimiter=delimiter)
    return max((len({fold(c) for c in row} & keys) for row in rows), default=0)


def _fields(lines: list[str], delimiter: str) -> int:
    return max((line.count(delimiter) for line in lines), default=0)
