"""Find the table in a sheet: the header row (below any title block) and its data rows.

The header row is the row, among the first rows of the sheet, that holds the most of the
headers the study expects. Rows above it (a title block), blank rows and note lines under the
table (see ``_notes``) are skipped; a row of units under the header is an error (see
``_units_row``); the data keep their Excel row numbers as the index.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress._folding import fold
from cohortpress.errors import Problem
from cohortpress.intake._notes import trailing_notes
from cohortpress.intake._reading import is_blank
from cohortpress.intake._text_cells import holds_text, spaced_or_empty, visible
from cohortpress.intake._units_row import units_row
from cohortpress.intake._workbook import Normalisation

if TYPE_CHECKING:
    from collections.abc import Iterable

HEADER_SEARCH_ROWS = 50


@dataclass(frozen=True)
class Table:
    """The data rows of a sheet, headed by the header text as written, indexed by Excel row."""

    frame: pd.DataFrame
    header_row: int  # Excel row number of the header
    notes: tuple[Normalisation, ...] = ()
    problems: tuple[Problem, ...] = ()


def header_text(cell: object) -> str | None:
    """A header cell with runs of spaces and line breaks made single spaces, and no control
    characters (:func:`visible`)."""
    return None if is_blank(cell) else " ".join(visible(str(cell)).split()) or None


def header_key(text: str) -> str:
    """The form headers are compared in: spacing, case and full-width forms ignored."""
    return fold(text)


def locate_table(
    grid: pd.DataFrame,
    expected: Iterable[str],
    sheet: str,
    *,
    headed: bool = False,
    first_row: int = 2,
    ends: bool = True,
) -> Table | Problem:
    """The table in ``grid`` (cells as read, no header), or a problem if no header row is found.

    A ``headed`` grid (a parquet file) already has its header as column names: row 1, and its
    first row is ``first_row`` (a piece of a file starts further down). A row of units under
    the header is looked for where the grid starts right under it, note lines under the table
    where the grid ``ends`` it (a piece of a file may do neither).
    """
    expected_keys = {header_key(h) for h in expected}
    if headed:
        body = grid.copy(deep=False)  # new labels on the same columns: a registry is not copied
        body.columns = pd.RangeIndex(grid.shape[1])
        body.index = pd.RangeIndex(first_row, first_row + len(grid))
        headers = [header_text(c) for c in grid.columns]
        starts = first_row == 2  # right under the header (row 1)
        return _table(body, headers, 1, sheet, expected_keys, starts=starts, ends=ends)
    if grid.empty:
        return Problem(sheet, None, None, None, "the sheet is empty")
    grid = grid.reset_index(drop=True)
    header_at = _header_position(grid, expected_keys)
    if header_at is None:
        return Problem(
            sheet,
            None,
            None,
            None,
            f"no header row found: none of the headers study.yml names is in the first "
            f"{HEADER_SEARCH_ROWS} rows",
            "check the sheet name and the column headers under `columns:` in study.yml",
        )
    headers = [header_text(cell) for cell in grid.iloc[header_at]]
    body = grid.iloc[header_at + 1 :]
    body.index = body.index + 1  # 0-based position -> Excel row number
    return _table(body, headers, header_at + 1, sheet, expected_keys, ends=ends)


def blank_cells(column: pd.Series) -> pd.Series:
    """True for empty cells: missing, or text of only spaces (``is_blank``, asked only of the
    text cells that are empty or have a space at an end)."""
    blank = column.isna().to_numpy(dtype=bool, copy=True)
    if holds_text(column):  # typed (parquet numbers, dates): only missing values are blank
        for position, text in spaced_or_empty(column).pairs():
            blank[position] = is_blank(text)
    return pd.Series(blank, index=column.index)


def _header_position(grid: pd.DataFrame, expected: set[str]) -> int | None:
    best, best_score = None, 0
    for position, row in grid.head(HEADER_SEARCH_ROWS).iterrows():
        found = {header_key(t) for t in map(header_text, row) if t is not None}
        score = len(found & expected)
        if score > best_score:
            best, best_score = int(position), score  # type: ignore[call-overload]
    return best


def _table(
    body: pd.DataFrame,
    headers: list[str | None],
    header_row: int,
    sheet: str,
    expected: set[str],
    *,
    starts: bool = True,
    ends: bool = True,
) -> Table:
    keep = [i for i, h in enumerate(headers) if h is not None]
    frame = body.iloc[:, keep] if len(keep) < body.shape[1] else body.copy(deep=False)
    frame.columns = names = [str(headers[i]) for i in keep]
    blank = _blank_rows(frame)
    notes = []
    if header_row > 1:
        notes.append(
            Normalisation(sheet, None, "rows above the header row skipped", header_row - 1)
        )
    if blank.any():
        notes.append(Normalisation(sheet, None, "blank rows skipped", int(blank.sum())))
    problems = _duplicate_headers(names, expected, sheet)
    no_rows = pd.Series(False, index=frame.index)
    units, unit_problems = units_row(frame, blank, sheet) if starts else (no_rows, [])
    not_records, note_problems = trailing_notes(frame, blank | units, sheet, ends=ends)
    problems += unit_problems + note_problems
    keep_rows = ~blank & ~not_records & ~units
    first_of_header = ~pd.Index([header_key(n) for n in names]).duplicated()
    if not first_of_header.all():
        frame = frame.loc[:, first_of_header]
    if not keep_rows.all():  # else every row is a record: no copy of the table
        frame = frame.loc[keep_rows]
    return Table(frame, header_row, tuple(notes), tuple(problems))


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """True for rows whose every cell is blank.

    Columns are checked one after the other on the rows still blank so far: after the first
    filled column few are left, so a registry's sheet costs about one column's check.
    """
    blank = np.ones(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        candidates = np.flatnonzero(blank)
        if not candidates.size:
            break
        column = frame.iloc[:, position]
        if candidates.size < len(frame):  # else every row: the column as it is, not a copy
            column = column.iloc[candidates]
        blank[candidates] = blank_cells(column).to_numpy()
    return pd.Series(blank, index=frame.index)


def _duplicate_headers(headers: list[str], expected: set[str], sheet: str) -> list[Problem]:
    counts = Counter(header_key(h) for h in headers)
    return [
        Problem(
            sheet,
            None,
            header,
            None,
            f"{counts[header_key(header)]} columns have this header; only the first is read",
            "give each column its own header",
        )
        for header in dict.fromkeys(headers)
        if counts[header_key(header)] > 1 and header_key(header) in expected
    ]
