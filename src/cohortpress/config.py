"""The study configuration: one validated, frozen object read from ``reports/<study>/study.yml``.

Every key is declared here with a description that doubles as documentation; an unknown key is an
error naming the key and the file, never a silent default. The object is passed down explicitly;
no stage reads study.yml itself.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cohortpress import vocabulary
from cohortpress._folding import cell_key
from cohortpress._yaml import MAX_YAML_BYTES, load_yaml
from cohortpress.errors import StudyConfigError
from cohortpress.response_criteria import DEFAULT as DEFAULT_CRITERIA
from cohortpress.response_criteria import KNOWN_NAMES, CountsAs, Criteria, RateName, known_criteria
from cohortpress.response_criteria import Category as CriteriaCategory

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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
    "last_assessment",
    "best_response",
    "best_change_pct",
)
CANONICAL_AE_FIELDS = ("patient_id", "term", "grade", "onset_date", "serious")
# Fields that identify a patient: read for checks, never summarised, compared or printed.
IDENTIFYING_FIELDS = ("patient_id", "birth_date")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_DATE_TOKENS = {
    "YYYY": "%Y",
    "YY": "%y",
    "MONTH": "%B",
    "MMMM": "%B",
    "MON": "%b",
    "MMM": "%b",
    "MM": "%m",
    "M": "%m",
    "DD": "%d",
    "D": "%d",
}
_DATE_SPELLING = re.compile(
    "|".join(sorted(_DATE_TOKENS, key=len, reverse=True)) + r"|[/.\- ,]", re.IGNORECASE
)
_PROBE = dt.datetime(2021, 5, 31)


def strptime_format(spelling: str) -> str:
    """The strptime code for a date format as people write it (``DD/MM/YYYY`` → ``%d/%m/%Y``).

    A text with ``%`` is taken as a strptime code already. ``D`` and ``DD`` (``M`` and ``MM``)
    both read one or two digits, as strptime does. Either way the format must write and read
    back a full date, so a format without a day or with an unknown code is refused.
    """
    text = spelling.strip()
    if "%" not in text:
        pieces = _DATE_SPELLING.findall(text)
        if "".join(pieces) != text:
            raise ValueError(_not_a_date_format(spelling))
        text = "".join(_DATE_TOKENS.get(piece.upper()) or piece for piece in pieces)
    try:
        round_trip = dt.datetime.strptime(_PROBE.strftime(text), text)
    except ValueError:
        raise ValueError(_not_a_date_format(spelling)) from None
    if round_trip != _PROBE:
        raise ValueError(_not_a_date_format(spelling))
    return text


def _not_a_date_format(spelling: str) -> str:
    return (
        f"'{spelling}' is not a date format; write it like DD/MM/YYYY, MM/DD/YYYY, YYYY-MM-DD, "
        "DD.MM.YYYY or D/M/YY (or as a strptime code such as %d/%m/%Y)"
    )


DateFormat = Annotated[str, AfterValidator(strptime_format)]


_EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"


class Author(_Model):
    """One author of the study, as printed in the byline of every format."""

    name: str = Field(
        min_length=1, description="The author's name as printed.", examples=["A. Investigator"]
    )
    affiliation: str | tuple[str, ...] = Field(
        default=(),
        description=(
            "Department and institution, or a list of them. Affiliations are numbered in the "
            "order of first mention; the same text under two authors is one affiliation."
        ),
        examples=[
            "Department of Medical Oncology, Example City Hospital",
            ["Department of Urology, Example University", "Cancer Centre, Example University"],
        ],
    )
    email: str | None = Field(
        default=None,
        pattern=_EMAIL,
        description=(
            "Contact address of the author, printed with the corresponding author's name "
            "('*Correspondence to: …')."
        ),
        examples=["a.investigator@example.org"],
    )
    corresponding: bool = Field(
        default=False,
        description=(
            "Whether this is the corresponding author, marked with an asterisk in the byline; "
            "at most one author, and they need an `email`."
        ),
    )

    @property
    def affiliations(self) -> tuple[str, ...]:
        """The affiliations in order, whether written as one text or as a list."""
        return (self.affiliation,) if isinstance(self.affiliation, str) else self.affiliation


class Declarations(_Model):
    """The statements journals require, printed as the "Declarations" section (in this order)
    by ``{{< include _generated/declarations.md >}}``: after the Conclusion, before the
    references."""

    ethics: str | None = Field(
        default=None,
        description="Ethics approval: the committee, its approval number, the date.",
        examples=["Approved by the Example City Hospital ethics committee (No. 2021-042)."],
    )
    consent: str | None = Field(
        default=None,
        description="Consent to participate (and to publish), or why it was waived.",
        examples=["Informed consent was obtained in the form of an opt-out."],
    )
    funding: str | None = Field(
        default=None,
        description="Funding sources, or that there were none.",
        examples=["This study received no funding."],
    )
    conflicts: str | None = Field(
        default=None,
        description="Conflicts (competing interests) of the authors, or that there are none.",
        examples=["The authors declare no conflicts of interest."],
    )
    data_availability: str | None = Field(
        default=None,
        description="Where and on what terms the data can be had.",
        examples=["The data are available from the corresponding author on reasonable request."],
    )
    author_contributions: str | None = Field(
        default=None,
        description="Who did what (CRediT roles, say).",
        examples=["AI designed the study and wrote the manuscript; BC collected the data."],
    )


class Duration(_Model):
    """A length of time in a stated unit, e.g. ``{value: 1, unit: months}``."""

    value: float = Field(gt=0, description="How long, in `unit`s (above 0).", examples=[6])
    unit: TimeUnit = Field(
        default="days", description="The unit of `value`; a month is 30.4375 days."
    )

    def days(self) -> float:
        return self.value * DAYS_PER_UNIT[self.unit]

    def text(self) -> str:
        value = f"{self.value:g}"
        unit = self.unit[:-1] if self.value == 1 else self.unit
        return f"{value} {unit}"


def _checked_formula(text: str) -> str:
    """A formula in the formula language (see formula_syntax.py), read once at load time."""
    from cohortpress.formula_syntax import parse_formula  # without pandas: see its docstring

    return parse_formula(text).text


Formula = Annotated[str, AfterValidator(_checked_formula)]


class Breaks(_Model):
    """A continuous variable cut into classes at ``at`` (``k`` breaks give ``k + 1`` classes)."""

    variable: str = Field(
        description="The continuous variable (or derived variable, or marker) that is cut.",
        examples=["age"],
    )
    at: tuple[float, ...] = Field(
        min_length=1,
        description="The breaks, in increasing order.",
        examples=[[50, 60]],
    )
    closed: Literal["left", "right"] = Field(
        default="left",
        description=(
            "Which end of a class includes its break: `left` puts a value equal to a break in "
            "the class above it ([50, 60): 60 is in `≥60`), `right` in the class below it "
            "((50, 60]: 60 is in `>50 to 60`)."
        ),
        examples=["right"],
    )
    labels: tuple[str, ...] | None = Field(
        default=None,
        description=(
            "The classes' names, lowest first, one more than `at` (default: generated, e.g. "
            "<50, 50 to <60, ≥60 for closed left)."
        ),
        examples=[["<50", "50–59", "≥60"]],
    )

    @model_validator(mode="after")
    def _ordered(self) -> Breaks:
        if list(self.at) != sorted(set(self.at)):
            raise ValueError("`at` must be increasing, without repeats")
        if self.labels is not None and len(self.labels) != len(self.at) + 1:
            raise ValueError(f"{len(self.at)} break(s) need {len(self.at) + 1} labels")
        alike = first_alike((f"labels[{i}]", label) for i, label in enumerate(self.labels or ()))
        if alike:
            raise ValueError(f"{alike}; each class needs its own label")
        return self

    def class_labels(self) -> tuple[str, ...]:
        """The given labels, or ones that state the closed side of each break."""
        if self.labels is not None:
            return self.labels
        at = [str(int(b)) if float(b).is_integer() else f"{b:.10g}" for b in self.at]
        if self.closed == "left":
            middle = [f"{lo} to <{hi}" for lo, hi in zip(at, at[1:], strict=False)]
            return (f"<{at[0]}", *middle, f"≥{at[-1]}")
        middle = [f">{lo} to {hi}" for lo, hi in zip(at, at[1:], strict=False)]
        return (f"≤{at[0]}", *middle, f">{at[-1]}")


class Pool(_Model):
    """A categorical variable whose levels are pooled into fewer groups."""

    variable: str = Field(description="The categorical variable pooled.", examples=["ecog"])
    groups: dict[str, tuple[str, ...]] = Field(
        description=(
            "New level: [levels of `variable` it pools], in table order. Every level of "
            "`variable` must be in exactly one group."
        ),
        examples=[{"0": ["0"], "1": ["1"], "2–3": ["2", "3"]}],
    )

    @model_validator(mode="after")
    def _groups_named_apart(self) -> Pool:
        """The groups are the new variable's levels, listed side by side in tables."""
        _groups_named_apart(self.groups)
        return self


def _groups_named_apart(groups: dict[str, tuple[str, ...]] | None) -> None:
    alike = first_alike((f"groups.{name}", name) for name in groups or {})
    if alike:
        raise ValueError(f"{alike}; name each group differently")


