"""The study configuration: one validated, frozen object read from ``reports/<study>/study.yml``.

Every key is declared here with a description that doubles as documentation; an unknown key is an
error naming the key and the file, never a silent default. The object is passed down explicitly;
no stage reads study.yml itself.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cohortpress.errors import StudyConfigError
from cohortpress.render._yaml import MAX_YAML_BYTES, load_yaml

TimeUnit = Literal["days", "weeks", "months", "years"]
DAYS_PER_UNIT: dict[str, float] = {
    "days": 1.0,
    "weeks": 7.0,
    "months": 365.25 / 12,
    "years": 365.25,
}

CANONICAL_PATIENT_FIELDS = (
    "patient_id",
    "age",
    "birth_date",
    "sex",
    "treatment_start",
    "treatment_end",
    "end_reason",
    "progression_date",
    "death_date",
    "last_contact",
    "best_response",
    "best_change_pct",
)
CANONICAL_AE_FIELDS = ("patient_id", "term", "grade", "onset_date", "serious")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Author(_Model):
    name: str
    affiliation: str | None = None
    email: str | None = None
    corresponding: bool = False


class Duration(_Model):
    """A length of time in a stated unit, e.g. ``{value: 1, unit: months}``."""

    value: float = Field(gt=0)
    unit: TimeUnit = "days"

    def days(self) -> float:
        return self.value * DAYS_PER_UNIT[self.unit]

    def text(self) -> str:
        value = f"{self.value:g}"
        unit = self.unit[:-1] if self.value == 1 else self.unit
        return f"{value} {unit}"


class Variable(_Model):
    """A study-specific column of the patients sheet (beyond the canonical fields).

    ``categorical`` values must be one of ``levels`` (after trimming, case-folding and
    ``synonyms``); ``binary`` is a categorical with two levels whose first is the "present" one
    (counted in Table I); ``continuous`` and ``count`` are numbers checked against ``range``
    (an error) and ``plausible`` (a warning in the data appendix).
    """

    label: str
    type: Literal["continuous", "count", "categorical", "binary"]
    unit: str | None = None
    levels: tuple[str, ...] | None = None
    synonyms: dict[str, str] = Field(default_factory=dict, description="input value -> level")
    range: tuple[float, float] | None = None
    plausible: tuple[float, float] | None = None
    plausible_hint: str | None = Field(
        None, description="what an implausible value probably means, e.g. 'entered as ×10³/µl?'"
    )
    required: bool = False
    abbreviation: str | None = Field(None, description="expanded in the table footnote")

    @model_validator(mode="after")
    def _levels_match_type(self) -> Variable:
        if self.type in ("categorical", "binary") and not self.levels:
            raise ValueError(f"a {self.type} variable needs `levels`")
        if self.type == "binary" and self.levels and len(self.levels) != 2:
            raise ValueError("a binary variable has exactly two `levels` (present first)")
        if self.type in ("continuous", "count") and self.levels:
            raise ValueError(f"a {self.type} variable has no `levels` (use `range`)")
        return self


class Marker(_Model):
    """A derived marker computed from other columns, split at a fixed cutoff into Low / High."""

    label: str
    formula: str = Field(description="arithmetic over columns, e.g. 'neutrophils / lymphocytes'")
    unit: str | None = None
    cutoff: float
    decimals: int = Field(2, ge=0, le=4, description="decimals when the median is printed")
    abbreviation: str | None = None
    high_label: str = "High"
    low_label: str = "Low"


class Table1Row(_Model):
    """One characteristic of Table I; ``variable`` is a canonical field, variable or marker."""

    variable: str
    label: str | None = None
    group: str | None = Field(None, description="heading shared by consecutive rows")
    summary: Literal["auto", "median_range", "median_iqr", "n_percent"] = "auto"
    cut: float | None = Field(None, description="split a continuous variable here for n (%)")
    cut_labels: tuple[str, str] | None = Field(None, description="labels of (< cut, ≥ cut)")
    levels_shown: tuple[str, ...] | None = Field(
        None, description="levels listed even when empty (default: all); levels with patients too"
    )


class Covariate(_Model):
    """A factor of the Cox models.

    A categorical variable is either used as it is (``reference`` names the reference level) or
    collapsed by ``groups`` (label → levels) with ``reference`` naming one group. A continuous
    variable is split at ``cut`` (``≥ cut`` vs ``< cut``, or reversed with ``reference``) or used
    per ``per`` units. A marker is split at its cutoff (High vs Low by default).
    """

    variable: str
    label: str | None = None
    groups: dict[str, tuple[str, ...]] | None = None
    reference: str | None = None
    cut: float | None = None
    cut_labels: tuple[str, str] | None = Field(None, description="labels of (< cut, ≥ cut)")
    per: float | None = None


class Multivariate(_Model):
    """Which factors enter the multivariable Cox model."""

    rule: Literal["univariate_p", "fixed", "none"] = "none"
    threshold: float = Field(0.05, gt=0, lt=1, description="with rule univariate_p")
    covariates: tuple[str, ...] = Field((), description="with rule fixed: variables")
    reason: str | None = Field(None, description="with rule none: printed in Methods")


class CoxSettings(_Model):
    covariates: tuple[Covariate, ...] = ()
    multivariate: Multivariate = Multivariate()


Conventions = Literal["ezr", "r", "sas"]
PStyle = Literal["threshold", "two_significant", "sas"]

CONVENTION_PRESETS: dict[str, dict[str, str]] = {
    "ezr": {"ci_transform": "log-log", "ties": "efron", "p_style": "threshold"},
    "r": {"ci_transform": "log", "ties": "efron", "p_style": "two_significant"},
    "sas": {"ci_transform": "log-log", "ties": "breslow", "p_style": "sas"},
}


class Statistics(_Model):
    """Statistical conventions; ``conventions`` sets the others at once, each still overridable."""

    conventions: Conventions = Field("ezr", description="preset: ezr (default), r or sas")
    ci_transform: Literal["log-log", "log", "plain"] | None = None
    ties: Literal["efron", "breslow"] | None = None
    p_style: PStyle | None = None
    conf_level: float = Field(0.95, gt=0.5, lt=1)
    alpha: float = Field(0.05, gt=0, lt=0.5, description="significance level stated in Methods")
    small_cell: int | None = Field(None, ge=2, description="show counts below k as '<k'")

    def resolved(self, key: str) -> str:
        """The value in force for ``key``: the override if set, else the preset's."""
        value = getattr(self, key)
        return value if value is not None else CONVENTION_PRESETS[self.conventions][key]


