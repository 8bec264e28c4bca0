"""The adverse_events sheet: one row per adverse event of a patient, graded by CTCAE.

Written with pandera's object API, as ``patients.py`` is (see there why).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

YES_NO = ("Yes", "No")


def grade_is_whole(grade: pd.Series) -> pd.Series:
    return grade == grade.round()


AdverseEventsSchema = pa.DataFrameSchema(
    {
        "patient_id": pa.Column(
            pd.StringDtype(),
            nullable=False,
            title="Patient ID",
            description="The patient's study number, as in the patients sheet.",
        ),
        "term": pa.Column(
            pd.StringDtype(),
            nullable=False,
            title="Adverse event",
            description=(
                "The adverse event term (CTCAE); spelling variants are merged by study.yml."
            ),
        ),
        "grade": pa.Column(
            "float64",
            [
                pa.Check.in_range(1, 5, error="the grade must be between 1 and 5"),
                pa.Check(
                    grade_is_whole,
                    error="the grade must be a whole number (1, 2, 3, 4 or 5)",
                ),
            ],
            nullable=False,
            title="CTCAE grade",
            description="Worst CTCAE grade of the event: a whole number from 1 to 5.",
        ),
        "onset_date": pa.Column(
            "datetime64[ns]",
            nullable=True,
            required=False,
            title="Onset date",
            description="Date the adverse event began.",
        ),
        "serious": pa.Column(
            pd.StringDtype(),
            pa.Check.isin(YES_NO, error="serious must be Yes or No"),
            nullable=True,
            required=False,
            title="Serious",
            description="Whether the event was serious (Yes or No).",
        ),
    },
    name="AdverseEventsSchema",
    description="One row per adverse event; a patient may have many rows.",
    strict=False,
    coerce=False,
)
