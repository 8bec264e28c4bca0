"""What a sheet's file says beyond the values calamine reads, found by each format's reader
(``_sheet_xml`` for .xlsx, ``_ods_xml`` for .ods, ``_xlsb`` for .xlsb) and applied to the grid
by ``_excel``."""

from __future__ import annotations

from dataclasses import dataclass, field

from cohortpress.intake._reading import UnsavedFormula

Unread = str | UnsavedFormula  # an error cell's text (#DIV/0!), or a formula with no result

# Excel's error values by their code in its binary formats (.xls, .xlsb)
ERROR_TEXT = {
    0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
    0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA",
}  # fmt: skip


@dataclass
class SheetMarks:
    """Located as calamine's grid is: 0-based row and column, from A1."""

    unread: dict[tuple[int, int], Unread] = field(default_factory=dict)  # read as empty
    percent_cells: list[tuple[int, int]] = field(default_factory=list)
    # Ranges merged down one column: (the range as Excel writes it, column, first, last row)
    merged_down: list[tuple[str, int, int, int]] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)  # Excel-style numbers, from 1
    hidden_columns: set[int] = field(default_factory=set)  # 0-based
