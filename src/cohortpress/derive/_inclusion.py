"""Who is analysed: the study's eligibility criteria and minimum treatment, in order.

Each rule removes the patients it excludes from those still in; they are counted under that
rule only, so the flow lines add up to the screened minus the analysed. A patient whose rule
reads a missing value is, by default, counted on one line of their own ("insufficient data"),
written only when there is such a patient.

Each line is an :class:`ExclusionRule` (a kind and its parameters); the words of the patient
flow are made in the presentation step (``present.wording.exclusion_reason``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.derive._cohort import Exclusion, ExclusionKind, ExclusionRule
from cohortpress.derive._formula import parse_formula

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig

INSUFFICIENT = ExclusionRule(ExclusionKind.INSUFFICIENT_DATA)


def apply_inclusion(
    data: pd.DataFrame, config: StudyConfig
) -> tuple[pd.Series, tuple[Exclusion, ...], pd.Series]:
    """(kept, exclusions, reasons): who stays in, the flow lines in the order the rules apply,
    and the rule that excluded each excluded patient (None for the patients kept)."""
    rules = config.inclusion
    kept = pd.Series(True, index=data.index)
    unknown = pd.Series(False, index=data.index)
    reasons = pd.Series(None, index=data.index, dtype=object)
    exclusions = []

    def exclude(rule: ExclusionRule, drop: pd.Series) -> None:
        exclusions.append(Exclusion(rule, int(drop.sum())))
        reasons[drop] = rule

    for criterion in rules.criteria:
        value, _ = parse_formula(criterion.condition).evaluate(data)
        met = value.notna() & (value != 0)
        drop = met if criterion.exclude is not None else value.notna() & ~met
        if rules.missing == "exclude":
            unknown |= kept & value.isna()
            kept &= value.notna()
        exclude(ExclusionRule(ExclusionKind.CRITERION, reason=criterion.reason), kept & drop)
        kept &= ~drop
    if unknown.any():
        exclude(INSUFFICIENT, unknown)
    if rules.min_treatment is not None:
        short = data["treatment_days"] < rules.min_treatment.days()
        minimum = ExclusionRule(ExclusionKind.SHORT_TREATMENT, minimum=rules.min_treatment)
        exclude(minimum, kept & short)
        kept &= ~short
    return kept, tuple(exclusions), reasons