class Endpoint(_Model):
    kind: Literal["os", "pfs", "ttf"]
    label: str | None = None
    abbreviation: str | None = None


class Response(_Model):
    criteria: str = "RECIST 1.1"
    sd_min_duration: Duration = Duration(value=6, unit="months")
    sd_strict: bool = Field(True, description="SD must last longer than, not as long as, this")
    waterfall: bool = False


class AdverseEvents(_Model):
    grading: str = "CTCAE v5.0"
    severe_grade: int = Field(3, ge=1, le=5, description="'grade ≥ k' column")
    synonyms: dict[str, str] = Field(default_factory=dict, description="input term -> term")
    min_patients: int = Field(1, ge=1, description="terms seen in fewer patients are not listed")


class Inclusion(_Model):
    min_treatment: Duration | None = None


class Treatment(_Model):
    drug: str
    regimen: str | None = None
    line: str | None = None


BUILT_IN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "sex": ("Male", "Female"),
    "end_reason": (
        "progression",
        "adverse_event",
        "death",
        "patient_decision",
        "physician_decision",
        "other",
    ),
    "best_response": ("CR", "PR", "SD", "PD", "NE"),
    "serious": ("Yes", "No"),
    "grade": ("1", "2", "3", "4", "5"),
}
SynonymField = Literal["sex", "end_reason", "best_response", "serious", "grade"]


def fold_token(text: str) -> str:
    """How declared spellings and missing-value tokens are compared: trimmed, case-folded."""
    return text.strip().casefold()


