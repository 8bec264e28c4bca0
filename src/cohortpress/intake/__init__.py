"""Intake: read the cohort workbook into typed sheets with canonical column names.

Everything unambiguous is accepted and recorded as a :class:`Normalisation` (trimmed and
case-folded categories, synonyms, Excel serial and text dates, "NA"/"-"/"unknown" as
missing, title blocks, blank rows, CSV encodings and delimiters). A cell that cannot be read
is missing in the frame and listed as a :class:`~cohortpress.errors.Problem` with its
original text; validation reports it with everything else. Files that cannot be read at all
raise :class:`~cohortpress.errors.UnreadableInputError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from cohortpress.errors import Problem
from cohortpress.intake._age import completed_years
from cohortpress.intake._dates import DateSettings
from cohortpress.intake._fields import (
    IDENTIFIER_PREFIX,
    adverse_event_fields,
    identifier_fields,
    patient_fields,
)
from cohortpress.intake._sheet import SheetResult, empty_sheet, read_sheet
from cohortpress.intake._sources import read_input
from cohortpress.intake._workbook import Normalisation, Workbook

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig
    from cohortpress.intake._fields import FieldSpec
    from cohortpress.intake._sources import RawSheet

__all__ = ["Normalisation", "Workbook", "read_workbook"]

SheetKey = Literal["patients", "adverse_events"]
SHEET_KEYS: tuple[SheetKey, ...] = ("patients", "adverse_events")


def read_workbook(path: Path, config: StudyConfig) -> Workbook:
    """Read ``path`` (a workbook, or a folder of CSV/parquet files) as ``config`` describes.

    Each frame is indexed by Excel row number and holds only the study's columns under their
    canonical names. The adverse events sheet is read only when the study reports adverse
    events (``adverse_events:`` is not null in study.yml); the frame is None when it was not
    read.
    """
    specs = {
        "patients": patient_fields(config) + identifier_fields(config),
        "adverse_events": adverse_event_fields(config),
    }
    wanted = {key: config.sheets.get(key, key) for key in _sheets_used(config)}
    expected = {key: [s.header for s in specs[key]] for key in wanted}
    optional = frozenset() if _declares_adverse_events(config) else frozenset({"adverse_events"})
    raw = read_input(Path(path), wanted, expected, optional)
    dates = DateSettings(tuple(config.date_formats), raw.date1904)
    sheets = {key: _read(raw.sheets.get(key), specs[key], dates) for key in SHEET_KEYS}
    without_events = "adverse_events" not in raw.sheets
    if without_events and "adverse_events" in wanted:
        rule = "no adverse events sheet, and study.yml does not ask for one: AEs are not reported"
        raw.notes.append(Normalisation(wanted["adverse_events"], None, rule, 1))
    names = {
        key: raw.sheets[key].name if key in raw.sheets else wanted.get(key, key)
        for key in SHEET_KEYS
    }
    _add_age(sheets["patients"], names["patients"])
    columns = frozenset(sheets["patients"].frame.columns)
    raw.notes += patients_sheet_notes(config, columns, names["patients"])
    identifiers = _split_identifiers(sheets["patients"])
    return Workbook(
        patients=sheets["patients"].frame,
        adverse_events=None if without_events else sheets["adverse_events"].frame,
        headers={(key, f): h for key, sheet in sheets.items() for f, h in sheet.headers.items()},
        normalisations=(*raw.notes, *(n for s in sheets.values() for n in s.notes)),
        problems=(*raw.problems, *(p for s in sheets.values() for p in s.problems)),
        source=raw.kind,
        sheet_names=names,
        identifiers=identifiers,
    )


def patients_sheet_notes(
    config: StudyConfig, columns: frozenset[str], sheet: str
) -> list[Normalisation]:
    """What the data appendix says about analyses left out for want of a column."""
    notes = []
    undeclared = config.response is not None and "response" not in config.model_fields_set
    if undeclared and "best_response" not in columns:
        rule = "no best response column, and study.yml does not ask for one: response not reported"
        notes.append(Normalisation(sheet, None, rule, 1))
    if not config.dates_needed and "treatment_start" not in columns:
        rule = (
            "no treatment start column: every endpoint is read from its time and status "
            "columns, and the treatment duration, reasons for stopping and ongoing treatment, "
            "which need the treatment dates, are not reported"
        )
        notes.append(Normalisation(sheet, None, rule, 1))
    return notes


def _split_identifiers(sheet: SheetResult) -> pd.DataFrame:
    """Take the declared identifier columns out of the patients frame, keyed by header."""
    columns = [c for c in sheet.frame.columns if str(c).startswith(IDENTIFIER_PREFIX)]
    taken = sheet.frame.loc[:, columns]
    sheet.frame = sheet.frame.drop(columns=columns)
    for column in columns:
        sheet.headers.pop(column, None)
    return taken.rename(columns=lambda c: c.removeprefix(IDENTIFIER_PREFIX))


def _sheets_used(config: StudyConfig) -> tuple[SheetKey, ...]:
    return SHEET_KEYS if config.adverse_events is not None else ("patients",)


def _declares_adverse_events(config: StudyConfig) -> bool:
    """True when study.yml names the adverse events settings or sheet: the sheet must exist.

    A study.yml silent on both reports AEs when the workbook has the sheet, and says it has
    none otherwise.
    """
    declared = "adverse_events" in config.model_fields_set
    return declared or ("sheets" in config.model_fields_set and "adverse_events" in config.sheets)


def _read(raw: RawSheet | None, specs: list[FieldSpec], dates: DateSettings) -> SheetResult:
    return empty_sheet(specs) if raw is None else read_sheet(raw, specs, dates)


def _add_age(sheet: SheetResult, sheet_name: str) -> None:
    """Age in completed years at treatment start, when the sheet has a birth date but no age."""
    frame = sheet.frame
    if "age" in frame or not {"birth_date", "treatment_start"} <= set(frame.columns):
        return
    born, start = frame.loc[:, "birth_date"], frame.loc[:, "treatment_start"]
    frame["age"] = completed_years(born, start)
    header = sheet.headers["age"] = sheet.headers["birth_date"]
    unborn = (born > start).to_numpy(dtype=bool)  # no age: its own error says more
    frame.loc[unborn, "age"] = pd.NA
    sheet.problems += [
        Problem(sheet_name, int(row), header, f"{born[row]:%Y-%m-%d}",  # type: ignore[call-overload]
                "a date of birth after the start of treatment",
                "a year written in two digits (YY) from 00 to 68 is read as 20YY: write the year "
                "in four digits")
        for row in frame.index[unborn]
    ]  # fmt: skip
    rule = "age computed from the birth date (completed years at treatment start)"
    sheet.notes.append(Normalisation(sheet_name, header, rule, int(frame["age"].notna().sum())))
