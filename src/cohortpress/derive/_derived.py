"""Variables computed from others: formulas, classes from breaks, pooled levels, durations.

study.yml declares them under ``variables:`` (with ``formula``, ``breaks``, ``pool`` or
``duration``) and markers under ``markers:``; each may read canonical fields, workbook variables
and other computed ones. They are computed in dependency order; a cycle is a study.yml error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.computed import (
    DATE_FIELDS,
    NUMERIC_FIELDS,
    computation_order,
    computed_inputs,
    inputs_of,
)
from cohortpress.config import DAYS_PER_UNIT
from cohortpress.derive._formula import parse_formula

if TYPE_CHECKING:
    from cohortpress.config import Breaks, Pool, Span, StudyConfig

__all__ = [
    "DATE_FIELDS",
    "NUMERIC_FIELDS",
    "computation_order",
    "compute_variables",
    "computed_inputs",
    "cut_into_classes",
    "duration",
    "inputs_of",
    "pool_levels",
]


def compute_variables(
    data: pd.DataFrame, config: StudyConfig
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Add every computed variable (markers excluded) to a copy of ``data``: a new frame over
    the same columns, each computed one added (assigned, never written into), so ``data`` and
    its cells are left as they were without copying a registry's every cell.

    Returns the data and, per formula variable, the rows where the value could not be computed
    although its inputs were there (log of 0, division by zero…): those values are missing.
    """
    from cohortpress.derive._markers import marker_groups  # markers read computed variables

    data = data.copy(deep=False)
    undefined: dict[str, pd.Series] = {}
    for name in computation_order(config):
        if name in config.markers:
            marker = config.markers[name]
            data[name], undefined[name] = parse_formula(marker.formula).evaluate(data)
            data[f"{name}_group"] = marker_groups(data[name], marker)
            continue
        variable = config.variables[name]
        if variable.formula is not None:
            data[name], undefined[name] = parse_formula(variable.formula).evaluate(data)
        elif variable.breaks is not None:
            data[name] = cut_into_classes(data[variable.breaks.variable], variable.breaks)
        elif variable.pool is not None:
            data[name] = pool_levels(data[variable.pool.variable], variable.pool)
        elif variable.duration is not None:
            data[name] = duration(data, variable.duration)
    return data, undefined


def cut_into_classes(values: pd.Series, breaks: Breaks) -> pd.Series:
    """The class label of each value; missing stays missing."""
    edges = [-np.inf, *breaks.at, np.inf]
    classes = pd.cut(
        values.astype("float64"),
        edges,
        right=breaks.closed == "right",
        labels=list(breaks.class_labels()),
    )
    return classes.astype("string")


def pool_levels(values: pd.Series, pool: Pool) -> pd.Series:
    """The group of each level; missing stays missing."""
    lookup = {level: group for group, levels in pool.groups.items() for level in levels}
    return values.astype("string").map(lookup).astype("string")


def duration(data: pd.DataFrame, span: Span) -> pd.Series:
    """Time from ``start`` to ``end`` in ``unit``; missing when either date is."""
    days = (data[span.end] - data[span.start]).dt.days.astype("float64")
    return days / DAYS_PER_UNIT[span.unit]
