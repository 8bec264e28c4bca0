"""Validate an extract piece by piece on the Dask workers, with the in-memory rules.

Each worker types its piece with intake and checks it with the functions
:func:`cohortpress.validate.validate_workbook` uses (the pandera schemas, the row rules, the
study's computed variables), so a problem reads as it would in memory, located at the file and
the row within the file. The rules that span pieces run as distributed reductions: patient IDs
in more than one row and adverse events of unknown patients (together, one pass over buckets
of hashed IDs, ``_id_buckets``), identifiers in the adverse event terms (the distinct terms,
searched once on the client for the few IDs and names the workers find among their words)
and terms that look alike (term counts summed over the pieces).

A piece lists at most :data:`LISTED_PER_RULE` problems per column and rule, and so does the
whole extract; the rest are counted in one line per column and rule, so a systematic error in a
registry gives a readable list rather than millions of lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from cohortpress._packed import Packed, pack
from cohortpress.errors import Problem
from cohortpress.validate._events import (
    AFTER_DEATH,
    FATAL_GRADE,
    FATAL_WITHOUT_DEATH,
    after_death_rule,
)
from cohortpress.validate._translate import value_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import pandera.pandas as pa
    from distributed import Client, Future

    from cohortpress.config import StudyConfig
    from cohortpress.intake import Normalisation
    from cohortpress.intake._partitioned import Extract, Piece
    from cohortpress.validate._identifiers import IdentifierFinder
    from cohortpress.validate._report import ValidationReport
    from cohortpress.validate._translate import SheetContext

LISTED_PER_RULE = 100  # problems listed per column, rule and severity (per piece and in all)
ID_RULE = "this patient ID appears in more than one row"
UNKNOWN_RULE = "no patient with this ID in the patients sheet"
Unlisted = tuple[str, "str | None", str, str]  # sheet (folder or file), column, rule, severity


@dataclass
class CheckedPiece:
    """A piece typed and checked on a worker; only its summary travels to the client."""

    name: str
    rows: Packed  # the typed rows, kept on the worker with their text packed
    headers: dict[str, str]
    notes: list[Normalisation]
    problems: list[Problem]
    unlisted: Counter[Unlisted] = field(default_factory=Counter)
    identifiers: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        """The typed rows as intake made them."""
        return self.rows.frame()

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def summary(self) -> CheckedPiece:
        """Everything but the rows."""
        return replace(self, rows=pack(self.frame.iloc[:0]), identifiers=None)


@dataclass(frozen=True)
class ValidatedExtract:
    """The checked pieces (kept on the workers) and what the data appendix needs."""

    patients: list[Future]  # CheckedPiece per piece of the patients sheet
    adverse_events: list[Future] | None
    headers: dict[tuple[str, str], str]  # (sheet key, field) -> header, as Workbook.headers
    normalisations: tuple[Normalisation, ...]
    report: ValidationReport
    rows: dict[str, int]  # sheet name -> rows


# --- on the workers ---------------------------------------------------------------------


def check_patients_piece(piece: Piece, config: StudyConfig) -> CheckedPiece:
    """Type one piece of the patients sheet and check it as validate_workbook checks a sheet."""
    from cohortpress.intake import _add_age, _split_identifiers
    from cohortpress.intake._fields import identifier_fields, patient_fields
    from cohortpress.intake._partitioned import read_piece
    from cohortpress.validate import _not_yet_reported, _patient_checks, _schema_problems
    from cohortpress.validate._needs import missing_needed_columns
    from cohortpress.validate._schemas import patients_schema

    sheet = read_piece(piece, patient_fields(config) + identifier_fields(config), config)
    _add_age(sheet, piece.name)
    identifiers = _split_identifiers(sheet)
    found = list(sheet.problems)
    if not _unreadable(found):
        context = _context(piece.name, sheet.frame, sheet.headers, patients_schema(config), config)
        found += _not_yet_reported(_schema_problems(context), found)
        found += missing_needed_columns(context, config)
        found += _patient_checks(context, config)
    listed, unlisted = _bounded(found)
    return CheckedPiece(
        piece.name, pack(sheet.frame), sheet.headers, sheet.notes, listed, unlisted, identifiers
    )


def check_events_piece(piece: Piece, config: StudyConfig) -> CheckedPiece:
    """Type one piece of the adverse events sheet and check it against its schema."""
    from cohortpress.intake._fields import adverse_event_fields
    from cohortpress.intake._partitioned import read_piece
    from cohortpress.validate import _event_checks, _not_yet_reported, _schema_problems
    from cohortpress.validate._schemas import adverse_events_schema

    sheet = read_piece(piece, adverse_event_fields(config), config)
    found = list(sheet.problems)
    if not _unreadable(found):
        context = _context(piece.name, sheet.frame, sheet.headers, adverse_events_schema(), config)
        found += _not_yet_reported(_schema_problems(context), found)
        found += _event_checks(context, config)
    listed, unlisted = _bounded(found)
    return CheckedPiece(piece.name, pack(sheet.frame), sheet.headers, sheet.notes, listed, unlisted)


def _context(
    name: str,
    frame: pd.DataFrame,
    read: dict[str, str],
    schema: pa.DataFrameSchema,
    config: StudyConfig,
) -> SheetContext:
    """The sheet's context as validate_workbook makes it, the file standing for the sheet."""
    from cohortpress.validate._translate import SheetContext

    headers = {f: config.header(f) for f in schema.columns}
    headers.update(read)
    return SheetContext(name, headers, frame, schema)


