"""The adverse_events sheet: one row per adverse event of a patient, graded by CTCAE."""

from __future__ import annotations

import pandas as pd  # noqa: TC002 - pandera reads the annotations at run time
import pandera.pandas as pa
from pandera.typing import Series  # noqa: TC002

YES_NO = ("Yes", "No")


class AdverseEventsSchema(pa.DataFrameModel):
    """One row per adverse event; a patient may have many rows."""

    patient_id: Series[pd.StringDtype] = pa.Field(
        nullable=False,
        title="Patient ID",
        description="The patient's study number, as in the patients sheet.",
    )
    term: Series[pd.StringDtype] = pa.Field(
        nullable=False,
        title="Adverse event",
        description="The adverse event term (CTCAE); spelling variants are merged by study.yml.",
    )
    grade: Series[float] = pa.Field(
        nullable=False,
        in_range={"min_value": 1, "max_value": 5, "error": "the grade must be between 1 and 5"},
        title="CTCAE grade",
        description="Worst CTCAE grade of the event: a whole number from 1 to 5.",
    )
    onset_date: Series[pa.DateTime] | None = pa.Field(
        nullable=True,
        title="Onset date",
        description="Date the adverse event began.",
    )
    serious: Series[pd.StringDtype] | None = pa.Field(
        nullable=True,
        isin={"allowed_values": YES_NO, "error": "serious must be Yes or No"},
        title="Serious",
        description="Whether the event was serious (Yes or No).",
    )

    class Config:
        strict = False
        coerce = False

    @pa.check("grade", error="the grade must be a whole number (1, 2, 3, 4 or 5)")
    def grade_is_whole(cls, grade: Series[float]) -> Series[bool]:
        return grade == grade.round()
