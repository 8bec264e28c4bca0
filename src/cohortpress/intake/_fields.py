"""What each column of a sheet should hold, built from the study configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from cohortpress.config import CANONICAL_AE_FIELDS, CANONICAL_PATIENT_FIELDS

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig, Variable

Kind = Literal["id", "text", "number", "date", "category", "grade"]

SEXES = ("Male", "Female")
END_REASONS = (
    "progression",
    "adverse_event",
    "death",
    "patient_decision",
    "physician_decision",
    "other",
)
RESPONSES = ("CR", "PR", "SD", "PD", "NE")
YES_NO = ("Yes", "No")

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


def patient_fields(config: StudyConfig) -> list[FieldSpec]:
    """The canonical patient fields followed by the study's own variables."""
    specs = [_canonical(config, name, _PATIENT_KINDS[name]) for name in CANONICAL_PATIENT_FIELDS]
    specs += [_variable(config, name, var) for name, var in config.workbook_variables.items()]
    return specs


def adverse_event_fields(config: StudyConfig) -> list[FieldSpec]:
    """The canonical fields of the adverse events sheet; term synonyms come from study.yml."""
    synonyms = dict(config.adverse_events.synonyms) if config.adverse_events else {}
    specs = [_canonical(config, name, _AE_KINDS[name]) for name in CANONICAL_AE_FIELDS]
    return [
        FieldSpec(s.name, s.header, s.kind, s.declared, s.levels, synonyms)
        if s.name == "term"
        else s
        for s in specs
    ]


def _canonical(config: StudyConfig, name: str, kind: Kind) -> FieldSpec:
    return FieldSpec(
        name=name,
        header=config.header(name),
        kind=kind,
        declared=name in config.columns,
        levels=_LEVELS.get(name, ()),
        percent=name == "best_change_pct",
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
    )
