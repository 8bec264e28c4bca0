"""Errors and warnings a user can cause, each with a plain message.

The CLI turns a :class:`CohortpressError` into its message and exit code. Exit codes:

- 0 success
- 1 invalid data (every problem is listed)
- 2 unreadable input, invalid study.yml, an ``--output`` folder that is refused, or a preview
  ``--port`` that cannot be served
- 3 rendering failed
- 4 the output folder cannot be written (read-only, full, no permission)
- 5 another run of the same study is publishing to the same output folder
- 70 a bug in cohortpress: a one-line message, the traceback in a log file
- 130 interrupted (Ctrl-C); the previous output is left as it was
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    # A row rule's other cells in the row (headers), which it read: where one of them is a
    # problem already (a date that could not be read), this one is its consequence, not said.
    reads: tuple[str, ...] = field(default=(), compare=False, repr=False)

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


class OutputFolderError(CohortpressError):
    """``--output`` names a folder cohortpress must not write into (a study, the project...)."""

    exit_code = 2


class OutputWriteError(CohortpressError):
    """The output folder cannot be written: read-only, full, or no permission."""

    exit_code = 4


class OutputBusyError(CohortpressError):
    """Another run is publishing the same study to the same output folder."""

    exit_code = 5


class PreviewPortError(CohortpressError):
    """``cohortpress preview --port`` names a port that cannot be served (in use, reserved)."""

    exit_code = 2


BUG_EXIT_CODE = 70  # EX_SOFTWARE in sysexits.h: an internal error, not the user's
INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, as shells report it


class DataWarning(UserWarning):
    """Implausible but possible input values; listed in the data appendix."""


class StatisticalWarning(UserWarning):
    """A statistic that needs care (few events per variable, non-convergence)."""
