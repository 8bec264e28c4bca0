"""The formula language of study.yml: derived variables, markers and inclusion conditions.

A formula is a Python-like expression read with :mod:`ast` and walked over a whitelist (never
``eval``): numbers, names of columns, ``+ - * / **``, comparisons, ``and``/``or``/``not``,
``a if cond else b`` and the functions in :data:`FUNCTIONS`. It is evaluated column-wise with
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


#: Functions a formula may call: name -> (function, fewest arguments, most arguments).
FUNCTIONS: dict[str, tuple[Callable[..., Values], int, int]] = {
    "log": (np.log, 1, 1),
    "ln": (np.log, 1, 1),
    "log10": (np.log10, 1, 1),
    "exp": (np.exp, 1, 1),
    "sqrt": (np.sqrt, 1, 1),
    "abs": (np.abs, 1, 1),
    "round": (_round, 1, 2),
    "min": (_extreme(np.min), 2, 99),
    "max": (_extreme(np.max), 2, 99),
    "ifelse": (_if, 3, 3),
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
_SYMBOLS = {
    ast.BitXor: "^ (write a power as **)",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.BitAnd: "& (write and)",
    ast.BitOr: "| (write or)",
    ast.Invert: "~ (write not)",
}


class FormulaError(ValueError):
    """A formula that cannot be read: the message, with the formula and a caret at ``column``."""

    def __init__(self, formula: str, column: int, problem: str) -> None:
        self.formula, self.column, self.problem = formula, column, problem
        pointer = " " * column + "^"
        super().__init__(f"{problem} (column {column + 1})\n    {formula}\n    {pointer}")


@dataclass(frozen=True)
class Formula:
    """A checked formula and the names it reads, ready to evaluate."""

    text: str
    tree: ast.expr
    names: frozenset[str]

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
    text = " ".join(text.split())  # one line, so the caret points at the right place
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        column = exc.offset - 1 if exc.offset and exc.offset > 0 else len(text)
        reason = "incomplete" if column >= len(text) else (exc.msg or "invalid syntax")
        raise FormulaError(text, column, f"cannot read the formula: {reason}") from None
    names: set[str] = set()
    _check(tree, text, names)
    return Formula(text, tree, frozenset(names))


def _column(text: str, node: ast.AST) -> int:
    """The character column of ``node`` (ast counts UTF-8 bytes)."""
    offset = getattr(node, "col_offset", 0)
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise FormulaError(text, _column(text, node), f"{node.id} is a function: {node.id}(…)")
        names.add(node.id)
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(text, _column(text, node), f"{node.value!r} is not a number")
        return
    if isinstance(node, ast.Call):
        _check_call(node, text)
        children: list[ast.AST] = list(node.args)
    elif isinstance(node, ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.Compare | ast.IfExp):
        _check_operator(node, text)
        children = list(ast.iter_child_nodes(node))
    else:
        raise FormulaError(text, _column(text, node), "not allowed in a formula")
    for child in children:
        if not isinstance(child, ast.operator | ast.unaryop | ast.boolop | ast.cmpop):
            _check(child, text, names)


def _check_call(node: ast.Call, text: str) -> None:
    where = _column(text, node)
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        known = ", ".join(FUNCTIONS)
        name = node.func.id if isinstance(node.func, ast.Name) else "this"
        raise FormulaError(text, where, f"unknown function {name} (known: {known})")
    name = node.func.id
    _, fewest, most = FUNCTIONS[name]
    if node.keywords or not fewest <= len(node.args) <= most:
        count = str(fewest) if fewest == most else f"{fewest} or more"
        count = "1 or 2" if name == "round" else count
        raise FormulaError(text, where, f"{name} takes {count} argument(s)")


def _check_operator(node: ast.AST, text: str) -> None:
    op = getattr(node, "op", None)
    if isinstance(node, ast.BinOp) and type(op) not in _ARITHMETIC:
        symbol = _SYMBOLS.get(type(op), type(op).__name__)
        after_left = _column(text, node.left) + len(ast.get_source_segment(text, node.left) or "")
        column = after_left + len(text[after_left:]) - len(text[after_left:].lstrip(" )"))
        raise FormulaError(text, column, f"operator {symbol} not allowed")
    if isinstance(node, ast.UnaryOp) and not isinstance(op, ast.USub | ast.UAdd | ast.Not):
        symbol = _SYMBOLS.get(type(op), type(op).__name__)
        raise FormulaError(text, _column(text, node), f"operator {symbol} not allowed")
    if isinstance(node, ast.Compare):
        for cmp in node.ops:
            if type(cmp) not in _COMPARISONS:
                raise FormulaError(text, _column(text, node), "use < <= > >= == != to compare")


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