def _unreadable(problems: list[Problem]) -> bool:
    """The file has no table to check (no header found): its problem says so."""
    return any(p.row is None and p.column is None for p in problems)


def _bounded(problems: Iterable[Problem]) -> tuple[list[Problem], Counter]:
    """At most LISTED_PER_RULE problems per (column, rule, severity); the rest counted."""
    listed: list[Problem] = []
    seen: Counter[Unlisted] = Counter()
    unlisted: Counter[Unlisted] = Counter()
    for p in problems:
        key = (_sheet_of(p.sheet), p.column, p.rule, p.severity)
        seen[key] += 1
        if seen[key] > LISTED_PER_RULE:
            unlisted[key] += 1
        else:
            listed.append(p)
    return listed, unlisted


def _sheet_of(name: str) -> str:
    """The sheet a file belongs to, as the extract names it: ``patients/`` for
    ``patients/year=2020/part-0.parquet``; a single file is its own sheet."""
    return name.split("/")[0] + "/" if "/" in name else name


def _term_counts(checked: CheckedPiece) -> pd.DataFrame:
    """Rows per distinct term, and the row of its first appearance."""
    if "term" not in checked.rows.columns:
        return pd.DataFrame({"rows": [], "first_row": []})
    terms = checked.rows.column("term").dropna().astype(str)
    firsts = terms[~terms.duplicated()]
    return pd.DataFrame(
        {
            "rows": terms.value_counts(sort=False),
            "first_row": pd.Series(firsts.index.to_numpy(), index=firsts.to_numpy()),
        }
    )


def _matching_identifiers(checked: CheckedPiece, words: frozenset[str]) -> pd.DataFrame:
    """The IDs (column ``patient_id``) and identifier column words of the piece that are
    among ``words`` (case folded): the only ones that can be found in a term."""
    from cohortpress.validate._identifiers import _read_alike, _words

    found: dict[str, list[str]] = {}
    if "patient_id" in checked.rows.columns:
        ids = checked.rows.column("patient_id").dropna().astype(str).drop_duplicates()
        ids = _read_alike(ids)  # as the terms' words are read
        found["patient_id"] = ids.loc[ids.str.casefold().isin(words)].tolist()
    if checked.identifiers is not None:
        for header, column in checked.identifiers.items():
            some = _words(column.dropna().astype(str))
            found[f"identifier:{header}"] = some.loc[some.str.casefold().isin(words)].tolist()
    return pd.DataFrame(
        [(k, v) for k, values in found.items() for v in values], columns=["kind", "value"]
    )


