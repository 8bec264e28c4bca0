"""The formula language of study.yml, read and checked: no pandas, no NumPy.

A formula is a Python-like expression read with :mod:`ast` and walked over a whitelist (never
``eval``): numbers, names of columns, ``+ - * / **``, comparisons, ``and``/``or``/``not``,
``a if cond else b`` and the functions in :data:`ARITY`. Loading study.yml checks every formula
with this module alone, so a run that takes its analysis from the build cache does not import
the data-frame libraries; evaluating a formula over the patients' columns is derivation's
(:mod:`cohortpress.derive._formula`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

#: Functions a formula may call: name -> (fewest arguments, most arguments).
ARITY: dict[str, tuple[int, int]] = {
    "log": (1, 1),
    "ln": (1, 1),
    "log10": (1, 1),
    "exp": (1, 1),
    "sqrt": (1, 1),
    "abs": (1, 1),
    "round": (1, 2),
    "min": (2, 99),
    "max": (2, 99),
    "ifelse": (3, 3),
}

#: The operators a formula may use; derivation maps each to its column-wise function.
ARITHMETIC: tuple[type[ast.operator], ...] = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
COMPARISONS: tuple[type[ast.cmpop], ...] = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
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
    """A checked formula and the names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]


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
        if node.id in ARITY:
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
    if not isinstance(node.func, ast.Name) or node.func.id not in ARITY:
        known = ", ".join(ARITY)
        name = node.func.id if isinstance(node.func, ast.Name) else "this"
        raise FormulaError(text, where, f"unknown function {name} (known: {known})")
    name = node.func.id
    fewest, most = ARITY[name]
    if node.keywords or not fewest <= len(node.args) <= most:
        count = str(fewest) if fewest == most else f"{fewest} or more"
        count = "1 or 2" if name == "round" else count
        raise FormulaError(text, where, f"{name} takes {count} argument(s)")


def _check_operator(node: ast.AST, text: str) -> None:
    op = getattr(node, "op", None)
    if isinstance(node, ast.BinOp) and not isinstance(op, ARITHMETIC):
        symbol = _SYMBOLS.get(type(op), type(op).__name__)
        after_left = _column(text, node.left) + len(ast.get_source_segment(text, node.left) or "")
        column = after_left + len(text[after_left:]) - len(text[after_left:].lstrip(" )"))
        raise FormulaError(text, column, f"operator {symbol} not allowed")
    if isinstance(node, ast.UnaryOp) and not isinstance(op, ast.USub | ast.UAdd | ast.Not):
        symbol = _SYMBOLS.get(type(op), type(op).__name__)
        raise FormulaError(text, _column(text, node), f"operator {symbol} not allowed")
    if isinstance(node, ast.Compare):
        for cmp in node.ops:
            if not isinstance(cmp, COMPARISONS):
                raise FormulaError(text, _column(text, node), "use < <= > >= == != to compare")
