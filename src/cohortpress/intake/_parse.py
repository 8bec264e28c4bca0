"""Turn one column of raw cells into typed values, a tally of normalisations and problems.

Each distinct raw value is read once, so a registry-sized sheet costs one reading per
distinct value, not per cell. Problems are sorted later, by validation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.errors import Problem
from cohortpress.intake._categories import lookup_for, read_category
from cohortpress.intake._dates import DateSettings, read_date
from cohortpress.intake._numbers import read_grade, read_number
from cohortpress.intake._reading import Reading, cell_text, is_blank, missing_or_error
from cohortpress.intake._text import merge_case_variants, read_id, read_term

if TYPE_CHECKING:
    from collections.abc import Callable

    from cohortpress.intake._fields import FieldSpec

_DTYPES = {"date": "datetime64[ns]", "number": "float64", "grade": "float64"}


@dataclass(frozen=True)
class CellContext:
    """Where a column comes from and how its input writes values."""

    sheet: str
    header: str
    dates: DateSettings = DateSettings()
    decimal_comma: bool = False
    text_file: bool = False  # CSV: every cell was text


@dataclass
class ParsedColumn:
    values: pd.Series
    notes: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)


def parse_column(cells: pd.Series, spec: FieldSpec, context: CellContext) -> ParsedColumn:
    """Read every cell of a column as the field's kind; unreadable cells become problems.

    Cells are grouped by Python type before distinct values are found, so 1 and TRUE (equal
    as Python values) are read separately.
    """
    reader = _reader(spec, context)
    raw_cells = cells.to_numpy(dtype=object)
    values = np.full(len(raw_cells), None, dtype=object)
    result = ParsedColumn(pd.Series(dtype="object"))
    for at in _positions_by_type(raw_cells):
        codes, distinct = pd.factorize(raw_cells[at])
        readings = [_read(raw, reader) for raw in distinct]
        values[at] = np.array([r.value for r in readings] + [None], dtype=object)[codes]
        counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
        for code, (raw, reading) in enumerate(zip(distinct, readings, strict=True)):
            if reading.note:
                result.notes[reading.note] += int(counts[code])
            if reading.problem:
                rows = cells.index.to_numpy()[at[codes == code]]
                result.problems += _problems(reading, rows, raw, context)
    result.values = _typed(pd.Series(values, index=cells.index), spec.kind)
    if spec.kind == "text":
        result.values, merged = merge_case_variants(result.values)
        result.notes.update(merged)
    return result


def _positions_by_type(cells: np.ndarray) -> list[np.ndarray]:
    groups: dict[type, list[int]] = {}
    for position, raw in enumerate(cells):
        groups.setdefault(type(raw), []).append(position)
    return [np.array(positions) for positions in groups.values()]


def _read(raw: object, reader: Callable[[object], Reading]) -> Reading:
    if is_blank(raw):
        return Reading()
    return missing_or_error(raw) or reader(raw)


def _reader(spec: FieldSpec, context: CellContext) -> Callable[[object], Reading]:
    if spec.kind == "date":
        return lambda raw: read_date(raw, context.dates)
    if spec.kind == "number":
        return lambda raw: read_number(
            raw,
            percent=spec.percent,
            decimal_comma=context.decimal_comma,
            text_file=context.text_file,
        )
    if spec.kind == "grade":
        return read_grade
    if spec.kind == "category":
        lookup = lookup_for(spec)
        return lambda raw: read_category(raw, spec.levels, lookup)
    if spec.kind == "text":
        return lambda raw: read_term(raw, spec.synonyms)
    return read_id


def _problems(
    reading: Reading, rows: np.ndarray, raw: object, context: CellContext
) -> list[Problem]:
    text, rule = cell_text(raw), str(reading.problem)
    return [
        Problem(context.sheet, int(row), context.header, text, rule, reading.suggestion)
        for row in rows
    ]


def _typed(values: pd.Series, kind: str) -> pd.Series:
    dtype = _DTYPES.get(kind, "string")
    if dtype == "datetime64[ns]":
        return pd.to_datetime(values).astype(dtype)
    return values.astype(dtype)