class Span(_Model):
    """The time between two dates, e.g. from diagnosis to the start of treatment."""

    start: str = Field(
        description="The earlier date: a canonical date field or a `type: date` variable.",
        examples=["diagnosis_date"],
    )
    end: str = Field(
        description="The later date: a canonical date field or a `type: date` variable.",
        examples=["treatment_start"],
    )
    unit: TimeUnit = Field(
        default="months", description="The unit of the duration (a month is 30.4375 days)."
    )
    ordered: bool = Field(
        default=True,
        description="An `end` before `start` is an error in the workbook (false: a negative time).",
    )


DERIVATIONS = ("formula", "breaks", "pool", "duration")


class Variable(_Model):
    """A study-specific column of the patients sheet (beyond the canonical fields).

    ``categorical`` values must be one of ``levels`` (after trimming, case-folding and
    ``synonyms``); ``binary`` is a categorical with two levels whose first is the "present" one
    (counted in Table I); ``continuous`` and ``count`` are numbers checked against ``range``
    (an error) and ``plausible`` (a warning in the data appendix).
    """

    label: str = Field(
        description="How the variable is named in tables, figures and text.",
        examples=["ECOG PS"],
    )
    type: Literal["continuous", "count", "categorical", "binary", "date"] = Field(
        description=(
            "`categorical` (one of `levels`), `binary` (two levels, the first one counted in "
            "Table I), `continuous` (a measurement), `count` (a whole number) or `date` (read "
            "like the built-in dates; used by a `duration`). Decides how Table I summarises "
            "it: n (%) per level, or median and range."
        ),
        examples=["categorical"],
    )
    unit: str | None = Field(
        default=None,
        description="Unit of a number: given with its values in results.json and in Cox rows.",
        examples=["mg/dL"],
    )
    levels: tuple[str, ...] | None = Field(
        default=None,
        description=(
            "The allowed values of a categorical or binary variable, in the order tables list "
            "them (for binary: the present one first). Any other value is an error. Cells are "
            "matched ignoring case, spacing, _ and -, so two levels must differ otherwise."
        ),
        examples=[["0", "1", "2"], ["Yes", "No"]],
    )
    synonyms: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Other spellings found in the workbook and the level each one means (spelling: "
            "level); matched ignoring case and spaces around the value."
        ),
        examples=[{"favourable": "Favorable"}],
    )
    range: tuple[float, float] | None = Field(
        default=None,
        description="[lowest, highest] possible value; a number outside it is an error.",
        examples=[[0, 100000]],
    )
    plausible: tuple[float, float] | None = Field(
        default=None,
        description=(
            "[lowest, highest] usual value; a number outside it is kept and listed as a warning "
            "in the data appendix."
        ),
        examples=[[300, 30000]],
    )
    plausible_hint: str | None = Field(
        default=None,
        description="What an implausible value probably means, shown with the warning.",
        examples=["entered as ×10³/µl?"],
    )
    required: bool = Field(default=False, description="Whether an empty cell is an error.")
    abbreviation: str | None = Field(
        default=None,
        description="Explained in the Table I footnote.",
        examples=["ECOG PS: Eastern Cooperative Oncology Group performance status"],
    )
    decimals: int | None = Field(
        default=None,
        ge=0,
        le=6,
        description=(
            "Decimals of a continuous variable's median, range and quartiles, in Table I, the "
            "text and results.json alike (mean and SD get one more). Default: 0 for age and "
            "counts, 1 for other measurements."
        ),
        examples=[2],
    )

    formula: Formula | None = Field(
        default=None,
        description=(
            "Compute a continuous variable from others instead of reading a column: numbers, "
            "names of variables, markers and earlier derived variables, + - * / ** (power), "
            "< <= > >= == !=, and, or, not, `a if condition else b`, and the functions log or "
            "ln (natural), log10, exp, sqrt, abs, round(x, digits), min(…), max(…), "
            "ifelse(condition, a, b). A value that cannot be computed (log of 0, division by "
            "zero) is missing and listed as a warning in the data appendix."
        ),
        examples=["0.66 * log10(bilirubin * 17.1) - 0.085 * albumin * 10"],
    )
    breaks: Breaks | None = Field(
        default=None,
        description=(
            "Build a categorical variable by cutting a continuous one into classes; its "
            "`levels` are the class labels. A missing value stays missing."
        ),
        examples=[{"variable": "age", "at": [50, 60], "labels": ["<50", "50–59", "≥60"]}],
    )
    pool: Pool | None = Field(
        default=None,
        description=(
            "Build a categorical variable by pooling the levels of another; its `levels` are "
            "the group names. A missing value stays missing."
        ),
        examples=[{"variable": "ecog", "groups": {"0": ["0"], "1": ["1"], "2–3": ["2", "3"]}}],
    )
    duration: Span | None = Field(
        default=None,
        description="Compute a continuous variable as the time between two dates.",
        examples=[{"start": "diagnosis_date", "end": "treatment_start", "unit": "months"}],
    )
    reference: str | None = Field(
        default=None,
        description=(
            "The reference level of a categorical variable in Cox models (default: the first "
            "level; a covariate's own `reference` wins)."
        ),
        examples=["<50"],
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_levels(cls, data: Any) -> Any:
        """A class or pooled variable takes its levels from its labels or groups."""
        if not isinstance(data, dict) or not (data.get("breaks") or data.get("pool")):
            return data
        if data.get("levels"):
            raise ValueError("a variable built by `breaks` or `pool` takes its levels from them")
        try:
            if data.get("breaks"):
                return {**data, "levels": Breaks.model_validate(data["breaks"]).class_labels()}
            return {**data, "levels": tuple(Pool.model_validate(data["pool"]).groups)}
        except ValidationError:
            return data  # reported by the field's own validation, at its key

    @property
    def derivation(self) -> str | None:
        """How the variable is computed (formula, breaks, pool, duration), None when read."""
        return next((key for key in DERIVATIONS if getattr(self, key) is not None), None)

    @model_validator(mode="after")
    def _derivation_matches_type(self) -> Variable:
        given = [key for key in DERIVATIONS if getattr(self, key) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of {', '.join(given)}, not several")
        numeric = self.type in ("continuous", "count")
        if given and given[0] in ("formula", "duration") and not numeric:
            raise ValueError(f"a variable with `{given[0]}` is continuous (type: continuous)")
        if given and given[0] in ("breaks", "pool") and self.type != "categorical":
            raise ValueError(f"a variable with `{given[0]}` is categorical (type: categorical)")
        if self.reference is not None and self.reference not in (self.levels or ()):
            raise ValueError(f"reference '{self.reference}' is not one of the levels")
        return self

    @model_validator(mode="after")
    def _levels_match_type(self) -> Variable:
        if self.type in ("categorical", "binary") and not self.levels:
            raise ValueError(f"a {self.type} variable needs `levels`")
        if self.type == "binary" and self.levels and len(self.levels) != 2:
            raise ValueError("a binary variable has exactly two `levels` (present first)")
        if self.type in ("continuous", "count", "date") and self.levels:
            raise ValueError(f"a {self.type} variable has no `levels` (use `range`)")
        if self.derivation is None:  # read from the workbook: each level must be readable
            levels = [(f"levels[{i}]", level) for i, level in enumerate(self.levels or ())]
            alike = first_alike(
                levels,
                cell_key,
                "are read as one value (cells are matched ignoring case, spacing, '_' and '-')",
            )
            if alike:
                raise ValueError(f"{alike}; list each level once, spelt so it differs")
        return self


class Marker(_Model):
    """A derived marker computed from other columns, split at a fixed cutoff into Low / High."""

    label: str = Field(
        description=(
            "The marker's name in tables, figures and the Methods; each marker's its own (case "
            "and surrounding spaces aside)."
        ),
        examples=["Neutrophil-to-lymphocyte ratio"],
    )
    formula: Formula = Field(
        description=(
            "Arithmetic (+ - * /, numbers, brackets) over numeric variables, by their names "
            "under `variables` (or canonical fields); written out in the Methods. A division by "
            "zero gives a missing value. The full formula language of `variables.<name>.formula` "
            "may be used."
        ),
        examples=["neutrophils / lymphocytes"],
    )
    unit: str | None = Field(
        default=None, description="Unit printed after the median and the cutoff.", examples=["/µl"]
    )
    cutoff: float = Field(
        description=(
            "Patients at or above it form the high group, the others the low group; stated in "
            "the Methods."
        ),
        examples=[3],
    )
    decimals: int = Field(
        default=2,
        ge=0,
        le=4,
        description=(
            "Decimals of the marker's median, range and quartiles, in the text, Table I and "
            "results.json alike (mean and SD get one more)."
        ),
        examples=[0],
    )
    abbreviation: str | None = Field(
        default=None,
        description="Explained in table footnotes and figure captions.",
        examples=["NLR: neutrophil-to-lymphocyte ratio"],
    )
    high_label: str = Field(
        default="High",
        description=(
            "Name of the group at or above the cutoff in tables and figures; not `low_label` "
            "(case and surrounding spaces aside)."
        ),
        examples=["Elevated"],
    )
    low_label: str = Field(
        default="Low", description="Name of the group below the cutoff.", examples=["Normal"]
    )

    @model_validator(mode="after")
    def _two_groups(self) -> Marker:
        """The two groups stand side by side: "High vs Low (ref)", "the high NLR group"."""
        alike = first_alike((("high_label", self.high_label), ("low_label", self.low_label)))
        if alike:
            raise ValueError(f"{alike}; name the two groups differently")
        return self


class Table1Row(_Model):
    """One characteristic of Table I; ``variable`` is a canonical field, variable or marker."""

    variable: str = Field(
        description="A canonical field (e.g. age, sex), a name under `variables` or `markers`.",
        examples=["ecog"],
    )
    label: str | None = Field(
        default=None,
        description="Row label in Table I (default: the variable's label).",
        examples=["Age, years"],
    )
    group: str | None = Field(
        default=None,
        description="Heading shared by consecutive rows (e.g. metastatic sites).",
        examples=["Metastatic sites, n (%)"],
    )
    summary: Literal["auto", "median_range", "median_iqr", "mean_sd", "n_percent"] = Field(
        default="auto",
        description=(
            "How the row is summarised: `median_range`, `median_iqr` (median (Q1–Q3), R type 7 "
            "quartiles) or `mean_sd` for a continuous variable; `n_percent` for categories and "
            "for a continuous variable split by `cut`. `auto`: median (range) for numbers, "
            "n (%) for categories and cut numbers. The table footnote names the summaries used."
        ),
        examples=["median_iqr"],
    )
    cut: float | None = Field(
        default=None,
        description="Split a continuous variable here and show n (%) of each side.",
        examples=[0.8],
    )
    cut_labels: tuple[str, str] | None = Field(
        default=None,
        description="Labels of [below cut, at or above cut] (default: <cut, ≥cut).",
        examples=[["<0.8 mg/dL", "≥0.8 mg/dL"]],
    )
    levels_shown: tuple[str, ...] | None = Field(
        default=None,
        description=(
            "Levels listed even when no patient has them (default: all levels; for binary "
            "variables the first). A level that has patients is always listed."
        ),
        examples=[["0", "1", "2"]],
    )

    @model_validator(mode="after")
    def _two_cut_labels(self) -> Table1Row:
        _check_cut_labels(self.cut_labels)
        return self


class Covariate(_Model):
    """A factor of the Cox models.

    A categorical variable is either used as it is (``reference`` names the reference level) or
    collapsed by ``groups`` (label → levels) with ``reference`` naming one group. A continuous
    variable is split at ``cut`` (``≥ cut`` vs ``< cut``, or reversed with ``reference``) or used
    per ``per`` units. A marker is split at its cutoff (High vs Low by default).
    """

    variable: str = Field(
        description="A canonical field, a name under `variables` or `markers`.",
        examples=["ecog"],
    )
    label: str | None = Field(
        default=None,
        description="The factor's name in the Cox table and text (default: the variable's label).",
        examples=["ECOG PS"],
    )
    groups: dict[str, tuple[str, ...]] | None = Field(
        default=None,
        description="Collapse levels into groups (group label: [levels]) before the model.",
        examples=[{"1–2": ["1", "2"], "0": ["0"]}],
    )
    reference: str | None = Field(
        default=None,
        description=(
            "The reference level or group (HR = 1); for a cut variable, one of its cut labels."
        ),
        examples=["0"],
    )
    cut: float | None = Field(
        default=None,
        description="Split a continuous variable here (≥ cut vs < cut).",
        examples=[75],
    )
    cut_labels: tuple[str, str] | None = Field(
        default=None,
        description="Labels of [below cut, at or above cut] (default: <cut, ≥cut).",
        examples=[["<0.8 mg/dL", "≥0.8 mg/dL"]],
    )
    per: float | None = Field(
        default=None,
        description="Use a continuous variable as it is, with the HR per this many units.",
        examples=[10],
    )

    @model_validator(mode="after")
    def _two_cut_labels(self) -> Covariate:
        _check_cut_labels(self.cut_labels)
        _groups_named_apart(self.groups)
        return self


def _check_cut_labels(labels: tuple[str, str] | None) -> None:
    alike = first_alike((f"cut_labels[{i}]", label) for i, label in enumerate(labels or ()))
    if alike:
        raise ValueError(f"{alike}; name the two sides differently")


class Multivariate(_Model):
    """Which factors enter the multivariable Cox model."""

    rule: Literal["univariate_p", "fixed", "none"] = Field(
        default="none",
        description=(
            "`univariate_p`: the factors significant in the univariate step; `fixed`: the "
            "listed `covariates`; `none`: no multivariate model, with the `reason` in the text."
        ),
        examples=["univariate_p"],
    )
    threshold: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="With rule univariate_p: univariate p below this enters the model.",
        examples=[0.1],
    )
    covariates: tuple[str, ...] = Field(
        default=(),
        description=(
            "With rule fixed (and only then): the variables of the model, each once and each "
            "a `variable` of `cox.covariates` (the model is fitted from those factors)."
        ),
        examples=[["age", "ecog"]],
    )
    reason: str | None = Field(
        default=None,
        description="With rule none: why, completing '…was not performed because of …'.",
        examples=["the small sample size"],
    )

    @model_validator(mode="after")
    def _covariates_for_fixed_rule(self) -> Multivariate:
        """Listed factors with another rule would be ignored without a word."""
        if self.covariates and self.rule != "fixed":
            raise ValueError(
                f"covariates: only rule fixed fits the listed factors; rule {self.rule} would "
                "ignore them (remove them, or set rule: fixed)"
            )
        return self


class CoxSettings(_Model):
    """The Cox proportional-hazards models (Table of univariate and multivariate analyses)."""

    covariates: tuple[Covariate, ...] = Field(
        default=(),
        description=(
            "The factors of the univariate models, in table order; each variable once, each "
            "under its own label."
        ),
        examples=[[{"variable": "age", "cut": 75}]],
    )
    multivariate: Multivariate = Field(
        default=Multivariate(), description="Which factors enter the multivariate model."
    )


Conventions = Literal["ezr", "r", "sas"]
PStyle = Literal["threshold", "two_significant", "sas"]

CiTransform = Literal["log-log", "log", "plain"]
TiesMethod = Literal["efron", "breslow"]

CONVENTION_PRESETS: dict[str, dict[str, str]] = {
    "ezr": {"ci_transform": "log-log", "ties": "efron", "p_style": "threshold"},
    "r": {"ci_transform": "log", "ties": "efron", "p_style": "two_significant"},
    "sas": {"ci_transform": "log-log", "ties": "breslow", "p_style": "sas"},
}
_PRESET_TRANSFORMS: dict[str, CiTransform] = {"ezr": "log-log", "r": "log", "sas": "log-log"}
_PRESET_TIES: dict[str, TiesMethod] = {"ezr": "efron", "r": "efron", "sas": "breslow"}


class Statistics(_Model):
    """Statistical conventions; ``conventions`` sets the others at once, each still overridable."""

    conventions: Conventions = Field(
        default="ezr",
        description=(
            "Preset for the three settings below: `ezr` (log-log CI, Efron ties, p to three "
            "decimals), `r` (log CI, Efron, two significant digits) or `sas` (log-log, Breslow). "
            "Named in the Methods."
        ),
        examples=["r"],
    )
    ci_transform: CiTransform | None = Field(
        default=None,
        description=(
            "Transform of the Kaplan–Meier confidence intervals (default: from `conventions`); "
            "stated in the Methods."
        ),
        examples=["log"],
    )
    ties: TiesMethod | None = Field(
        default=None,
        description="How Cox models handle tied event times (default: from `conventions`).",
        examples=["breslow"],
    )
    p_style: PStyle | None = Field(
        default=None,
        description=(
            "How p-values are printed: `threshold` (<0.001, else three decimals), "
            "`two_significant` or `sas` (default: from `conventions`)."
        ),
        examples=["two_significant"],
    )
    conf_level: float = Field(
        default=0.95,
        gt=0.5,
        lt=1,
        description="Confidence level of every interval (medians, HRs, rates), e.g. 0.9.",
        examples=[0.9],
    )
    alpha: float = Field(
        default=0.05,
        gt=0,
        lt=0.5,
        description=(
            "Significance level, stated in the Methods; the text calls p below it significant."
        ),
        examples=[0.1],
    )
    small_cell: int | None = Field(
        default=None,
        ge=2,
        description="Print counts below k as '<k' in tables (for registry reports).",
        examples=[5],
    )

    def resolved(self, key: str) -> str:
        """The value in force for ``key``: the override if set, else the preset's."""
        value = getattr(self, key)
        return value if value is not None else CONVENTION_PRESETS[self.conventions][key]

    @property
    def ci_transform_in_force(self) -> CiTransform:
        """The Kaplan–Meier CI transform the analysis uses: the override, else the preset's."""
        return self.ci_transform or _PRESET_TRANSFORMS[self.conventions]

    @property
    def ties_in_force(self) -> TiesMethod:
        """The Cox ties method the analysis uses: the override, else the preset's."""
        return self.ties or _PRESET_TIES[self.conventions]


class Endpoint(_Model):
    """A time-to-event endpoint: a Kaplan–Meier figure, medians in the text, Cox models."""

    kind: Literal["os", "pfs", "ttf"] = Field(
        description=(
            "`os` (overall survival), `pfs` (progression-free survival) or `ttf` (time to "
            "treatment failure); definitions are stated in the Methods."
        ),
        examples=["pfs"],
    )
    label: str | None = Field(
        default=None,
        description=(
            "Its name in text, tables and figures (default: e.g. Overall survival); each "
            "endpoint's its own (case and surrounding spaces aside)."
        ),
        examples=["Progression-free survival"],
    )
    abbreviation: str | None = Field(
        default=None,
        description=(
            "Its short name in text and tables (default: OS, PFS, TTF); each endpoint's its own "
            "(case and surrounding spaces aside)."
        ),
        examples=["PFS"],
    )
    by: tuple[str, ...] | None = Field(
        default=None,
        description=(
            "Kaplan–Meier curves, medians, log-rank test (k − 1 df) and univariate HRs by each of "
            "these categorical or binary variables or markers, one panel each, two to a row, at "
            "most four to a figure (`figure-<kind>-by.md`; one variable: one full-width panel). "
            "More variables are shared out evenly, in order, over `<kind>-by-2`, `<kind>-by-3`, "
            "…, each included on its own (the supplement shows those the manuscript does not). "
            "Default: the markers among `cox.covariates`."
        ),
        examples=[["ecog", "LMR"]],
    )
    landmarks: tuple[Annotated[float, Field(gt=0)], ...] = Field(
        default=(),
        description=(
            "Times (in the study's `time_unit`) at which to report survival from the "
            "Kaplan–Meier estimate with its CI and number at risk, e.g. 12- and 24-month OS, "
            "overall and in each group of `by`: in results.json, the Results text and the "
            "survival table (`table-survival`); a time beyond the last follow-up (of the "
            "group) is reported as not estimable."
        ),
        examples=[[12, 24]],
    )
    censor_at: Literal["last_contact", "last_assessment"] = Field(
        default="last_contact",
        description=(
            "PFS only: censor patients without progression or death at the last date known "
            "alive (`last_contact`) or at their last tumour assessment (`last_assessment`, "
            "read from the patients sheet's `last_assessment` column); stated in the Methods."
        ),
        examples=["last_assessment"],
    )

    time: str | None = Field(
        default=None,
        description=(
            "Read the endpoint from a time column instead of deriving it from dates: the "
            "column's field name (give its header under `columns:` when it differs, like any "
            "field). Needs `status`. Each cell is a time from the start of follow-up, 0 or "
            "more, in the endpoint's `time_unit`; a missing or negative time is an error."
        ),
        examples=["os_months"],
    )
    status: str | None = Field(
        default=None,
        description=(
            "With `time`: the column saying whether the endpoint's event happened (field name, "
            "header under `columns:` when it differs). Its values are read with "
            "`event_values` and `censored_values`; any other value, or an empty cell, is an "
            "error naming the row."
        ),
        examples=["os_event"],
    )
    event_values: tuple[str, ...] = Field(
        default=("1",),
        description=(
            "With `status`: the values that mean the event happened (death for OS, progression "
            "or death for PFS), matched ignoring case and surrounding spaces. Quote yes/no."
        ),
        examples=[["Dead", "Deceased"]],
    )
    censored_values: tuple[str, ...] = Field(
        default=("0",),
        description=(
            "With `status`: the values that mean the patient was censored (no event by the "
            "recorded time), matched ignoring case and surrounding spaces."
        ),
        examples=[["Alive", "Lost to follow-up"]],
    )
    time_unit: TimeUnit | None = Field(
        default=None,
        description=(
            "With `time`: the unit of the time column (default: the study's `time_unit`); "
            "times are converted to the study's unit (a month is 30.4375 days)."
        ),
        examples=["days"],
    )

    @field_validator("event_values", "censored_values", mode="before")
    @classmethod
    def _values_as_text(cls, values: Any) -> Any:
        """Numbers as written (1, 0); a bare yes/no, which YAML reads as true/false, refused."""
        if not isinstance(values, list | tuple):
            return values
        out = []
        for value in values:
            if isinstance(value, bool):
                raise ValueError(
                    f"{str(value).lower()} is read by YAML as a truth value: write the value "
                    "in quotes as it appears in the workbook ('yes', 'no')"
                )
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            out.append(str(value) if isinstance(value, int | float) else value)
        return out

    @property
    def recorded(self) -> bool:
        """True when the endpoint is read from time and status columns, not derived from dates."""
        return self.time is not None

    @field_validator("by", "landmarks", mode="after")
    @classmethod
    def _each_once(cls, values: tuple[object, ...] | None) -> tuple[object, ...] | None:
        """A factor or a landmark listed twice would be shown twice ("according to LMR and
        LMR", "at 365 days and 365 days"): a slip, not a request."""
        seen: set[object] = set()
        for value in values or ():
            if value in seen:
                shown = f"'{value}'" if isinstance(value, str) else f"{value:g}"
                raise ValueError(f"{shown} is listed twice")
            seen.add(value)
        return values

    @model_validator(mode="after")
    def _censor_rule_is_for_pfs(self) -> Endpoint:
        if self.censor_at != "last_contact" and self.kind != "pfs":
            msg = f"censor_at: {self.censor_at} applies to the pfs endpoint only, not {self.kind}"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _time_and_status_together(self) -> Endpoint:
        """Time and status come as a pair, and then no date-based rule applies."""
        if (self.time is None) != (self.status is None):
            given, missing = ("time", "status") if self.time is not None else ("status", "time")
            raise ValueError(
                f"`{given}` is given without `{missing}`: an endpoint read from columns needs "
                "both (or neither, to derive it from the dates)"
            )
        if self.time is None:
            stray = sorted({"event_values", "censored_values", "time_unit"} & self.model_fields_set)
            if stray:
                raise ValueError(
                    f"{', '.join(f'`{k}`' for k in stray)} apply to an endpoint read from "
                    "`time` and `status` columns; this one is derived from the dates"
                )
            return self
        if "censor_at" in self.model_fields_set:
            raise ValueError(
                "`censor_at` is a rule for deriving the endpoint from dates, but `time` and "
                "`status` read it as recorded: give one or the other"
            )
        if self.time == self.status:
            raise ValueError(f"`time` and `status` are the same column '{self.time}'")
        both = {fold_token(v) for v in self.event_values} & {
            fold_token(v) for v in self.censored_values
        }
        if both:
            raise ValueError(
                f"{', '.join(sorted(both))} is both in `event_values` and in `censored_values`"
            )
        if not self.event_values or not self.censored_values:
            raise ValueError("`event_values` and `censored_values` each need at least one value")
        return self


class SdDuration(Duration):
    """How long stable disease must last to count as clinical benefit; 0 means any duration."""

    value: float = Field(
        ge=0,
        description="How long, in `unit`s (0: SD of any duration, so the CBR equals the DCR).",
        examples=[6],
    )


class ResponseCategory(_Model):
    """A best-response category of custom criteria: its code, its name and what it counts as."""

    code: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_+-]*$",
        description=(
            "The value in the workbook's best response column (after `synonyms`): letters, "
            "digits, _, + or -; also its key in results.json (`missing` is taken: the patients "
            "without a best response)."
        ),
        examples=["CMR"],
    )
    label: str = Field(
        description="Its name in the response table; each category's its own.",
        examples=["Complete metabolic response"],
    )
    counts_as: CountsAs = Field(
        description=(
            "`response` (counted in the ORR, DCR and CBR), `stable` (in the DCR; in the CBR when "
            "it lasts `sd_min_duration`), `progression` or `not_evaluable` (in the denominator "
            "only)."
        ),
        examples=["response"],
    )


