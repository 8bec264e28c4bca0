"""US or UK spelling per the document's ``lang``, for cohortpress's own words only."""

from __future__ import annotations

from pathlib import Path

import pytest

from cohortpress.analyse import analyse
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.present.spelling import is_uk, spell

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("lang", "uk"), [("en", False), ("en-US", False), ("en-GB", True), ("en-AU", True)]
)
def test_the_region_decides(lang: str, uk: bool) -> None:
    assert is_uk(lang) is uk


def test_words_are_respelled_with_their_case() -> None:
    assert spell("Tumour response was analysed; tumours", "en") == (
        "Tumor response was analyzed; tumors"
    )
    assert spell("Tumour response was analysed", "en-GB") == "Tumour response was analysed"
    assert spell("contour", "en") == "contour"  # whole words only


def _paragraphs(lang: str) -> str:
    loaded = load_study(ROOT / "reports" / "renal")
    raw = loaded.model_dump(exclude_defaults=True)
    for covariate in raw["cox"]["covariates"]:  # a study's own words, printed in the Results
        if covariate["variable"] == "sarcomatoid":
            covariate["label"] = "Sarcomatoid tumour feature"
    config = StudyConfig.model_validate({**raw, "folder": loaded.folder})
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    text = write_paragraphs(results, config, numbers, normalisations=["x"], warnings=[], lang=lang)
    return " ".join(text.values())


def test_us_english_respells_cohortpress_words_not_the_study_s() -> None:
    us, uk = _paragraphs("en-US"), _paragraphs("en-GB")
    assert "Tumor response was assessed" in us and "Tumour response was assessed" in uk
    assert "normalized before analysis" in us and "normalised before analysis" in uk
    # A label written in study.yml is the author's: printed as written in either spelling.
    assert "sarcomatoid tumour feature" in us and "sarcomatoid tumour feature" in uk


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_an_example_manuscript_is_spelled_as_its_generated_text(study: str) -> None:
    """The authors' prose of each example (lang: en) uses the US spelling that cohortpress's
    own sentences print in, so the manuscript does not mix "tumour" and "tumor"."""
    root = Path(__file__).parents[1]
    text = (root / "reports" / study / "manuscript.qmd").read_text(encoding="utf-8")
    assert spell(text, "en") == text
