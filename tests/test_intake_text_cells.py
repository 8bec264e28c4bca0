"""Text rules run on the cells Arrow finds column-wide: the result is the per-cell rule's.

The finders in ``intake._text_cells`` must return every cell their rule could act on. These
tests check the character sets against Python itself over every code point, and the rules'
results, on Arrow text and on Python objects, against the per-cell functions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from defects import valid_book
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.intake._fields import FieldSpec
from cohortpress.intake._notes import NOTE_START
from cohortpress.intake._parquet import read_parquet_table
from cohortpress.intake._parse import CellContext, parse_column
from cohortpress.intake._reading import is_blank
from cohortpress.intake._table import Table, blank_cells, locate_table
from cohortpress.intake._text import ID_TRIMMED, read_id
from cohortpress.intake._text_cells import (
    CONTROLS,
    CONTROLS_REMOVED,
    EDGE_SPACE,
    NOTE_LIKE,
    NOTE_OPENINGS,
    WHITESPACE,
    note_like,
    spaced_empty_or_hidden,
    spaced_or_empty,
    visible,
)

if TYPE_CHECKING:
    from pathlib import Path

EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
# Characters that test the edges: every kind of space, near-spaces that are not (zero width
# space, Mongolian vowel separator, BOM), letters whose case folds oddly, marks and digits.
ODD = [*WHITESPACE, "\u200b", "\u180e", "\ufeff", "ſ", "İ", "ı", "K", "ß", "*", "†", "§", "¶"]
PIECES = [
    "Note", "notes:", "NOTE ", "Source", "ſource", "Abbreviations", "footnote", "Legend",
    "Remark", "comments", "N.B.", "n. b.", "nb", "RG-0001", "TH-001", "Re-1", "co", "no-1",
    "Note_1", "a", "1", "",
]  # fmt: skip
messy_text = st.lists(st.sampled_from(ODD) | st.sampled_from(PIECES), max_size=5).map("".join)
cells = st.one_of(
    messy_text,
    st.none(),
    st.just(math.nan),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _arrow(values: list[str | None]) -> pd.Series:
    return pd.Series(pd.array(values, dtype=pd.ArrowDtype(pa.string())))


def _columns(values: list[object]) -> list[pd.Series]:
    """The cells as Python objects, and as Arrow text when they are all text or missing."""
    found = [pd.Series(values, dtype=object)]
    if all(v is None or isinstance(v, str) for v in values):
        found.append(_arrow(values))  # type: ignore[arg-type]
    return found


def test_whitespace_is_what_strip_and_regular_expressions_treat_as_space() -> None:
    spaces = "".join(c for c in EVERY_CHARACTER if c.isspace())
    assert spaces == WHITESPACE
    assert "".join(re.findall(r"\s", EVERY_CHARACTER)) == WHITESPACE
    for text in (
        pa.array(list(EVERY_CHARACTER)),
        pc.binary_join_element_wise("x", pa.array(list(EVERY_CHARACTER)), ""),
    ):
        found = pc.match_substring_regex(text, EDGE_SPACE).to_pylist()
        assert found == [c.isspace() for c in EVERY_CHARACTER]  # Arrow reads the class so


@pytest.mark.parametrize("opening", [o for o in NOTE_OPENINGS if len(o) == 2])
def test_note_openings_cover_every_character_matched_ignoring_case(opening: str) -> None:
    """Each letter of an opening in any form Python's re matches it to, ignoring case."""
    for at, letter in enumerate(opening):
        if not letter.isalpha():
            continue
        variants = re.findall(re.escape(letter), EVERY_CHARACTER, re.IGNORECASE)
        texts = [opening[:at] + v + opening[at + 1 :] for v in variants]
        assert all(pc.match_substring_regex(pa.array(texts), NOTE_LIKE).to_pylist()), texts


