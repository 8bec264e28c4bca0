"""Which names study.yml's computed variables and markers read, and the order to compute them.

Loading study.yml checks these (an unknown name, a date read as a number, a circle) with this
module alone, which needs neither pandas nor NumPy: a run that takes its analysis from the
build cache does not import them. Computing the values is derivation's
(:mod:`cohortpress.derive._derived`).
"""

from __future__ import annotations

import graphlib
from typing import TYPE_CHECKING

from cohortpress.formula_syntax import parse_formula

if TYPE_CHECKING:
    from cohortpress.config import StudyConfig, Variable

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