class StudyConfig(_Model):
    """Everything ``reports/<study>/study.yml`` says about one study."""

    title: str
    short_title: str | None = None
    authors: tuple[Author, ...] = ()
    disease: str
    disease_abbreviation: str | None = None
    treatment: Treatment
    data: Path = Field(description="the workbook, relative to the study folder")
    sheets: dict[Literal["patients", "adverse_events"], str] = Field(
        default_factory=lambda: {"patients": "patients", "adverse_events": "adverse_events"}
    )
    columns: dict[str, str] = Field(default_factory=dict, description="canonical field -> header")
    date_formats: tuple[str, ...] = Field(("%Y-%m-%d",), description="formats of text dates")
    synonyms: dict[SynonymField, dict[str, str | int]] = Field(
        default_factory=dict,
        description="built-in categorical field (sex, end_reason, best_response, serious, AE "
        "grade) -> input value -> level; applied before the built-in missing-value tokens",
    )
    missing_values: tuple[str, ...] = Field(
        (), description="cell texts that mean 'not known', added to the built-in ones"
    )
    data_cutoff: dt.date
    time_unit: TimeUnit = "days"
    inclusion: Inclusion = Inclusion()
    endpoints: tuple[Endpoint, ...]
    variables: dict[str, Variable] = Field(default_factory=dict)
    markers: dict[str, Marker] = Field(default_factory=dict)
    table1: tuple[Table1Row, ...] = ()
    response: Response | None = Response()
    cox: CoxSettings = CoxSettings()
    adverse_events: AdverseEvents | None = AdverseEvents()
    statistics: Statistics = Statistics()
    dose_reduction: str | None = Field(None, description="binary variable recording dose reduction")
    compare_by: str | None = Field(
        None, description="marker or categorical variable: Table I by its groups, with tests"
    )

    folder: Annotated[Path, Field(exclude=True)] = Path()

    @model_validator(mode="after")
    def _synonyms_are_levels_and_not_missing(self) -> StudyConfig:
        missing = {fold_token(token) for token in self.missing_values}
        for where, spelling, level, levels in self._declared_synonyms():
            if levels and str(level) not in levels:
                allowed = ", ".join(levels)
                raise ValueError(f"{where}: '{spelling}' -> '{level}' is not one of {allowed}")
            if fold_token(spelling) in missing:
                raise ValueError(
                    f"{where}: '{spelling}' is declared both as a synonym and in missing_values"
                )
        return self

    def _declared_synonyms(self) -> list[tuple[str, str, object, tuple[str, ...]]]:
        """(where, input value, level, allowed levels) for every synonym study.yml declares."""
        found = [
            (f"synonyms.{name}", spelling, level, BUILT_IN_CATEGORIES[name])
            for name, table in self.synonyms.items()
            for spelling, level in table.items()
        ]
        found += [
            (f"variables.{name}.synonyms", spelling, level, tuple(var.levels or ()))
            for name, var in self.variables.items()
            for spelling, level in var.synonyms.items()
        ]
        if self.adverse_events is not None:
            found += [
                ("adverse_events.synonyms", spelling, term, ())
                for spelling, term in self.adverse_events.synonyms.items()
            ]
        return found

    @model_validator(mode="after")
    def _references_exist(self) -> StudyConfig:
        known = set(CANONICAL_PATIENT_FIELDS) | set(self.variables) | set(self.markers)
        for where, name in self._referenced_names():
            if name not in known:
                hint = _did_you_mean(name, known)
                raise ValueError(f"{where}: unknown variable '{name}'{hint}")
        for field in self.columns:
            if field not in known | set(CANONICAL_AE_FIELDS):
                raise ValueError(f"columns: unknown field '{field}'{_did_you_mean(field, known)}")
        return self

    def _referenced_names(self) -> list[tuple[str, str]]:
        refs = [(f"table1[{i}]", row.variable) for i, row in enumerate(self.table1)]
        refs += [(f"cox.covariates[{i}]", c.variable) for i, c in enumerate(self.cox.covariates)]
        refs += [("cox.multivariate.covariates", v) for v in self.cox.multivariate.covariates]
        if self.dose_reduction:
            refs.append(("dose_reduction", self.dose_reduction))
        if self.compare_by:
            refs.append(("compare_by", self.compare_by))
        return refs

    @property
    def data_path(self) -> Path:
        return (self.folder / self.data).resolve()

    def header(self, field: str) -> str:
        """The workbook's header for a canonical field or variable."""
        return self.columns.get(field, field)


def _did_you_mean(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def load_study(folder: Path | str) -> StudyConfig:
    """Read and validate ``<folder>/study.yml``; raise :class:`StudyConfigError` in plain words."""
    folder = Path(folder)
    path = folder / "study.yml"
    if not path.is_file():
        raise StudyConfigError(f"{path}: no study.yml in this folder")
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise StudyConfigError(
            f"{path}: {size:,} bytes, more than the {MAX_YAML_BYTES:,} a study.yml may have"
        )
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"), str(path), text_dates=False)
    except ValueError as exc:
        raise StudyConfigError(str(exc)) from None
    if not isinstance(raw, dict):
        raise StudyConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        return StudyConfig.model_validate({**raw, "folder": folder.resolve()})
    except ValidationError as exc:
        raise StudyConfigError(_explain(path, exc)) from None


def _explain(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {_message(err)}")
    return "\n".join(lines)


def _message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the README for the keys a study.yml takes)"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}; got {err['input']!r}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg']}; got {err['input']!r}"