@settings(max_examples=200, deadline=None)
@given(st.lists(messy_text, max_size=12))
def test_the_finders_keep_every_cell_their_rule_acts_on(texts: list[str]) -> None:
    for column in _columns(texts):  # type: ignore[arg-type]
        spaced = set(spaced_or_empty(column).positions.tolist())
        assert {i for i, t in enumerate(texts) if t.strip() != t or not t} <= spaced
        noted = set(note_like(column).positions.tolist())
        assert {i for i, t in enumerate(texts) if NOTE_START.match(t)} <= noted
        assert spaced_or_empty(column).texts == [texts[i] for i in sorted(spaced)]


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, max_size=12))
def test_blank_cells_are_the_cells_is_blank_finds(values: list[object]) -> None:
    for column in _columns(values):
        assert blank_cells(column).tolist() == [is_blank(v) for v in values]


def test_typed_columns_have_no_text_to_check() -> None:
    numbers = pd.Series([1.0, math.nan, 3.0])
    assert not len(spaced_or_empty(numbers).positions) and not len(note_like(numbers).positions)
    assert blank_cells(numbers).tolist() == [False, True, False]


ID_SPEC = FieldSpec("patient_id", "Patient ID", "id", True)


@settings(max_examples=200, deadline=None)
@given(st.lists(messy_text | st.none(), min_size=1, max_size=12))
def test_ids_are_trimmed_as_read_id_trims_each_cell(values: list[str | None]) -> None:
    shown = [None if v is None else visible(v) for v in values]  # as a spreadsheet shows them
    readings = [None if is_blank(v) else read_id(v) for v in shown]
    expected = [None if r is None else r.value for r in readings]
    trimmed = sum(1 for r in readings if r is not None and r.note == ID_TRIMMED)
    for column in _columns(values):  # type: ignore[arg-type]
        parsed = parse_column(column, ID_SPEC, CellContext("patients", "Patient ID"))
        assert [None if pd.isna(v) else v for v in parsed.values] == expected
        assert parsed.notes.get(ID_TRIMMED, 0) == trimmed


@settings(max_examples=150, deadline=None)
@given(st.lists(messy_text | st.none(), min_size=1, max_size=10), st.data())
def test_a_table_reads_alike_from_arrow_text_and_python_text(
    first: list[str | None], data: st.DataObject
) -> None:
    """Blank rows, note lines under and among the records, and the categories read from a
    Parquet file's Arrow text as from the same cells held as Python objects."""
    sex = data.draw(st.lists(st.sampled_from(["M", " F", "", None, "female ", "?"]), **_n(first)))
    grids = [
        pd.DataFrame({"Patient ID": column, "Sex": sex_column})
        for column, sex_column in zip(_columns(first), _columns(sex), strict=True)  # type: ignore[arg-type]
    ]
    tables = [locate_table(g, ["Patient ID", "Sex"], "patients", headed=True) for g in grids]
    python, arrow = [t for t in tables if isinstance(t, Table)]
    assert python.problems == arrow.problems and python.notes == arrow.notes
    assert list(python.frame.index) == list(arrow.frame.index)
    spec = FieldSpec("sex", "Sex", "category", False, levels=("Male", "Female"))
    parsed = [
        parse_column(t.frame["Sex"], spec, CellContext("patients", "Sex")) for t in (python, arrow)
    ]
    pd.testing.assert_series_equal(parsed[0].values, parsed[1].values)
    assert parsed[0].notes == parsed[1].notes and parsed[0].problems == parsed[1].problems


def _n(values: list[object]) -> dict[str, int]:
    return {"min_size": len(values), "max_size": len(values)}


