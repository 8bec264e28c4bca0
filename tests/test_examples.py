"""The suite tests the shipped example studies by name, never whatever sits under reports/."""

from __future__ import annotations

import ast
from pathlib import Path

from examples import EXAMPLE_FOLDERS, EXAMPLE_NAMES, ROOT

from cohortpress.config import load_study


def test_the_examples_are_shipped_and_load() -> None:
    assert EXAMPLE_NAMES == ("renal", "thyroid")
    for folder in EXAMPLE_FOLDERS:
        assert load_study(folder).data_path.is_file()


def test_no_test_globs_the_reports_folder() -> None:
    """A user's half-written ``reports/<mine>/study.yml`` must not become a failing test."""
    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("glob", "rglob", "iterdir")
                and "reports" in ast.unparse(node.func.value)
            ):
                offenders.append(f"{Path(path).name}:{node.lineno}")
    assert not offenders, f"glob reports/ by name instead (tests/examples.py): {offenders}"
