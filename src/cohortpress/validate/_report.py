"""The validation report: every problem, errors and warnings, in the order a reader fixes them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

from cohortpress.validate._synonyms import declared_spelling, synonyms_line

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cohortpress.config import StudyConfig
    from cohortpress.errors import Problem

FIELDS = ("severity", "sheet", "row", "column", "value", "rule", "suggestion")
ROWS_LISTED = 8  # rows written out in the text report; JSON lists them all
VALUES_LISTED = 3  # values of one column and rule told apart; more are told as one group


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
            where, what = (f'{sheet}, "{column}"', "values") if column else (sheet, "rows")
            lines.append(f"{where}: {len(found):,} {what}, {rule} (rows {rows}, …)")
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


@dataclass(frozen=True)
class Synonym:
    """A rejected value that is clearly a spelling of a level of the study variable."""

    variable: str  # the key under ``variables:`` in study.yml
    value: str
    level: str


@dataclass(frozen=True)
class ProblemGroup:
    """The same problem (sheet, column, value, rule) in one or more rows, told once."""

    severity: str
    sheet: str
    column: str | None
    value: str | None
    rule: str
    suggestion: str | None
    rows: tuple[int, ...]  # Excel rows, in order; empty for sheet- or file-level problems
    count: int
    synonym: Synonym | None = None
    values: tuple[str, ...] = ()  # every value, where several are told as one group

    def values_text(self, listed: int = VALUES_LISTED) -> str:
        """``22.07.2014``, or ``22.07.2014, 08.09.2014, 15.12.2014, … (32 values)``."""
        if len(self.values) <= 1:
            return self.value or ""
        more = f", … ({len(self.values):,} values)" if len(self.values) > listed else ""
        return ", ".join(self.values[:listed]) + more

    def rows_text(self, listed: int = ROWS_LISTED) -> str:
        """``5``, or ``12 rows: 4, 9, 17, …`` when the problem repeats."""
        if self.count == 1:
            return str(self.rows[0]) if self.rows else ""
        shown = ", ".join(str(row) for row in self.rows[:listed])
        more = ", …" if len(self.rows) > listed else ""
        return f"{self.count:,} rows: {shown}{more}" if self.rows else f"{self.count:,} times"

    def as_dict(self) -> dict[str, object]:
        """For ``--format json``: ``row`` is the first row, ``rows`` all of them."""
        return {
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.rows[0] if self.rows else None,
            "rows": list(self.rows),
            "count": self.count,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "suggestion": self.suggestion,
            "synonym": asdict(self.synonym) if self.synonym else None,
            "values": list(self.values) or ([self.value] if self.value is not None else []),
        }


def group_problems(
    problems: Iterable[Problem], config: StudyConfig | None = None
) -> list[ProblemGroup]:
    """One group per severity, sheet, column, value and rule, in the order problems come.

    With the study's ``config``, a category value that is clearly a spelling of a declared
    level of one of its variables carries that level (see :func:`synonyms_to_add`).
    """
    found: dict[tuple[str | None, ...], list[Problem]] = {}
    for p in problems:
        key = (p.severity, p.sheet, p.column, p.value, p.rule, p.suggestion)
        found.setdefault(key, []).append(p)
    spelling = _spelling_finder(config)
    groups = [
        ProblemGroup(
            severity=first.severity,
            sheet=first.sheet,
            column=first.column,
            value=first.value,
            rule=first.rule,
            suggestion=first.suggestion,
            rows=tuple(p.row for p in group if p.row is not None),
            count=len(group),
            synonym=spelling(first),
        )
        for group in found.values()
        for first in group[:1]
    ]
    return _many_values_as_one(groups)


def _many_values_as_one(groups: list[ProblemGroup]) -> list[ProblemGroup]:
    """The groups of one column and rule told as one where there are more than
    :data:`VALUES_LISTED` values (every date of a column in a format not declared: one line
    to fix, not hundreds), at the place of the first. A value that is a spelling of a level
    keeps its own group: each is a synonym to declare."""
    same: dict[tuple[str | None, ...], list[ProblemGroup]] = {}
    for g in groups:
        if g.synonym is None and g.value is not None:
            key = (g.severity, g.sheet, g.column, g.rule, g.suggestion)
            same.setdefault(key, []).append(g)
    at_first: dict[int, ProblemGroup] = {}  # the merged group, in place of its first member
    folded: set[int] = set()  # the other members, told in it
    for members in same.values():
        if len(members) > VALUES_LISTED:
            rows = tuple(sorted(row for g in members for row in g.rows))
            count = sum(g.count for g in members)
            values = tuple(str(g.value) for g in members)
            at_first[id(members[0])] = replace(members[0], rows=rows, count=count, values=values)
            folded.update(id(g) for g in members[1:])
    return [at_first.get(id(g), g) for g in groups if id(g) not in folded]


def _spelling_finder(config: StudyConfig | None):
    """A function giving the :class:`Synonym` a problem's value clearly stands for."""
    categories = {}
    if config is not None:
        categories = {
            config.header(name): (name, variable.levels)
            for name, variable in config.variables.items()
            if variable.levels
        }

    def find(problem: Problem) -> Synonym | None:
        if problem.severity != "error" or problem.value is None:
            return None
        if problem.column not in categories:
            return None
        name, levels = categories[problem.column]
        level = declared_spelling(problem.value, levels)
        return Synonym(name, problem.value, level) if level else None

    return find


def synonyms_to_add(groups: Iterable[ProblemGroup], config: StudyConfig) -> dict[str, str]:
    """Per variable, the ``synonyms:`` line that makes study.yml accept the spellings found."""
    new: dict[str, dict[str, str]] = {}
    for group in groups:
        if group.synonym:
            new.setdefault(group.synonym.variable, {})[group.synonym.value] = group.synonym.level
    return {
        name: synonyms_line(config.variables[name].synonyms, spellings)
        for name, spellings in new.items()
    }


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
