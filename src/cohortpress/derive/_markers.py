"""Markers computed from other columns (e.g. a ratio of two blood counts) and their groups."""

from __future__ import annotations

import ast
import operator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from cohortpress.config import Marker

_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate_formula(formula: str, data: pd.DataFrame) -> pd.Series:
    """Evaluate arithmetic over column names (+ − × ÷, numbers, parentheses) and nothing else.

    A division by zero gives a missing value, not infinity: a ratio with a zero denominator
    cannot be classified as high or low.
    """
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise StudyConfigError(f"markers: cannot read the formula '{formula}'") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        values = _evaluate(tree.body, data, formula)
    series = pd.Series(values, index=data.index, dtype="float64")
    return series.replace([np.inf, -np.inf], np.nan)


def _evaluate(node: ast.AST, data: pd.DataFrame, formula: str) -> pd.Series | float:
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _evaluate(node.left, data, formula)
        right = _evaluate(node.right, data, formula)
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.Name):
        if node.id not in data.columns:
            raise StudyConfigError(f"markers: '{formula}' names an unknown column '{node.id}'")
        return data[node.id].astype("float64")
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    raise StudyConfigError(f"markers: '{formula}' may use only column names, numbers, + - * /")


def marker_groups(values: pd.Series, marker: Marker) -> pd.Series:
    """High at or above the cutoff, Low below it; missing stays missing."""
    groups = pd.Series(pd.NA, index=values.index, dtype="string")
    groups[values >= marker.cutoff] = marker.high_label
    groups[values < marker.cutoff] = marker.low_label
    return groups
