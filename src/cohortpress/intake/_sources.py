"""Find and open the input: a spreadsheet workbook, or a folder with one file per sheet.

Layouts
-------
- A workbook file (.xlsx, .xlsm, .xls, .xlsb, .ods) with the sheets named in study.yml's
  ``sheets:``.
- A folder holding one file per sheet, named after the sheet: ``patients.csv`` and
  ``adverse_events.csv`` (or ``.parquet``). ``data:`` in study.yml names the folder.

Sheet and file names are matched exactly, else ignoring case and spacing (recorded).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cohortpress.errors import Problem, UnreadableInputError
from cohortpress.intake._csv import read_csv_grid
from cohortpress.intake._excel import SPREADSHEET_SUFFIXES, read_excel_sheets, uses_1904_dates
from cohortpress.intake._parquet import read_parquet_table
from cohortpress.intake._table import header_key
from cohortpress.intake._workbook import Normalisation
from cohortpress.intake._zip_limits import check_zip_bounds

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

FOLDER_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class RawSheet:
    """One sheet's cells as read, before any header is found or value typed."""

    name: str  # the sheet or file name, as the user knows it
    grid: pd.DataFrame
    decimal_comma: bool = False
    text_file: bool = False  # every cell was read as text (CSV)
    headed: bool = False  # the grid's column names are the header row (parquet)
    first_row: int = 2  # a headed grid's first row as its file numbers it (the header is row 1)
    ends: bool = True  # the grid holds the table's last rows (a piece of a file may not)
    hidden_rows: frozenset[int] = frozenset()  # Excel row numbers hidden in the workbook
    hidden_columns: frozenset[int] = frozenset()  # positions in ``grid`` hidden in the workbook


@dataclass
class RawInput:
    kind: str  # "xlsx", "csv", "parquet", ...
    sheets: dict[str, RawSheet] = field(default_factory=dict)  # sheet key -> sheet
    date1904: bool = False
    notes: list[Normalisation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_input(
    path: Path,
    wanted: dict[str, str],
    expected: dict[str, list[str]],
    optional: frozenset[str] = frozenset(),
) -> RawInput:
    """The raw sheets named in ``wanted`` (sheet key -> name in study.yml).

    ``expected`` lists, per sheet key, the headers the study expects, which locate the header
    row and settle the encoding and delimiter of text files. A sheet key in ``optional`` may
    be absent without a problem.
    """
    if not path.exists():
        raise UnreadableInputError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_folder(path, wanted, expected, optional)
    _regular(path)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return _read_workbook(path, wanted, optional)
    if path.suffix.lower() in FOLDER_SUFFIXES:
        raise UnreadableInputError(
            f"{path}: CSV and parquet input is a folder with one file per sheet "
            f"({', '.join(n + path.suffix.lower() for n in wanted.values())}); "
            "point `data:` in study.yml at that folder"
        )
    raise UnreadableInputError(
        f"{path}: not a spreadsheet (expected {', '.join(SPREADSHEET_SUFFIXES)}, "
        "or a folder of .csv or .parquet files)"
    )


def _read_workbook(path: Path, wanted: dict[str, str], optional: frozenset[str]) -> RawInput:
    check_zip_bounds(path)
    result = RawInput(path.suffix.lower().lstrip("."), date1904=uses_1904_dates(path))
    chosen: dict[str, str | None] = {}

    def choose(names: list[str]) -> list[str]:
        chosen.update(
            {
                key: _choose(name, names, result, path.name, optional=key in optional)
                for key, name in wanted.items()
            }
        )
        return [name for name in chosen.values() if name is not None]

    sheets = read_excel_sheets(path, choose)
    for key, name in chosen.items():
        if name is not None:
            sheet = sheets[name]
            result.notes += sheet.notes
            result.sheets[key] = RawSheet(
                name, sheet.grid, hidden_rows=sheet.hidden_rows, hidden_columns=sheet.hidden_columns
            )
    return result


def _read_folder(
    path: Path, wanted: dict[str, str], expected: dict[str, list[str]], optional: frozenset[str]
) -> RawInput:
    files = sorted(f for f in path.iterdir() if f.suffix.lower() in FOLDER_SUFFIXES)
    _check_one_kind(path, files)
    result = RawInput("csv")
    for key, name in wanted.items():
        stems = {f.stem: f for f in files}
        stem = _choose(name, sorted(stems), result, path.name, "file", optional=key in optional)
        if stem is None:
            continue
        file = _only_file(path, [f for f in files if header_key(f.stem) == header_key(stem)])
        result.kind = file.suffix.lower().lstrip(".")
        result.sheets[key] = _read_file(file, expected[key], result)
    return result


def _check_one_kind(folder: Path, files: list[Path]) -> None:
    """A folder is read as CSV or as Parquet, never a mix: which file wins would be a guess."""
    kinds = {f.suffix.lower() for f in files}
    if len(kinds) > 1:
        names = ", ".join(f.name for f in files)
        raise UnreadableInputError(
            f"{folder}: holds both CSV and Parquet files ({names}); keep one file per sheet, "
            "all of one kind"
        )


def _only_file(folder: Path, candidates: list[Path]) -> Path:
    """The one file for a sheet; two (``patients.csv`` and ``Patients.CSV``) is an error."""
    if len(candidates) > 1:
        names = ", ".join(f.name for f in candidates)
        raise UnreadableInputError(
            f"{folder}: {len(candidates)} files hold the same sheet ({names}); keep one"
        )
    return candidates[0]


def _regular(path: Path) -> None:
    """Refuse a device, a pipe or a socket (a link to /dev/zero, say), which reads without
    end or waits for a writer: only a regular file is read."""
    if not path.is_file():
        raise UnreadableInputError(f"{path}: not a regular file (a device, pipe or socket)")


def _read_file(file: Path, expected: list[str], result: RawInput) -> RawSheet:
    _regular(file)
    if file.suffix.lower() == ".parquet":
        return RawSheet(file.name, read_parquet_table(file), headed=True)
    text = read_csv_grid(file, expected)
    result.notes.extend(Normalisation(file.name, None, note, 1) for note in text.notes)
    return RawSheet(file.name, text.grid, text.decimal_comma, text_file=True)


def _choose(
    name: str,
    available: list[str],
    result: RawInput,
    where: str,
    noun: str = "sheet",
    *,
    optional: bool = False,
) -> str | None:
    """The available sheet (or file stem) for ``name``: exact, else ignoring case and spacing."""
    if name in available:
        return name
    same = [a for a in available if header_key(a) == header_key(name)]
    if len(same) == 1:
        rule = f"{noun} matched to '{name}' in study.yml (case, spacing or width differ)"
        result.notes.append(Normalisation(same[0], None, rule, 1))
        return same[0]
    if optional:
        return None
    close = difflib.get_close_matches(name, available, n=1, cutoff=0.5)
    listed = ", ".join(f"'{a}'" for a in available) or "none"
    suggestion = f"did you mean '{close[0]}'?" if close else f"{noun}s found: {listed}"
    result.problems.append(
        Problem(name, None, None, None, f"{where} has no {noun} '{name}'", suggestion)
    )
    return None