def _screened(
    checked: CheckedPiece, finder: IdentifierFinder, redact: bool, header: str
) -> CheckedPiece:
    """The piece's terms screened: problems, or the terms redacted and the redaction noted."""
    from cohortpress.validate._identifiers import screen_column

    if "term" not in checked.rows.columns:
        return checked
    terms = checked.rows.column("term")
    screening = screen_column(terms, finder, checked.name, header, redact=redact)
    if screening.values is not None:
        frame = checked.frame.copy()
        frame["term"] = screening.values
        return replace(checked, rows=pack(frame), notes=[*checked.notes, *screening.notes])
    listed, unlisted = _bounded([*checked.problems, *screening.problems])
    return replace(checked, problems=listed, unlisted=checked.unlisted + unlisted)


# --- on the client ----------------------------------------------------------------------


def gather(client: Client, futures: list[Future]) -> list[Any]:
    """The results of ``futures``, on a synchronous client."""
    return cast("list[Any]", client.gather(futures))


def validate_extract(
    client: Client,
    extract: Extract,
    config: StudyConfig,
    progress: Callable[[str, list[Future]], None],
) -> ValidatedExtract:
    """Every piece typed and checked on the workers; the rules spanning pieces as reductions.

    ``progress`` is shown each batch of futures (a label and the futures) as they complete.
    """
    patients = client.map(check_patients_piece, extract.pieces["patients"], config=config)
    events = None
    if "adverse_events" in extract.pieces:
        events = client.map(check_events_piece, extract.pieces["adverse_events"], config=config)
    progress("Read and check patients", patients)
    if events is not None:
        progress("Read and check adverse events", events)
    summaries = gather(client, client.map(CheckedPiece.summary, patients))
    event_summaries = gather(client, client.map(CheckedPiece.summary, events)) if events else []
    found = [p for s in (*summaries, *event_summaries) for p in s.problems]
    unlisted = sum((s.unlisted for s in (*summaries, *event_summaries)), Counter())
    patients_name = extract.sheet_name("patients")
    screened = _rows(client, patients)
    if screened == 0:
        found.append(Problem(patients_name, None, None, None, "the sheet has no patients"))
    names = {
        key: [p.name for p in extract.pieces.get(key, ())] for key in ("patients", "adverse_events")
    }
    id_header = _id_header(found) or _header(summaries, "patient_id")
    event_headers = {f: _header(event_summaries, f) for f in ("patient_id", "onset_date", "grade")}
    sheets = {key: extract.sheet_name(key) for key in ("patients", "adverse_events")}
    by_patient = _id_rules(
        client, patients, events, names, found, {"patients": id_header, **event_headers}, sheets
    )
    found += by_patient.duplicates
    # every repeated row neither listed here nor by its piece: the pieces' own unlisted included
    unlisted[(patients_name, id_header, ID_RULE, "error")] = 0
    unlisted.update(by_patient.unlisted)
    if events is not None:
        found += by_patient.unknown + by_patient.events
        events, notes, held = _screen_terms(client, events, patients, event_summaries, config)
        found += held
    else:
        notes = []
    values = [p.value for p in found if p.value]
    if values:
        from cohortpress.validate._identifiers import names_masked, term_words

        found = names_masked(found, _identifier_finder(client, patients, term_words(values)))
    found, more = _bounded(found)
    unlisted.update(more)
    found += _unlisted_lines(unlisted)
    order = [s.name for s in (*summaries, *event_summaries)]
    columns = {s.name: list(s.headers.values()) for s in (*summaries, *event_summaries)}
    from cohortpress.validate._report import ValidationReport, sort_problems

    report = ValidationReport(sort_problems(_once_per_extract(found), order, columns))
    headers = _headers(summaries, event_summaries)
    normalisations = _merged_notes(extract, summaries, event_summaries, notes, config)
    rows = {patients_name: screened}
    if events is not None:
        rows[extract.sheet_name("adverse_events")] = _rows(client, events)
    return ValidatedExtract(patients, events, headers, normalisations, report, rows)


