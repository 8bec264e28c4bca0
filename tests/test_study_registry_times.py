"""The registry_times study end to end: survival read from time/status columns, no dates.

The study (tests/studies/registry_times) is rendered through the command line to HTML, PDF and
DOCX; its results.json must hold the numbers R's survival package computed from the same cells
(expected.R → expected.json), and the documents must print the headline numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from study_folders import (
    document_texts,
    entry,
    expected_numbers,
    load_results,
    mismatches,
    render_study,
)

pytestmark = pytest.mark.slow
STUDY = "registry_times"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_study(STUDY, tmp_path_factory.mktemp("output"))


@pytest.fixture(scope="module")
def results(published: Path) -> dict:
    return load_results(published)


def test_results_match_r(results: dict) -> None:
    expected = expected_numbers(STUDY)
    assert len(expected["numbers"]) > 100
    assert mismatches(results, expected["numbers"], rel=1e-6) == []


def test_logrank_chi_square_matches_survdiff(results: dict) -> None:
    for key, test in expected_numbers(STUDY)["logrank"].items():
        method = entry(results, f"{key}.logrank_p")["method"]
        assert f"chi-square {test['chisq']:.3f} on {test['df']} df" in method


def test_every_file_is_published(published: Path) -> None:
    for name in ("manuscript.html", "manuscript.pdf", "manuscript.docx", "results.json"):
        assert (published / name).stat().st_size > 0


def test_documents_print_the_headline_numbers(published: Path, results: dict) -> None:
    headline = [
        f"median OS was {entry(results, 'os.median')['text']} months",
        f"median PFS was {entry(results, 'pfs.median')['text']} months",
        entry(results, "os.text")["text"],
        entry(results, "os.landmarks.t12.value")["text"],  # pieces: a page may break between
        entry(results, "os.landmarks.t12.ci")["text"],
        entry(results, "response.orr.pct")["text"],
        entry(results, "followup.median")["text"],
        "Overall survival (OS) was taken as recorded in the data",
        "Survival (months)",
        "Vital status",
    ]
    for fmt, text in document_texts(published).items():
        missing = [h for h in headline if h not in text]
        assert not missing, f"{fmt} lacks {missing}"


def test_no_date_claims_and_the_data_report_says_why(published: Path) -> None:
    text = document_texts(published)["html"]
    assert "was defined as the time from the start of treatment" not in text
    assert "analysed from the start of treatment" not in text
    assert "still receiving" not in text  # no treatment dates: no ongoing-treatment sentence
    report = (published / "data_report.html").read_text(encoding="utf-8")
    assert "no treatment start column" in report
    assert "censored nothing" in report
