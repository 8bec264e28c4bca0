"""The presentation step on hand-built results: what it prints for a given set of numbers and
status codes, without a workbook or an analysis.

Each case builds the plain results analyse would return (a median not reached, a count below
the small-cell threshold, a Cox term with a status) and reads back the printed texts of the
numbers registry and the sentences of ``present.notes``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cohortpress.analyse import Conventions, StudyResults
from cohortpress.analyse._results import (
    CoxResult,
    CoxTerm,
    KMEstimate,
    LogRankResult,
    QuantileEstimate,
    RiskTable,
)
from cohortpress.analyse._results import (
    TestResult as ModelTest,
)
from cohortpress.analyse._status import (
    ComparisonStatus,
    LogRankStatus,
    ModelStatus,
    MultivariateStatus,
    TermStatus,
)
from cohortpress.analyse._study import (
    Characteristic,
    Distribution,
    EndpointResult,
    GroupedSurvival,
    LevelCount,
    MultivariateSkipped,
)
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive._cohort import PatientFlow
from cohortpress.present import collect_numbers, notes
from cohortpress.present import format as fmt

ROOT = Path(__file__).resolve().parents[1]


def _config(**variables: dict[str, Any]) -> StudyConfig:
    """The thyroid study.yml with some variables' settings replaced."""
    loaded = load_study(ROOT / "reports" / "thyroid")
    raw = loaded.model_dump(exclude_defaults=True)
    for name, settings in variables.items():
        raw["variables"][name] = {**raw["variables"][name], **settings}
    return StudyConfig.model_validate({**raw, "folder": loaded.folder})


def _km(
    label: str, median: float | None, lower: float | None, upper: float | None, level: float
) -> KMEstimate:
    table = pd.DataFrame(
        {"time": [100.0], "n_risk": [20], "n_event": [5], "n_censor": [0], "surv": [0.75],
         "std_err": [0.1], "lower": [0.5], "upper": [0.9]}
    )  # fmt: skip
    quartile = QuantileEstimate(0.75, None, None, None)
    return KMEstimate(
        label=label, n=20, events=5, table=table,
        median=QuantileEstimate(0.5, median, lower, upper),
        quartiles=(quartile, quartile), ci_transform="log-log", conf_level=level,
    )  # fmt: skip


def _term(
    level: str | None, hr: float | None, status: TermStatus | None = None, reference: str = "A"
) -> CoxTerm:
    estimated = hr is not None
    return CoxTerm(
        covariate="arm", level=level,
        reference=reference if level is not None else None,
        coef=0.5 if estimated else None, se=0.2 if estimated else None, hr=hr,
        lower=hr * 0.5 if hr else None, upper=hr * 2 if hr else None,
        p=0.012 if estimated else None, status=status, covariate_label="Treatment arm",
    )  # fmt: skip


def _cox(*terms: CoxTerm, status: ModelStatus | None = None, level: float = 0.95) -> CoxResult:
    test = ModelTest(6.1, len(terms), 0.0135, "likelihood ratio")
    fitted = status is None or status is ModelStatus.MONOTONE
    return CoxResult(
        terms=terms, n=20, events=5 if fitted else 0, ties="efron", converged=fitted,
        iterations=4 if fitted else 0, loglik=(-30.0, -27.0) if fitted else None,
        wald=None, likelihood_ratio=test if fitted else None, score=None,
        status=status, conf_level=level,
    )  # fmt: skip


def _grouped(levels: tuple[str, ...], cox: CoxResult, level: float) -> GroupedSurvival:
    estimates = tuple(_km(lv, 300.0 + i, 200.0, None, level) for i, lv in enumerate(levels))
    logrank = LogRankResult(
        groups=levels, observed=(3.0,) * len(levels), expected=(3.0,) * len(levels),
        chisq=4.2, df=len(levels) - 1, p=0.04, n=(10,) * len(levels),
        variance=(1.0,) * len(levels),
    )  # fmt: skip
    return GroupedSurvival(
        factor="arm", label="Treatment arm", levels=levels, estimates=estimates,
        risk=RiskTable((0.0,), {lv: (10,) for lv in levels}), logrank=logrank, cox=cox,
    )  # fmt: skip


