"""The example studies shipped with the project, by name.

Tests name them rather than globbing ``reports/*/study.yml``: a user's own study under
``reports/`` (half-written, or pointing at a workbook not in the repository) is not the
project's to test, and must not fail ``make test``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_NAMES = ("renal", "thyroid")
EXAMPLE_FOLDERS = tuple(ROOT / "reports" / name for name in EXAMPLE_NAMES)


def thyroid_study(folder: Path, change: Callable[[dict[str, Any]], object], data: Path) -> Path:
    """``folder`` holding the thyroid study.yml, reading ``data``, after ``change(raw)`` (the
    parsed YAML, changed in place): a study that differs from the example in one setting."""
    import yaml

    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    raw["data"] = str(data)
    change(raw)
    (folder / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


THYROID_WORKBOOK = ROOT / "data" / "thyroid_sorafenib.xlsx"


def thyroid_workbook(path: Path) -> Any:
    """A copy of the thyroid workbook at ``path``, opened with openpyxl for a test to change
    and save there."""
    import shutil

    import openpyxl

    shutil.copy(THYROID_WORKBOOK, path)
    return openpyxl.load_workbook(path)


def columns(sheet: Any) -> dict[str, int]:
    """An openpyxl sheet's column numbers by the header of row 1."""
    return {cell.value: cell.column for cell in sheet[1]}
