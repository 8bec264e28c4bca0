"""The supplementary workbook: one sheet per table; nothing in it can run as a formula."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pandas as pd

from cohortpress.artefacts._supplement import neutralise, write_supplement
from cohortpress.artefacts.tables import Table


def test_formula_like_text_is_neutralised() -> None:
    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise("+1") == "'+1"
    assert neutralise("-30%") == "'-30%"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("74 (53–86)") == "74 (53–86)"
    assert neutralise(3) == 3


def test_each_table_is_a_sheet_with_caption_and_notes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Variable": ["Age", "=cmd|' /C calc'!A0"], "Total": ["74 (53–86)", "1"]})
    table = Table("t", "Caption.", frame, notes=("A note.",))
    path = write_supplement([table], tmp_path / "s.xlsx", {"t": "Table I"})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Table I"]
    cells = [c.value for row in book["Table I"].iter_rows() for c in row if c.value is not None]
    assert "Caption." in cells and "A note." in cells
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in cells)
    assert all(c.data_type != "f" for row in book["Table I"].iter_rows() for c in row)


def test_same_tables_give_the_same_bytes(tmp_path: Path) -> None:
    """No clock in the file: an unchanged report leaves an unchanged workbook."""
    frame = pd.DataFrame({"Variable": ["Age"], "Total": ["74 (53–86)"]})
    table = Table("t", "Caption.", frame, notes=())
    first = write_supplement([table], tmp_path / "a.xlsx", {"t": "Table I"}).read_bytes()
    time.sleep(2.1)  # zip times have two-second resolution
    second = write_supplement([table], tmp_path / "b.xlsx", {"t": "Table I"}).read_bytes()
    assert first == second
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert book.properties.created == book.properties.modified
    assert book["Table I"]["B2"].value == "74 (53–86)"
