"""The example studies shipped with the project, by name.

Tests name them rather than globbing ``reports/*/study.yml``: a user's own study under
``reports/`` (half-written, or pointing at a workbook not in the repository) is not the
project's to test, and must not fail ``make test``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_NAMES = ("renal", "thyroid")
EXAMPLE_FOLDERS = tuple(ROOT / "reports" / name for name in EXAMPLE_NAMES)
