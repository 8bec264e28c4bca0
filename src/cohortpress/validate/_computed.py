"""Checks of the variables study.yml computes: values a formula cannot give, dates out of order.

A formula value that cannot be computed (log of 0, division by zero…) is kept missing and
listed as a warning at the patient's row, so the data manager can check the inputs. A duration
whose end date is before its start date is an error when the study declares the order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.derive._derived import compute_variables, computed_inputs
from cohortpress.errors import Problem
from cohortpress.validate._translate import value_text

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig


def undefined_values(
    frame: pd.DataFrame, config: StudyConfig, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """A warning per patient and formula whose value is missing although its inputs are not."""
    if not _computable(frame, config):
        return []
    _, undefined = compute_variables(frame, config)
    problems = []
    for name, rows in undefined.items():
        label = (config.markers[name] if name in config.markers else config.variables[name]).label
        rule = (
            f"{label} cannot be computed from this row (log or square root of 0 or of a "
            "negative number, division by zero): left missing"
        )
        problems += [
            Problem(sheet, int(row), None, None, rule, severity="warning")  # type: ignore[call-overload]
            for row in rows.index[rows.to_numpy(bool)]
        ]
    return problems


def dates_out_of_order(
    frame: pd.DataFrame, config: StudyConfig, sheet: str, headers: dict[str, str]
) -> list[Problem]:
    """An error per patient whose ``end`` date of a declared duration is before its ``start``."""
    problems = []
    for variable in config.variables.values():
        span = variable.duration
        if span is None or not span.ordered or not {span.start, span.end} <= set(frame):
            continue
        start, end = frame[span.start], frame[span.end]
        if not (_is_date(start) and _is_date(end)):
            continue
        header = headers.get(span.end, span.end)
        rule = f"before {headers.get(span.start, span.start)} ({variable.label})"
        problems += [
            Problem(sheet, int(row), header, value_text(value), rule)  # type: ignore[call-overload]
            for row, value in end.loc[end < start].items()
        ]
    return problems


def _computable(frame: pd.DataFrame, config: StudyConfig) -> bool:
    """Every column the computations read was read (else intake already reported it)."""
    computed = computed_inputs(config)
    needed = set().union(*computed.values()) - computed.keys() if computed else set()
    return needed <= set(frame.columns)


def _is_date(values: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(values)
