"""Kaplan–Meier estimates, quantile rule, survival at times, numbers at risk, follow-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cohortpress.analyse._km import km_estimate, median_followup, risk_table, survival_at
from cohortpress.analyse._km_quantile import find_quantile


def test_table_columns_and_counts() -> None:
    est = km_estimate([3, 1, 2, 2, 5], [1, 0, 1, 0, 1], label="Arm A", ci_transform="log")
    table = est.table
    assert list(table.columns) == [
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "surv",
        "std_err",
        "lower",
        "upper",
    ]
    assert table["time"].tolist() == [1, 2, 3, 5]
    assert table["n_risk"].tolist() == [5, 4, 2, 1]
    assert table["n_event"].tolist() == [0, 1, 1, 1]
    assert table["n_censor"].tolist() == [1, 1, 0, 0]
    assert table["surv"].tolist() == pytest.approx([1.0, 0.75, 0.375, 0.0])
    assert (est.label, est.n, est.events, est.ci_transform) == ("Arm A", 5, 3, "log")


def test_survival_and_greenwood_agree_with_lifelines() -> None:
    rng = np.random.default_rng(7)
    time = rng.integers(1, 40, 80).astype(float)
    event = rng.random(80) < 0.7
    est = km_estimate(time, event, ci_transform="log-log")
    kmf = KaplanMeierFitter().fit(time, event)
    expected = kmf.survival_function_.loc[est.table["time"], "KM_estimate"].to_numpy()
    np.testing.assert_allclose(est.table["surv"], expected, rtol=1e-12)
    bands = kmf.confidence_interval_survival_function_.loc[est.table["time"]].to_numpy()
    defined = (est.table["surv"] > 0) & (est.table["surv"] < 1)
    np.testing.assert_allclose(est.table.loc[defined, "lower"], bands[defined, 0], rtol=1e-9)
    np.testing.assert_allclose(est.table.loc[defined, "upper"], bands[defined, 1], rtol=1e-9)


def test_median_takes_the_midpoint_of_a_flat_half_where_lifelines_takes_the_start() -> None:
    est = km_estimate(range(1, 11), [1] * 10)
    assert est.median.estimate == 5.5
    assert KaplanMeierFitter().fit(range(1, 11), [1] * 10).median_survival_time_ == 5.0


@pytest.mark.parametrize("n", [24, 34])
def test_median_tolerates_rounding_of_half(n: int) -> None:
    # after n/2 deaths among n, S is 0.5000000000000001 (n = 24) or 0.4999999999999999 (34);
    # R's tolerance still sees the flat stretch at 0.5, up to the next death at time n
    time = np.arange(1, n + 1)
    event = (time <= n // 2) | (time == n)
    est = km_estimate(time, event)
    assert est.table["surv"].iloc[n // 2 - 1] != 0.5
    assert est.median.estimate == (n // 2 + n) / 2


def test_median_not_reached_is_none() -> None:
    est = km_estimate([2, 3, 5, 7, 8, 9], [1, 0, 0, 0, 0, 0])
    assert est.median.estimate is None and est.median.upper is None
    assert est.quartiles[1].estimate is None


def test_quartiles_are_s_075_then_s_025() -> None:
    est = km_estimate(range(1, 9), [1] * 8)
    assert [q.surv_level for q in est.quartiles] == [0.75, 0.25]
    assert [q.estimate for q in est.quartiles] == [2.5, 6.5]


def test_find_quantile_curve_ending_on_the_level() -> None:
    # S = 0.5 from t = 2 to the last time 4: R takes (2 + 4) / 2
    x = np.array([0.0, 1, 2, 3, 4])
    y = np.array([0.0, 0.25, 0.5, 0.5, 0.5])
    assert find_quantile(x, y, 0.5) == 3.0
    assert find_quantile(x, y, 0.6) is None


def test_find_quantile_skips_undefined_band_values() -> None:
    x = np.array([0.0, 1, 2, 3])
    y = np.array([0.0, np.nan, 0.4, 0.7])
    assert find_quantile(x, y, 0.5) == 3.0


def test_band_is_undefined_where_r_has_na() -> None:
    est = km_estimate([1, 2, 3], [0, 1, 1], ci_transform="log-log")
    first, last = est.table.iloc[0], est.table.iloc[-1]
    assert first["surv"] == 1 and np.isnan(first["lower"])  # log-log at S = 1
    assert last["surv"] == 0 and np.isnan(last["upper"]) and np.isnan(last["std_err"])


def test_plain_band_is_clipped() -> None:
    est = km_estimate([1, 2, 3, 4], [1, 1, 1, 0], ci_transform="plain")
    assert est.table["lower"].min() >= 0 and est.table["upper"].max() <= 1


def test_wider_confidence_level_gives_wider_band() -> None:
    narrow = km_estimate(range(1, 21), [1, 0] * 10, conf_level=0.8).table
    wide = km_estimate(range(1, 21), [1, 0] * 10, conf_level=0.99).table
    inside = narrow["surv"].between(0, 1, inclusive="neither")
    assert (wide.loc[inside, "lower"] < narrow.loc[inside, "lower"]).all()


def test_missing_pairs_are_dropped() -> None:
    est = km_estimate(pd.Series([1.0, None, 3.0, 4.0]), pd.Series([1, 1, None, 0]))
    assert est.n == 2 and est.events == 1


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [([1, -2], [1, 0], ">= 0"), ([1, 2], [1, 2], "0/1"), ([1, 2, 3], [1, 0], "length")],
)
def test_bad_input_is_refused(time: list, event: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        km_estimate(time, event)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="ci_transform"):
        km_estimate([1], [1], ci_transform="loglog")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="conf_level"):
        km_estimate([1], [1], conf_level=95)


def test_survival_at_counts_at_risk_at_the_start_and_extends() -> None:
    est = km_estimate([1, 2, 3, 4, 5], [0, 1, 0, 1, 0], ci_transform="log-log")
    at = survival_at(est, [7, 0, 2, 4.5])
    assert at["time"].tolist() == [7, 0, 2, 4.5]  # the order given
    assert at["n_risk"].tolist() == [0, 5, 4, 1]
    assert at["surv"].tolist() == pytest.approx([0.375, 1.0, 0.75, 0.375])
    assert at.loc[1, ["lower", "upper"]].tolist() == [1.0, 1.0]  # before the first time


def test_risk_table_reads_each_estimate() -> None:
    a = km_estimate([1, 2, 3], [1, 1, 1], label="A")
    b = km_estimate([2, 4, 6, 8], [0, 1, 0, 1], label="B")
    table = risk_table([a, b], [0, 2, 5])
    assert table.times == (0.0, 2.0, 5.0)
    assert table.n_risk == {"A": (3, 2, 0), "B": (4, 4, 2)}
    with pytest.raises(ValueError, match="distinct"):
        risk_table([a, a], [0])


def test_median_followup_is_reverse_km() -> None:
    time = [1, 2, 3, 4, 5, 6]
    event = [1, 0, 1, 0, 0, 0]
    reverse = km_estimate(time, [0, 1, 0, 1, 1, 1], ci_transform="log").median
    followup = median_followup(time, event, ci_transform="log")
    assert (followup.estimate, followup.lower, followup.upper) == (
        reverse.estimate,
        reverse.lower,
        reverse.upper,
    )
    assert followup.estimate == 5.0


def test_no_patients_gives_an_empty_estimate() -> None:
    est = km_estimate([], [])
    assert est.n == 0 and est.table.empty and est.median.estimate is None
    assert survival_at(est, [0, 5])["n_risk"].tolist() == [0, 0]
