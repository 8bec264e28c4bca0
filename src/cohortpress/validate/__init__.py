"""Validate: check the read workbook against the sheet schemas and the study's rules.

Validation is lazy (pandera's ``lazy=True``): one run reports every problem, each at the
sheet, Excel row and column header the user sees, with the rule in plain words. Problems
intake found (cells it could not read) are part of the report; a cell intake already
reported is not reported again by a schema rule.

Free text is screened for identifiers (``_identifiers``). With ``adverse_events.identifiers:
redact`` the identifying parts of the terms are replaced in the workbook itself, here, before
anything else reads it, and each replacement is counted among the workbook's normalisations
(the data appendix). Terms that look like one event written two ways are warnings, each with
the ``adverse_events: synonyms:`` line that would merge them (``_ae_terms``).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cohortpress.errors import Problem
from cohortpress.validate._ae_terms import duplicate_term_warnings, duplicate_term_warnings_coded
from cohortpress.validate._computed import dates_out_of_order, undefined_values
from cohortpress.validate._cross_sheet import unknown_patients
from cohortpress.validate._events import (
    events_after_cutoff,
    events_after_death,
    fatal_events_without_death,
    responses_against_changes,
)
from cohortpress.validate._identifiers import (
    IdentifierFinder,
    names_masked,
    redacted,
    screen_column,
    term_words,
)
from cohortpress.validate._needs import missing_needed_columns
from cohortpress.validate._report import ValidationReport, sort_problems
from cohortpress.validate._schemas import adverse_events_schema, patients_schema
from cohortpress.validate._translate import SheetContext, problems_from_failures
from cohortpress.validate._warnings import dates_after_cutoff, implausible_values

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig
    from cohortpress.intake import Workbook

__all__ = ["ValidationReport", "validate_workbook"]


def validate_workbook(workbook: Workbook, config: StudyConfig) -> ValidationReport:
    """Every error and warning in ``workbook``, sorted by sheet, then row, then column."""
    found = list(workbook.problems)
    contexts = _readable_sheets(workbook, config)
    patients = contexts.get("patients")
    if patients is not None and patients.frame.empty:
        found.append(Problem(patients.sheet, None, None, None, "the sheet has no patients"))
        contexts.pop("patients")
    for context in contexts.values():
        found += _not_yet_reported(_schema_problems(context), found)
    if "patients" in contexts:
        found += missing_needed_columns(contexts["patients"], config)
        found += _patient_checks(contexts["patients"], config)
    if "patients" in contexts and "adverse_events" in contexts:
        events, patients_frame = contexts["adverse_events"], contexts["patients"].frame
        header = events.header("patient_id")
        found += unknown_patients(events.frame, patients_frame, events.sheet, header)
        found += events_after_death(events.frame, patients_frame, events.sheet, events.headers)
        found += fatal_events_without_death(
            events.frame, patients_frame, events.sheet, events.headers
        )
    if "adverse_events" in contexts:
        found += _event_checks(contexts["adverse_events"], config)
    if "adverse_events" in contexts and "term" in contexts["adverse_events"].frame:
        terms = pd.factorize(contexts["adverse_events"].frame["term"])  # once, for both rules
        screened, rewritten = _screen_terms(workbook, config, contexts, terms)
        found += screened
        found += _duplicate_terms(
            contexts["adverse_events"], screened, None if rewritten else terms
        )
    patients_frame = contexts["patients"].frame if "patients" in contexts else workbook.patients
    values = [p.value for p in found if p.value]
    if values:
        finder = IdentifierFinder(patients_frame, workbook.identifiers, among=term_words(values))
        found = names_masked(found, finder)
    order = [workbook.sheet_name(key) for key in ("patients", "adverse_events")]
    columns = {c.sheet: list(c.headers.values()) for c in contexts.values()}
    return ValidationReport(sort_problems(found, order, columns))


def _readable_sheets(workbook: Workbook, config: StudyConfig) -> dict[str, SheetContext]:
    """The sheets intake could read, each with its schema; a missing sheet is already a problem."""
    schemas = {"patients": patients_schema(config)}
    if config.adverse_events is not None and workbook.adverse_events is not None:
        schemas["adverse_events"] = adverse_events_schema()
    unreadable = {p.sheet for p in workbook.problems if p.row is None and p.column is None}
    return {
        key: _context(workbook, config, key, schema)
        for key, schema in schemas.items()
        if workbook.sheet_name(key) not in unreadable
    }


def _context(
    workbook: Workbook, config: StudyConfig, key: str, schema: pa.DataFrameSchema
) -> SheetContext:
    headers = {field: config.header(field) for field in schema.columns}
    headers.update({f: h for (sheet, f), h in workbook.headers.items() if sheet == key})
    frame: pd.DataFrame = getattr(workbook, key)
    return SheetContext(workbook.sheet_name(key), headers, frame, schema)


def _schema_problems(context: SheetContext) -> list[Problem]:
    try:
        with warnings.catch_warnings():  # pandera's own pandas deprecation notices
            warnings.simplefilter("ignore", FutureWarning)
            # inplace: the schemas only check (no coercion, no columns added or filtered), so
            # pandera's deep copy of the sheet (a registry's every cell) is not needed
            context.schema.validate(context.frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        return problems_from_failures(exc.failure_cases, context)
    return []


def _patient_checks(context: SheetContext, config: StudyConfig) -> list[Problem]:
    """Row rules beyond the schema: doubtful values, dates, the study's computed variables."""
    frame, sheet, headers = context.frame, context.sheet, context.headers
    return [
        *implausible_values(frame, config.workbook_variables, sheet, headers),
        *dates_after_cutoff(frame, config.data_cutoff, sheet, headers),
        *dates_out_of_order(frame, config, sheet, headers),
        *undefined_values(frame, config, sheet, headers),
        *(
            responses_against_changes(frame, config.response.scheme, sheet, headers)
            if config.response is not None
            else []
        ),
    ]