def _results(
    *,
    level: float = 0.95,
    small_cell: int | None = None,
    characteristics: tuple[Characteristic, ...] = (),
    median: tuple[float | None, float | None, float | None] = (400.0, 300.0, 500.0),
    by: tuple[GroupedSurvival, ...] = (),
    univariate: tuple[CoxResult, ...] = (),
) -> StudyResults:
    overall = _km("All patients", *median, level)
    endpoint = EndpointResult(
        kind="os", label="Overall survival", abbreviation="OS",
        overall=overall, risk=RiskTable((0.0,), {"All patients": (20,)}), by=by,
        univariate=univariate, multivariate=None, multivariate_covariates=(),
        multivariate_skipped=MultivariateSkipped(MultivariateStatus.TOO_FEW_SELECTED,
                                                 threshold=0.1),
    )  # fmt: skip
    return StudyResults(
        flow=PatientFlow(screened=20, exclusions=(), analysed=20), n=20, time_unit="days",
        censored_at_cutoff=0, characteristics=characteristics, markers=(),
        followup=QuantileEstimate(0.5, 600.0, 500.0, 700.0), endpoints=(endpoint,),
        response=None, treatment=None, adverse_events=None,
        conventions=Conventions(conf_level=level, small_cell=small_cell),
    )  # fmt: skip


def _texts(results: StudyResults, config: StudyConfig | None = None) -> dict[str, Any]:
    return collect_numbers(results, config or _config()).nested()


@pytest.mark.parametrize(("level", "label"), [(0.9, "90%"), (0.95, "95%"), (0.975, "97.5%")])
def test_confidence_levels_print_as_given(level: float, label: str) -> None:
    assert fmt.ci_label(level) == f"{label} CI"
    r = _texts(_results(level=level))
    assert r["os"]["text"] == f"400 days ({label} CI 300–500)"
    assert r["os"]["ci"] == "300–500"


def test_median_not_reached() -> None:
    r = _texts(_results(median=(None, 985.0, None)))
    assert r["os"]["median"] == "not reached"
    assert r["os"]["text"] == "not reached (95% CI 985–not reached)"
    assert fmt.time(None, "days", short=True) == "NR"


def _distribution() -> Distribution:
    return Distribution(20, 0, 4321.25, 3000.0, 5000.0, 1234.5, 9876.5, 4500.0, 1200.0)


def test_decimals_per_variable() -> None:
    """A measurement prints one decimal unless study.yml gives its own; the mean and SD one
    more than the median."""
    row = Characteristic("neutrophils", "Neutrophil count", None, "continuous", "/µl",
                         distribution=_distribution())  # fmt: skip
    default = _texts(_results(characteristics=(row,)))["characteristics"]["neutrophils"]
    assert (default["median"], default["range"], default["mean"]) == (
        "4,321.2", "1,234.5–9,876.5", "4,500.00"
    )  # fmt: skip
    whole = _texts(_results(characteristics=(row,)), _config(neutrophils={"decimals": 0}))
    shown = whole["characteristics"]["neutrophils"]
    assert (shown["median"], shown["range"], shown["mean"]) == ("4,321", "1,234–9,876", "4,500.0")


def test_small_counts_are_suppressed() -> None:
    """Below the threshold a count prints as '<5' and its percentage as a dash, with value
    null in results.json; a count that would reveal it through the total is withheld too."""
    levels = (LevelCount("Male", "Male", 3, 20), LevelCount("Female", "Female", 17, 20))
    row = Characteristic("sex", "Sex", None, "counts", levels=levels)
    results = _results(characteristics=(row,), small_cell=5)
    numbers = collect_numbers(results, _config()).nested(leaf="all")
    male, female = (
        numbers["characteristics"]["sex"]["male"],
        numbers["characteristics"]["sex"]["female"],
    )
    assert (male["n"]["value"], male["n"]["text"], male["pct"]["text"]) == (None, "<5", "–")
    assert female["n"]["value"] is None and female["n"]["text"] == "*"
    open_ = _texts(_results(characteristics=(row,)))["characteristics"]["sex"]
    assert open_["male"]["text"] == "3 (15.0)" and open_["male"]["pct"] == "15.0%"


