"""Render a study folder of ``tests/studies/`` through the command line and read what it made.

Each folder there is a complete study (study.yml, manuscript.qmd, a workbook made by a seeded
script) with the numbers an R script computed independently in ``expected.json``:
``{"numbers": {"<results.json key>": value, ...}}``. A test renders the folder once and
compares (see ``test_study_registry_times.py``).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "tests" / "studies"


def render_study(name: str, output: Path, formats: str = "html,pdf,docx") -> Path:
    """Run ``cohortpress report tests/studies/<name>`` into ``output``; the published folder.

    Fails the test with cohortpress's own message when the run does not succeed.
    """
    command = [
        sys.executable, "-m", "cohortpress", "report", str(STUDIES / name),
        "--engine", "embedded", "--to", formats, "--output", str(output), "-q",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return output / name


def load_results(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def expected_numbers(name: str) -> dict[str, Any]:
    """The study's ``expected.json`` (written by its R script)."""
    return json.loads((STUDIES / name / "expected.json").read_text(encoding="utf-8"))


def entry(results: dict[str, Any], key: str) -> dict[str, Any]:
    """The registry entry at a dotted key (``os.by.stage.metastatic.hr``)."""
    node: Any = results
    for part in key.split("."):
        assert isinstance(node, dict) and part in node, f"results.json has no {key!r}"
        node = node[part]
    assert isinstance(node, dict) and "value" in node, f"{key!r} is not a number entry"
    return node


def mismatches(results: dict[str, Any], expected: dict[str, Any], rel: float = 1e-6) -> list[str]:
    """Every expected number results.json does not hold within ``rel`` (None: not estimable)."""
    wrong = []
    for key, want in expected.items():
        found = entry(results, key)
        got = found["value"]
        if found.get("unit") == "%":  # a percentage; R reports the proportion
            got = (
                [None if g is None else g / 100 for g in got]
                if isinstance(got, list)
                else (None if got is None else got / 100)
            )
        if not _close(got, want, rel):
            wrong.append(f"{key}: results.json {got!r}, expected {want!r}")
    return wrong


def _close(got: Any, want: Any, rel: float) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_close(g, w, rel) for g, w in zip(got, want, strict=True))
        )
    return math.isclose(float(got), float(want), rel_tol=rel, abs_tol=1e-12)


def squash(text: str) -> str:
    """One space for any run of white space; soft hyphens (line-break artefacts) dropped."""
    return re.sub(r"\s+", " ", text.replace("\xad", ""))


def document_texts(folder: Path) -> dict[str, str]:
    """The plain text of the HTML, PDF and DOCX manuscripts, white space squashed."""
    import pypandoc
    from pypdf import PdfReader

    html = (folder / "manuscript.html").read_text(encoding="utf-8")
    plain = pypandoc.convert_text(html, "plain", format="html", extra_args=["--wrap=none"])
    pdf = "\n".join(page.extract_text() for page in PdfReader(folder / "manuscript.pdf").pages)
    docx = pypandoc.convert_file(
        str(folder / "manuscript.docx"), "plain", extra_args=["--wrap=none"]
    )
    return {"html": squash(plain), "pdf": squash(pdf), "docx": squash(docx)}