def _rows(client: Client, futures: list[Future]) -> int:
    return sum(gather(client, client.map(_length, futures)))


def _length(checked: CheckedPiece) -> int:
    return len(checked.rows)


def _header(summaries: list[CheckedPiece], name: str) -> str:
    for s in summaries:
        if name in s.headers:
            return s.headers[name]
    return name


def _id_frame(checked: CheckedPiece) -> pd.DataFrame:
    """The piece's patient IDs (column ``patient_id``, indexed by row) with the columns the
    rules by patient read (``_id_buckets.CARRIED``), if it has the IDs."""
    from cohortpress.validate._id_buckets import CARRIED

    columns = checked.rows.columns
    if "patient_id" not in columns:
        return pd.DataFrame(index=checked.rows.data.index)
    frame = checked.rows.column("patient_id").astype("string[pyarrow]").to_frame()
    for name in CARRIED:
        if name in columns:
            frame[name] = checked.rows.column(name)
    return frame


@dataclass(frozen=True)
class _ByPatient:
    """The rules read by patient over the whole extract (``_id_buckets``): the problems
    listed, and the rows found but not listed, by sheet, column, rule and severity."""

    duplicates: list[Problem]
    unknown: list[Problem]
    events: list[Problem]  # events after death, fatal events of living patients
    unlisted: Counter[Unlisted]


def _id_rules(
    client: Client,
    patients: list[Future],
    events: list[Future] | None,
    names: dict[str, list[str]],
    found: list[Problem],
    headers: dict[str, str],
    sheets: dict[str, str],
) -> _ByPatient:
    """Patient IDs in more than one row, adverse events of unknown patients, events after
    their patient's death and fatal events of patients without a date of death, in one pass
    over buckets of hashed IDs (``_id_buckets``). A row a piece's own schema check reported
    is not listed twice. ``names`` holds the file of each piece of the patients and adverse
    events, in order, ``sheets`` the name of each sheet; ``headers`` the header of
    ``patient_id`` in the patients sheet (``"patients"``), and of each field of the adverse
    events sheet."""
    from cohortpress.validate._id_buckets import find_id_problems

    seen = {(p.sheet, p.row) for p in found if p.rule == ID_RULE}
    keep = LISTED_PER_RULE + len(seen)
    frames = client.map(_id_frame, patients)
    event_frames = client.map(_id_frame, events) if events is not None else None
    findings = find_id_problems(client, frames, event_frames, keep)
    header, event_header = headers["patients"], headers.get("patient_id", "patient_id")
    repeated = [
        (names["patients"][piece], int(row), pid)
        for pid, piece, row in findings.repeated.itertuples(index=False)
    ]
    duplicates = [
        Problem(sheet, row, header, pid, ID_RULE)
        for sheet, row, pid in repeated
        if (sheet, row) not in seen
    ][:LISTED_PER_RULE]
    more = findings.repeated_rows - len(duplicates) - len(seen)
    unknown = _unknown_listed(client, frames, findings.unknown, names, event_header)
    events_sheet = sheets["adverse_events"]
    unlisted: Counter[Unlisted] = Counter()
    unlisted[(sheets["patients"], header, ID_RULE, "error")] = max(more, 0)
    unlisted[(events_sheet, event_header, UNKNOWN_RULE, "error")] = findings.unknown_rows - len(
        unknown
    )
    onset, grade = headers.get("onset_date", "onset_date"), headers.get("grade", "grade")
    late = [
        Problem(names["adverse_events"][piece], int(row), onset, value_text(started),
                after_death_rule(died))
        for _, piece, row, started, died in findings.after_death.head(LISTED_PER_RULE).itertuples(
            index=False, name=None
        )
    ]  # fmt: skip
    unlisted[(events_sheet, onset, AFTER_DEATH, "error")] = findings.after_death_rows - len(late)
    fatal = [
        Problem(names["adverse_events"][piece], int(row), grade, str(FATAL_GRADE),
                FATAL_WITHOUT_DEATH, severity="warning")
        for _, piece, row in findings.fatal_alive.head(LISTED_PER_RULE).itertuples(
            index=False, name=None
        )
    ]  # fmt: skip
    unlisted[(events_sheet, grade, FATAL_WITHOUT_DEATH, "warning")] = (
        findings.fatal_alive_rows - len(fatal)
    )
    return _ByPatient(duplicates, unknown, [*late, *fatal], unlisted)


