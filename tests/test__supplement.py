"""The supplementary workbook: one sheet per table; nothing in it can run as a formula."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cohortpress.artefacts._supplement import formula_like, write_supplement
from cohortpress.artefacts.tables import Table
from cohortpress.errors import RenderError


def test_formula_like_text_is_told() -> None:
    for text in ('=HYPERLINK("http://x")', "+1", "-30%", "@SUM(A1)", "\t=Y5"):
        assert formula_like(text)
    assert not formula_like("74 (53–86)") and not formula_like(3)


def test_formula_like_text_is_stored_as_printed_and_kept_text(tmp_path: Path) -> None:
    """An apostrophe was written into such text ("'- S32 list"), and Excel printed it; the
    quote prefix is Excel's own mark for text that must stay text when the cell is edited."""
    texts = ['=HYPERLINK("http://x")', "- S32 list", "@SUM(A1)", "+1"]
    frame = pd.DataFrame({"Variable": texts, "n": ["1"] * len(texts)})
    path = write_supplement([Table("t", "Caption.", frame)], tmp_path / "s.xlsx", {})
    sheet = openpyxl.load_workbook(path)["t"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 2 + len(texts))]
    assert [c.value for c in cells] == texts
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert not sheet["B2"].quotePrefix


def test_each_table_is_a_sheet_with_caption_and_notes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Variable": ["Age", "=cmd|' /C calc'!A0"], "Total": ["74 (53–86)", "1"]})
    table = Table("t", "Caption.", frame, notes=("A note.",))
    path = write_supplement([table], tmp_path / "s.xlsx", {"t": "Table I"})
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Table I"]
    cells = [c.value for row in book["Table I"].iter_rows() for c in row if c.value is not None]
    assert "Caption." in cells and "A note." in cells
    assert "=cmd|' /C calc'!A0" in cells  # text, as printed, marked as text
    assert book["Table I"]["A3"].quotePrefix
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


def test_labels_bold_numbers_as_numbers_missing_cells_blank(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Variable": ["Age", "Weight"], "n": [26, float("nan")], "x": ["", "y"]})
    table = Table("t", "Caption.", frame, column_labels={"Variable": "", "x": "=Label"})
    sheet = openpyxl.load_workbook(write_supplement([table], tmp_path / "s.xlsx", {}))["t"]
    assert [c.value for c in sheet[1]] == ["Variable", "n", "=Label"]
    assert sheet["C1"].quotePrefix and sheet["C1"].font.b
    assert all(c.font.b for c in sheet[1])
    assert sheet["B2"].value == 26 and sheet["B2"].data_type == "n"
    assert sheet["B3"].value is None and sheet["C2"].value is None
    assert sheet["A5"].value == "Caption."


def test_text_longer_than_a_cell_stops_the_run_instead_of_being_cut(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Variable": ["Rash " + "x" * 40_000], "n": ["1"]})
    with pytest.raises(RenderError, match=r"sheet 'Table S3', row 2, column 1.*32,767"):
        write_supplement([Table("ae", "AEs.", frame)], tmp_path / "s.xlsx", {"ae": "Table S3"})
