"""Optional columns the study's own analyses need: absent, they are a located error.

A workbook may leave out an optional field (no progression dates, no treatment end); what the
study asks for then decides. A field an endpoint or summary needs is reported once, at the
column, naming what needs it; a field nothing needs is read as empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.errors import Problem
from cohortpress.vocabulary import ENDPOINT_NAMES

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig
    from cohortpress.validate._translate import SheetContext


def needed_by(config: StudyConfig, present: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Optional patient field -> what in this study needs it, in words.

    The response analysis is a default: a workbook without best responses leaves it out (the
    data report says so) unless study.yml declares ``response:``, which then needs the column.
    """
    kinds = {e.kind for e in config.endpoints if not e.recorded}  # derived from dates
    recorded = {e.kind for e in config.endpoints if e.recorded}
    survival = [f"the {ENDPOINT_NAMES[k][1]} endpoint" for k in sorted(kinds)]
    # Without treatment dates, and nothing derived from them, the treatment summary is left out.
    treated = config.dates_needed or "treatment_start" in present
    needs: dict[str, list[str]] = {
        "treatment_end": ["the treatment duration and reasons for stopping"] if treated else [],
        "end_reason": ["the reasons for stopping treatment"] if treated else [],
        "death_date": survival,
        "progression_date": ["the PFS endpoint"] if "pfs" in kinds else [],
        "age": _uses_age(config),
    }
    if "ttf" in kinds:
        needs["treatment_end"].append("the TTF endpoint")
    if any(e.censor_at == "last_assessment" for e in config.endpoints):
        needs["last_assessment"] = ["the PFS censoring rule (censor_at: last_assessment)"]
    if config.inclusion.min_treatment is not None:
        needs["treatment_end"].append("the inclusion rule (inclusion.min_treatment)")
    declared = "response" in config.model_fields_set
    if config.response is not None and (declared or "best_response" in present):
        if "pfs" not in recorded:  # else SD lasted as long as the recorded PFS time
            needs["progression_date"].append("the clinical benefit rate (how long SD lasted)")
        needs["best_response"] = ["the response rates (response: in study.yml)"]
    return {field: reasons for field, reasons in needs.items() if reasons}


def _uses_age(config: StudyConfig) -> list[str]:
    """What reads the age: it comes from an age column, or from the birth date and the
    start of treatment (intake computes it then)."""
    uses = [f"Table I (table1[{i}])" for i, r in enumerate(config.table1) if r.variable == "age"]
    uses += [
        f"the Cox models (cox.covariates[{i}])"
        for i, c in enumerate(config.cox.covariates)
        if c.variable == "age"
    ]
    return uses


def missing_needed_columns(context: SheetContext, config: StudyConfig) -> list[Problem]:
    """One problem per needed field the patients sheet has no column for."""
    return [
        Problem(
            context.sheet,
            None,
            context.header(field),
            None,
            f"no column for {context.title(field)}, needed by {_join(reasons)}",
            "add the column, or name its header under `columns:` in study.yml",
        )
        for field, reasons in needed_by(config, frozenset(context.frame.columns)).items()
        if field not in context.frame.columns
    ]


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