def _id_header(found: list[Problem]) -> str | None:
    for p in found:
        if p.rule == ID_RULE:
            return p.column
    return None


def _unknown_listed(
    client: Client,
    frames: list[Future],
    unknown: pd.DataFrame,
    names: dict[str, list[str]],
    header: str,
) -> list[Problem]:
    """The first adverse event rows of unknown patients, with "did you mean" for IDs that
    differ from a known one in case, spacing, width or leading zeros."""
    if unknown.empty:
        return []
    from cohortpress.validate._cross_sheet import _suggestions, id_key

    unknown = unknown.head(LISTED_PER_RULE)
    asked = unknown["patient_id"].unique()
    folded = frozenset(id_key(str(pid)) for pid in asked)
    close = gather(client, client.map(_folded_ids, client.map(_ids, frames), folded=folded))
    suggestions = _suggestions(asked, pd.concat(close, ignore_index=True))
    return [
        Problem(names["adverse_events"][piece], int(row), header, pid, UNKNOWN_RULE,
                suggestions.get(pid))
        for pid, piece, row in unknown.itertuples(index=False)
    ]  # fmt: skip


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    """The piece's patient IDs."""
    if "patient_id" not in frame:
        return pd.DataFrame({"patient_id": pd.Series(dtype=object)})
    return pd.DataFrame({"patient_id": frame["patient_id"].dropna().astype(str).to_numpy()})


def _folded_ids(ids: pd.DataFrame, folded: frozenset[str]) -> pd.Series:
    """The IDs equal to one of ``folded`` but for case, spacing, width or leading zeros
    (:func:`~cohortpress.validate._cross_sheet.id_key`): "did you mean"."""
    from cohortpress.validate._cross_sheet import id_key

    values = ids["patient_id"]
    return values.loc[values.map(id_key).isin(folded)]


def _screen_terms(
    client: Client,
    events: list[Future],
    patients: list[Future],
    summaries: list[CheckedPiece],
    config: StudyConfig,
) -> tuple[list[Future], list[Normalisation], list[Problem]]:
    """Identifiers in the terms, and terms that look alike, from the distinct terms."""
    from cohortpress.validate._ae_terms import duplicate_term_warnings_counted
    from cohortpress.validate._identifiers import term_words

    counts = gather(client, client.map(_term_counts, events))
    per_term: dict[str, int] = Counter()
    first: dict[str, tuple[str, int]] = {}
    for summary, c in zip(summaries, counts, strict=True):
        for term, n, row in zip(c.index, c["rows"], c["first_row"], strict=True):
            per_term[term] += int(n)
            first.setdefault(term, (summary.name, int(row)))
    if not per_term:
        return events, [], []
    header = _header(summaries, "term")
    finder = _identifier_finder(client, patients, term_words(per_term))
    redact = config.adverse_events is not None and config.adverse_events.identifiers == "redact"
    held = {t for t in per_term if finder.hits(t)}
    notes: list[Normalisation] = []
    problems: list[Problem] = []
    if held:
        events = client.map(_screened, events, finder=finder, redact=redact, header=header)
        screened = gather(client, client.map(CheckedPiece.summary, events))
        if redact:
            notes = _summed_notes([n for s in screened for n in s.notes if "redacted" in n.rule])
        else:
            problems = [p for s in screened for p in s.problems if "free text holds" in p.rule]
    clean = {t: n for t, n in per_term.items() if t not in held}
    problems += duplicate_term_warnings_counted(clean, {t: first[t] for t in clean}, header)
    return events, notes, problems


