"""Variables computed from others: formulas, classes from breaks, pooled levels, durations.

study.yml declares them under ``variables:`` (with ``formula``, ``breaks``, ``pool`` or
``duration``) and markers under ``markers:``; each may read canonical fields, workbook variables
and other computed ones. They are computed in dependency order; a cycle is a study.yml error.
"""

from __future__ import annotations

import graphlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.config import DAYS_PER_UNIT
from cohortpress.derive._formula import parse_formula

if TYPE_CHECKING:
    from cohortpress.config import Breaks, Pool, Span, StudyConfig, Variable

NUMERIC_FIELDS = frozenset({"age", "best_change_pct"})
DATE_FIELDS = frozenset(
    {
        "birth_date",
        "treatment_start",
        "treatment_end",
        "progression_date",
        "death_date",
        "last_contact",
        "last_assessment",
    }
)


def inputs_of(variable: Variable) -> frozenset[str]:
    """The names a computed variable reads."""
    if variable.formula is not None:
        return parse_formula(variable.formula).names
    if variable.breaks is not None:
        return frozenset({variable.breaks.variable})
    if variable.pool is not None:
        return frozenset({variable.pool.variable})
    if variable.duration is not None:
        return frozenset({variable.duration.start, variable.duration.end})
    return frozenset()


def computed_inputs(config: StudyConfig) -> dict[str, frozenset[str]]:
    """Every computed variable and marker, with the names it reads."""
    graph = {name: inputs_of(var) for name, var in config.variables.items() if var.derivation}
    graph |= {name: parse_formula(m.formula).names for name, m in config.markers.items()}
    return graph


def computation_order(config: StudyConfig) -> list[str]:
    """Computed variables and markers, each after the ones it reads; a cycle is a ValueError."""
    graph = computed_inputs(config)
    sorter = graphlib.TopologicalSorter({n: graph[n] & graph.keys() for n in graph})
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = " → ".join(exc.args[1])
        raise ValueError(f"variables and markers compute each other in a circle: {cycle}") from None


def compute_variables(
    data: pd.DataFrame, config: StudyConfig
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Add every computed variable (markers excluded) to a copy of ``data``.

    Returns the data and, per formula variable, the rows where the value could not be computed
    although its inputs were there (log of 0, division by zero…): those values are missing.
    """
    from cohortpress.derive._markers import marker_groups  # markers read computed variables

    data = data.copy()
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
