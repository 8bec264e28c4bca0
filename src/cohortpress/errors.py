"""Errors and warnings a user can cause, each with a plain message.

The CLI catches :class:`CohortpressError` only and turns it into a message and an exit code;
anything else is a bug and may show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, located as the user sees it in their workbook."""

    sheet: str
    row: int | None  # Excel row number (header row is 1), None for sheet- or file-level problems
    column: str | None  # the column header as written in the workbook
    value: str | None  # the offending value as text
    rule: str  # the rule in plain words
    suggestion: str | None = None
    severity: str = "error"  # "error" stops the build, "warning" goes to the data appendix

    def location(self) -> str:
        parts = [self.sheet]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f'"{self.column}"')
        return ", ".join(parts)


class CohortpressError(Exception):
    """Base class of every error a user can cause; carries an exit code."""

    exit_code = 1


class StudyConfigError(CohortpressError):
    """study.yml (or _quarto.yml) is missing, unreadable or invalid."""

    exit_code = 2


class InputDataError(CohortpressError):
    """The workbook breaks one or more rules; every problem is listed."""

    exit_code = 1

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = problems
        n = sum(p.severity == "error" for p in problems)
        super().__init__(message or f"The workbook has {n} problem(s); nothing was built.")


class UnreadableInputError(CohortpressError):
    """The data file cannot be read at all (missing, corrupt, encrypted, not a spreadsheet)."""

    exit_code = 2


class RenderError(CohortpressError):
    """The manuscript could not be rendered (unsupported feature, engine failure)."""

    exit_code = 3


class DataWarning(UserWarning):
    """Implausible but possible input values; listed in the data appendix."""


class StatisticalWarning(UserWarning):
    """A statistic that needs care (few events per variable, non-convergence)."""
