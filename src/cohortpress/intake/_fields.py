"""What each column of a sheet should hold, built from the study configuration."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from cohortpress.config import (
    BUILT_IN_CATEGORIES,
    CANONICAL_AE_FIELDS,
    CANONICAL_PATIENT_FIELDS,
    fold_token,
)
from cohortpress.response_criteria import DEFAULT as DEFAULT_CRITERIA

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig, Variable

Kind = Literal["id", "text", "number", "date", "category", "grade", "status"]

SEXES = BUILT_IN_CATEGORIES["sex"]
END_REASONS = BUILT_IN_CATEGORIES["end_reason"]
RESPONSES = BUILT_IN_CATEGORIES["best_response"]
YES_NO = BUILT_IN_CATEGORIES["serious"]

_PATIENT_KINDS: dict[str, Kind] = {
    "patient_id": "id",
    "age": "number",
    "birth_date": "date",
    "sex": "category",
    "treatment_start": "date",
    "treatment_end": "date",
    "end_reason": "category",
    "progression_date": "date",
    "death_date": "date",
    "last_contact": "date",
    "last_assessment": "date",
    "best_response": "category",
    "best_change_pct": "number",
}
_AE_KINDS: dict[str, Kind] = {
    "patient_id": "id",
    "term": "text",
    "grade": "grade",
    "onset_date": "date",
    "serious": "category",
}
_LEVELS = {"sex": SEXES, "end_reason": END_REASONS, "best_response": RESPONSES, "serious": YES_NO}


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field: where to find it and how to read its cells."""

    name: str
    header: str  # the header study.yml names (or the canonical name)
    kind: Kind
    declared: bool  # named in study.yml (columns: or variables:), so it must be in the sheet
    levels: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)  # input value -> level or term
    percent: bool = False  # a trailing % sign is allowed
    missing: frozenset[str] = frozenset()  # study.yml's missing_values, folded
    hint: str | None = None  # what to add to study.yml when a cell is not one of the values
    spellings: dict[str, str] = field(default_factory=dict)  # built-in: full names -> level


def patient_fields(config: StudyConfig) -> list[FieldSpec]:
    """The canonical patient fields followed by the study's own variables."""
    specs = [_canonical(config, name, _PATIENT_KINDS[name]) for name in CANONICAL_PATIENT_FIELDS]
    specs += [_variable(config, name, var) for name, var in config.workbook_variables.items()]
    specs += endpoint_fields(config)
    return specs


EVENT, CENSORED = "event", "censored"


def endpoint_fields(config: StudyConfig) -> list[FieldSpec]:
    """The time and status columns of endpoints read as recorded (``time:``/``status:``).

    A status cell is read as ``event`` or ``censored`` through the endpoint's declared values;
    any other value is a problem whose hint names the study.yml line to extend.
    """
    specs = []
    for i, endpoint in enumerate(config.endpoints):
        if endpoint.time is None or endpoint.status is None:
            continue
        specs.append(
            FieldSpec(
                endpoint.time,
                config.header(endpoint.time),
                "number",
                True,
                missing=_missing(config),
            )
        )
        values = {v: EVENT for v in endpoint.event_values}
        values |= {v: CENSORED for v in endpoint.censored_values}
        hint = (
            f"add it to `endpoints[{i}].event_values` or `endpoints[{i}].censored_values` "
            "in study.yml"
        )
        specs.append(
            FieldSpec(
                endpoint.status,
                config.header(endpoint.status),
                "status",
                True,
                levels=(EVENT, CENSORED),
                synonyms=values,
                missing=_missing(config),
                hint=hint,
            )
        )
    return specs


IDENTIFIER_PREFIX = "identifier:"


def identifier_fields(config: StudyConfig) -> list[FieldSpec]:
    """The study's declared identifier columns (names, MRNs), read as plain text like IDs.

    Their frame columns are named ``identifier:<header>`` so they never meet a canonical field.
    """
    return [FieldSpec(f"{IDENTIFIER_PREFIX}{h}", h, "id", True) for h in config.identifiers]


def adverse_event_fields(config: StudyConfig) -> list[FieldSpec]:
    """The canonical fields of the adverse events sheet; term synonyms come from study.yml."""
    synonyms = dict(config.adverse_events.synonyms) if config.adverse_events else {}
    specs = [_canonical(config, name, _AE_KINDS[name]) for name in CANONICAL_AE_FIELDS]
    return [replace(s, synonyms=synonyms) if s.name == "term" else s for s in specs]


def _canonical(config: StudyConfig, name: str, kind: Kind) -> FieldSpec:
    spellings: dict[str, str] = {}
    levels = _LEVELS.get(name, ())
    if name == "best_response":  # the categories of the study's response criteria
        scheme = config.response.scheme if config.response else DEFAULT_CRITERIA
        levels, spellings = scheme.codes, scheme.spellings()
    return FieldSpec(
        name=name,
        header=config.header(name),
        kind=kind,
        declared=name in config.columns,
        levels=levels,
        spellings=spellings,
        synonyms={k: str(v) for k, v in config.synonyms.get(name, {}).items()},  # type: ignore[call-overload]
        percent=name == "best_change_pct",
        missing=_missing(config),
    )


def _variable(config: StudyConfig, name: str, variable: Variable) -> FieldSpec:
    kind: Kind = "category" if variable.type in ("categorical", "binary") else "number"
    kind = "date" if variable.type == "date" else kind
    return FieldSpec(
        name=name,
        header=config.header(name),
        kind=kind,
        declared=True,
        levels=tuple(variable.levels or ()),
        synonyms=dict(variable.synonyms),
        missing=_missing(config),
    )


def _missing(config: StudyConfig) -> frozenset[str]:
    return frozenset(fold_token(token) for token in config.missing_values)
