"""Read one sheet: locate its table, keep the study's columns and type every cell."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.errors import Problem
from cohortpress.intake._columns import select_columns
from cohortpress.intake._fields import IDENTIFIER_PREFIX
from cohortpress.intake._parse import CellContext, parse_column
from cohortpress.intake._table import header_text, locate_table
from cohortpress.intake._workbook import Normalisation

if TYPE_CHECKING:
    from cohortpress.intake._dates import DateSettings
    from cohortpress.intake._fields import FieldSpec
    from cohortpress.intake._sources import RawSheet


HIDDEN_ROW = "the row is hidden in the workbook, and read like every other row"
HIDDEN_ROW_HINT = (
    "to leave a patient out, exclude them by a rule under inclusion: in study.yml, which "
    "counts them in the patient flow; delete a row that is not data"
)


HIDDEN_COLUMN = "the column is hidden in the workbook, and read like every other column"
HIDDEN_COLUMN_HINT = (
    "check that this is the column to read; if another holds the values now, name its header "
    "under columns: in study.yml, or delete the old column"
)


@dataclass
class SheetResult:
    """A typed sheet with canonical columns, and everything noticed while reading it."""

    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)
    notes: list[Normalisation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_sheet(raw: RawSheet, specs: list[FieldSpec], dates: DateSettings) -> SheetResult:
    """The sheet's fields, typed; an unreadable cell is missing here and listed as a problem."""
    table = locate_table(
        raw.grid, [s.header for s in specs], raw.name,
        headed=raw.headed, first_row=raw.first_row, ends=raw.ends,
    )  # fmt: skip
    if isinstance(table, Problem):
        return SheetResult(_empty(specs), problems=[table])
    selection = select_columns(table.frame, specs, raw.name)
    result = SheetResult(
        pd.DataFrame(index=selection.cells.index.rename("row")),
        dict(selection.headers),
        [*table.notes, *selection.notes],
        [*table.problems, *selection.problems],
    )
    for spec in specs:
        if spec.name in selection.headers:
            _add_column(result, selection.cells.loc[:, spec.name], spec, raw, dates)
    result.problems += _hidden_records(raw, result.frame.index)
    result.problems += _hidden_fields(raw, table.header_row, result.headers)
    return result


def _hidden_fields(raw: RawSheet, header_row: int, headers: dict[str, str]) -> list[Problem]:
    """A warning for each column the study reads that is hidden in the workbook: an old
    column hidden beside its replacement is still the one whose header study.yml names."""
    if not raw.hidden_columns:
        return []
    written = [header_text(cell) for cell in raw.grid.iloc[header_row - 1]]
    return [
        Problem(raw.name, None, header, None, HIDDEN_COLUMN, HIDDEN_COLUMN_HINT, severity="warning")
        for name, header in headers.items()
        if not name.startswith(IDENTIFIER_PREFIX)  # names, MRNs: often hidden, never in outputs
        and header in written
        and written.index(header) in raw.hidden_columns
    ]


def _hidden_records(raw: RawSheet, rows: pd.Index) -> list[Problem]:
    """A warning for each record hidden in the workbook: read like every other, though its
    author may have hidden it to leave it out."""
    if not raw.hidden_rows:
        return []
    return [
        Problem(raw.name, int(row), None, None, HIDDEN_ROW, HIDDEN_ROW_HINT, severity="warning")
        for row in rows
        if int(row) in raw.hidden_rows
    ]


def empty_sheet(specs: list[FieldSpec]) -> SheetResult:
    """The result for a sheet the study does not use or the input does not have."""
    return SheetResult(_empty(specs))


def _add_column(
    result: SheetResult, cells: pd.Series, spec: FieldSpec, raw: RawSheet, dates: DateSettings
) -> None:
    header = result.headers[spec.name]
    context = CellContext(raw.name, header, dates, raw.decimal_comma, raw.text_file)
    parsed = parse_column(cells, spec, context)
    result.frame[spec.name] = parsed.values
    result.problems.extend(parsed.problems)
    result.notes.extend(Normalisation(raw.name, header, r, n) for r, n in parsed.notes.items())


def _empty(specs: list[FieldSpec]) -> pd.DataFrame:
    return pd.DataFrame({s.name: pd.Series(dtype="object") for s in specs}).rename_axis("row")
