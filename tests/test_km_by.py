"""Kaplan–Meier curves by a declared categorical variable and survival at landmark times,
end to end through the CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _study(tmp_path: Path, endpoints: str, extra: str = "") -> Path:
    """A copy of the thyroid study with its endpoints (and any extra keys) replaced."""
    folder = tmp_path / "thyroid_by"
    shutil.copytree(ROOT / "reports/thyroid", folder)
    shutil.copy(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    text = (folder / "study.yml").read_text(encoding="utf-8")
    text = text.replace("../../data/", f"{ROOT / 'data'}/")
    text = text.replace("  - kind: os\n", f"{endpoints}\n")
    (folder / "study.yml").write_text(text + extra, encoding="utf-8")
    return folder


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_os_by_three_level_variable(tmp_path: Path) -> None:
    # alpha 0.1 makes ECOG PS (log-rank p = 0.075 on 2 df) a finding the text reports.
    folder = _study(
        tmp_path,
        "  - {kind: os, by: [histology, ecog, LMR], landmarks: [365, 730, 5000]}",
        "\n  alpha: 0.1\n",
    )
    out = tmp_path / "out"
    done = _run("report", str(folder), "--to", "html", "--output", str(out), "-q")
    assert done.returncode == 0, done.stderr
    built = out / "thyroid_by"
    assert (built / "figures/os-by.svg").stat().st_size > 0
    by = json.loads((built / "results.json").read_text(encoding="utf-8"))
    by = by.get("numbers", by)["os"]["by"]
    histology = by["histology"]
    assert {"papillary", "follicular", "poorly_differentiated"} <= set(histology)
    assert histology["logrank_df"]["value"] == 2
    assert "on 2 df" in histology["logrank_p"]["method"]
    assert histology["reference"]["text"] == "Papillary"
    assert histology["poorly_differentiated"]["hr"]["value"] > 0
    ecog = by["ecog"]
    assert ecog["logrank_df"]["value"] == 2
    assert ecog["reference"]["text"] == "0"
    assert ecog["logrank_p"]["text"] == "0.075"
    assert set(ecog["1"]["hr"]) >= {"value", "text"} and "hr" not in ecog["0"]
    # A marker keeps its two-group HR and gains its reference.
    assert by["LMR"]["reference"]["text"] == "Low" and "hr" in by["LMR"]
    marks = json.loads((built / "results.json").read_text(encoding="utf-8"))
    marks = marks.get("numbers", marks)["os"]["landmarks"]
    assert marks["t365"]["n_risk"]["value"] == 20
    assert marks["t365"]["value"]["value"] == pytest.approx(87.75946, abs=1e-4)  # percent
    assert 'conf.type = "log-log"' in marks["t365"]["value"]["method"]
    assert "times = 365" in marks["t365"]["value"]["method"]
    assert marks["t5000"]["value"]["value"] is None
    assert marks["t5000"]["text"]["text"] == "not estimable"
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (built / "manuscript.html").read_text()))
    assert "We compared OS according to Histology, ECOG PS, and LMR" in html
    assert "OS differed by ECOG PS (log-rank p=0.075, 2 df; reference 0: 1 HR=" in html
    assert "(A) Histology, (B) ECOG PS, (C) LMR" in html
    assert (
        "The OS rates at 365 days, 730 days, and 5,000 days were 87.8% (95% CI 66.6–95.9%), "
        "79.0% (95% CI 56.5–90.7%), and not estimable, respectively." in html
    )


@pytest.mark.parametrize("name", ["age", "neutrophils", "treatment_start"])
def test_by_a_variable_without_groups_is_a_study_yml_error(tmp_path: Path, name: str) -> None:
    folder = _study(tmp_path, f"  - {{kind: os, by: [histology, {name}]}}")
    done = _run("validate", str(folder))
    assert done.returncode == 2, done.stderr
    assert f"endpoints[1].by: '{name}' is not a categorical or binary variable" in done.stderr
    assert "Traceback" not in done.stderr


def test_by_an_unknown_variable_is_named(tmp_path: Path) -> None:
    folder = _study(tmp_path, "  - {kind: os, by: [histologie]}")
    done = _run("validate", str(folder))
    assert done.returncode == 2
    assert "endpoints[1].by: unknown variable 'histologie'" in done.stderr


@pytest.mark.slow
def test_nine_factors_are_three_figures_each_cited_after_its_factors(tmp_path: Path) -> None:
    """Nine factors stopped the run with an IndexError. The manuscript shows the first figure
    of OS by factor (it includes figure-os-by.md); the two others it does not include go to
    the supplement, as any float the manuscript leaves out, and the text cites each."""
    by = "ALC, NLR, PLR, LMR, ecog, diagnosis, histology, bone_metastasis, lung_metastasis"
    folder = _study(tmp_path, f"  - {{kind: os, by: [{by}]}}")
    out = tmp_path / "out"
    done = _run("report", str(folder), "--to", "html", "--output", str(out), "-q")
    assert done.returncode == 0, done.stderr
    built = out / "thyroid_by"
    for stem in ("os-by", "os-by-2", "os-by-3"):
        assert (built / f"figures/{stem}.svg").stat().st_size > 0
    assert not (built / "figures/os-by-4.svg").exists()

    def text(name: str) -> str:
        page = (built / name).read_text(encoding="utf-8")
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))

    manuscript, supplement = text("manuscript.html"), text("supplement.html")
    assert (
        "We compared OS according to ALC, NLR, and PLR ( Figure 3 ); LMR, ECOG PS, and "
        "Diagnosis (Supplementary Figure S1); and Histology, Bone, and Lungs (Supplementary "
        "Figure S2)." in manuscript
    )
    assert "according to baseline (A) ALC, (B) NLR, (C) PLR in patients" in manuscript
    assert "(A) LMR, (B) ECOG PS, (C) Diagnosis in patients" in supplement
    assert "(A) Histology, (B) Bone, (C) Lungs in patients" in supplement