def _event_checks(context: SheetContext, config: StudyConfig) -> list[Problem]:
    """Rules of the adverse events sheet beyond the schema that need no other sheet."""
    return events_after_cutoff(context.frame, config.data_cutoff, context.sheet, context.headers)


def _screen_terms(
    workbook: Workbook,
    config: StudyConfig,
    contexts: dict[str, SheetContext],
    terms: tuple[np.ndarray, pd.Index],
) -> tuple[list[Problem], bool]:
    """Problems for terms that hold an identifier; or, when the study redacts, none: the
    terms (and the notes intake wrote about them) are rewritten and the rewrite recorded.
    Whether the terms were rewritten comes second; ``terms`` is their factorization."""
    events = contexts["adverse_events"]
    patients = contexts["patients"].frame if "patients" in contexts else workbook.patients
    header = events.header("term")
    # What is screened: the distinct terms, and the notes intake wrote about them (redacted too)
    texts = [str(t) for t in terms[1]]
    noted = [n for n in workbook.normalisations if (n.sheet, n.column) == (events.sheet, header)]
    texts += [n.rule for n in noted]
    finder = IdentifierFinder(patients, workbook.identifiers, among=term_words(texts))
    redact = config.redacts_identifiers
    screening = screen_column(
        events.frame["term"], finder, events.sheet, header, redact=redact, factorized=terms
    )
    if screening.values is not None:
        events.frame["term"] = screening.values
        notes = tuple(
            replace(n, rule=redacted(n.rule, finder.hits(n.rule)))
            if (n.sheet, n.column) == (events.sheet, header)
            else n
            for n in workbook.normalisations
        )
        # The workbook is frozen so that later stages cannot change it; screening is the one
        # step that rewrites it, before any of them runs.
        object.__setattr__(workbook, "normalisations", (*notes, *screening.notes))
        return list(screening.problems), True
    return list(screening.problems), False


def _duplicate_terms(
    events: SheetContext, screened: list[Problem], terms: tuple[np.ndarray, pd.Index] | None
) -> list[Problem]:
    """Warnings for terms that look like another term of the sheet (after the synonyms); a
    term holding an identifier is left out, so no warning repeats what screening masked.
    ``terms`` is the factorization of the terms when screening left them as they were."""
    held = {p.row for p in screened}
    if terms is not None:
        codes, uniques = terms
        rows = events.frame.index
        held_codes = set(np.unique(codes[rows.isin(list(held))]).tolist()) if held else set()
        return duplicate_term_warnings_coded(
            codes, uniques, rows, held_codes, events.sheet, events.header("term")
        )
    terms_kept = events.frame["term"].loc[~events.frame.index.isin(list(held))]
    return duplicate_term_warnings(terms_kept, events.sheet, events.header("term"))


def _not_yet_reported(problems: list[Problem], found: list[Problem]) -> list[Problem]:
    """Drop schema problems at a cell (or a missing column) that intake already reported, and
    those of a row rule that read such a cell: a stop date that could not be read is not an
    empty one, and "a reason for stopping is given but the stop date is empty" would send the
    reader to the wrong cell."""
    seen = {(p.sheet, p.row, p.column) for p in found}
    return [
        p
        for p in problems
        if (p.sheet, p.row, p.column) not in seen
        and not any((p.sheet, p.row, column) in seen for column in p.reads)
    ]
