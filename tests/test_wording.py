"""The words the presentation step makes for analyse's codes, on hand-built results.

analyse and derive give an endpoint's kind, the criteria's name, a rate's code, the SD
threshold as a value and a unit, an end reason's code and curves labelled by their level;
``present.wording`` names them. Each case builds such a result by hand (no workbook, no
analysis) and reads back the words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cohortpress.analyse._km import OVERALL
from cohortpress.analyse._results import KMEstimate, ProportionEstimate, QuantileEstimate, RiskTable
from cohortpress.analyse._study import (
    EndpointResult,
    GroupedSurvival,
    ResponseRate,
    ResponseSummary,
)
from cohortpress.artefacts.figures import draw_figure, figure_km
from cohortpress.config import StudyConfig, load_study
from cohortpress.present import wording
from cohortpress.vocabulary import END_REASON_LABELS, END_REASONS

ROOT = Path(__file__).resolve().parents[1]


def _study(folder: str, **changes: Any) -> StudyConfig:
    """A study.yml of the repository with some top-level settings replaced."""
    loaded = load_study(ROOT / folder)
    raw = {**loaded.model_dump(exclude_defaults=True), **changes}
    return StudyConfig.model_validate({**raw, "folder": loaded.folder})


def _km(label: str) -> KMEstimate:
    table = pd.DataFrame(
        {"time": [100.0], "n_risk": [20], "n_event": [5], "n_censor": [0], "surv": [0.75],
         "std_err": [0.1], "lower": [0.5], "upper": [0.9]}
    )  # fmt: skip
    quartile = QuantileEstimate(0.75, None, None, None)
    return KMEstimate(
        label=label, n=20, events=5, table=table,
        median=QuantileEstimate(0.5, None, None, None),
        quartiles=(quartile, quartile), ci_transform="log-log", conf_level=0.95,
    )  # fmt: skip


def _endpoint(kind: str) -> EndpointResult:
    return EndpointResult(
        kind=kind, label="x", abbreviation="X", overall=_km(OVERALL),
        risk=RiskTable((0.0,), {OVERALL: (20,)}), by=(), univariate=(), multivariate=None,
        multivariate_covariates=(), multivariate_skipped=None,
    )  # fmt: skip


def _response(
    criteria: str, value: float = 6, unit: str = "months", *, shown: tuple[str, ...] = ("orr",)
) -> ResponseSummary:
    rates = tuple(
        ResponseRate(rate, rate.upper(), ("CR", "PR"), ProportionEstimate(2, 10, 0.2, 0.03, 0.56))
        for rate in ("orr", "dcr", "cbr")
    )
    return ResponseSummary(
        criteria=criteria, reference=None, counts=(), rates=rates, shown=shown,
        sd_min_value=value, sd_min_unit=unit, sd_strict=True, sd_any=value == 0, sd_short=0,
    )  # fmt: skip


# ---- endpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["os", "pfs", "ttf"])
def test_an_endpoint_from_dates_is_defined_by_its_kind(kind: str) -> None:
    config = _study("reports/thyroid", endpoints=[{"kind": k} for k in ("os", "pfs", "ttf")])
    said = wording.endpoint_definition(_endpoint(kind), config)
    assert said == wording.ENDPOINT_DEFINITIONS[kind]
    assert said.startswith("from the start of treatment to ")


def test_pfs_censored_at_the_last_assessment_says_so() -> None:
    endpoints = [{"kind": "pfs", "censor_at": "last_assessment"}]
    config = _study("reports/thyroid", endpoints=endpoints)
    said = wording.endpoint_definition(_endpoint("pfs"), config)
    assert "censored at their last tumour assessment" in said
    assert said != wording.ENDPOINT_DEFINITIONS["pfs"]


def test_an_endpoint_read_as_recorded_names_the_workbooks_columns_and_values() -> None:
    config = _study("tests/studies/registry_times")
    os_, pfs = (wording.endpoint_definition(_endpoint(k), config) for k in ("os", "pfs"))
    assert os_ == (
        "the time in the column “Survival (months)” (in months) and the event from the column "
        "“Vital status” (Dead, Deceased: event; Alive: censored), not derived from dates"
    )
    assert "“PFS (days)” (in days)" in pfs  # the endpoint's own unit, not the study's
    assert "(yes: event; no: censored)" in pfs


def test_the_survival_axis_says_what_probability_it_shows() -> None:
    assert wording.survival_axis_title("Overall survival") == "Overall survival probability"
    assert wording.survival_axis_title("Time to treatment failure") == (
        "Probability of no treatment failure"
    )
    assert wording.survival_axis_title("Time to") == "Time to probability"  # nothing after it
    assert wording.time_axis_title("lenvatinib", "months") == (
        "Time from the start of lenvatinib (months)"
    )


def _grouped(factor: str, label: str, levels: tuple[str, ...]) -> GroupedSurvival:
    return GroupedSurvival(
        factor=factor, label=label, levels=levels, estimates=tuple(_km(lv) for lv in levels),
        risk=RiskTable((0.0,), {lv: (10,) for lv in levels}), logrank=None, cox=None,
    )  # fmt: skip


def test_curves_are_named_from_their_levels() -> None:
    config = _study("reports/thyroid")
    assert "LMR" in config.markers
    marker = _grouped("LMR", "Lymphocyte-to-monocyte ratio", ("High", "Low"))
    assert wording.curve_names(marker, config) == ["High LMR", "Low LMR"]
    # A bare number or letter would read as a panel letter: its variable's label goes first.
    ecog = _grouped("ecog", "ECOG PS", ("0", "1", "2"))
    assert wording.curve_names(ecog, config) == ["ECOG PS 0", "ECOG PS 1", "ECOG PS 2"]
    child = _grouped("child_pugh", "Child–Pugh class", ("A", "B"))
    assert wording.curve_names(child, config) == ["Child–Pugh class A", "Child–Pugh class B"]
    histology = _grouped("histology", "Histology", ("Papillary", "Follicular"))
    assert wording.curve_names(histology, config) == ["Papillary", "Follicular"]
    # One short level names every level of its factor alike: "Yes" beside "Bone No" read as
    # two different things.
    bone = _grouped("bone_metastasis", "Bone", ("Yes", "No"))
    assert wording.curve_names(bone, config) == ["Bone Yes", "Bone No"]
    ecog = _grouped("ecog", "ECOG PS", ("0–1", "2"))
    assert wording.curve_names(ecog, config) == ["ECOG PS 0–1", "ECOG PS 2"]


def test_the_figure_prints_the_names_it_is_given_not_the_analysis_labels() -> None:
    """analyse labels curves by level code; the legend and the at-risk table show the names."""
    config = _study("reports/thyroid")
    g = _grouped("LMR", "Lymphocyte-to-monocyte ratio", ("High", "Low"))
    names = wording.curve_names(g, config)
    panel = figure_km(
        list(g.estimates), risk=g.risk, time_label="Time (days)", ylabel="S(t)", names=names
    )
    assert panel.groups == names
    figure = draw_figure(panel, 3.5, 3.6, 100)
    texts = {t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))}
    assert {"High LMR", "Low LMR", wording.AT_RISK_TITLE} <= texts
    assert not {"High", "Low"} & texts
    with pytest.raises(ValueError, match="distinct"):
        figure_km(list(g.estimates), risk=g.risk, time_label="t", ylabel="S", names=["A", "A"])


# ---- response --------------------------------------------------------------------------------


def test_the_criteria_are_named_as_sentences_name_them() -> None:
    assert wording.criteria_text(_response("RECIST 1.1")) == "RECIST 1.1"
    assert wording.criteria_text(_response("Lugano")) == "the Lugano classification"
    assert wording.criteria_text(_response("RANO")) == "the RANO criteria"
    assert wording.criteria_text(_response("Our clinic's own")) == "Our clinic's own"


def test_rates_are_named_by_their_criteria() -> None:
    recist, lugano, own = _response("RECIST 1.1"), _response("Lugano"), _response("Own")
    assert wording.rate_name(recist, "orr") == "objective response rate"
    assert wording.rate_name(lugano, lugano.rate("orr")) == "overall response rate"
    assert wording.rate_name(lugano, "cbr") == "clinical benefit rate"
    assert [wording.rate_name(own, r) for r in own.rates] == [
        "objective response rate", "disease control rate", "clinical benefit rate",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "unit", "said"),
    [(6, "months", "6 months"), (1, "months", "1 month"), (6, "weeks", "6 weeks"),
     (1.5, "months", "1.5 months"), (42, "days", "42 days"), (1, "years", "1 year")],
)  # fmt: skip
def test_the_stable_disease_duration(value: float, unit: str, said: str) -> None:
    assert wording.sd_threshold(_response("RECIST 1.1", value, unit)) == said


# ---- treatment -------------------------------------------------------------------------------


def test_every_end_reason_has_its_label() -> None:
    assert [wording.end_reason_label(code) for code in END_REASONS] == list(
        END_REASON_LABELS.values()
    )
    assert wording.end_reason_label("adverse_event") == "Adverse events"


def test_best_responses_are_named_by_the_criteria_in_force() -> None:
    recist = _study("reports/thyroid")
    assert wording.response_label("PR", recist) == "Partial response"
    assert wording.response_label("missing", recist) == ("Not assessed (no best response recorded)")
    lugano = _study("reports/thyroid", response={"criteria": "Lugano"})
    assert wording.response_label("SD", lugano) == "Stable disease (no metabolic response)"
    own = _study(
        "reports/thyroid",
        response={
            "criteria": "Clinic scale",
            "rates": ["orr"],
            "categories": [
                {"code": "R", "label": "Responded", "counts_as": "response"},
                {"code": "N", "label": "Did not respond", "counts_as": "progression"},
            ],
        },
    )
    assert wording.response_label("R", own) == "Responded"
    without = _study("reports/thyroid", response=None)
    with pytest.raises(ValueError, match="no response settings"):
        wording.response_label("PR", without)


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("lymphocytes", None),  # the label says what it is
        ("neutrophils / lymphocytes", "the ratio of neutrophils to lymphocytes"),
        ("neutrophil_count/lymphocyte_count", "the ratio of neutrophil count to lymphocyte count"),
        ("albumin * 10 + 5 / lymphocytes", "calculated as albumin × 10 + 5 ÷ lymphocytes"),
    ],
)
def test_a_marker_formula_reads_as_words(formula: str, words: str | None) -> None:
    assert wording.marker_formula(formula) == words


def test_an_abstract_spells_out_each_explained_abbreviation_once() -> None:
    pairs = wording.abbreviation_pairs(
        ["IMDC: International Metastatic RCC Database Consortium", "no colon here", None]
    )
    assert pairs == {"IMDC": "International Metastatic RCC Database Consortium"}
    defined: set[str] = set()
    first = wording.spelled_out("IMDC risk (poor vs favorable)", pairs, defined)
    again = wording.spelled_out("IMDC risk (poor vs favorable)", pairs, defined)
    assert (
        first == "International Metastatic RCC Database Consortium (IMDC) risk (poor vs favorable)"
    )
    assert again == "IMDC risk (poor vs favorable)"
    ecog = {"ECOG PS": "ECOG performance status"}
    assert wording.spelled_out("ECOG PS (1–2 vs 0; HR 1.62)", ecog, set()) == (
        "ECOG performance status (ECOG PS; 1–2 vs 0; HR 1.62)"
    )
    # a word that only contains the abbreviation is left alone
    assert wording.spelled_out("IMDCX score", pairs, set()) == "IMDCX score"


@pytest.mark.parametrize(
    ("items", "clauses", "written"),
    [
        (["hypertension"], False, "hypertension"),
        (["fatigue (26.7%)", "rash (13.3%)"], False, "fatigue (26.7%) and rash (13.3%)"),
        (["NLR", "PLR", "LMR"], False, "NLR, PLR, and LMR"),
        (["the median TTF was 543 days", "the median OS was 2,002 days"], True,
         "the median TTF was 543 days, and the median OS was 2,002 days"),
        (["a", "b", "c", "d"], True, "a, b, c, and d"),
    ],
)  # fmt: skip
def test_a_list_in_running_text_is_written_one_way(
    items: list[str], clauses: bool, written: str
) -> None:
    """Two phrases take no comma, two clauses do, three or more the serial comma; the
    separator a template prints after each item of a loop agrees with the whole list."""
    assert wording.series(items, clauses=clauses) == written
    pieces = [
        item + wording.series_separator(i, len(items), clauses=clauses)
        for i, item in enumerate(items, 1)
    ]
    assert "".join(pieces) == written
