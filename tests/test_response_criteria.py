"""Response criteria by name: categories read from the workbook, the rates study.yml asks for
(ORR, DCR, CBR) counted and bounded as R does, named in the table and the text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from defects import ROOT, THYROID, Book, valid_book, write_xlsx

from cohortpress.analyse import analyse
from cohortpress.artefacts.tables import table_response
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import Response, load_study
from cohortpress.derive import derive_cohort
from cohortpress.errors import StudyConfigError
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.response_criteria import CRITERIA, known_criteria
from cohortpress.validate import validate_workbook

REFERENCE = json.loads((ROOT / "tests/reference/response_rates.json").read_text())["rates"]
BEST = "Best response (RECIST)"


def _study(tmp_path: Path, response: dict[str, Any] | None, book: Book | None = None) -> Path:
    """The thyroid study without its inclusion rule, over the six test patients (patient 6 has
    no best response), with the given ``response:`` settings."""
    raw = yaml.safe_load((THYROID / "study.yml").read_text(encoding="utf-8"))
    raw["inclusion"] = {}
    raw["response"] = response
    if book is None:
        book = valid_book()
        book.set("patients", 7, BEST, None)
    folder = tmp_path / "study"
    folder.mkdir(parents=True)
    raw["data"] = str(write_xlsx(book, tmp_path / "book.xlsx"))
    (folder / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


def _run(folder: Path):
    config = load_study(folder)
    workbook = read_workbook(config.data_path, config)
    report = validate_workbook(workbook, config)
    assert report.ok, report.problems
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    return config, results


def _text(results, config) -> str:
    numbers = collect_numbers(results, config)
    parts = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    return parts["methods_definitions"] + parts["results_efficacy"] + parts["abstract_results"]


def test_rates_match_r_and_every_patient_is_in_the_denominator(tmp_path: Path) -> None:
    settings = {"rates": ["orr", "dcr", "cbr"], "sd_min_duration": {"value": 8, "unit": "months"}}
    config, results = _run(_study(tmp_path, settings))
    r = results.response
    for name, expected in REFERENCE.items():
        got = r.rate(name).estimate
        assert (got.k, got.n) == (expected["k"], expected["n"])
        assert got.lower == pytest.approx(expected["lower"], rel=1e-9)
        assert got.upper == pytest.approx(expected["upper"], rel=1e-9)
        assert f"binom.test({got.k}, {got.n})$conf.int" in got.method
    missing = [lvl for lvl in r.counts if lvl.level == "missing"]
    assert missing and missing[0].count == 1 and sum(lvl.count for lvl in r.counts) == 6
    registry = json.loads(collect_numbers(results, config).to_json())["response"]
    assert set(registry) >= {"orr", "dcr", "cbr", "missing", "criteria"}
    assert registry["criteria"]["reference"]["value"] == "eisenhauer2009"
    assert "binom.test(4, 6)" in registry["dcr"]["ci"]["method"]
    frame = table_response(results, config).frame
    labels = list(frame["Response"])
    assert "Not assessed (no best response recorded)" in labels
    assert "Disease control rate (CR + PR + SD)" in labels
    assert "Clinical benefit rate (CR + PR + SD > 8 months)" in labels
    text = _text(results, config)
    assert "the disease control rate (DCR) as" in text
    assert text.index("(DCR)") < text.index("The ORR, DCR, and CBR were")


def test_only_the_rates_asked_for_are_reported(tmp_path: Path) -> None:
    config, results = _run(_study(tmp_path, {"rates": ["dcr"]}))
    registry = json.loads(collect_numbers(results, config).to_json())["response"]
    assert "dcr" in registry and "orr" not in registry and "cbr" not in registry
    labels = list(table_response(results, config).frame["Response"])
    assert not any("Objective" in label or "benefit" in label for label in labels)
    assert "ORR" not in _text(results, config)


def test_sd_of_any_duration_makes_the_cbr_the_dcr_printed_once(tmp_path: Path) -> None:
    settings = {"rates": ["orr", "dcr", "cbr"], "sd_min_duration": {"value": 0}}
    config, results = _run(_study(tmp_path, settings))
    r = results.response
    assert r.rate("cbr").estimate.k == r.rate("dcr").estimate.k == 4
    labels = list(table_response(results, config).frame["Response"])
    assert "Disease control rate = clinical benefit rate (CR + PR + SD)" in labels
    assert not any(label.startswith("Clinical benefit") for label in labels)
    text = _text(results, config)
    assert "the clinical benefit rate equals the DCR and is reported once" in text
    registry = json.loads(collect_numbers(results, config).to_json())["response"]
    assert "equal to the DCR" in registry["cbr"]["pct"]["method"]


def test_irecist_categories_are_read_and_named(tmp_path: Path) -> None:
    book = valid_book()
    values = ("iSD", "iPR", "iSD", "iCPD", "immune stable disease", None)
    for row, value in zip(range(2, 8), values, strict=True):
        book.set("patients", row, BEST, value)
    config, results = _run(_study(tmp_path, {"criteria": "irecist"}, book))
    assert config.response is not None and config.response.criteria == "iRECIST"
    r = results.response
    assert [lvl.level for lvl in r.counts][:6] == ["iCR", "iPR", "iSD", "iUPD", "iCPD", "NE"]
    assert r.rate("orr").estimate.k == 1 and r.rate("orr").codes == ("iCR", "iPR")
    assert dict((lvl.level, lvl.count) for lvl in r.counts)["iSD"] == 3
    assert "Objective response rate (iCR + iPR)" in list(
        table_response(results, config).frame["Response"]
    )
    assert "complete response (iCR) or partial response (iPR)" in _text(results, config)


def test_recist_codes_are_an_error_under_irecist(tmp_path: Path) -> None:
    config = load_study(_study(tmp_path, {"criteria": "iRECIST"}))
    report = validate_workbook(read_workbook(config.data_path, config), config)
    assert not report.ok
    assert any("iCR, iPR, iSD, iUPD, iCPD, NE" in p.rule for p in report.problems)


def test_custom_criteria_declare_their_categories(tmp_path: Path) -> None:
    categories = [
        {"code": "CMR", "label": "Complete metabolic response", "counts_as": "response"},
        {"code": "PMR", "label": "Partial metabolic response", "counts_as": "response"},
        {"code": "SMD", "label": "Stable metabolic disease", "counts_as": "stable"},
        {"code": "PMD", "label": "Progressive metabolic disease", "counts_as": "progression"},
    ]
    book = valid_book()
    for row, value in zip(range(2, 8), ("SMD", "CMR", "SMD", "PMD", "SMD", None), strict=True):
        book.set("patients", row, BEST, value)
    settings = {"criteria": "PERCIST 1.0", "categories": categories, "rates": ["orr", "dcr"]}
    config, results = _run(_study(tmp_path, settings, book))
    r = results.response
    assert r.criteria == "PERCIST 1.0" and r.reference is None
    assert (r.rate("orr").estimate.k, r.rate("dcr").estimate.k) == (1, 4)
    assert "Objective response rate (CMR + PMR)" in list(
        table_response(results, config).frame["Response"]
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"criteria": "RECIST 1.0"}, "did you mean 'RECIST 1.1'"),
        ({"criteria": "WHO"}, "declare its `categories`"),
        (
            {
                "criteria": "RANO",
                "categories": [{"code": "CR", "label": "x", "counts_as": "response"}],
            },
            "RANO has its own categories",
        ),
        (
            {"criteria": "X", "categories": [{"code": "A", "label": "a", "counts_as": "stable"}]},
            "no category counts_as: response",
        ),
        (
            {
                "criteria": "X",
                "categories": [{"code": "missing", "label": "m", "counts_as": "response"}],
            },
            "`missing` is the row of patients without a response",
        ),
        (
            {
                "criteria": "X",
                "categories": [{"code": "a.b", "label": "a", "counts_as": "response"}],
            },
            "response.categories.0.code",
        ),
        (
            {
                "criteria": "X",
                "categories": [
                    {"code": "R", "label": "Response", "counts_as": "response"},
                    {"code": "S", "label": "response", "counts_as": "stable"},
                ],
            },
            "response: categories[0].label 'Response' and categories[1].label 'response' differ "
            "only in case or surrounding spaces; the response table lists each category by its "
            "label",
        ),
        ({"rates": ["orr", "orr"]}, "each rate once"),
        ({"rates": ["ordr"]}, "rates.0"),
        ({"sd_min_duration": {"value": -1}}, "sd_min_duration.value"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(StudyConfigError) as info:
        load_study(_study(tmp_path, settings))
    assert message in str(info.value)


def test_every_built_in_criteria_has_a_reference_and_reads_its_own_names() -> None:
    for criteria in CRITERIA:
        assert criteria.reference and criteria.citation
        assert known_criteria(criteria.name.upper()) is criteria
        assert Response(criteria=criteria.name.lower()).criteria == criteria.name
        assert {c.counts_as for c in criteria.categories} >= {"response", "stable", "progression"}
        spellings = criteria.spellings()
        assert all(code in criteria.codes for code in spellings.values())
    lugano = known_criteria("Lugano 2014")
    assert lugano is not None and lugano.spellings()["CMR"] == "CR"
    assert lugano.rate_name("orr") == "overall response rate"


def test_waterfall_lines_follow_the_criteria(tmp_path: Path) -> None:
    from cohortpress.artefacts._figures import _waterfall_caption

    lugano = load_study(_study(tmp_path / "a", {"criteria": "Lugano", "waterfall": True}))
    assert "Dashed lines: +50% and −50% (Lugano)." in _waterfall_caption(5, lugano)
    categories = [{"code": "R", "label": "Responder", "counts_as": "response"}]
    custom = {"criteria": "Local", "categories": categories, "rates": ["orr"]}
    assert "Dashed" not in _waterfall_caption(5, load_study(_study(tmp_path / "b", custom)))
