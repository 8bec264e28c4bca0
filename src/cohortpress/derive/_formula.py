"""Formulas of study.yml evaluated over the patients' columns.

The language is read and checked by :mod:`cohortpress.formula_syntax` (without pandas, so that
loading study.yml does not import it); here a checked formula is evaluated column-wise with
numpy. Conditions are numbers too: 1 for true, 0 for false, missing when unknown (``and``/``or``
follow three-valued logic, as SQL and R do: ``false and missing`` is false).

A value that cannot be computed (log of 0 or of a negative number, division by zero, square
root of a negative number, overflow) is missing, never ``inf`` or ``NaN`` printed; the rows where
that happened are returned so the data manager can be told.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from cohortpress import formula_syntax
from cohortpress.formula_syntax import ARITY, FormulaError

__all__ = ["FUNCTIONS", "Formula", "FormulaError", "parse_formula"]

if TYPE_CHECKING:
    from collections.abc import Callable

Values = np.ndarray


def _if(cond: Values, yes: Values, no: Values) -> Values:
    return np.where(np.isnan(cond), np.nan, np.where(cond != 0, yes, no))


def _round(x: Values, digits: Values | float = 0.0) -> Values:
    return np.round(x, int(np.asarray(digits).flat[0]))


def _extreme(pick: Callable[..., Values]) -> Callable[..., Values]:
    def extreme(*args: Values) -> Values:
        stacked = np.broadcast_arrays(*args)
        return pick(np.vstack(stacked), axis=0)  # missing if any argument is missing

    return extreme


_COLUMNWISE: dict[str, Callable[..., Values]] = {
    "log": np.log,
    "ln": np.log,
    "log10": np.log10,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "round": _round,
    "min": _extreme(np.min),
    "max": _extreme(np.max),
    "ifelse": _if,
}
#: Functions a formula may call: name -> (function, fewest arguments, most arguments).
FUNCTIONS: dict[str, tuple[Callable[..., Values], int, int]] = {
    name: (_COLUMNWISE[name], *ARITY[name]) for name in ARITY
}

_ARITHMETIC = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_COMPARISONS = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


@dataclass(frozen=True)
class Formula(formula_syntax.Formula):
    """A checked formula and the names it reads, ready to evaluate."""

    def evaluate(self, data: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """(values, undefined): the values as floats, and the rows where a value could not be
        computed although the formula's inputs were there (log of 0, division by zero…)."""
        undefined = np.zeros(len(data), dtype=bool)
        with np.errstate(all="ignore"):
            values = np.broadcast_to(_Evaluator(data, undefined).run(self.tree), (len(data),))
        values = np.where(np.isfinite(values), values, np.nan)
        failed = undefined & np.isnan(values)
        return (
            pd.Series(values, index=data.index, dtype="float64"),
            pd.Series(failed, index=data.index),
        )


def parse_formula(text: str) -> Formula:
    """Read ``text`` and check it uses only the formula language; raise :class:`FormulaError`."""
    checked = formula_syntax.parse_formula(text)
    return Formula(checked.text, checked.tree, checked.names)


class _Evaluator:
    """Walks a checked tree over the columns of ``data``; marks rows whose value is undefined."""

    def __init__(self, data: pd.DataFrame, undefined: np.ndarray) -> None:
        self.data, self.undefined = data, undefined

    def run(self, node: ast.AST) -> Values:
        if isinstance(node, ast.Constant):
            return np.asarray(float(cast("float", node.value)))  # checked to be a number
        if isinstance(node, ast.Name):
            return pd.to_numeric(self.data[node.id], errors="coerce").to_numpy("float64")
        if isinstance(node, ast.BinOp):
            return self._defined(
                _ARITHMETIC[type(node.op)], self.run(node.left), self.run(node.right)
            )
        if isinstance(node, ast.UnaryOp):
            value = self.run(node.operand)
            if isinstance(node.op, ast.Not):
                return np.where(np.isnan(value), np.nan, (value == 0).astype(float))
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            return self._logic(isinstance(node.op, ast.And), [self.run(v) for v in node.values])
        if isinstance(node, ast.IfExp):
            return _if(self.run(node.test), self.run(node.body), self.run(node.orelse))
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        args = [self.run(a) for a in node.args]
        if node.func.id in ("ifelse", "min", "max", "round"):
            return FUNCTIONS[node.func.id][0](*args)
        return self._defined(FUNCTIONS[node.func.id][0], *args)

    def _defined(self, function: Callable[..., Values], *args: Values) -> Values:
        """Apply ``function``; a non-finite result from finite inputs is undefined (missing)."""
        result = np.asarray(function(*args), dtype="float64")
        inputs_known = np.logical_and.reduce([np.isfinite(a) for a in np.broadcast_arrays(*args)])
        bad = inputs_known & ~np.isfinite(result)
        if bad.any():
            self.undefined |= np.broadcast_to(bad, self.undefined.shape)
        return np.where(bad, np.nan, result)

    def _compare(self, node: ast.Compare) -> Values:
        left = self.run(node.left)
        result: Values = np.asarray(1.0)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.run(right_node)
            known = ~(np.isnan(left) | np.isnan(right))
            step = np.where(known, _COMPARISONS[type(op)](left, right).astype(float), np.nan)
            result = self._logic(True, [result, step])
            left = right
        return result

    @staticmethod
    def _logic(conjunction: bool, values: list[Values]) -> Values:
        """Three-valued and/or: a deciding value wins over a missing one."""
        stacked = np.vstack(np.broadcast_arrays(*values)).astype("float64")
        truth = stacked != 0
        decided = (~truth & ~np.isnan(stacked)) if conjunction else (truth & ~np.isnan(stacked))
        decisive = decided.any(axis=0)
        unknown = np.isnan(stacked).any(axis=0)
        answer = 0.0 if conjunction else 1.0
        return np.where(decisive, answer, np.where(unknown, np.nan, 1.0 - answer))
