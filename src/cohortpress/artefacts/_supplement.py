"""The supplementary workbook: one sheet per table, cells that cannot run as formulas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.artefacts.tables import Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP CSV rule)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_supplement(tables: list[Table], path: Path) -> Path:
    """Write each table's printed content to its own sheet."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for table in tables:
            frame = table.frame.rename(columns=table.column_labels).map(neutralise)
            frame.columns = [str(neutralise(c)) or "Variable" for c in frame.columns]
            frame.to_excel(writer, sheet_name=table.sheet[:31] or table.id[:31], index=False)
            sheet = writer.sheets[table.sheet[:31] or table.id[:31]]
            sheet.cell(row=len(frame) + 3, column=1, value=str(neutralise(table.caption)))
            for i, note in enumerate(table.notes):
                sheet.cell(row=len(frame) + 4 + i, column=1, value=str(neutralise(note)))
    return path
