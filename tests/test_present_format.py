"""Number printing: one rule per kind of number, as the journals print them."""

from __future__ import annotations

import pytest

from cohortpress.present import format as fmt


@pytest.mark.parametrize(
    ("p", "style", "expected"),
    [
        (0.019, "threshold", "0.019"),
        (0.0004, "threshold", "<0.001"),
        (0.001, "threshold", "0.001"),
        (0.99996, "threshold", "1.000"),
        (0.0083, "two_significant", "0.0083"),
        (0.012, "two_significant", "0.012"),
        (0.64, "two_significant", "0.64"),
        (0.00005, "two_significant", "<0.0001"),
        (0.002, "two_significant", "0.0020"),
        (0.1, "two_significant", "0.10"),
        (0.00012, "two_significant", "0.00012"),
        (0.019, "sas", ".0190"),
        (0.00001, "sas", "<.0001"),
        (None, "threshold", "–"),
    ],
)
def test_p_value_styles(p: float | None, style: str, expected: str) -> None:
    assert fmt.p_value(p, style) == expected


def test_p_text_for_running_text() -> None:
    assert fmt.p_text(0.019) == "p=0.019"
    assert fmt.p_text(0.0001) == "p<0.001"


def test_times_and_not_reached() -> None:
    assert fmt.time(2002.0, "days") == "2,002"
    assert fmt.time(10.3, "months") == "10.3"
    assert fmt.time(None, "days") == "not reached"
    assert fmt.time_ci(985.0, None, "days", short=True) == "985–NR"


def test_counts_and_small_cells() -> None:
    assert fmt.n_percent(10, 26) == "10 (38.5)"
    assert fmt.n_percent(42, 42) == "42 (100)"
    assert fmt.n_percent(0, 42) == "0 (0)"
    assert fmt.n_percent(3, 1000, mark="<5") == "<5"
    assert fmt.count(3, "<5") == "<5"
    assert fmt.percent_of(3, 1000, "<5") == fmt.DASH


def test_hazard_ratios() -> None:
    assert fmt.hazard_ratio(0.2134) == "0.21"
    assert fmt.hazard_ratio(None) == "NE"
    assert fmt.hr_ci(0.05, 0.88) == "0.05–0.88"
