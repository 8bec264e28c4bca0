"""Regenerate every example workbook in data/ (seeded, byte-for-byte reproducible)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("make_thyroid.py", "make_renal.py")

if __name__ == "__main__":
    for script in SCRIPTS:
        subprocess.run([sys.executable, str(HERE / script)], check=True, cwd=HERE)
