"""Note lines under a table ("Note: …", "* values from …", "Source: …") end the table.

Hospital exports put footnotes below the last patient. A trailing line is read as a note when
it cannot be a record:

- its first filled cell starts with a note word or mark (Note, Notes, Source, Abbreviations,
  Footnote, Legend, Remark, Comment, N.B., ``*``, ``†``, ``‡``, ``§``, ``¶``) and every filled
  cell is text; or
- it follows a blank row (or another note line) and holds text in one cell only, text that is
  not ID-like (it has a space in it: "Values from the 2021 extract").

Rows of the block are reported together ("rows 32–33 read as a note under the table"). A note
line with records below it is ambiguous (a stray note, or a section heading inside the table)
and is an error naming the row, never a silent skip nor a made-up patient. A row with a value
in more than one cell is a record wherever it is, also after a blank row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cohortpress.errors import Problem
from cohortpress.intake._reading import is_blank
from cohortpress.intake._text_cells import note_like

NOTE_START = re.compile(
    r"^\s*(?:(?:notes?|sources?|abbreviations?|footnotes?|legend|remarks?|comments?|n\.\s?b\.)"
    r"(?![\w-])|[*†‡§¶])",
    re.IGNORECASE,
)
TAIL_ROWS = 50  # a note block is a few lines; longer tails are read as records


def _filled(row: pd.Series) -> list[object]:
    return [cell for cell in row.tolist() if not is_blank(cell)]


def _marked(cells: list[object]) -> bool:
    """A note by its first word or mark, all text."""
    return (
        bool(cells)
        and all(isinstance(c, str) for c in cells)
        and bool(NOTE_START.match(str(cells[0])))
    )


def _loose_text(cells: list[object]) -> bool:
    """One cell of text with a space in it: not an ID, a number or a date."""
    return len(cells) == 1 and isinstance(cells[0], str) and len(cells[0].split()) > 1


def trailing_notes(
    frame: pd.DataFrame, blank: pd.Series, sheet: str, *, ends: bool = True
) -> tuple[pd.Series, list[Problem]]:
    """Rows that are not records (True): note lines under the table, reported as a warning,
    and ambiguous lines, each an error naming its row (so the build stops: nothing is lost).

    ``frame`` is the table body indexed by Excel row, ``blank`` its blank rows. Where the
    frame does not end the table (a piece of a file), its last lines are no table's last:
    only the note lines with records below them are looked for.
    """
    skip = pd.Series(False, index=frame.index)
    filled_rows = np.flatnonzero(~blank.to_numpy())
    if not filled_rows.size:
        return skip, []
    if not ends:
        problems = _notes_among_records(frame, blank, skip, sheet)
        return _among_rows(problems, frame.index), problems
    run: list[int] = []  # the trailing lines that could be notes, bottom up
    for position in filled_rows[::-1][:TAIL_ROWS]:
        cells = _filled(frame.iloc[position])
        if not (_marked(cells) or _loose_text(cells)):
            break
        run.append(int(position))
    run.reverse()
    start = next(
        (
            i
            for i, at in enumerate(run)
            if _marked(_filled(frame.iloc[at])) or _after_gap(blank, at)
        ),
        len(run),
    )
    block, loose = run[start:], run[:start]  # loose: text lines right under the last record
    skip.iloc[block + loose] = True
    problems = _report(frame.index[block], sheet)
    problems += [_loose_line(frame, at, sheet) for at in loose]
    problems += _notes_among_records(frame, blank, skip, sheet)
    return skip | _among_rows(problems, frame.index), problems


def _after_gap(blank: pd.Series, position: int) -> bool:
    return position > 0 and bool(blank.iloc[position - 1])


def _among_rows(problems: list[Problem], index: pd.Index) -> pd.Series:
    rows = {p.row for p in problems if p.severity == "error"}
    return pd.Series(index.isin(list(rows)), index=index)


def _loose_line(frame: pd.DataFrame, position: int, sheet: str) -> Problem:
    """A line of text right under the last record: a note, or a record with one cell filled?"""
    return Problem(
        sheet,
        int(frame.index[position]),
        None,
        str(_filled(frame.iloc[position])[0])[:60],
        "a line of text directly under the last record, in one cell: is it a note or a record?",
        "for a note, leave a blank row above it or start it with 'Note:'; for a record, fill "
        "in its other cells",
    )


def _report(rows: pd.Index, sheet: str) -> list[Problem]:
    if not len(rows):
        return []
    first, last = int(rows[0]), int(rows[-1])
    span = f"row {first}" if first == last else f"rows {first}–{last}"
    gaps = last - first + 1 - len(rows)
    span += f" (with {gaps} blank row{'s' if gaps > 1 else ''})" if gaps else ""
    return [
        Problem(
            sheet,
            first,
            None,
            None,
            f"{span} read as a note under the table, not as records",
            severity="warning",
        )
    ]


def _notes_among_records(
    frame: pd.DataFrame, blank: pd.Series, notes: pd.Series, sheet: str
) -> list[Problem]:
    """Marked note lines with records below them: an error at each, not a guess."""
    if frame.empty:
        return []
    first = frame.iloc[:, 0]
    starts = np.zeros(len(first), dtype=bool)
    for position, text in note_like(first).pairs():
        starts[position] = NOTE_START.match(text) is not None
    candidates = starts & ~notes.to_numpy() & ~blank.to_numpy()
    problems = []
    for row in frame.index[candidates]:
        if _marked(_filled(frame.loc[row])):
            problems.append(
                Problem(
                    sheet,
                    int(row),
                    None,
                    str(first.loc[row])[:60],
                    "a note line with records below it: is it a note or a record?",
                    "move the note below the last record (it is then read as a note), or delete it",
                )
            )
    return problems
