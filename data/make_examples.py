"""Regenerate every example workbook in data/ (seeded, byte-for-byte reproducible)."""

from __future__ import annotations

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in sorted(HERE.glob("make_*.py")):
        if script.name != Path(__file__).name:
            print(f"running {script.name}")
            runpy.run_path(str(script), run_name="__main__")