def test_a_two_level_factor_has_one_hazard_ratio() -> None:
    g = _grouped(("A", "B"), _cox(_term("B", 2.5)), 0.95)
    by = _texts(_results(by=(g,)))["os"]["by"]["arm"]
    assert (by["hr"], by["hr_ci"], by["hr_p"]) == ("2.50", "1.25–5.00", "0.012")
    assert by["b"]["hr"] == "2.50" and by["reference"] == "A"


def test_a_multi_level_factor_has_one_hazard_ratio_per_level() -> None:
    cox = _cox(_term("B", 2.5), _term("C", 0.4))
    by = _texts(_results(by=(_grouped(("A", "B", "C"), cox, 0.9),)))["os"]["by"]["arm"]
    assert "hr" not in by
    assert (by["b"]["hr"], by["c"]["hr"], by["c"]["hr_ci"]) == ("2.50", "0.40", "0.20–0.80")
    assert by["a"]["text"] == "300 days (90% CI 200–not reached)"


def test_a_cox_term_not_estimable_is_worded_from_its_status() -> None:
    """analyse gives the status; the presentation step says it, in the table footnote, the
    entry's method in results.json and the model note alike."""
    term = _term("B", None, TermStatus.NO_EVENTS_IN_LEVEL)
    model = _cox(term, _term("C", 0.4), status=ModelStatus.MONOTONE)
    sentence = (
        "Treatment arm, B: no events in this level, so the hazard ratio is zero (monotone "
        "likelihood) and is not estimated."
    )
    assert notes.term_note(term, model) == sentence
    entries = collect_numbers(_results(univariate=(model,)), _config()).nested(leaf="all")
    cox = entries["os"]["cox"]["arm"]
    (b,) = [t for t in cox["terms"].values() if t["label"]["value"].startswith("B ")]
    assert (b["hr"]["text"], b["ci"]["text"], b["coef"]["method"]) == ("NE", "NE", sentence)
    assert cox["note"]["text"].startswith("Some hazard ratios are not estimable")


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (TermStatus.CONSTANT, "Treatment arm, B: the same value in every patient analysed"),
        (TermStatus.EMPTY_LEVEL, "Treatment arm, B: no patients in this level"),
        (TermStatus.COLLINEAR, "Treatment arm, B: collinear with other covariates"),
        (TermStatus.MODEL_NOT_ESTIMABLE, "The model cannot be estimated: no events among the 20"),
    ],
)
def test_every_term_status_has_its_sentence(status: TermStatus, words: str) -> None:
    term = _term("B", None, status)
    assert (notes.term_note(term, _cox(term, status=ModelStatus.NO_EVENTS)) or "").startswith(words)


def test_statuses_of_tests_and_the_multivariable_choice() -> None:
    lr = LogRankResult(("A", "B"), (0.0, 0.0), (0.0, 0.0), 0.0, 0, 1.0,
                       status=LogRankStatus.FEWER_THAN_TWO_AT_RISK)  # fmt: skip
    assert notes.logrank_note(lr) == "fewer than two groups had patients at risk at an event time"
    assert list(ComparisonStatus) and all(
        notes.comparison_note(_comparison(s)) for s in ComparisonStatus
    )
    skipped = MultivariateSkipped(MultivariateStatus.TOO_FEW_SELECTED, threshold=0.1)
    assert notes.multivariate_note(skipped) == (
        "because fewer than two factors had a univariate p < 0.1"  # "because of fewer … had"
    )
    asked = MultivariateSkipped(MultivariateStatus.NOT_REQUESTED, reason="the small sample")
    assert notes.multivariate_note(asked) == "because of the small sample"


def _comparison(status: ComparisonStatus) -> Any:
    from cohortpress.analyse._results import ComparisonResult

    return ComparisonResult("Fisher's exact", None, None, status=status)


def test_term_labels_are_made_in_the_presentation_step() -> None:
    from dataclasses import replace

    from cohortpress.present.labels import term_label

    level = _term("B", 2.5)
    continuous = replace(level, level=None, reference=None, per=10.0, unit="years")
    assert term_label(level) == "B vs A (ref)"
    assert term_label(continuous) == "per 10 years"
    assert term_label(replace(continuous, unit=None, per=1000.0)) == "per 1,000 units"
    assert term_label(replace(continuous, unit=None, per=1.0)) == "per unit"
