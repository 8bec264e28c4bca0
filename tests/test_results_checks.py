"""results.json of the example studies holds what a statistician checks a report against,
each entry's method naming the R call that gives the same number (see present/_checks.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cohortpress.analyse import StudyResults, analyse
from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._results import CoxResult
from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import Numbers, _cox, collect_numbers, label_keys

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
STUDIES = ("thyroid", "renal")


@cache
def study(name: str) -> tuple[StudyResults, dict[str, Any]]:
    config = load_study(ROOT / "reports" / name)
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    return results, collect_numbers(results, config).nested(leaf="all")


def models(results: StudyResults, tree: dict[str, Any]) -> list[tuple[str, CoxResult, dict]]:
    """Every Cox model of the study with its results.json node."""
    found = []
    for e in results.endpoints:
        node = tree[e.kind]
        for model in e.univariate:
            name = model.terms[0].covariate
            found.append((f"{e.kind}.cox.{name}", model, node["cox"][name]))
        if e.multivariate is not None:
            found.append((f"{e.kind}.multivariate", e.multivariate, node["multivariate"]))
        for g in e.by:
            if g.cox is not None:
                found.append((f"{e.kind}.by.{g.factor}.cox", g.cox, node["by"][g.factor]["cox"]))
    return found


def r_call(entry: dict) -> str:
    assert "R: " in entry.get("method", ""), entry
    return entry["method"].split("R: ", 1)[1]


@pytest.mark.parametrize("name", STUDIES)
def test_every_cox_model_has_its_checks(name: str) -> None:
    results, tree = study(name)
    found = models(results, tree)
    assert any(key.endswith(".multivariate") for key, _, _ in found) == (name == "renal")
    assert any(".by." in key for key, _, _ in found) == (name == "thyroid")
    for key, model, node in found:
        assert model.loglik is not None and model.concordance is not None, key
        assert r_call(node["n"]).endswith("$n") and r_call(node["events"]).endswith("$nevent")
        assert node["loglik_null"]["value"] == model.loglik[0]
        assert r_call(node["loglik_null"]).endswith("$loglik[1]")
        assert node["loglik"]["value"] == model.loglik[1]
        for test in ("lr", "score", "wald"):
            assert r_call(node[f"{test}_chisq"]) and r_call(node[f"{test}_df"])
            assert r_call(node[f"{test}_p"])
        assert node["lr_chisq"]["value"] == model.likelihood_ratio.statistic  # type: ignore[union-attr]
        assert node["concordance"]["value"] == model.concordance.value
        assert r_call(node["concordance"]).endswith('$concordance["C"]')
        assert node["concordance_se"]["value"] == model.concordance.se
        assert r_call(node["concordance_se"]).endswith('$concordance["se(C)"]')
        assert f'ties = "{model.ties}"' in r_call(node["concordance"])
        terms = list(node["terms"].values())
        assert len(terms) == len(model.terms)
        for entry, term in zip(terms, model.terms, strict=True):
            assert entry["coef"]["value"] == term.coef
            assert entry["se"]["value"] == term.se
            assert entry["z"]["value"] == pytest.approx(term.coef / term.se, rel=1e-15)  # type: ignore[operator]
            for field, column in (("coef", '"coef"'), ("se", '"se(coef)"'), ("z", '"z"'),
                                  ("p", '"Pr(>|z|)"'), ("hr", '"exp(coef)"')):  # fmt: skip
                call = r_call(entry[field])
                assert call.startswith("summary(coxph(Surv(time, status) ~ ")
                assert call.endswith(f", {column}]")


@pytest.mark.parametrize("name", STUDIES)
def test_numbers_at_risk_of_every_curve(name: str) -> None:
    results, tree = study(name)
    for e in results.endpoints:
        at_risk = tree[e.kind]["at_risk"]
        assert [entry["value"] for entry in at_risk.values()] == list(
            e.risk.n_risk[e.overall.label]
        )
        for entry, t in zip(at_risk.values(), e.risk.times, strict=True):
            assert r_call(entry).endswith(f"times = {t:g}, extend = TRUE)$n.risk")
        for g in e.by:
            node = tree[e.kind]["by"][g.factor]
            levels = [v for v in node.values() if isinstance(v, dict) and "at_risk" in v]
            assert len(levels) == len(g.levels)
            for level, km in zip(levels, g.estimates, strict=True):
                counts = [entry["value"] for entry in level["at_risk"].values()]
                assert counts == list(g.risk.n_risk[km.label])
                assert f"subset = {g.factor} == " in r_call(level["at_risk"]["t0"])


def test_logrank_table_per_group() -> None:
    results, tree = study("thyroid")
    groups = [g for e in results.endpoints for g in e.by]
    assert groups
    for e in results.endpoints:
        for g in e.by:
            lr = g.logrank
            assert lr is not None
            node = tree[e.kind]["by"][g.factor]
            assert node["logrank_chisq"]["value"] == lr.chisq
            assert (
                r_call(node["logrank_chisq"]) == f"survdiff(Surv(time, status) ~ {g.factor})$chisq"
            )
            levels = [v for v in node.values() if isinstance(v, dict) and "observed" in v]
            assert sorted(v["observed"]["value"] for v in levels) == sorted(lr.observed)
            assert sorted(v["expected"]["value"] for v in levels) == sorted(lr.expected)
            for v in levels:
                o, x = v["observed"]["value"], v["expected"]["value"]
                assert v["oe2_e"]["value"] == pytest.approx((o - x) ** 2 / x, rel=1e-12)
                assert "$obs[" in r_call(v["observed"]) and "$exp[" in r_call(v["expected"])


@pytest.mark.parametrize("name", STUDIES)
def test_table1_rows_have_their_counts_and_summaries(name: str) -> None:
    results, tree = study(name)
    rows = tree["characteristics"]
    for c in results.characteristics:
        row = rows[c.variable]
        if c.distribution is not None:
            d = c.distribution
            for field, value in (("n", d.n), ("missing", d.missing), ("mean", d.mean),
                                 ("sd", d.sd), ("median", d.median), ("q1", d.q1),
                                 ("q3", d.q3), ("min", d.minimum), ("max", d.maximum)):  # fmt: skip
                assert row[field]["value"] == value, (c.variable, field)
                assert r_call(row[field]), (c.variable, field)
            assert "type = 7" in r_call(row["q1"]) and "type = 7" in r_call(row["q3"])
            continue
        assert row["n"]["value"] + row["missing"]["value"] == row["denominator"]["value"]
        assert row["denominator"]["value"] == c.levels[0].n == results.n
        assert r_call(row["n"]) == "sum(!is.na(x))"
        assert r_call(row["denominator"]) == "length(x)"


# ---- a factor of more than two levels: its joint Wald test, complete and named


def veteran_model(covariates: list[CoxCovariate]) -> tuple[CoxResult, dict[str, Any]]:
    data = pd.read_csv(REFERENCE / "data" / "veteran.csv")
    model = cox_fit(data, "time", "status", covariates)
    numbers = Numbers()
    _cox(numbers, "m", model, "threshold")
    return model, numbers.nested(leaf="all")["m"]


CELLTYPE = CoxCovariate(
    "celltype", "celltype", "categorical", "Cell type",
    levels=("squamous", "smallcell", "adeno", "large"), reference="squamous",
)  # fmt: skip


def test_factor_test_names_its_r_computation() -> None:
    karno = CoxCovariate("karno", "karno", "continuous", "Karnofsky score", per=10)
    model, node = veteran_model([CELLTYPE, karno])
    test = model.factor_tests["celltype"]
    factor = node["factor"]["celltype"]
    assert (factor["chisq"]["value"], factor["df"]["value"], factor["p"]["value"]) == (
        test.statistic, 3, test.p,
    )  # fmt: skip
    call = r_call(factor["chisq"])
    assert r'"relevel(factor(celltype), ref = \"squamous\")smallcell"' in call  # R's name
    assert "solve(vcov(fit)[i, i], b)" in call and "not anova(fit)" in factor["chisq"]["method"]
    assert "pchisq(chisq, df = 3, lower.tail = FALSE)" in r_call(factor["p"])
    assert "karno" not in node.get("factor", {})  # continuous: its term's Wald test is the test
    assert "I(karno/10)" in r_call(node["terms"]["karno"]["coef"])


def test_r_calls_carry_the_confidence_level_and_quote_names() -> None:
    data = pd.read_csv(REFERENCE / "data" / "veteran.csv").rename(columns={"karno": "karno score"})
    odd = CoxCovariate("karno score", "karno score", "continuous", "Karnofsky score")
    model = cox_fit(data, "time", "status", [CELLTYPE, odd], conf_level=0.9)
    numbers = Numbers()
    _cox(numbers, "m", model, "threshold")
    terms = numbers.nested(leaf="all")["m"]["terms"]
    ci = r_call(terms["celltype_large"]["ci"])
    assert ci.startswith("summary(coxph(") and ", conf.int = 0.9)$conf.int[" in ci
    assert "conf.int = " not in r_call(terms["celltype_large"]["hr"])  # the HR needs no level
    assert r_call(terms["karno_score"]["coef"]).endswith('["`karno score`", "coef"]')


def test_factor_without_a_test_says_why() -> None:
    """A level without events: its coefficient is infinite, the joint test void, and the
    entry says so instead of being left out."""
    data = pd.DataFrame(
        {
            "time": np.arange(1, 13, dtype=float),
            "status": [1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0],
            "group": ["a", "a", "b", "b", "c", "c", "c", "b", "a", "a", "c", "b"],
        }
    )
    group = CoxCovariate("group", "group", "categorical", "Group", levels=("a", "b", "c"))
    model = cox_fit(data, "time", "status", [group])
    numbers = Numbers()
    _cox(numbers, "m", model, "threshold")
    entry = numbers.nested(leaf="all")["m"]["factor"]["group"]["p"]
    assert not model.factor_tests
    assert entry["value"] is None and "not reported" in entry["method"]


def test_reserved_keys_are_never_a_level_key() -> None:
    keys = label_keys(["Missing", "Present", "N"], reserved=("n", "missing", "denominator"))
    assert keys["Present"] == "present"
    assert keys["Missing"] not in ("missing",) and keys["Missing"].startswith("missing_")
    assert keys["N"].startswith("n_")
    assert label_keys(["Missing"]) == {"Missing": "missing"}  # unchanged without reservation