class Response(_Model):
    """Tumour response: the response table, its rates (ORR, DCR, CBR) and the waterfall plot."""

    criteria: str = Field(
        default="RECIST 1.1",
        description=(
            "The response criteria: `RECIST 1.1`, `mRECIST`, `iRECIST` (iCR, iPR, iSD, iUPD, "
            "iCPD, NE), `RANO` or `Lugano` (CR/CMR, PR/PMR, SD/NMR, PD/PMD, NE) decide the best "
            "response categories the workbook may hold and their names; named in the Methods "
            "and the table footnote, cited in the Methods (as is RECIST 1.0). Any other label "
            "needs `categories` and is printed without a citation."
        ),
        examples=["mRECIST"],
    )
    categories: tuple[ResponseCategory, ...] | None = Field(
        default=None,
        description=(
            "For criteria of your own (a `criteria` label not built in): the best response "
            "categories in table order, each with what it counts as. Not allowed with built-in "
            "criteria."
        ),
        examples=[
            [
                {"code": "CMR", "label": "Complete metabolic response", "counts_as": "response"},
                {"code": "PMR", "label": "Partial metabolic response", "counts_as": "response"},
                {"code": "SMD", "label": "Stable metabolic disease", "counts_as": "stable"},
                {
                    "code": "PMD",
                    "label": "Progressive metabolic disease",
                    "counts_as": "progression",
                },
            ]
        ],
    )
    rates: tuple[RateName, ...] = Field(
        default=("orr", "cbr"),
        min_length=1,
        description=(
            "The rates reported, in order, each with its exact (Clopper–Pearson) CI: `orr` "
            "(objective response rate: responses), `dcr` (disease control rate: responses and "
            "stable disease of any duration), `cbr` (clinical benefit rate: responses and stable "
            "disease lasting `sd_min_duration`)."
        ),
        examples=[["orr", "dcr", "cbr"]],
    )
    sd_min_duration: SdDuration = Field(
        default=SdDuration(value=6, unit="months"),
        description=(
            "How long stable disease must last to count as clinical benefit (CBR); 0 counts SD "
            "of any duration, and the CBR is then reported as the DCR."
        ),
        examples=[{"value": 6, "unit": "weeks"}],
    )
    sd_strict: bool = Field(
        default=True,
        description="SD must last longer than (true) or at least (false) `sd_min_duration`.",
    )
    waterfall: bool = Field(default=False, description="Draw the waterfall plot of best change.")

    @field_validator("criteria", mode="after")
    @classmethod
    def _criteria_name(cls, name: str) -> str:
        """A built-in criteria set is kept under its own spelling ('recist v1.1' -> RECIST 1.1)."""
        known = known_criteria(name)
        return known.name if known is not None else name.strip()

    @field_validator("rates", mode="after")
    @classmethod
    def _rates_once(cls, rates: tuple[RateName, ...]) -> tuple[RateName, ...]:
        if len(set(rates)) != len(rates):
            raise ValueError("each rate once")
        return rates

    @model_validator(mode="after")
    def _categories_for_custom_criteria(self) -> Response:
        known = known_criteria(self.criteria)
        if known is not None and self.categories is not None:
            raise ValueError(
                f"categories: {known.name} has its own categories ({', '.join(known.codes)}); "
                "remove `categories`, or name your own criteria differently"
            )
        if known is None and self.categories is None:
            close = difflib.get_close_matches(self.criteria, KNOWN_NAMES, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? Or " if close else ""
            raise ValueError(
                f"criteria: '{self.criteria}' is not one of {', '.join(KNOWN_NAMES)}; "
                f"{hint}declare its `categories` (code, label, counts_as)"
            )
        if self.categories is not None:
            codes = [c.code for c in self.categories]
            if len({fold_token(c) for c in codes}) != len(codes):
                raise ValueError("categories: each code once")
            labels = [(f"categories[{i}].label", c.label) for i, c in enumerate(self.categories)]
            alike = first_alike(labels)
            if alike:
                raise ValueError(f"{alike}; the response table lists each category by its label")
            if "missing" in {fold_token(c) for c in codes}:
                raise ValueError("categories: `missing` is the row of patients without a response")
            if not any(c.counts_as == "response" for c in self.categories):
                raise ValueError("categories: no category counts_as: response (the ORR needs one)")
            if {"dcr", "cbr"} & set(self.rates) and not any(
                c.counts_as == "stable" for c in self.categories
            ):
                raise ValueError("rates: dcr and cbr need a category with counts_as: stable")
        return self

    @property
    def scheme(self) -> Criteria:
        """The criteria in force: the built-in set, or the one the categories declare."""
        known = known_criteria(self.criteria)
        if known is not None:
            return known
        categories = tuple(
            CriteriaCategory(c.code, c.label, c.counts_as) for c in self.categories or ()
        )
        return Criteria(self.criteria, categories)

    @property
    def any_sd_duration(self) -> bool:
        """With ``sd_min_duration`` 0 every SD counts, so the CBR is the DCR."""
        return self.sd_min_duration.value == 0


class AdverseEvents(_Model):
    """The adverse-event table, counted per patient at the worst grade per term."""

    grading: str = Field(
        default="CTCAE v5.0",
        description=(
            "The grading system named in the Methods and the table footnote. CTCAE v3.0, v4.0, "
            "v4.03 and v5.0 are cited in the Methods; another label is printed without a "
            "citation."
        ),
        examples=["CTCAE v3.0"],
    )
    severe_grade: int = Field(
        default=3,
        ge=1,
        le=5,
        description="The table's 'grade ≥ k' column and the severe events in the text.",
        examples=[3],
    )
    synonyms: dict[str, str] = Field(
        default_factory=dict,
        description="Other spellings of an event term and the term each one means.",
        examples=[{"Hand-foot skin reaction": "Hand-foot syndrome"}],
    )
    min_patients: int = Field(
        default=1,
        ge=1,
        description="Terms seen in fewer patients are left out of the table.",
        examples=[2],
    )
    identifiers: Literal["stop", "redact"] = Field(
        default="stop",
        description=(
            "A term holding a patient ID, a word of a declared name column, an e-mail address "
            "or a phone number stops the report (stop) or has that part replaced by "
            "'[redacted]', counted in the data appendix (redact)."
        ),
        examples=["redact"],
    )


class Criterion(_Model):
    """One eligibility rule: keep the patients for whom `include` is true, or drop those for
    whom `exclude` is true; the patients it drops get their own line in the patient flow."""

    include: Formula | None = Field(
        default=None,
        description="A condition in the formula language a patient must meet to be analysed.",
        examples=["ecog <= 2"],
    )
    exclude: Formula | None = Field(
        default=None,
        description="A condition in the formula language that excludes the patient.",
        examples=["age < 18"],
    )
    reason: str = Field(
        description=(
            "The excluded patients in words, completing 'n patients …' in the patient flow."
        ),
        examples=["younger than 18 years"],
    )

    @model_validator(mode="after")
    def _one_condition(self) -> Criterion:
        if (self.include is None) == (self.exclude is None):
            raise ValueError("give either `include` or `exclude`")
        return self

    @property
    def condition(self) -> str:
        return self.include if self.include is not None else str(self.exclude)


class Inclusion(_Model):
    """Rules that exclude screened patients; exclusions are counted in the patient flow.

    The `criteria` are applied in order, then `min_treatment`; a patient excluded by one rule is
    counted under it only.
    """

    criteria: tuple[Criterion, ...] = Field(
        default=(),
        description=(
            "Eligibility rules in the formula language (see `variables.<name>.formula`), "
            "applied in order; each gives a line of the patient flow."
        ),
        examples=[
            [
                {"exclude": "age < 18", "reason": "younger than 18 years"},
                {"include": "ecog <= 2", "reason": "with ECOG PS 3 or 4"},
            ]
        ],
    )
    missing: Literal["exclude", "keep"] = Field(
        default="exclude",
        description=(
            "A patient whose rule cannot be checked (a value it reads is missing): `exclude` "
            "counts them on their own flow line, 'with insufficient data for the eligibility "
            "criteria'; `keep` analyses them."
        ),
        examples=["keep"],
    )
    min_treatment: Duration | None = Field(
        default=None,
        description="Exclude patients treated for less than this.",
        examples=[{"value": 1, "unit": "months"}],
    )


class Treatment(_Model):
    """The treatment studied."""

    drug: str = Field(
        description="The drug as written in sentences ('patients treated with sorafenib').",
        examples=["sorafenib"],
    )
    regimen: str | None = Field(
        default=None,
        description=(
            "Dose and schedule, as the Methods print it: '<Drug> was given at <regimen>' "
            "(in `_generated/methods_treatment.md`)."
        ),
        examples=["400 mg twice a day"],
    )
    line: str | None = Field(
        default=None,
        description=(
            "Line of therapy, as the Methods print it: '… as <line> therapy' (in "
            "`_generated/methods_treatment.md`)."
        ),
        examples=["second-line"],
    )


NUMBER_TYPES = ("continuous", "count")
GROUPED_TYPES = ("categorical", "binary")
CONTINUOUS_SUMMARIES = ("median_range", "median_iqr", "mean_sd")

BUILT_IN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "sex": vocabulary.SEXES,
    "end_reason": vocabulary.END_REASONS,
    "best_response": vocabulary.BEST_RESPONSES,
    "serious": vocabulary.YES_NO,
    "grade": vocabulary.GRADES,
}
SynonymField = Literal["sex", "end_reason", "best_response", "serious", "grade"]


