"""The patients sheet: one row per screened patient.

Intake has already mapped the workbook's headers to the canonical fields below and turned
every cell into a date, a number or one of the allowed words, so the schema never coerces:
it only checks. Study-specific columns (``variables:`` in study.yml) are added at run time
with their levels and ranges. Each row-level rule names, in ``statistics["column"]``, the cell
the report points at.

The schema is written with pandera's object API, a ``DataFrameSchema`` of ``Column``s and
``Check``s, rather than as a ``DataFrameModel`` class: turning a class into a schema makes
pandera import every data frame library it supports, Dask's data frames among them (0.4 s of
every first run where Dask is installed), while the columns and rules are the same.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from cohortpress.vocabulary import BEST_RESPONSES as RESPONSES
from cohortpress.vocabulary import END_REASONS, SEXES

from ._rules import both_or_neither, column, dates_in_order, row_rule

TEXT = pd.StringDtype()  # text, with empty cells as <NA>
NUMBER = "float64"
DATE = "datetime64[ns]"


def patient_id_unique(ids: pd.Series) -> pd.Series:
    return ~ids.duplicated(keep=False)


def reason_has_end_date(df: pd.DataFrame) -> pd.Series:
    return both_or_neither(df, "end_reason", "treatment_end")


def end_date_has_reason(df: pd.DataFrame) -> pd.Series:
    return both_or_neither(df, "treatment_end", "end_reason")


def death_reason_has_date(df: pd.DataFrame) -> pd.Series:
    died = column(df, "end_reason").eq("death").fillna(False)
    return ~(died & column(df, "death_date").isna())


def followed_up(df: pd.DataFrame) -> pd.Series:
    if "last_contact" not in df.columns:  # reported as a missing column
        return pd.Series(True, index=df.index)
    return df["last_contact"].notna() | column(df, "death_date").notna()


PatientsSchema = pa.DataFrameSchema(
    {
        "patient_id": pa.Column(
            TEXT,
            pa.Check(patient_id_unique, error="this patient ID appears in more than one row"),
            nullable=False,
            title="Patient ID",
            description=(
                "The patient's study number. Every row needs one and no two rows share one."
            ),
        ),
        "age": pa.Column(
            NUMBER,
            pa.Check.in_range(0, 120, error="age must be between 0 and 120"),
            nullable=True,
            required=False,
            title="Age",
            description=(
                "Age in years at the start of treatment (or computed from the birth date)."
            ),
        ),
        "birth_date": pa.Column(
            DATE,
            nullable=True,
            required=False,
            title="Birth date",
            description="Date of birth; used for the age when the sheet has no age column.",
        ),
        "sex": pa.Column(
            TEXT,
            pa.Check.isin(SEXES, error="sex must be Male or Female"),
            nullable=True,
            required=False,
            title="Sex",
            description="Male or Female (M, F, male and female are read as these).",
        ),
        "treatment_start": pa.Column(
            DATE,
            nullable=False,
            title="Treatment start",
            description="Date of the first dose: day 0 of every time-to-event endpoint.",
        ),
        "treatment_end": pa.Column(
            DATE,
            nullable=True,
            required=False,
            title="Treatment end",
            description=(
                "Date treatment was stopped; empty while treatment goes on at the data cutoff."
            ),
        ),
        "end_reason": pa.Column(
            TEXT,
            pa.Check.isin(
                END_REASONS,
                error="the reason for stopping must be one of: " + ", ".join(END_REASONS),
            ),
            nullable=True,
            required=False,
            title="Reason for stopping",
            description="Why treatment was stopped; empty while treatment goes on.",
        ),
        "progression_date": pa.Column(
            DATE,
            nullable=True,
            required=False,
            title="Progression date",
            description="Date disease progression was first recorded.",
        ),
        "death_date": pa.Column(
            DATE,
            nullable=True,
            required=False,
            title="Date of death",
            description="Date of death from any cause.",
        ),
        "last_contact": pa.Column(
            DATE,
            nullable=True,
            title="Last contact",
            description=("Last date the patient was known to be alive; survival is censored here."),
        ),
        "last_assessment": pa.Column(
            DATE,
            nullable=True,
            required=False,
            title="Last tumour assessment",
            description=(
                "Date of the last tumour assessment; PFS is censored here when study.yml says "
                "`censor_at: last_assessment`."
            ),
        ),
        "best_response": pa.Column(
            TEXT,
            pa.Check.isin(
                RESPONSES,
                error="the best response must be one of CR, PR, SD, PD or NE (RECIST 1.1)",
            ),
            nullable=True,
            required=False,
            title="Best response",
            description=(
                "Best overall response by RECIST 1.1: CR, PR, SD, PD or NE (not evaluable). A "
                "study with other `response.criteria` (iRECIST, Lugano, its own categories) "
                "gets their categories instead, at run time; empty: no best response recorded."
            ),
        ),
        "best_change_pct": pa.Column(
            NUMBER,
            pa.Check.ge(-100, error="a lesion cannot shrink by more than 100%"),
            nullable=True,
            required=False,
            title="Best change of target lesions (%)",
            description=(
                "Largest % change of the sum of target lesions from baseline (waterfall)."
            ),
        ),
    },
    checks=[
        # Dates in the order events happen; a missing date breaks none of these rules.
        dates_in_order(
            "progression_not_before_start",
            later="progression_date",
            earlier="treatment_start",
            error="the progression date is before {treatment_start}",
            cell="progression_date",
        ),
        dates_in_order(
            "death_not_before_start",
            later="death_date",
            earlier="treatment_start",
            error="the date of death is before {treatment_start}",
            cell="death_date",
        ),
        dates_in_order(
            "end_not_before_start",
            later="treatment_end",
            earlier="treatment_start",
            error="treatment ends before {treatment_start}",
            cell="treatment_end",
        ),
        dates_in_order(
            "contact_not_before_start",
            later="last_contact",
            earlier="treatment_start",
            error="the last contact is before {treatment_start}",
            cell="last_contact",
        ),
        dates_in_order(
            "assessment_not_before_start",
            later="last_assessment",
            earlier="treatment_start",
            error="the last tumour assessment is before {treatment_start}",
            cell="last_assessment",
        ),
        dates_in_order(
            "death_not_before_progression",
            later="death_date",
            earlier="progression_date",
            error="the date of death is before {progression_date}",
            cell="death_date",
        ),
        dates_in_order(
            "contact_not_before_end",
            later="last_contact",
            earlier="treatment_end",
            error="the last contact is before {treatment_end}",
            cell="last_contact",
        ),
        dates_in_order(
            "contact_not_before_progression",
            later="last_contact",
            earlier="progression_date",
            error="the last contact is before {progression_date}",
            cell="last_contact",
        ),
        dates_in_order(
            "contact_not_after_death",
            later="death_date",
            earlier="last_contact",
            error="the last contact is after {death_date}",
            cell="last_contact",
        ),
        dates_in_order(
            "end_not_after_death",
            later="death_date",
            earlier="treatment_end",
            error="treatment ends after {death_date}",
            cell="treatment_end",
        ),
        # A stopped treatment has its date and its reason.
        row_rule(
            reason_has_end_date,
            error="a reason for stopping is given but {treatment_end} is empty",
            cell="end_reason",
        ),
        row_rule(
            end_date_has_reason,
            error="treatment ended but {end_reason} is empty",
            cell="treatment_end",
        ),
        row_rule(
            death_reason_has_date,
            error="the reason for stopping is death but {death_date} is empty",
            cell="end_reason",
        ),
        row_rule(
            followed_up,
            error="neither {last_contact} nor {death_date} is given: survival cannot be followed",
            cell="last_contact",
        ),
    ],
    name="PatientsSchema",
    description="One row per screened patient, as entered in the study's workbook.",
    strict=False,  # the sheet may hold columns the study does not use
    coerce=False,
)
