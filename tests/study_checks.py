"""Render a test study folder (tests/studies/<name>/) through the CLI and read what it made.

Each folder holds study.yml, manuscript.qmd, data.xlsx (from its seeded make_data.py) and
expected.json (from its expected.R, with R's survival package): entries keyed by their
results.json path, each with the value R gives and the R call.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypandoc
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "tests" / "studies"


def render(name: str, tmp: Path) -> Path:
    """Copy the study (and _quarto.yml) into ``tmp`` and render every format; the output."""
    project = tmp / "project"
    shutil.copytree(STUDIES / name, project / name)
    shutil.copy(ROOT / "_quarto.yml", project / "_quarto.yml")
    out = tmp / "out"
    command = [sys.executable, "-m", "cohortpress", "report", str(project / name),
               "--engine", "embedded", "--output", str(out), "-q"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    return out / name


def texts(folder: Path) -> dict[str, str]:
    """The text of the HTML, PDF and DOCX, white space squashed."""
    html = (folder / "manuscript.html").read_text(encoding="utf-8")
    pdf = "\n".join(page.extract_text() for page in PdfReader(folder / "manuscript.pdf").pages)
    docx = pypandoc.convert_file(
        str(folder / "manuscript.docx"), "plain", extra_args=["--wrap=none"]
    )
    plain = pypandoc.convert_text(html, "plain", format="html", extra_args=["--wrap=none"])
    return {
        name: re.sub(r"\s+", " ", text.replace("\xad", ""))
        for name, text in {"html": plain, "pdf": pdf, "docx": docx}.items()
    }


def expected(name: str) -> list[dict[str, Any]]:
    return json.loads((STUDIES / name / "expected.json").read_text(encoding="utf-8"))["entries"]


def lookup(results: dict[str, Any], key: str) -> Any:
    """The value of a results.json entry by its dotted key, in R's scale: a percentage
    (unit "%") back to the proportion R reports."""
    node = results
    for part in key.split("."):
        node = node[part]
    return as_proportion(node["value"]) if node.get("unit") == "%" else node["value"]


def as_proportion(value: Any) -> Any:
    if isinstance(value, list):
        return [as_proportion(v) for v in value]
    return None if value is None else value / 100


def mismatches(results: dict[str, Any], entries: list[dict[str, Any]], rel: float) -> list[str]:
    """Every entry whose results.json value differs from R's by more than ``rel`` (relative),
    with the R call; a missing key is a mismatch too."""
    wrong = []
    for entry in entries:
        try:
            got = lookup(results, entry["key"])
        except KeyError:
            wrong.append(f"{entry['key']}: not in results.json ({entry['call']})")
            continue
        if not _close(got, entry["value"], rel):
            wrong.append(f"{entry['key']}: {got!r} != R {entry['value']!r} ({entry['call']})")
    return wrong


def _close(got: Any, want: Any, rel: float) -> bool:
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_close(g, w, rel) for g, w in zip(got, want, strict=True))
        )
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-12)


def value_of(entries: list[dict[str, Any]], key: str) -> Any:
    """R's value of one expected entry."""
    return next(e["value"] for e in entries if e["key"] == key)
