"""The hcc_score test study end to end: lenvatinib in HCC with a derived clinical score (ALBI
from bilirubin and albumin, graded by breaks) in Table I, the Cox models and the curves by
group; Child–Pugh class from its points, ECOG PS pooled (0, 1, ≥2), BCLC stage; exclusions
declared as eligibility criteria with their flow lines; PFS censored at the last imaging;
mRECIST. results.json is compared with R's survival package on the same workbook
(tests/studies/hcc_score/expected.R); headline numbers formatted here from R's values are
looked for in the HTML, PDF and DOCX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from study_checks import expected, mismatches, render, texts, value_of

pytestmark = pytest.mark.slow
NAME = "hcc_score"
R = expected(NAME)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(NAME, tmp_path_factory.mktemp(NAME))


@pytest.fixture(scope="module")
def results(built: Path) -> dict[str, Any]:
    return json.loads((built / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def documents(built: Path) -> dict[str, str]:
    return texts(built)


def test_results_json_matches_r(results: dict[str, Any]) -> None:
    wrong = mismatches(results, R, rel=1e-6)
    assert not wrong, "\n".join(wrong)


def test_albi_grade_acts_in_table_cox_and_curves(results: dict[str, Any]) -> None:
    assert set(results["characteristics"]["albi_grade"]) >= {"grade_1", "grade_2", "grade_3"}
    assert results["os"]["by"]["albi_grade"]["logrank_df"]["value"] == 2
    assert results["os"]["by"]["albi_grade"]["reference"]["text"] == "Grade 1"
    assert set(results["os"]["multivariate"]["terms"]) == {
        "child_pugh_b",
        "albi_grade_grade_2",
        "albi_grade_grade_3",
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_headline_numbers_in_every_format(documents: dict[str, str]) -> None:
    r = lambda key: value_of(R, key)  # noqa: E731
    os_ci = r("os.ci")
    headline = [
        f"{r('os.median'):.1f} months (95% CI {os_ci[0]:.1f}–{os_ci[1]:.1f})",
        _pct(r("os.landmarks.t12.value")),
        _pct(r("os.by.albi_grade.grade_1.landmarks.t12.value")),
        _pct(r("pfs.by.albi_grade.grade_2.landmarks.t6.value")),
        f"{r('os.by.child_pugh.b.hr'):.2f}",
        f"{r('os.multivariate.terms.child_pugh_b.hr'):.2f}",
        f"{r('pfs.median'):.1f}",
        "Survival outcomes",
        "ALBI grade",
        "mRECIST",
    ]
    for fmt_name, text in documents.items():
        missing = [value for value in headline if value not in text]
        assert not missing, f"{fmt_name} lacks {missing}"


def test_flow_lines_of_the_criteria(documents: dict[str, str]) -> None:
    c = value_of(R, "flow.excluded_by.with_child_pugh_class_c")
    e = value_of(R, "flow.excluded_by.with_ecog_ps_3")
    m = value_of(R, "flow.excluded_by.with_insufficient_data_for_the_eligibility_criteria")
    for text in documents.values():
        assert (
            f"excluded {c} patients with Child–Pugh class C; {e} patients with ECOG PS 3; "
            f"{m} patients with insufficient data for the eligibility criteria" in text
        )


def test_by_group_text_reads(documents: dict[str, str]) -> None:
    text = documents["html"]
    assert "We compared OS according to ALBI grade and Child–Pugh class" in text
    # The caption says which group each hazard ratio compares with which.
    assert "(A) each ALBI grade vs Grade 1, (B) Child–Pugh class B vs A" in text
    assert "Patients with Child–Pugh class A had longer OS than those with Child–Pugh class B" in (
        text
    )
    a12 = _pct(value_of(R, "os.by.child_pugh.a.landmarks.t12.value"))
    assert f"By Child–Pugh class, the OS rates at 12 months and 24 months were {a12}" in text
    assert "in patients with Child–Pugh class A" in text
    # ALBI grade 3 has nobody left at 24 months: not estimable, as R leaves the time out.
    assert "and not estimable in the Grade 3 group" in text
