"""The patients sheet: one row per screened patient.

Intake has already mapped the workbook's headers to the canonical fields below and turned
every cell into a date, a number or one of the allowed words, so the schema never coerces:
it only checks. Study-specific columns (``variables:`` in study.yml) are added at run time
with their levels and ranges. Each row-level rule names, in ``statistics["column"]``, the cell
the report points at.
"""

from __future__ import annotations

import pandas as pd  # noqa: TC002 - pandera reads the annotations at run time
import pandera.pandas as pa
from pandera.typing import Series  # noqa: TC002

from cohortpress.vocabulary import BEST_RESPONSES as RESPONSES
from cohortpress.vocabulary import END_REASONS, SEXES

from ._rules import both_or_neither, column, not_before


class PatientsSchema(pa.DataFrameModel):
    """One row per screened patient, as entered in the study's workbook."""

    patient_id: Series[pd.StringDtype] = pa.Field(
        nullable=False,
        title="Patient ID",
        description="The patient's study number. Every row needs one and no two rows share one.",
    )
    age: Series[float] | None = pa.Field(
        nullable=True,
        in_range={"min_value": 0, "max_value": 120, "error": "age must be between 0 and 120"},
        title="Age",
        description="Age in years at the start of treatment (or computed from the birth date).",
    )
    birth_date: Series[pa.DateTime] | None = pa.Field(
        nullable=True,
        title="Birth date",
        description="Date of birth; used for the age when the sheet has no age column.",
    )
    sex: Series[pd.StringDtype] | None = pa.Field(
        nullable=True,
        isin={"allowed_values": SEXES, "error": "sex must be Male or Female"},
        title="Sex",
        description="Male or Female (M, F, male and female are read as these).",
    )
    treatment_start: Series[pa.DateTime] = pa.Field(
        nullable=False,
        title="Treatment start",
        description="Date of the first dose: day 0 of every time-to-event endpoint.",
    )
    treatment_end: Series[pa.DateTime] | None = pa.Field(
        nullable=True,
        title="Treatment end",
        description="Date treatment was stopped; empty while treatment goes on at the data cutoff.",
    )
    end_reason: Series[pd.StringDtype] | None = pa.Field(
        nullable=True,
        isin={
            "allowed_values": END_REASONS,
            "error": "the reason for stopping must be one of: " + ", ".join(END_REASONS),
        },
        title="Reason for stopping",
        description="Why treatment was stopped; empty while treatment goes on.",
    )
    progression_date: Series[pa.DateTime] | None = pa.Field(
        nullable=True,
        title="Progression date",
        description="Date disease progression was first recorded.",
    )
    death_date: Series[pa.DateTime] | None = pa.Field(
        nullable=True,
        title="Date of death",
        description="Date of death from any cause.",
    )
    last_contact: Series[pa.DateTime] = pa.Field(
        nullable=True,
        title="Last contact",
        description="Last date the patient was known to be alive; survival is censored here.",
    )
    last_assessment: Series[pa.DateTime] | None = pa.Field(
        nullable=True,
        title="Last tumour assessment",
        description=(
            "Date of the last tumour assessment; PFS is censored here when study.yml says "
            "`censor_at: last_assessment`."
        ),
    )
    best_response: Series[pd.StringDtype] | None = pa.Field(
        nullable=True,
        isin={
            "allowed_values": RESPONSES,
            "error": "the best response must be one of CR, PR, SD, PD or NE (RECIST 1.1)",
        },
        title="Best response",
        description=(
            "Best overall response by RECIST 1.1: CR, PR, SD, PD or NE (not evaluable). A study "
            "with other `response.criteria` (iRECIST, Lugano, its own categories) gets their "
            "categories instead, at run time; empty: no best response recorded."
        ),
    )
    best_change_pct: Series[float] | None = pa.Field(
        nullable=True,
        ge={"min_value": -100, "error": "a lesion cannot shrink by more than 100%"},
        title="Best change of target lesions (%)",
        description="Largest % change of the sum of target lesions from baseline (waterfall).",
    )

    class Config:
        strict = False
        coerce = False

    # The row rules below decide for themselves what a missing date means (the rule does not
    # apply), so each says ignore_na=False: pandera would otherwise also test every cell of the
    # sheet for missing values once per rule, seconds per rule on a registry's text columns.

    @pa.check("patient_id", error="this patient ID appears in more than one row")
    def patient_id_unique(cls, ids: Series[pd.StringDtype]) -> Series[bool]:
        return ~ids.duplicated(keep=False)

    @pa.dataframe_check(
        error="the progression date is before {treatment_start}",
        ignore_na=False,
        statistics={"column": "progression_date"},
    )
    def progression_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "progression_date", "treatment_start")

    @pa.dataframe_check(
        error="the date of death is before {treatment_start}",
        ignore_na=False,
        statistics={"column": "death_date"},
    )
    def death_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "death_date", "treatment_start")

    @pa.dataframe_check(
        error="treatment ends before {treatment_start}",
        ignore_na=False,
        statistics={"column": "treatment_end"},
    )
    def end_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "treatment_end", "treatment_start")

    @pa.dataframe_check(
        error="the last contact is before {treatment_start}",
        ignore_na=False,
        statistics={"column": "last_contact"},
    )
    def contact_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "last_contact", "treatment_start")

    @pa.dataframe_check(
        error="the last tumour assessment is before {treatment_start}",
        ignore_na=False,
        statistics={"column": "last_assessment"},
    )
    def assessment_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "last_assessment", "treatment_start")

    @pa.dataframe_check(
        error="the date of death is before {progression_date}",
        ignore_na=False,
        statistics={"column": "death_date"},
    )
    def death_not_before_progression(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "death_date", "progression_date")

    @pa.dataframe_check(
        error="the last contact is before {treatment_end}",
        ignore_na=False,
        statistics={"column": "last_contact"},
    )
    def contact_not_before_end(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "last_contact", "treatment_end")

    @pa.dataframe_check(
        error="the last contact is before {progression_date}",
        ignore_na=False,
        statistics={"column": "last_contact"},
    )
    def contact_not_before_progression(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "last_contact", "progression_date")

    @pa.dataframe_check(
        error="the last contact is after {death_date}",
        ignore_na=False,
        statistics={"column": "last_contact"},
    )
    def contact_not_after_death(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "death_date", "last_contact")

    @pa.dataframe_check(
        error="treatment ends after {death_date}",
        ignore_na=False,
        statistics={"column": "treatment_end"},
    )
    def end_not_after_death(cls, df: pd.DataFrame) -> Series[bool]:
        return not_before(df, "death_date", "treatment_end")

    @pa.dataframe_check(
        error="a reason for stopping is given but {treatment_end} is empty",
        ignore_na=False,
        statistics={"column": "end_reason"},
    )
    def reason_has_end_date(cls, df: pd.DataFrame) -> Series[bool]:
        return both_or_neither(df, "end_reason", "treatment_end")

    @pa.dataframe_check(
        error="treatment ended but {end_reason} is empty",
        ignore_na=False,
        statistics={"column": "treatment_end"},
    )
    def end_date_has_reason(cls, df: pd.DataFrame) -> Series[bool]:
        return both_or_neither(df, "treatment_end", "end_reason")

    @pa.dataframe_check(
        error="the reason for stopping is death but {death_date} is empty",
        ignore_na=False,
        statistics={"column": "end_reason"},
    )
    def death_reason_has_date(cls, df: pd.DataFrame) -> Series[bool]:
        died = column(df, "end_reason").eq("death").fillna(False)
        return ~(died & column(df, "death_date").isna())

    @pa.dataframe_check(
        error="neither {last_contact} nor {death_date} is given: survival cannot be followed",
        statistics={"column": "last_contact"},
        ignore_na=False,
    )
    def followed_up(cls, df: pd.DataFrame) -> Series[bool]:
        if "last_contact" not in df.columns:  # reported as a missing column
            return pd.Series(True, index=df.index)
        return df["last_contact"].notna() | column(df, "death_date").notna()
