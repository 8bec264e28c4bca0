"""A small copy of the project for tests that run ``cohortpress report`` many times.

The thyroid study without its markers (two figures to draw instead of four) and a one-paragraph
manuscript that prints the patient count, so a test can tell which workbook a published
manuscript came from and check it against ``results.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import yaml

ROOT = Path(__file__).resolve().parents[1]
MARKERS = {"ALC", "NLR", "PLR", "LMR"}
MANUSCRIPT = """\
---
metadata-files:
  - _generated/results.yml
  - _generated/front-matter.yml
---

We evaluated {{< meta results.n >}} patients.

{{< include _generated/table-characteristics.md >}}

{{< include _generated/figure-survival.md >}}

{{< include _generated/methods_treatment.md >}}

{{< include _generated/declarations.md >}}
"""


def make_project(folder: Path) -> Path:
    """Write the small project into ``folder``; return its study folder."""
    study = folder / "reports" / "thyroid"
    study.mkdir(parents=True)
    shutil.copy(ROOT / "_quarto.yml", folder / "_quarto.yml")
    config = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    config.pop("markers")
    config.pop("compare_by")
    covariates = config["cox"]["covariates"]
    config["cox"]["covariates"] = [c for c in covariates if c["variable"] not in MARKERS]
    config["response"]["waterfall"] = True  # a second figure: they are drawn by two workers
    config["data"] = str(ROOT / "data/thyroid_sorafenib.xlsx")
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    (study / "study.yml").write_text(text, encoding="utf-8")
    (study / "manuscript.qmd").write_text(MANUSCRIPT, encoding="utf-8")
    return study


def fewer_patients(destination: Path, drop: int = 6) -> Path:
    """The thyroid workbook without its last ``drop`` patients (and their adverse events)."""
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    patients, events = book["patients"], book["adverse_events"]
    gone = {
        patients.cell(row=r, column=1).value
        for r in range(patients.max_row - drop + 1, patients.max_row + 1)
    }
    patients.delete_rows(patients.max_row - drop + 1, drop)
    for row in range(events.max_row, 1, -1):
        if events.cell(row=row, column=1).value in gone:
            events.delete_rows(row)
    book.save(destination)
    return destination


def command(study: Path, *args: str) -> list[str]:
    """``cohortpress report`` of ``study`` as HTML only (the format does not matter here)."""
    return [sys.executable, "-m", "cohortpress", "report", str(study), "--to", "html", "-q", *args]


def script_json(script: str, *args: str, cwd: Path | None = None) -> Any:
    """Run ``script`` in a fresh Python process importing this checkout's cohortpress; the JSON
    of the last line it printed."""
    paths = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(study: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command(study, *args), capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def patients_shown(folder: Path) -> int:
    """The patient count of a published output, after checking its files agree on it."""
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    html = (folder / "manuscript.html").read_text(encoding="utf-8")
    shown = re.search(r"We evaluated (\d+) patients", html)
    assert shown, "the manuscript lacks its patient count"
    assert int(shown[1]) == results["n"]["value"], "manuscript and results.json disagree"
    assert (folder / "supplementary.xlsx").stat().st_size > 0
    rendered = {path.suffix for path in folder.glob("manuscript.*")}
    drawn = {".svg"} if rendered & {".html", ".pdf"} else set()  # the page's and the PDF's
    drawn |= {".png"} if ".docx" in rendered else set()  # Word's
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    assert figures == sorted(f"{stem}{suffix}" for stem in ("survival", "waterfall")
                             for suffix in drawn)  # fmt: skip
    return int(shown[1])
