"""Floats numbered by first citation through ``cohortpress report``: the manuscript, the
supplementary workbook and the notes agree, and Quarto (document order) is stopped with the
float to move named."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from small_project import MANUSCRIPT, make_project, run

# The small project's manuscript citing the Cox table before the characteristics table, which
# it shows first.
CITING = (
    "Hazard ratios are given in @tbl-cox, the patients' characteristics in @tbl-characteristics."
)
OUT_OF_ORDER = MANUSCRIPT.replace("patients.\n", f"patients. {CITING}\n").replace(
    "{{< include _generated/figure-survival.md >}}",
    "{{< include _generated/table-cox.md >}}\n\n{{< include _generated/figure-survival.md >}}",
)


def _line(text: str) -> int:
    """The line of the manuscript that holds ``text``."""
    return next(i for i, line in enumerate(OUT_OF_ORDER.splitlines(), 1) if text in line)


def _study(tmp_path: Path) -> Path:
    study = make_project(tmp_path)
    (study / "manuscript.qmd").write_text(OUT_OF_ORDER, encoding="utf-8")
    return study


def test_table_ii_cited_before_table_i(tmp_path: Path) -> None:
    """The Cox table is cited first: it is Table I in the manuscript and in the sheet names of
    supplementary.xlsx; the figure, never cited, is named in a note."""
    study = _study(tmp_path)
    out = tmp_path / "out"
    done = run(study, "--output", str(out), "--engine", "embedded", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "Figure 1 (#fig-survival) is shown but never cited" in " ".join(done.stderr.split())
    folder = out / "thyroid"
    html = (folder / "manuscript.html").read_text(encoding="utf-8")
    labels = [x.replace("\xa0", " ") for x in re.findall(r'class="cp-label">([^<]+)<', html)]
    assert labels[:2] == ["Table II.", "Table I."]
    assert "Hazard ratios are given in" in html
    sheets = pd.ExcelFile(folder / "supplementary.xlsx").sheet_names
    cox = pd.read_excel(folder / "supplementary.xlsx", sheet_name="Table I", header=None)
    assert "Table I" in sheets and "Table II" in sheets
    assert cox.astype(str).apply(lambda col: col.str.contains("Cox")).any().any()


def test_quarto_is_stopped_when_the_orders_differ(tmp_path: Path) -> None:
    study = _study(tmp_path)
    done = run(study, "--output", str(tmp_path / "out"), "--engine", "quarto", "--no-cache")
    assert done.returncode != 0
    message = " ".join(done.stderr.split())
    cited, shown = _line("@tbl-cox"), _line("table-cox.md")
    assert (
        f"manuscript.qmd, line {shown}: Table I (#tbl-cox) is cited first (manuscript.qmd, "
        f"line {cited})" in message
    )
    assert "move the include of #tbl-cox before that of #tbl-characteristics" in message
