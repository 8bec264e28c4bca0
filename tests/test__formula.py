"""The formula language of study.yml: every operator and function, errors with their position."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from cohortpress.derive._formula import FUNCTIONS, FormulaError, parse_formula

DATA = pd.DataFrame(
    {
        "a": [4.0, 0.0, -2.0, np.nan],
        "b": [2.0, 5.0, 3.0, 1.0],
    },
    index=[2, 3, 4, 5],  # Excel rows, as intake numbers them
)


def values(formula: str) -> list[float | None]:
    result, _ = parse_formula(formula).evaluate(DATA)
    return [None if math.isnan(v) else round(v, 10) for v in result]


def undefined(formula: str) -> list[bool]:
    return parse_formula(formula).evaluate(DATA)[1].tolist()


CASES = [
    ("a + b", [6, 5, 1, None]),
    ("a - b", [2, -5, -5, None]),
    ("a * b", [8, 0, -6, None]),
    ("a / b", [2, 0, -2 / 3, None]),
    ("b ** 2", [4, 25, 9, 1]),
    ("-a", [-4, 0, 2, None]),
    ("+a", [4, 0, -2, None]),
    ("(a + b) * 2", [12, 10, 2, None]),
    ("abs(a)", [4, 0, 2, None]),
    ("sqrt(b * 2)", [2, math.sqrt(10), math.sqrt(6), math.sqrt(2)]),
    ("exp(0 * b)", [1, 1, 1, 1]),
    ("log(b)", [math.log(2), math.log(5), math.log(3), 0]),
    ("ln(b)", [math.log(2), math.log(5), math.log(3), 0]),
    ("log10(b * 10)", [math.log10(20), math.log10(50), math.log10(30), 1]),
    ("round(a / 3)", [1, 0, -1, None]),
    ("round(b / 3, 2)", [0.67, 1.67, 1, 0.33]),
    ("min(a, b)", [2, 0, -2, None]),
    ("max(a, b, 3)", [4, 5, 3, None]),
    ("a < b", [0, 1, 1, None]),
    ("a <= 0", [0, 1, 1, None]),
    ("a > b", [1, 0, 0, None]),
    ("a >= 0", [1, 1, 0, None]),
    ("a == 0", [0, 1, 0, None]),
    ("a != 0", [1, 0, 1, None]),
    ("0 <= a < 5", [1, 1, 0, None]),
    ("a > 0 and b > 1", [1, 0, 0, 0]),
    ("a > 0 or b > 2", [1, 1, 1, None]),
    ("not a > 0", [0, 1, 1, None]),
    ("a if a > 0 else b", [4, 5, 3, None]),
    ("ifelse(a > 0, a, b)", [4, 5, 3, None]),
]


@pytest.mark.parametrize(("formula", "expected"), CASES)
def test_operators_and_functions(formula: str, expected: list[float | None]) -> None:
    assert values(formula) == [None if e is None else pytest.approx(e) for e in expected]


def test_every_function_is_tested() -> None:
    """The cases above call every function of the language."""
    called = {name for formula, _ in CASES for name in re.findall(r"(\w+)\(", formula)}
    assert set(FUNCTIONS) <= called


def test_missing_does_not_decide_when_the_other_side_does() -> None:
    """Three-valued logic: false and missing is false, true or missing is true."""
    assert values("b > 100 and a > 0") == [0, 0, 0, 0]
    assert values("b > 0 or a > 0") == [1, 1, 1, 1]


@pytest.mark.parametrize(
    ("formula", "rows"),
    [
        ("log(a)", [False, True, True, False]),
        ("log10(a)", [False, True, True, False]),
        ("sqrt(a)", [False, False, True, False]),
        ("b / a", [False, True, False, False]),
        ("exp(b * 1000)", [True, True, True, True]),
    ],
)
def test_domain_errors_are_missing_and_marked(formula: str, rows: list[bool]) -> None:
    """log of 0 or a negative, a negative square root, division by zero, overflow: missing,
    marked for the data manager; a missing input is missing but not marked."""
    assert undefined(formula) == rows
    result = values(formula)
    assert all(v is None for v, bad in zip(result, rows, strict=True) if bad)
    assert result[3] is None or not rows[3]


def test_branch_not_taken_is_not_an_error() -> None:
    assert values("ifelse(a > 0, log(a), 0)") == [pytest.approx(math.log(4)), 0, 0, None]
    assert undefined("ifelse(a > 0, log(a), 0)") == [False] * 4


def test_names_are_collected() -> None:
    assert parse_formula("0.66*log10(bilirubin*17.1) - 0.085*albumin*10").names == {
        "bilirubin",
        "albumin",
    }


@pytest.mark.parametrize(
    ("formula", "message", "column"),
    [
        ("weight / (height/100)^2", "operator ^ (write a power as **) not allowed", 22),
        ("a % 2", "operator % not allowed", 3),
        ("a // 2", "operator // not allowed", 3),
        ("a & b", "operator & (write and) not allowed", 3),
        ("foo(a)", "unknown function foo", 1),
        ("log(a, 2)", "log takes 1 argument(s)", 1),
        ("round(a, 1, 2)", "round takes 1 or 2 argument(s)", 1),
        ("ifelse(a, 1)", "ifelse takes 3 argument(s)", 1),
        ("a + 'x'", "'x' is not a number", 5),
        ("a + True", "True is not a number", 5),
        ("a.b", "not allowed in a formula", 1),
        ("a[0]", "not allowed in a formula", 1),
        ("a + ", "cannot read the formula: incomplete", 4),
        ("log(a", "cannot read the formula: '(' was never closed", 4),
        ("a b", "cannot read the formula: invalid syntax", 3),
        ("2 * log", "log is a function: log(…)", 5),
        ("a is b", "use < <= > >= == != to compare", 1),
    ],
)
def test_errors_name_the_position(formula: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula(formula)
    text = str(caught.value)
    assert text.startswith(f"{message}")
    assert f"(column {column})" in text
    first, shown, caret = text.split("\n")
    assert shown.strip() == formula.strip()
    assert caret.index("^") == shown.index(formula.strip()) + column - 1


def test_no_python_is_run() -> None:
    """Anything beyond the whitelist is refused before evaluation."""
    for formula in ("__import__('os').system('true')", "(lambda: 1)()", "[a for a in b]"):
        with pytest.raises(FormulaError):
            parse_formula(formula)
