"""Match the sheet's headers to the study's fields and keep only those columns.

A header matches its field when it is written as study.yml says, or differs only in case or
spacing (recorded). Columns no field names, such as a "Name" column, are dropped here and
never reach later stages.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress.errors import Problem
from cohortpress.intake._table import header_key
from cohortpress.intake._workbook import Normalisation

if TYPE_CHECKING:
    import pandas as pd

    from cohortpress.intake._fields import FieldSpec


@dataclass(frozen=True)
class Selection:
    """The matched columns, renamed to canonical fields, and the header each came from."""

    cells: pd.DataFrame
    headers: dict[str, str]  # canonical field -> header as written
    notes: tuple[Normalisation, ...]
    problems: tuple[Problem, ...]


def select_columns(frame: pd.DataFrame, specs: list[FieldSpec], sheet: str) -> Selection:
    """The fields found in ``frame``; a field study.yml names but the sheet lacks is a problem."""
    by_key = {header_key(str(h)): str(h) for h in frame.columns}
    headers: dict[str, str] = {}
    notes: list[Normalisation] = []
    problems: list[Problem] = []
    for spec in specs:
        found = by_key.get(header_key(spec.header))
        if found is None:
            if spec.declared:
                problems.append(
                    _missing_column(spec, set(by_key.values()) - set(headers.values()), sheet)
                )
            continue
        headers[spec.name] = found
        if found != spec.header:
            rule = f"header matched to '{spec.header}' in study.yml (case, spacing or width differ)"
            notes.append(Normalisation(sheet, found, rule, 1))
    cells = frame.loc[:, list(headers.values())]
    cells.columns = list(headers)  # in place: a registry's cells are copied once
    return Selection(cells, headers, tuple(notes), tuple(problems))


def _missing_column(spec: FieldSpec, unused: set[str], sheet: str) -> Problem:
    close = difflib.get_close_matches(spec.header, sorted(unused), n=1, cutoff=0.6)
    suggestion = f"did you mean '{close[0]}'?" if close else "check `columns:` in study.yml"
    return Problem(sheet, None, spec.header, None, "no column with this header", suggestion)
