"""Turn pandera's failure cases into problems a data manager can act on.

Each failure becomes one :class:`Problem` at the user's sheet, Excel row (the frame's index,
kept from intake), the column header as written, the offending value and the rule in the
words of the schema's ``error=``. Pandera's built-in checks, which carry no such words, are
given them here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from string import Formatter
from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.errors import Problem

if TYPE_CHECKING:
    import pandera.pandas as pa


@dataclass(frozen=True)
class SheetContext:
    """What is needed to point at a cell the way the user sees it."""

    sheet: str  # as named in the workbook
    headers: dict[str, str]  # canonical field -> header as written (or as study.yml names it)
    frame: pd.DataFrame
    schema: pa.DataFrameSchema

    def header(self, field: str) -> str:
        return self.headers.get(field, field)

    def title(self, field: str) -> str:
        column = self.schema.columns.get(field)
        return (column.title if column is not None else None) or self.header(field)


def problems_from_failures(failures: pd.DataFrame, context: SheetContext) -> list[Problem]:
    """One problem per failing cell, or per failing row for a row-level rule, in user terms.

    Pandera lists a failing row of a row-level rule once per column; those rows are folded
    into one problem at the cell the rule names.
    """
    failures = _without_checks_of_mistyped_columns(failures)
    row_level = failures["check"].isin(list(_row_check_texts(context.schema)))
    problems = _row_problems(failures.loc[row_level], context)
    problems += [_translate(f, context) for f in failures[~row_level].itertuples(index=False)]
    return list(dict.fromkeys(problems))


def value_text(value: object) -> str | None:
    """A cell value as text for the report: dates as YYYY-MM-DD, 3.0 as 3, missing as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _translate(failure: object, context: SheetContext) -> Problem:
    check, column = str(failure.check), failure.column  # type: ignore[attr-defined]
    row = None if pd.isna(failure.index) else int(failure.index)  # type: ignore[attr-defined]
    case = failure.failure_case  # type: ignore[attr-defined]
    if check == "column_in_dataframe":
        return Problem(
            context.sheet, None, context.header(str(case)), None,
            f"no column for {context.title(str(case))}, which every workbook needs",
            "add the column, or name its header under `columns:` in study.yml",
        )  # fmt: skip
    if check.startswith("dtype("):
        expected = check.removeprefix("dtype(").removesuffix(")").strip("'")
        rule = f"the column holds {_kind(case)} where {_kind(expected)} belong"
        return Problem(context.sheet, None, context.header(str(column)), None, rule)
    if check == "not_nullable":
        rule = f"{context.title(str(column))} is required but this cell is empty"
        return Problem(context.sheet, row, context.header(str(column)), None, rule)
    return _cell_problem(check, str(column), row, case, context)


def _without_checks_of_mistyped_columns(failures: pd.DataFrame) -> pd.DataFrame:
    """A column of the wrong type fails its value checks too (or they crash): say it once."""
    is_type = failures["check"].astype(str).str.startswith("dtype(")
    mistyped = list(set(failures.loc[is_type, "column"]))
    return failures.loc[is_type | ~failures["column"].isin(mistyped)]


def _kind(dtype: object) -> str:
    kinds = {"float64": "numbers", "datetime64[ns]": "dates", "string": "text"}
    return kinds.get(str(dtype), f"{dtype} values")


def _row_check_texts(schema: pa.DataFrameSchema) -> set[str]:
    return {str(c.error or c.name) for c in schema.checks or []}


def _row_problems(failures: pd.DataFrame, context: SheetContext) -> list[Problem]:
    problems = []
    for check in context.schema.checks or []:
        failing = failures.loc[failures["check"] == str(check.error or check.name), "index"]
        if not failing.empty:
            problems += _rule_problems(check, failing, context)
    return problems


def _rule_problems(check: pa.Check, failing: pd.Series, context: SheetContext) -> list[Problem]:
    """A row-level rule's problems, each at the cell its ``statistics["column"]`` names."""
    field = (check.statistics or {}).get("column", "")
    header = context.header(field)
    text = str(check.error or check.name)
    rule = text.format_map(_QuotedHeaders(context))
    reads = tuple(context.header(name) for _, name, _, _ in Formatter().parse(text) if name)
    rows = [int(r) for r in failing.dropna().unique()]
    if not rows:  # the rule itself failed to run: say so rather than drop it
        return [Problem(context.sheet, None, header, None, f"{rule} (could not be checked)")]
    values = context.frame.loc[rows, field] if field in context.frame else [None] * len(rows)
    return [
        Problem(context.sheet, row, header, value_text(value), rule, reads=reads)
        for row, value in zip(rows, values, strict=True)
    ]


def _cell_problem(
    check: str, column: str, row: int | None, case: object, context: SheetContext
) -> Problem:
    schema_column = context.schema.columns.get(column)
    checks = schema_column.checks if schema_column is not None else []
    allowed = next(
        (c.statistics.get("allowed_values") for c in checks if c.error == check and c.statistics),
        None,
    )
    text = value_text(case)
    return Problem(
        context.sheet, row, context.header(column), text, check, _did_you_mean(text, allowed)
    )


def _did_you_mean(text: str | None, allowed: object) -> str | None:
    if text is None or not allowed:
        return None
    options = [str(a) for a in allowed]  # type: ignore[attr-defined]
    folded = {o.casefold(): o for o in options}
    close = difflib.get_close_matches(text.casefold(), list(folded), n=1, cutoff=0.6)
    return f"did you mean '{folded[close[0]]}'?" if close else None


class _QuotedHeaders(dict):
    """Fills ``{treatment_start}`` in a rule with the workbook's header, in quotes."""

    def __init__(self, context: SheetContext) -> None:
        super().__init__()
        self.context = context

    def __missing__(self, field: str) -> str:
        return f'"{self.context.header(field)}"'
