"""The immunotherapy test study end to end: first-line pembrolizumab in NSCLC by PD-L1 TPS
group (a class derived by breaks, three levels), landmark OS and PFS overall and per group,
the hospital's own headers, text dates and irAE spellings. results.json is compared with the
numbers R's survival package gives from the same workbook (tests/studies/immunotherapy/
expected.R); headline numbers, formatted here from R's values, are looked for in the HTML,
PDF and DOCX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from study_checks import expected, mismatches, render, texts, value_of

pytestmark = pytest.mark.slow
NAME = "immunotherapy"
R = expected(NAME)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(NAME, tmp_path_factory.mktemp(NAME))


@pytest.fixture(scope="module")
def results(built: Path) -> dict[str, Any]:
    return json.loads((built / "results.json").read_text(encoding="utf-8"))


def test_results_json_matches_r(results: dict[str, Any]) -> None:
    wrong = mismatches(results, R, rel=1e-6)
    assert not wrong, "\n".join(wrong)


def test_every_expected_group_and_landmark_is_there() -> None:
    keys = {e["key"] for e in R}
    for kind, times in (("os", ("t12", "t24")), ("pfs", ("t6", "t12"))):
        for level in ("1", "1_49", "50"):
            for t in times:
                assert f"{kind}.by.pdl1_group.{level}.landmarks.{t}.value" in keys
        assert f"{kind}.by.pdl1_group.logrank_df" in keys


def test_three_groups_two_df_and_hr_per_level(results: dict[str, Any]) -> None:
    by = results["os"]["by"]["pdl1_group"]
    assert by["logrank_df"]["value"] == 2
    assert by["reference"]["text"] == "<1%"
    assert "hr" in by["50"] and "hr" in by["1_49"] and "hr" not in by["1"]
    method = by["50"]["landmarks"]["t12"]["value"]["method"]
    assert "survfit(Surv(time, status) ~ pdl1_group" in method
    assert "times = 12), stratum pdl1_group=≥50%" in method


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_headline_numbers_in_every_format(built: Path) -> None:
    r = lambda key: value_of(R, key)  # noqa: E731
    os_ci = r("os.ci")
    landmark = r("os.by.pdl1_group.50.landmarks.t12.ci")
    headline = [
        f"{r('os.median'):.1f} months (95% CI {os_ci[0]:.1f}–{os_ci[1]:.1f})",
        _pct(r("os.landmarks.t12.value")),
        _pct(r("os.landmarks.t24.value")),
        f"{_pct(r('os.by.pdl1_group.50.landmarks.t12.value'))} "
        f"(95% CI {100 * landmark[0]:.1f}–{_pct(landmark[1])})",
        _pct(r("pfs.by.pdl1_group.1.landmarks.t6.value")),
        f"{r('os.by.pdl1_group.50.hr'):.2f}",
        f"{r('followup.median'):.1f}",
        "Survival outcomes",
        "12-month rate (95% CI)",
        "Pneumonitis",
    ]
    for fmt_name, text in texts(built).items():
        missing = [value for value in headline if value not in text]
        assert not missing, f"{fmt_name} lacks {missing}"


def test_group_landmarks_read_in_the_by_group_text(built: Path) -> None:
    text = texts(built)["html"]
    r = lambda key: _pct(value_of(R, key))  # noqa: E731
    assert (
        f"By PD-L1 TPS group, the OS rates at 12 months and 24 months were "
        f"{r('os.by.pdl1_group.1.landmarks.t12.value')} (95% CI" in text
    )
    assert f"{r('os.by.pdl1_group.50.landmarks.t24.value')} (95% CI" in text
    assert "in the ≥50% group." in text