def _identifier_finder(
    client: Client, patients: list[Future], words: frozenset[str]
) -> IdentifierFinder:
    """An :class:`IdentifierFinder` of the patient IDs and identifier words, among ``words``
    (:func:`~cohortpress.validate._identifiers.term_words` of the texts to screen), that the
    workers find in their pieces: the only ones that can be found in those texts."""
    from cohortpress.validate._identifiers import IdentifierFinder

    matches = pd.concat(
        gather(client, client.map(_matching_identifiers, patients, words=words)), ignore_index=True
    )
    ids = pd.DataFrame({"patient_id": matches.loc[matches["kind"] == "patient_id", "value"]})
    named = matches.loc[matches["kind"] != "patient_id"]
    identifiers = None
    if not named.empty:
        identifiers = pd.DataFrame(
            {
                kind.removeprefix("identifier:"): pd.Series(group["value"].to_numpy())
                for kind, group in named.groupby("kind")
            }
        )
    return IdentifierFinder(ids, identifiers, among=words)


def _unlisted_lines(unlisted: Counter[Unlisted]) -> list[Problem]:
    """One line per sheet, column and rule whose rows were not all listed."""
    return [
        Problem(sheet, None, column, None, f"{rule} (and {n:,} more rows, not listed)",
                severity=severity)
        for (sheet, column, rule, severity), n in unlisted.items()
        if n > 0
    ]  # fmt: skip


def _once_per_extract(problems: list[Problem]) -> list[Problem]:
    """A problem of a whole file (a missing column) said once for the extract, not per file."""
    files: dict[tuple, list[Problem]] = {}
    kept: list[Problem] = []
    for p in problems:
        if p.row is None and p.column is not None and p.value is None:
            files.setdefault((p.column, p.rule, p.suggestion, p.severity), []).append(p)
        else:
            kept.append(p)
    for same in files.values():
        if len(same) == 1:
            kept.append(same[0])
            continue
        folder = _sheet_of(same[0].sheet)
        rule = f"{same[0].rule} (in {len(same):,} files)"
        kept.append(replace(same[0], sheet=folder, rule=rule))
    return kept


def _headers(
    patients: list[CheckedPiece], events: list[CheckedPiece]
) -> dict[tuple[str, str], str]:
    headers: dict[tuple[str, str], str] = {}
    for key, summaries in (("patients", patients), ("adverse_events", events)):
        for s in summaries:
            for name, header in s.headers.items():
                headers.setdefault((key, name), header)
    return headers


def _merged_notes(
    extract: Extract,
    patients: list[CheckedPiece],
    events: list[CheckedPiece],
    screening: list[Normalisation],
    config: StudyConfig,
) -> tuple[Normalisation, ...]:
    """The normalisations of all pieces of a sheet summed under the sheet's name."""
    from cohortpress.intake import Normalisation, patients_sheet_notes

    notes: list[Normalisation] = []
    for key, summaries in (("patients", patients), ("adverse_events", events)):
        name = extract.sheet_name(key)
        notes += _summed_notes([replace(n, sheet=name) for s in summaries for n in s.notes])
    columns = frozenset(patients[0].frame.columns) if patients else frozenset()
    notes += patients_sheet_notes(config, columns, extract.sheet_name("patients"))
    if config.adverse_events is not None and "adverse_events" not in extract.pieces:
        rule = "no adverse events sheet, and study.yml does not ask for one: AEs are not reported"
        sheet = config.sheets.get("adverse_events", "adverse_events")
        notes.append(Normalisation(sheet, None, rule, 1))
    return (*notes, *_summed_notes(screening))


def _summed_notes(notes: list[Normalisation]) -> list[Normalisation]:
    counts: dict[tuple[str, str | None, str], int] = {}
    for n in notes:
        key = (n.sheet, n.column, n.rule)
        counts[key] = counts.get(key, 0) + n.count
    from cohortpress.intake import Normalisation

    return [Normalisation(s, c, r, n) for (s, c, r), n in counts.items()]
