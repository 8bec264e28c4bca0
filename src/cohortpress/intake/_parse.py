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

from cohortpress.config import fold_token
from cohortpress.errors import Problem
from cohortpress.intake._categories import lookup_for, read_category, read_status
from cohortpress.intake._dates import EARLIEST, LATEST, TIME_DROPPED, DateSettings, read_date
from cohortpress.intake._numbers import read_grade, read_number
from cohortpress.intake._reading import Reading, cell_text, is_blank, missing_or_error
from cohortpress.intake._text import ID_TRIMMED, merge_case_variants, read_id, read_term
from cohortpress.intake._text_cells import (
    CONTROLS_REMOVED,
    all_text,
    encoded_text,
    python_cells,
    spaced_empty_or_hidden,
    visible,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from cohortpress.intake._fields import FieldSpec

# infer_dtype's names for columns whose cells are all of one kind (blanks aside); "integer" and
# "floating" mix only values that read alike (1 and 1.0), never booleans.
_NUMERIC = frozenset({"integer", "floating", "mixed-integer-float"})
_ONE_TYPE = _NUMERIC | {"string", "empty", "date", "datetime", "datetime64", "boolean"}


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

    Cells that need no reading (numbers in a numeric column, in-range dates in a date column,
    IDs in a text column) are taken as they are, column-wide; every other cell is read once
    per distinct value. Cells are grouped by Python type before distinct values are found, so
    1 and TRUE (equal as Python values) are read separately.
    """
    result = ParsedColumn(pd.Series(dtype="object"))
    values = _blank_values(len(cells), spec.kind)
    rest = _take_native(cells, spec.kind, values, result)
    if spec.kind in ("number", "grade") and spec.missing:
        _declared_missing_numbers(values, spec.missing, result)
    reader = _reader(spec, context)
    declared = frozenset(fold_token(spelling) for spelling in spec.synonyms)
    rows = cells.index.to_numpy()[rest]
    for at, codes, found in _distinct_by_type(cells, rest):
        counts = np.bincount(codes[codes >= 0], minlength=len(found))
        distinct = _as_shown(found, counts, result)
        readings = [_read(raw, reader, declared, spec.missing) for raw in distinct]
        typed = _typed_array([r.value for r in readings] + [None], spec.kind)
        values[rest[at]] = typed[codes]  # code -1 (a blank cell) takes the trailing missing value
        for code, (raw, reading) in enumerate(zip(distinct, readings, strict=True)):
            if reading.note:
                result.notes[reading.note] += int(counts[code])
            if reading.problem:
                result.problems += _problems(reading, rows[at[codes == code]], raw, context)
    # In row order, not in the order the distinct values were met (which depends on how the
    # cells are written: two spellings of one visible text are two values).
    result.problems.sort(key=lambda problem: -1 if problem.row is None else problem.row)
    result.values = _as_series(values, cells.index, spec.kind)
    if spec.kind == "text":
        result.values, merged = merge_case_variants(result.values)
        result.notes.update(merged)
    return result


def _take_native(
    cells: pd.Series, kind: str, values: np.ndarray, result: ParsedColumn
) -> np.ndarray:
    """Fill ``values`` where a cell is already what ``kind`` asks for; the positions left over.

    Gives what the per-value readers give for these cells (``read_number`` on a number,
    ``read_date`` on an in-range date-time, ``read_id`` on text), without a Python call per
    cell: a registry's IDs and counts are nearly all distinct.
    """
    everything = np.arange(len(cells))
    if kind in ("number", "grade") and _holds_numbers(cells):
        values[:] = pd.to_numeric(cells, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        return everything[:0]
    if kind == "date" and isinstance(cells.dtype, np.dtype) and cells.dtype.kind == "M":
        # datetime64 without a time zone, as parquet dates arrive
        stamps = cells.astype("datetime64[ns]")
        midnight = stamps.dt.normalize()
        inside = midnight.between(EARLIEST, LATEST).to_numpy()
        taken = inside | stamps.isna().to_numpy()
        values[taken] = midnight.to_numpy(dtype="datetime64[ns]")[taken]
        dropped = int((stamps != midnight)[inside].sum())
        if dropped:
            result.notes[TIME_DROPPED] += dropped
        return everything[~taken]
    if kind == "id" and all_text(cells):
        values[:] = python_cells(cells)
        changed = hidden = 0
        for position, text in spaced_empty_or_hidden(cells).pairs():  # as _as_shown, read_id
            shown = visible(text)
            trimmed = shown.strip()
            values[position] = trimmed or None
            changed += bool(trimmed) and trimmed != shown
            hidden += shown != text
        if changed:
            result.notes[ID_TRIMMED] += changed
        if hidden:
            result.notes[CONTROLS_REMOVED] += hidden
        return everything[:0]
    return everything


def _as_shown(distinct: list[object], counts: np.ndarray, result: ParsedColumn) -> list[object]:
    """The distinct cells as a spreadsheet shows them: text without control characters
    (:func:`visible`); the cells that changes are counted in a note."""
    shown = [visible(raw) if isinstance(raw, str) else raw for raw in distinct]
    changed = zip(distinct, shown, counts, strict=True)
    hidden = sum(int(n) for raw, text, n in changed if text is not raw and text != raw)
    if hidden:
        result.notes[CONTROLS_REMOVED] += hidden
    return shown


def _holds_numbers(cells: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(cells.dtype):
        return False
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return True
    return cells.dtype == object and _infer(cells) in _NUMERIC


def _infer(cells: pd.Series | np.ndarray) -> str:
    return pd.api.types.infer_dtype(cells, skipna=True)


def _distinct_by_type(
    cells: pd.Series, rest: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, list[object]]]:
    """The cells at ``rest`` grouped by type: positions in ``rest``, each cell's code (-1 for
    a missing cell) and the distinct values, in order of first appearance.

    Arrow text is encoded in C, without a Python string per cell.
    """
    encoded = encoded_text(cells, rest) if len(rest) else None
    if encoded is not None:
        codes, distinct = encoded
        return [(np.arange(len(rest)), codes, list(distinct))]
    raw_cells = cells.iloc[rest].to_numpy(dtype=object)
    groups = []
    for at in _positions_by_type(raw_cells):
        codes, distinct = _factorized(raw_cells[at])
        groups.append((at, codes, distinct))
    return groups


def _factorized(cells: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Each cell's code (-1 for a missing cell) and the distinct values, in order of first
    appearance. Text is encoded by Arrow: pandas compares Python strings up to their first NUL
    character, so "Male" and "Male\x00Female" were one value, and the second cell silently
    read as the first."""
    if _infer(cells) == "string":
        import pyarrow as pa

        encoded = pa.array(cells, type=pa.large_string(), from_pandas=True).dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
        return codes, encoded.dictionary.to_pylist()
    codes, distinct = pd.factorize(cells)
    return codes, list(distinct)


