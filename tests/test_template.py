"""The study.yml template of ``cohortpress new``: valid as written, every optional setting valid
when uncommented, the newer keys shown, and clear messages against a workbook it does not fit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cohortpress.config import StudyConfig, load_study
from cohortpress.scaffold import scaffold_study

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "src/cohortpress/_templates/study.yml"
# An optional setting: "# key: …" or "# - …", indented like the YAML it belongs to.
OPTIONAL = re.compile(r"^(\s*)# (?=\s*(?:[A-Za-z_]\w*:(?:\s|$)|- ))")


def _uncommented(text: str) -> str:
    return "\n".join(OPTIONAL.sub(r"\1", line) for line in text.splitlines())


def _study(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "study.yml").write_text(text, encoding="utf-8")
    return folder


def test_the_template_loads_as_written(tmp_path: Path) -> None:
    config = load_study(scaffold_study(tmp_path / "new"))
    assert config.response is not None and config.response.rates == ("orr", "dcr", "cbr")
    assert config.inclusion.min_treatment is not None


def test_every_optional_setting_is_valid_when_uncommented(tmp_path: Path) -> None:
    text = _uncommented(TEMPLATE.read_text(encoding="utf-8"))
    config = load_study(_study(tmp_path, text))
    assert config.synonyms["sex"] == {"1": "Male", "2": "Female"}
    assert config.missing_values == ("n.d.", "99")
    assert config.identifiers == ("Name", "MRN")
    assert [rule.reason for rule in config.inclusion.criteria][0] == "younger than 18 years"
    pfs, os_ = config.endpoints
    assert pfs.censor_at == "last_assessment" and os_.by == ("ecog", "NLR")
    assert os_.landmarks == (12, 24)
    derived = {name: var.derivation for name, var in config.variables.items()}
    assert {"formula", "breaks", "pool", "duration"} <= set(derived.values())
    assert "NLR" in config.markers and config.compare_by == "NLR"
    assert config.statistics.small_cell == 5
    assert config.adverse_events is not None and config.adverse_events.identifiers == "redact"


def test_the_template_shows_the_common_keys() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    for key in (
        "synonyms:",
        "missing_values:",
        "formula:",
        "breaks:",
        "pool:",
        "duration:",
        "criteria:",
        "by:",
        "landmarks:",
        "censor_at:",
        "rates:",
        "conventions:",
        "small_cell:",
        "identifiers:",
    ):
        assert key in text, key


def test_every_top_level_key_of_the_model_is_in_the_template() -> None:
    text = _uncommented(TEMPLATE.read_text(encoding="utf-8"))
    shown = set(yaml.safe_load(text))
    hidden = {"short_title", "folder"}  # not used in the manuscript; set by the loader
    assert set(StudyConfig.model_fields) - hidden - shown == set()


def test_validating_a_new_study_against_example_data_names_each_column(tmp_path: Path) -> None:
    folder = scaffold_study(tmp_path / "new")
    command = [sys.executable, "-m", "cohortpress", "validate", str(folder), "--format", "json"]
    command += ["--data", str(ROOT / "data/thyroid_sorafenib.xlsx")]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    problems = json.loads(done.stdout)
    assert problems and all(p["severity"] == "error" for p in problems)
    assert all(p["column"] and "column" in p["rule"] for p in problems)
    assert {"Start date", "Last contact"} <= {p["column"] for p in problems}


@pytest.mark.parametrize("missing", ["data", "data_cutoff"])
def test_a_required_key_removed_from_the_template_is_named(tmp_path: Path, missing: str) -> None:
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.startswith(f"{missing}:"))
    with pytest.raises(Exception, match=rf"{missing}: required key is missing"):
        load_study(_study(tmp_path, text))


def test_the_new_manuscript_renders_as_written(tmp_path: Path) -> None:
    """The manuscript.qmd of ``cohortpress new`` renders once study.yml fits a workbook: a
    shortcode its comment showed was expanded (by Quarto too) and stopped the first render."""
    (tmp_path / "_quarto.yml").write_text(
        (ROOT / "_quarto.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    folder = scaffold_study(tmp_path / "reports" / "new")
    thyroid = (ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8")
    fitted = thyroid.replace("data: ../../data/", f"data: {ROOT / 'data'}/")
    (folder / "study.yml").write_text(fitted, encoding="utf-8")
    command = [sys.executable, "-m", "cohortpress", "report", "reports/new", "--to", "html", "-q"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "_output/new/manuscript.html").read_text(encoding="utf-8")
    assert "Kaplan" in page
