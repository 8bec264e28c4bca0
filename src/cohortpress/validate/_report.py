"""The validation report: every problem, errors and warnings, in the order a reader fixes them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cohortpress.errors import Problem

FIELDS = ("severity", "sheet", "row", "column", "value", "rule", "suggestion")


@dataclass(frozen=True)
class ValidationReport:
    """All problems found in a workbook, sorted by sheet, then row, then column.

    ``ok`` is true when there is no error; warnings do not stop the build and go to the
    report's data appendix.
    """

    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_rows(self) -> list[dict[str, object]]:
        """One dict per problem, keys in table order (severity, sheet, row, column, …)."""
        return [{key: asdict(p)[key] for key in FIELDS} for p in self.problems]

    def to_json(self) -> str:
        """The problems as a JSON document, for machines (CI, a data-entry system)."""
        summary = {"ok": self.ok, "errors": len(self.errors), "warnings": len(self.warnings)}
        return json.dumps({**summary, "problems": self.as_rows()}, ensure_ascii=False, indent=2)

    def warning_summary(self, listed: int = 3) -> list[str]:
        """The warnings for the manuscript's data appendix, one line per rule and column.

        A rule that flags a few cells lists each; one that flags many (a registry) gives its
        count and the first rows, so the appendix stays readable at any size.
        """
        groups: dict[tuple[str, str | None, str], list[Problem]] = {}
        for p in self.warnings:
            groups.setdefault((p.sheet, p.column, p.rule), []).append(p)
        lines = []
        for (sheet, column, rule), found in groups.items():
            if len(found) <= listed:
                lines += [_line(p, for_appendix=True) for p in found]
                continue
            rows = ", ".join(str(p.row) for p in found[:listed] if p.row is not None)
            where = f'{sheet}, "{column}"' if column else sheet
            lines.append(f"{where}: {len(found):,} values, {rule} (rows {rows}, …)")
        return lines

    def as_lines(self) -> list[str]:
        """One line per problem: ``patients, row 14, "Date of death" = 2019-02-30: rule``."""
        return [_line(p) for p in self.problems]


def _line(problem: Problem, *, for_appendix: bool = False) -> str:
    """Where, the value, and the rule; the appendix (warnings only) leaves out mark and hint."""
    value = f" = {problem.value}" if problem.value is not None else ""
    if for_appendix:
        return f"{problem.location()}{value}: {problem.rule}"
    hint = f" ({problem.suggestion})" if problem.suggestion else ""
    mark = "" if problem.severity == "error" else "warning: "
    return f"{problem.location()}{value}: {mark}{problem.rule}{hint}"


def sort_problems(
    problems: list[Problem], sheet_order: list[str], column_order: dict[str, list[str]]
) -> tuple[Problem, ...]:
    """Sheets in workbook order, then rows (sheet-wide problems first), then columns."""

    def key(p: Problem) -> tuple[int, int, int, str]:
        sheet = sheet_order.index(p.sheet) if p.sheet in sheet_order else len(sheet_order)
        columns = column_order.get(p.sheet, [])
        column = columns.index(p.column) if p.column in columns else len(columns)
        return sheet, p.row or 0, column, p.rule

    return tuple(sorted(dict.fromkeys(problems), key=key))
