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
) -> tuple[pd.Series, tuple[Exclusion, ...], pd.Series]:
    """(kept, exclusions, reasons): who stays in, the flow lines in the order the rules apply,
    and each excluded patient's reason (missing for the patients kept)."""
    rules = config.inclusion
    kept = pd.Series(True, index=data.index)
    unknown = pd.Series(False, index=data.index)
    reasons = pd.Series(pd.NA, index=data.index, dtype="string")
    exclusions = []
    for rule in rules.criteria:
        value, _ = parse_formula(rule.condition).evaluate(data)
        met = value.notna() & (value != 0)
        drop = met if rule.exclude is not None else value.notna() & ~met
        if rules.missing == "exclude":
            unknown |= kept & value.isna()
            kept &= value.notna()
        exclusions.append(Exclusion(rule.reason, int((kept & drop).sum())))
        reasons[kept & drop] = rule.reason
        kept &= ~drop
    if unknown.any():
        exclusions.append(Exclusion(INSUFFICIENT, int(unknown.sum())))
        reasons[unknown] = INSUFFICIENT
    if rules.min_treatment is not None:
        short = data["treatment_days"] < rules.min_treatment.days()
        reason = f"treated for less than {rules.min_treatment.text()}"
        exclusions.append(Exclusion(reason, int((kept & short).sum())))
        reasons[kept & short] = reason
        kept &= ~short
    return kept, tuple(exclusions), reasons