def test_a_parquet_file_with_messy_text_reads_as_the_same_workbook_would(tmp_path: Path) -> None:
    """IDs with spaces of every kind, a blank row and a note line among the records, read
    through the Parquet reader (Arrow text) and as Python objects."""
    book = valid_book()
    ids = [" TH-001", "TH-002\u3000", "\u00a0", "Note: dose reduced", "TH-005\t", "TH-006"]
    frame = pd.DataFrame(book.patients).astype(object)
    frame["Patient ID"] = ids
    frame.loc[3, frame.columns[1:]] = None  # the note line: one cell of text
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.Table.from_pandas(frame.astype({"Sex": str}), preserve_index=False), path)
    grid = read_parquet_table(path)
    assert isinstance(grid["Patient ID"].dtype, pd.ArrowDtype)
    headers = list(frame.columns)
    arrow = locate_table(grid, headers, "patients.parquet", headed=True)
    python = locate_table(grid.astype(object), headers, "patients.parquet", headed=True)
    assert isinstance(arrow, Table) and isinstance(python, Table)
    assert arrow.problems == python.problems and arrow.notes == python.notes
    [note] = arrow.problems
    assert note.row == 5 and note.value == "Note: dose reduced" and note.severity == "error"
    parsed = parse_column(arrow.frame["Patient ID"], ID_SPEC, CellContext("p", "Patient ID"))
    assert parsed.values.tolist() == ["TH-001", "TH-002", pd.NA, "TH-005", "TH-006"]
    assert parsed.notes[ID_TRIMMED] == 3


def test_controls_are_every_control_character_but_tab_line_feed_and_return() -> None:
    controls = [c for c in EVERY_CHARACTER if unicodedata.category(c) == "Cc"]
    assert set(CONTROLS) == set(controls) - set("\t\n\r")
    assert visible("Rash\x1b[31m red\x07\x0bend\x85.") == "Rash[31m red end ."


with_controls = st.lists(
    st.sampled_from([*ODD, "\x1b", "\x00", "\x07", "\x7f", "\x9b", "\t"]) | st.sampled_from(PIECES),
    max_size=5,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(with_controls, max_size=12))
def test_the_control_finder_keeps_every_cell_visible_or_strip_changes(texts: list[str]) -> None:
    for column in _columns(texts):  # type: ignore[arg-type]
        found = set(spaced_empty_or_hidden(column).positions.tolist())
        assert {i for i, t in enumerate(texts) if visible(t).strip() != t or not t} <= found


SPECS = (
    ID_SPEC,
    FieldSpec("sex", "Sex", "category", False, levels=("Male", "Female")),
    FieldSpec("term", "Adverse event", "text", False),
    FieldSpec("age", "Age", "number", False),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(with_controls | st.none(), min_size=1, max_size=10), st.sampled_from(SPECS))
def test_a_cell_reads_as_a_spreadsheet_shows_it(values: list[str | None], spec) -> None:
    """Control characters aside, every kind of field reads a cell as its visible text, and
    the cells that held one are counted."""
    shown = [None if v is None else visible(v) for v in values]
    hidden = sum(v is not None and visible(v) != v for v in values)
    context = CellContext("patients", spec.header)
    for column, clean in zip(_columns(values), _columns(shown), strict=True):  # type: ignore[arg-type]
        parsed, expected = parse_column(column, spec, context), parse_column(clean, spec, context)
        assert parsed.values.equals(expected.values)
        assert parsed.notes.pop(CONTROLS_REMOVED, 0) == hidden
        assert parsed.notes == expected.notes
        assert [(p.row, p.rule) for p in parsed.problems] == [
            (p.row, p.rule) for p in expected.problems
        ]


@pytest.mark.parametrize("first", ["Male", ""])
def test_a_nul_character_does_not_make_two_cells_one(first: str) -> None:
    """pandas compares Python strings up to a NUL character (Excel stores one as _x0000_):
    "Male" and "Male<NUL>Female" were one distinct value, and the second cell read silently
    as Male. Found by test_a_cell_reads_as_a_spreadsheet_shows_it on ['', '\\x00']."""
    spec = FieldSpec("sex", "Sex", "category", False, levels=("Male", "Female"))
    cells = pd.Series([first, f"{first}\x00Female"], dtype=object, index=[2, 3])
    parsed = parse_column(cells, spec, CellContext("patients", "Sex"))
    assert parsed.notes[CONTROLS_REMOVED] == 1
    if first:
        assert [(p.row, p.value) for p in parsed.problems] == [(3, "MaleFemale")]
    else:
        assert parsed.values.tolist()[1] == "Female"
