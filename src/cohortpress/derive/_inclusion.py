"""Who is analysed: the study's eligibility criteria and minimum treatment, in order.

Each rule removes the patients it excludes from those still in; they are counted under that
rule only, so the flow lines add up to the screened minus the analysed. A patient whose rule
reads a missing value is, by default, counted on one line of their own ("insufficient data"),
written only when there is such a patient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.derive._cohort import Exclusion
from cohortpress.derive._formula import parse_formula

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig

INSUFFICIENT = "with insufficient data for the eligibility criteria"


def apply_inclusion(
    data: pd.DataFrame, config: StudyConfig
) -> tuple[pd.Series, tuple[Exclusion, ...]]:
    """(kept, exclusions): who stays in, and the flow lines in the order the rules apply."""
    rules = config.inclusion
    kept = pd.Series(True, index=data.index)
    unknown = pd.Series(False, index=data.index)
    exclusions = []
    for rule in rules.criteria:
        value, _ = parse_formula(rule.condition).evaluate(data)
        met = value.notna() & (value != 0)
        drop = met if rule.exclude is not None else value.notna() & ~met
        if rules.missing == "exclude":
            unknown |= kept & value.isna()
            kept &= value.notna()
        exclusions.append(Exclusion(rule.reason, int((kept & drop).sum())))
        kept &= ~drop
    if unknown.any():
        exclusions.append(Exclusion(INSUFFICIENT, int(unknown.sum())))
    if rules.min_treatment is not None:
        short = data["treatment_days"] < rules.min_treatment.days()
        reason = f"treated for less than {rules.min_treatment.text()}"
        exclusions.append(Exclusion(reason, int((kept & short).sum())))
        kept &= ~short
    return kept, tuple(exclusions)