def _positions_by_type(cells: np.ndarray) -> list[np.ndarray]:
    if _infer(cells) in _ONE_TYPE:  # the common case, decided without a loop over cells
        return [np.arange(len(cells))] if len(cells) else []
    groups: dict[type, list[int]] = {}
    for position, raw in enumerate(cells):
        groups.setdefault(type(raw), []).append(position)
    return [np.array(positions) for positions in groups.values()]


def _declared_missing_numbers(
    values: np.ndarray, declared: frozenset[str], result: ParsedColumn
) -> None:
    """Numbers taken column-wide that study.yml's ``missing_values`` names ("99") are missing."""
    for token in declared:
        try:
            number = float(token)
        except ValueError:
            continue
        hits = values == number
        if hits.any():
            values[hits] = np.nan
            result.notes[f"'{cell_text(number)}' read as missing"] += int(hits.sum())


def _read(
    raw: object,
    reader: Callable[[object], Reading],
    declared: frozenset[str],
    missing: frozenset[str],
) -> Reading:
    """One distinct cell: a synonym study.yml declares wins over the missing-value tokens."""
    if is_blank(raw):
        return Reading()
    if declared and fold_token(cell_text(raw)) in declared:
        return reader(raw)
    return missing_or_error(raw, missing) or reader(raw)


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
        synonyms = {fold_token(k): v for k, v in spec.synonyms.items()}
        return lambda raw: read_grade(
            synonyms.get(fold_token(cell_text(raw)), raw), text_file=context.text_file
        )
    if spec.kind == "category":
        lookup = lookup_for(spec)
        return lambda raw: read_category(raw, spec.levels, lookup)
    if spec.kind == "text":
        return lambda raw: read_term(raw, spec.synonyms)
    if spec.kind == "status":
        return lambda raw: read_status(raw, spec)
    return read_id


def _problems(
    reading: Reading, rows: np.ndarray, raw: object, context: CellContext
) -> list[Problem]:
    text, rule = cell_text(raw), str(reading.problem)
    return [
        Problem(context.sheet, int(row), context.header, text, rule, reading.suggestion)
        for row in rows
    ]


def _blank_values(n: int, kind: str) -> np.ndarray:
    if kind == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if kind in ("number", "grade"):
        return np.full(n, np.nan)
    return np.full(n, None, dtype=object)


def _typed_array(values: list[object], kind: str) -> np.ndarray:
    """The readings' values as an array of the column's final type (None is missing)."""
    if kind == "date":
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(dtype="datetime64[ns]")
    if kind in ("number", "grade"):
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    return np.array(values, dtype=object)


def _as_series(values: np.ndarray, index: pd.Index, kind: str) -> pd.Series:
    series = pd.Series(values, index=index)
    return series if kind in ("date", "number", "grade") else series.astype("string")