def fold_token(text: str) -> str:
    """How declared spellings and missing-value tokens are compared: trimmed, case-folded."""
    return text.strip().casefold()


ALIKE = "differ only in case or surrounding spaces"


def first_alike(
    named: Iterable[tuple[str, str]], key: Callable[[str], str] = fold_token, alike: str = ALIKE
) -> str | None:
    """The first two of ``named`` (key path, name) a reader could not tell apart, as "A and B
    are both 'X'" (or "A 'X' and B 'x' differ only in case …"), else None. Names printed side
    by side in one table, legend or sentence must differ: "High vs high (ref)" is no contrast."""
    seen: dict[str, tuple[str, str]] = {}
    for where, name in named:
        first, shown = seen.setdefault(key(name), (where, name))
        if first == where:
            continue
        if shown == name:
            return f"{first} and {where} are both '{name}'"
        return f"{_named(first, shown)} and {_named(where, name)} {alike}"
    return None


def _named(where: str, name: str) -> str:
    """A key path with its name, unless the path ends in the name (a mapping's key)."""
    return where if where.endswith(f".{name}") else f"{where} '{name}'"


class StudyConfig(_Model):
    """Everything ``reports/<study>/study.yml`` says about one study."""

    title: str = Field(
        min_length=1,
        description=(
            "The manuscript's title, printed in every format (through "
            "`_generated/front-matter.yml`, which manuscript.qmd lists under `metadata-files`)."
        ),
        examples=["Second-line Sorafenib for Metastatic Renal Cell Carcinoma"],
    )
    short_title: str | None = Field(
        default=None,
        description=(
            "The running title: the page header of the PDF and the DOCX (from page 2 of the PDF)."
        ),
        examples=["Second-line sorafenib for mRCC"],
    )
    authors: tuple[Author, ...] = Field(
        default=(),
        description=(
            "The authors, in byline order, with their affiliations (numbered by first mention) "
            "and the corresponding author's e-mail."
        ),
        examples=[
            [
                {
                    "name": "A. Investigator",
                    "affiliation": "Department of Medical Oncology, Example City Hospital",
                    "email": "a.investigator@example.org",
                    "corresponding": True,
                }
            ]
        ],
    )
    keywords: tuple[str, ...] = Field(
        default=(),
        description="Key words, printed under the title block and in the documents' properties.",
        examples=[["sorafenib", "thyroid cancer", "real-world data"]],
    )
    declarations: Declarations = Field(
        default=Declarations(),
        description=(
            "Ethics approval, consent, funding, conflicts of interest, data availability and "
            "author contributions: the Declarations section (`_generated/declarations.md`)."
        ),
        examples=[
            {
                "ethics": "Approved by the institutional review board (No. 2021-042).",
                "funding": "None.",
                "conflicts": "The authors declare no conflicts of interest.",
            }
        ],
    )
    disease: str = Field(
        description="The disease in words, used in generated sentences.",
        examples=["metastatic renal cell carcinoma"],
    )
    disease_abbreviation: str | None = Field(
        default=None,
        description="Used instead of `disease` in sentences when given.",
        examples=["mRCC"],
    )
    treatment: Treatment = Field(description="The treatment studied.")
    data: Path = Field(
        description=(
            "The workbook (xlsx), or a folder of patients/adverse_events CSV or Parquet files, "
            "relative to the study folder. `--data` replaces it for one run."
        ),
        examples=["../../data/renal_sorafenib.xlsx"],
    )
    sheets: dict[Literal["patients", "adverse_events"], str] = Field(
        default_factory=lambda: {"patients": "patients", "adverse_events": "adverse_events"},
        description=(
            "The names of the patients and adverse_events sheets in the workbook; a sheet not "
            "named here keeps its default name."
        ),
        examples=[{"patients": "Patients", "adverse_events": "AEs"}],
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "For every field whose header differs from its name: field: header as written in "
            "the workbook. Error messages use your header."
        ),
        examples=[{"patient_id": "Patient ID", "death_date": "Date of death"}],
    )
    identifiers: tuple[str, ...] = Field(
        default=(),
        description=(
            "Headers of patients-sheet columns holding names, initials, record numbers or other "
            "identifiers: read only to check free text for them, never analysed or printed."
        ),
        examples=[["Name", "MRN"]],
    )
    date_formats: tuple[DateFormat, ...] = Field(
        default=("%Y-%m-%d",),
        description=(
            "How text dates are written, as people write it (DD/MM/YYYY, MM/DD/YYYY, "
            "DD.MM.YYYY, D/M/YY, D MMM YYYY…) or as strptime codes (%d/%m/%Y). Year-first "
            "dates (2021-05-31) and Excel dates are always read; a date two formats read "
            "differently is an error."
        ),
        examples=[["DD/MM/YYYY"]],
    )
    synonyms: dict[SynonymField, dict[str, str | int]] = Field(
        default_factory=dict,
        description=(
            "Other spellings of the built-in categories (sex, end_reason, best_response, "
            "serious, AE grade): field: {value as written: level}. Applied before the built-in "
            "missing-value words, so a declared spelling always wins."
        ),
        examples=[{"sex": {"H": "Male"}, "best_response": {"nCR": "PR"}}],
    )
    missing_values: tuple[str, ...] = Field(
        default=(),
        description=(
            "Cell texts that mean 'not known' in your export, added to the built-in ones "
            "(empty, NA, -, unknown)."
        ),
        examples=[["n.d.", "99"]],
    )
    data_cutoff: dt.date = Field(
        description=(
            "Date of the data cutoff: later events are not counted and follow-up is censored "
            "there; stated in the Methods. An endpoint read from `time` and `status` columns is "
            "taken as recorded up to this date: the cutoff censors nothing there."
        ),
        examples=["2021-05-31"],
    )
    time_unit: TimeUnit = Field(
        default="days",
        description="Unit of every time in text, tables and figures (a month is 30.4375 days).",
        examples=["months"],
    )
    inclusion: Inclusion = Field(
        default=Inclusion(), description="Who is analysed; everyone screened by default."
    )
    endpoints: tuple[Endpoint, ...] = Field(
        description=(
            "The time-to-event endpoints, at least one and each kind once, in the order of "
            "tables and figures."
        ),
        examples=[[{"kind": "pfs"}, {"kind": "os"}]],
    )
    variables: dict[str, Variable] = Field(
        default_factory=dict,
        description=(
            "Your own columns of the patients sheet (name: definition); name them under "
            "`columns` if the header differs."
        ),
        examples=[{"ecog": {"label": "ECOG PS", "type": "categorical", "levels": ["0", "1"]}}],
    )
    markers: dict[str, Marker] = Field(
        default_factory=dict,
        description="Values computed from other columns and split at a cutoff (name: definition).",
        examples=[{"NLR": {"label": "NLR", "formula": "neutrophils / lymphocytes", "cutoff": 3}}],
    )
    table1: tuple[Table1Row, ...] = Field(
        default=(),
        description=(
            "The rows of Table I (patient characteristics), in order. A variable may have two "
            "rows (age as a median and split at 70, say) under two labels."
        ),
        examples=[[{"variable": "age", "label": "Age, years"}, {"variable": "sex"}]],
    )
    response: Response | None = Field(
        default=Response(),
        description=(
            "Tumour response settings; `null` when response was not assessed: no response "
            "table, rates or waterfall are generated."
        ),
    )
    cox: CoxSettings = Field(default=CoxSettings(), description="The Cox models.")
    adverse_events: AdverseEvents | None = Field(
        default=AdverseEvents(),
        description=(
            "Adverse-event settings; `null` when there is no adverse_events sheet: no "
            "adverse-event table or safety text is generated (remove their includes from "
            "manuscript.qmd)."
        ),
    )
    statistics: Statistics = Field(default=Statistics(), description="Statistical conventions.")
    dose_reduction: str | None = Field(
        default=None,
        description=(
            "A binary variable recording dose reduction; its rate and the treatment duration "
            "are given in the Results."
        ),
        examples=["dose_reduction"],
    )
    compare_by: str | None = Field(
        default=None,
        description=(
            "A marker or categorical variable: a supplementary Table I by its groups, with "
            "Wilcoxon and Fisher tests."
        ),
        examples=["LMR"],
    )

    folder: Annotated[Path, Field(exclude=True)] = Path()

    @field_validator("endpoints", mode="after")
    @classmethod
    def _one_endpoint_of_each_kind(cls, endpoints: tuple[Endpoint, ...]) -> tuple[Endpoint, ...]:
        """At least one endpoint: the manuscript is built around its survival analysis. An
        endpoint's kind names its figures, its tables' rows and its results.json keys, so two
        of one kind would overwrite each other."""
        if not endpoints:
            raise ValueError("at least one time-to-event endpoint is needed: os, pfs or ttf")
        first: dict[str, int] = {}
        for i, endpoint in enumerate(endpoints):
            if endpoint.kind in first:
                raise ValueError(
                    f"endpoints[{first[endpoint.kind]}] and endpoints[{i}] are both "
                    f"'{endpoint.kind}'; each kind of endpoint is analysed once"
                )
            first[endpoint.kind] = i
        for part in ("label", "abbreviation"):
            alike = first_alike(_endpoint_names(endpoints, part))
            if alike:
                raise ValueError(
                    f"{alike}; the text, tables and figures name each endpoint by its {part}, "
                    "so give each its own"
                )
        return endpoints

    @field_validator("sheets", mode="after")
    @classmethod
    def _every_sheet_named(cls, sheets: dict[str, str]) -> dict[str, str]:
        """``sheets: {patients: Patients}`` renames one sheet; the other keeps its name."""
        return {"patients": "patients", "adverse_events": "adverse_events", **sheets}

    @field_validator("authors", mode="after")
    @classmethod
    def _one_corresponding_author_with_email(
        cls, authors: tuple[Author, ...]
    ) -> tuple[Author, ...]:
        """The byline marks one corresponding author, and prints their address."""
        marked = [i for i, author in enumerate(authors) if author.corresponding]
        if len(marked) > 1:
            names = ", ".join(f"{i} ({authors[i].name})" for i in marked)
            raise ValueError(f"authors {names} are all marked corresponding; mark one")
        if marked and authors[marked[0]].email is None:
            raise ValueError(
                f"author {marked[0]} ({authors[marked[0]].name}) is the corresponding author "
                "and needs an `email`, printed in the byline"
            )
        return authors

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
        found: list[tuple[str, str, object, tuple[str, ...]]] = [
            (f"synonyms.{name}", spelling, level, self.category_levels(name))
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
        self._identifiers_never_printed()
        known = set(CANONICAL_PATIENT_FIELDS) | set(self.variables) | set(self.markers)
        for where, name in self._referenced_names():
            if name not in known:
                hint = _did_you_mean(name, known)
                raise ValueError(f"{where}: unknown variable '{name}'{hint}")
            if name in self.variables and self.variables[name].type == "date":
                raise ValueError(f"{where}: '{name}' is a date; use a `duration` computed from it")
        self._endpoint_columns_are_new(known)
        for field in self.columns:
            if field not in known | set(CANONICAL_AE_FIELDS) | set(self.endpoint_columns):
                raise ValueError(f"columns: unknown field '{field}'{_did_you_mean(field, known)}")
        self._check_computed(known)
        self._by_variables_are_groups()
        return self

    @model_validator(mode="after")
    def _rows_and_factors_shown_once(self) -> StudyConfig:
        """Two Table I rows of one heading, or two Cox factors, under one label (case and
        surrounding spaces aside) would be two rows no reader can tell apart; and a variable
        enters the Cox models once, since the multivariable model and an endpoint's ``by`` name
        the factor by its variable."""
        shown: dict[tuple[str | None, str], tuple[int, str]] = {}
        for i, row in enumerate(self.table1):
            label = row.label or self.variable_label(row.variable)
            first, was = shown.setdefault((row.group, fold_token(label)), (i, label))
            if first != i:
                raise ValueError(
                    f"table1[{i}]: shows '{label}' as table1[{first}] does{_as(was, label)}; "
                    "list a characteristic once, or give the second row a `label` of its own"
                )
        variables: dict[str, int] = {}
        labels: dict[str, tuple[int, str]] = {}
        for i, cov in enumerate(self.cox.covariates):
            first = variables.setdefault(cov.variable, i)
            if first != i:
                raise ValueError(
                    f"cox.covariates[{i}]: '{cov.variable}' is cox.covariates[{first}] already; a "
                    "variable enters the Cox models once (for another split of it, compute a "
                    "variable with `breaks` under `variables` and use that)"
                )
            label = cov.label or self.variable_label(cov.variable)
            first, was = labels.setdefault(fold_token(label), (i, label))
            if first != i:
                raise ValueError(
                    f"cox.covariates[{i}]: shows '{label}' as cox.covariates[{first}] "
                    f"does{_as(was, label)}; give one of them a `label` of its own"
                )
        return self

    @model_validator(mode="after")
    def _names_told_apart(self) -> StudyConfig:
        """Names printed side by side must differ: the Methods define every marker by its
        label, and an endpoint's curves by several factors title each panel (and its rows of
        the survival table) by the factor's label."""
        markers = [(f"markers.{name}.label", m.label) for name, m in self.markers.items()]
        alike = first_alike(markers)
        if alike:
            raise ValueError(f"{alike}; the Methods define each marker by its label")
        for i, endpoint in enumerate(self.endpoints):
            alike = first_alike(
                (self._label_key(name), self.variable_label(name)) for name in endpoint.by or ()
            )
            if alike:
                raise ValueError(
                    f"endpoints[{i}].by: {alike}; the curves by each factor are titled by its "
                    "label, so give one a label of its own"
                )
        return self

    def _label_key(self, name: str) -> str:
        """Where the label of a variable, marker or built-in field comes from."""
        if name in self.variables:
            return f"variables.{name}.label"
        if name in self.markers:
            return f"markers.{name}.label"
        return f"the label of '{name}'"

    @model_validator(mode="after")
    def _multivariate_factors_are_cox_factors(self) -> StudyConfig:
        """Rule ``fixed`` fits the listed factors among ``cox.covariates`` (matched by variable
        name, as the analysis matches them): a name that is not one of them would be named in
        the Methods but left out of the model, and a list without any fits no model at all."""
        rule = self.cox.multivariate
        if rule.rule != "fixed":
            return self
        factors = [cov.variable for cov in self.cox.covariates]
        choices = ", ".join(factors) or "none are listed"
        if not rule.covariates:
            raise ValueError(
                "cox.multivariate.covariates: rule fixed fits the factors listed here; list "
                f"them, from cox.covariates ({choices})"
            )
        for i, name in enumerate(rule.covariates):
            where = f"cox.multivariate.covariates[{i}]"
            if name not in factors:
                raise ValueError(
                    f"{where}: '{name}' is not one of cox.covariates ({choices}); the "
                    "multivariate model is fitted from those factors: add it under "
                    f"cox.covariates, or choose one of them{_did_you_mean(name, set(factors))}"
                )
            if name in rule.covariates[:i]:
                raise ValueError(f"{where}: '{name}' is listed twice")
        return self

    def variable_label(self, name: str) -> str:
        """How a variable is named where a table row or factor gives no label of its own: the
        label study.yml gives the variable or marker, else a built-in field's ("Age"), else its
        name (the one rule, :func:`cohortpress.present.labels.variable_label`)."""
        from cohortpress.present.labels import variable_label

        own = self.variables[name].label if name in self.variables else None
        return variable_label(name, self.markers[name].label if name in self.markers else own)

    def _endpoint_columns_are_new(self, known: set[str]) -> None:
        """A time or status column is its own field: not a canonical field, a variable, a
        marker, nor the column of another endpoint."""
        seen: dict[str, str] = {}
        for i, endpoint in enumerate(self.endpoints):
            for role in ("time", "status"):
                name = getattr(endpoint, role)
                if name is None:
                    continue
                where = f"endpoints[{i}].{role}"
                if name in known:
                    raise ValueError(
                        f"{where}: '{name}' is already a field or variable of the study; name "
                        "the endpoint's own column (its header goes under `columns:`)"
                    )
                if name in seen:
                    raise ValueError(f"{where}: '{name}' is already read by {seen[name]}")
                seen[name] = where

    @property
    def endpoint_columns(self) -> dict[str, tuple[Endpoint, str]]:
        """Field name -> (endpoint, "time" or "status") for endpoints read from columns."""
        return {
            name: (endpoint, role)
            for endpoint in self.endpoints
            for role in ("time", "status")
            if (name := getattr(endpoint, role)) is not None
        }

    @property
    def dates_needed(self) -> bool:
        """Whether anything in the study is derived from the treatment dates: an endpoint
        derived from dates, or the minimum-treatment inclusion rule."""
        from_dates = any(not e.recorded for e in self.endpoints)
        return from_dates or self.inclusion.min_treatment is not None

    def _by_variables_are_groups(self) -> None:
        """Curves "by" a variable, and the comparison by ``compare_by``, need groups: a marker
        (cut at its cutoff) or a categorical or binary variable."""
        uses = [
            (f"endpoints[{i}].by", name, "Kaplan–Meier curves need groups")
            for i, endpoint in enumerate(self.endpoints)
            for name in endpoint.by or ()
        ]
        if self.compare_by is not None:
            uses.append(("compare_by", self.compare_by, "the patients are compared by groups"))
        for where, name, why in uses:
            if name not in self.markers and self.variable_type(name)[0] not in GROUPED_TYPES:
                raise ValueError(
                    f"{where}: '{name}' is not a categorical or binary variable or a marker; "
                    f"{why} (split a number into groups with `breaks` under `variables`, or "
                    "declare it as a marker with a cutoff)"
                )

    def variable_type(self, name: str) -> tuple[str, tuple[str, ...]]:
        """The type and levels of a canonical field, a variable or a marker as Table I, the
        models and the comparison read it: a marker is a number (its groups, where it groups,
        are its high and low labels); a built-in field as :data:`vocabulary.BUILTIN_VARIABLES`
        says, any other a number."""
        if name in self.variables:
            variable = self.variables[name]
            return variable.type, tuple(variable.levels or ())
        if name in self.markers:
            return "continuous", ()
        kind, _unit, levels = vocabulary.BUILTIN_VARIABLES.get(name, ("continuous", None, None))
        return kind, tuple(levels or ())

    def factor_levels(self, cov: Covariate) -> tuple[tuple[str, ...], str] | None:
        """The levels a Cox factor is coded into, in the order shown, and its reference (HR 1),
        from study.yml alone; None for a number used as it is (HR per ``per`` units). The one
        rule for the models and for the check of study.yml."""
        name = cov.variable
        if name in self.markers:
            marker = self.markers[name]
            return (marker.high_label, marker.low_label), cov.reference or marker.low_label
        kind, levels = self.variable_type(name)
        if cov.groups:
            return tuple(cov.groups), cov.reference or list(cov.groups)[-1]
        if kind in NUMBER_TYPES:
            if cov.cut is None:
                return None
            below, above = cov.cut_labels or (f"<{cov.cut:g}", f"≥{cov.cut:g}")
            return (above, below), cov.reference or below
        declared = self.variables[name].reference if name in self.variables else None
        first = levels[-1] if kind == "binary" else levels[0]
        return levels, cov.reference or declared or first

    def curves_factor(self, name: str) -> Covariate:
        """The factor of the Kaplan–Meier curves "by" ``name`` (``endpoints[].by``): the
        variable's own levels (a Cox factor of it may pool or cut them), compared with the
        reference its Cox factor names where that factor keeps those levels, so that a
        figure's hazard ratio reads as the Cox table's ("Mutant vs Wild-type" in both)."""
        for cov in self.cox.covariates:
            if cov.variable == name and not cov.groups and cov.cut is None:
                return Covariate(variable=name, reference=cov.reference)
        return Covariate(variable=name)

    @model_validator(mode="after")
    def _tables_and_factors_fit_their_variables(self) -> StudyConfig:
        """What a Table I row or a Cox factor asks of its variable, checked when study.yml is
        read (by ``validate`` as by ``report``): a setting that does not apply would be
        ignored, a level that does not exist would leave patients out or print an empty row."""
        for i, row in enumerate(self.table1):
            self._check_row(f"table1[{i}]", row)
        for i, cov in enumerate(self.cox.covariates):
            self._check_factor(f"cox.covariates[{i}]", cov)
        return self

    def _check_row(self, where: str, row: Table1Row) -> None:
        kind, levels = self.variable_type(row.variable)
        number = kind in NUMBER_TYPES
        if row.cut is not None and not number:
            raise ValueError(f"{where}.cut: '{row.variable}' is not a number; only a number is cut")
        if row.cut_labels is not None and row.cut is None:
            raise ValueError(f"{where}.cut_labels: name the sides of a `cut`; there is none")
        if row.summary == "n_percent" and number and row.cut is None:
            raise ValueError(
                f"{where}.summary: n_percent needs a `cut` for '{row.variable}', a number"
            )
        if row.summary in CONTINUOUS_SUMMARIES and (not number or row.cut is not None):
            raise ValueError(
                f"{where}.summary: {row.summary} is for a number without `cut` (use n_percent)"
            )
        if row.levels_shown is None:
            return
        if row.cut is not None:
            levels = row.cut_labels or (f"<{row.cut:g}", f"≥{row.cut:g}")
        elif number:
            raise ValueError(f"{where}.levels_shown: '{row.variable}' is a number, without levels")
        for level in row.levels_shown:
            if level not in levels:
                raise ValueError(
                    f"{where}.levels_shown: '{level}' is not a level of '{row.variable}' "
                    f"({', '.join(levels)}){_did_you_mean(level, set(levels))}"
                )

    def _check_factor(self, where: str, cov: Covariate) -> None:
        name = cov.variable
        kind, levels = self.variable_type(name)
        number = kind in NUMBER_TYPES and name not in self.markers
        if cov.groups and number:
            raise ValueError(f"{where}.groups: '{name}' is a number; `cut` splits a number")
        if cov.groups and name in self.markers:
            raise ValueError(f"{where}.groups: '{name}' is a marker, grouped by its cutoff")
        for group, members in (cov.groups or {}).items():
            for level in members:
                if level not in levels:
                    raise ValueError(
                        f"{where}.groups.{group}: '{level}' is not a level of '{name}' "
                        f"({', '.join(levels)}){_did_you_mean(level, set(levels))}"
                    )
        grouped = [level for members in (cov.groups or {}).values() for level in members]
        twice = sorted({level for level in grouped if grouped.count(level) > 1})
        if twice:
            raise ValueError(f"{where}.groups: {', '.join(twice)} in two groups; put it in one")
        if cov.cut is not None and not number:
            raise ValueError(f"{where}.cut: '{name}' is not a number; only a number is cut")
        if cov.cut_labels is not None and cov.cut is None:
            raise ValueError(f"{where}.cut_labels: name the sides of a `cut`; there is none")
        if cov.per is not None and (not number or cov.cut is not None):
            raise ValueError(f"{where}.per: only a number used as it is (no `cut`) has a `per`")
        coded = self.factor_levels(cov)
        if coded is None:
            if cov.reference is not None:
                raise ValueError(
                    f"{where}.reference: '{name}' enters the model as a number (HR per "
                    f"{cov.per or 1:g} unit(s)), without a reference level; give a `cut` to "
                    "compare two groups"
                )
            return
        shown, reference = coded
        if reference not in shown:
            raise ValueError(
                f"{where}.reference: '{reference}' is not one of {', '.join(shown)}"
                f"{_did_you_mean(reference, set(shown))}"
            )

    def _check_computed(self, known: set[str]) -> None:
        """Computed variables and markers read existing names of the right kind, in no circle."""
        from cohortpress.computed import computation_order, computed_inputs

        for name, names in computed_inputs(self).items():
            where = f"markers.{name}" if name in self.markers else f"variables.{name}"
            for used in sorted(names):
                if used not in known:
                    raise ValueError(
                        f"{where}: unknown variable '{used}'{_did_you_mean(used, known)}"
                    )
                problem = self._kind_problem(name, used)
                if problem:
                    raise ValueError(f"{where}: '{used}' {problem}")
        computation_order(self)

    def _kind_problem(self, name: str, used: str) -> str | None:
        """Why ``name`` cannot read ``used`` (a number, a category or a date), or None."""
        from cohortpress.computed import DATE_FIELDS, NUMERIC_FIELDS

        var = self.variables.get(used)
        is_date = used in DATE_FIELDS or (var is not None and var.type == "date")
        is_number = (
            used in NUMERIC_FIELDS
            or used in self.markers
            or (var is not None and var.type in ("continuous", "count"))
        )
        reader = self.variables.get(name)
        if reader is not None and reader.duration is not None:
            return None if is_date else "is not a date (a duration is between two dates)"
        if reader is not None and reader.pool is not None:
            if var is None or not var.levels:
                return "is not a categorical variable with levels"
            pooled = [lvl for levels in reader.pool.groups.values() for lvl in levels]
            missing = sorted(set(var.levels) - set(pooled))
            extra = sorted(set(pooled) - set(var.levels))
            if missing or extra or len(pooled) != len(set(pooled)):
                return (
                    f"has levels {list(var.levels)}; pool each exactly once "
                    f"(not pooled: {missing}, unknown: {extra})"
                )
            return None
        if is_number:
            return None
        if reader is None or reader.formula is not None:
            numbers = (
                var is not None
                and bool(var.levels)
                and all(_is_number(lvl) for lvl in var.levels or ())
            )
            return None if numbers else "is not a number (a formula reads numbers only)"
        return "is not a number (breaks cut a continuous variable)"

    def _identifiers_never_printed(self) -> None:
        """An identifying field or a declared identifier column is never a variable of a table,
        a comparison or a model: the message names the key that uses it."""
        fields = (*CANONICAL_PATIENT_FIELDS, *self.variables, *self.endpoint_columns)
        read = {self.header(f): f for f in fields}
        for i, header in enumerate(self.identifiers):
            if header in read:
                raise ValueError(
                    f"identifiers[{i}]: '{header}' is the column of '{read[header]}'; list only "
                    "columns the study does not otherwise read"
                )
        identifying = set(IDENTIFYING_FIELDS) | set(self.identifiers)
        for where, name in self._referenced_names(leaf=True):
            if name in identifying and not where.startswith("inclusion."):  # read, not printed
                raise ValueError(f"{where}: '{name}' identifies a patient and is never printed")

    def _referenced_names(self, *, leaf: bool = False) -> list[tuple[str, str]]:
        """(key path, variable) of every use of a variable; ``leaf`` gives the full path."""
        from cohortpress.formula_syntax import parse_formula

        var = ".variable" if leaf else ""
        refs = [(f"table1[{i}]{var}", row.variable) for i, row in enumerate(self.table1)]
        refs += [
            (f"cox.covariates[{i}]{var}", c.variable) for i, c in enumerate(self.cox.covariates)
        ]
        refs += [
            (f"cox.multivariate.covariates{f'[{i}]' if leaf else ''}", v)
            for i, v in enumerate(self.cox.multivariate.covariates)
        ]
        for i, rule in enumerate(self.inclusion.criteria):
            names = sorted(parse_formula(rule.condition).names)
            refs += [(f"inclusion.criteria[{i}]", name) for name in names]
        if self.dose_reduction:
            refs.append(("dose_reduction", self.dose_reduction))
        if self.compare_by:
            refs.append(("compare_by", self.compare_by))
        for i, endpoint in enumerate(self.endpoints):
            refs += [(f"endpoints[{i}].by", name) for name in endpoint.by or ()]
        return refs

    def category_levels(self, field: str) -> tuple[str, ...]:
        """The levels of a built-in category field; best response's are the criteria's codes."""
        if field == "best_response":
            return (self.response.scheme if self.response else DEFAULT_CRITERIA).codes
        return BUILT_IN_CATEGORIES[field]

    @property
    def workbook_variables(self) -> dict[str, Variable]:
        """The variables read from the patients sheet (not computed from others)."""
        return {name: var for name, var in self.variables.items() if var.derivation is None}

    @property
    def redacts_identifiers(self) -> bool:
        """Whether validation rewrites the workbook: identifying parts of adverse-event terms
        are replaced by '[redacted]' before anything else reads the terms."""
        return self.adverse_events is not None and self.adverse_events.identifiers == "redact"

    @property
    def data_path(self) -> Path:
        return (self.folder / self.data).resolve()

    def header(self, field: str) -> str:
        """The workbook's header for a canonical field or variable."""
        return self.columns.get(field, field)


def _endpoint_names(endpoints: tuple[Endpoint, ...], part: str) -> list[tuple[str, str]]:
    """(key path, name) of each endpoint's label or abbreviation, its kind's where not given."""
    index = 0 if part == "label" else 1
    named = []
    for i, endpoint in enumerate(endpoints):
        given: str | None = getattr(endpoint, part)
        if given:
            named.append((f"endpoints[{i}].{part} ({endpoint.kind})", given))
        else:
            default = vocabulary.ENDPOINT_NAMES[endpoint.kind][index]
            named.append((f"endpoints[{i}] ({endpoint.kind}, by default)", default))
    return named


def _as(first: str, second: str) -> str:
    """How the first of two labels that differ in case or spacing only is quoted."""
    return "" if first == second else f" (as '{first}')"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StudyConfigError(
            f"{path}: not text in UTF-8 (byte {exc.start + 1}); save study.yml as UTF-8"
        ) from None
    try:
        raw = load_yaml(text, str(path), text_dates=False)
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
        return "unknown key (check the spelling; docs/study-yml.md lists the keys)"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}; got {err['input']!r}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg']}; got {err['input']!r}"
