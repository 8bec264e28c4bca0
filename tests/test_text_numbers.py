"""Every number the generated text prints is a number of results.json.

Text and tables read one registry; this test finds any number a sentence prints that the
registry does not hold (a constant typed into a template, a value formatted twice). Numbers
the author wrote in study.yml (a regimen's dose, "RECIST 1.1", an exclusion rule's "1 month")
are the study's own words and are allowed too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cohortpress.analyse import analyse
from cohortpress.artefacts._provenance import add_provenance
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.provenance import collect_provenance

ROOT = Path(__file__).resolve().parents[1]
STUDIES = [ROOT / "reports" / "thyroid", ROOT / "reports" / "renal",
           *(ROOT / "tests" / "studies" / name for name in
             ("immunotherapy", "hcc_score", "registry_times"))]  # fmt: skip
NUMBER = re.compile(r"(?<![\w.−-])[−-]?\d+(?:,\d{3})*(?:\.\d+)?")
# The log-book of the run and the author's declarations are not results.
NOT_RESULTS = {"data_appendix", "methods_treatment"}


def _numbers_in(text: str) -> set[str]:
    return {n.replace("−", "-").lstrip("-") for n in NUMBER.findall(text)}


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list | tuple):
        return [t for value in node for t in _texts(value)]
    return [str(node)] if node is not None else []


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_every_number_in_the_text_is_in_results_json(study: Path) -> None:
    config = load_study(study)
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    add_provenance(numbers, collect_provenance(config, config.data_path, workbook),
                   results.software)  # fmt: skip
    registry = json.loads(numbers.to_json())
    known = set().union(*(_numbers_in(t) for t in _texts(registry)))
    declared = set().union(*(_numbers_in(t) for t in _texts(config.model_dump(mode="json"))))
    paragraphs = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    strays = {
        name: sorted(_numbers_in(text) - known - declared)
        for name, text in paragraphs.items()
        if name not in NOT_RESULTS
    }
    assert {name: found for name, found in strays.items() if found} == {}


def _leaves(node: Any, key: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict) and isinstance(node.get("text"), str):
        return [(key, node)]
    if isinstance(node, dict):
        return [leaf for name, value in node.items() for leaf in _leaves(value, f"{key}.{name}")]
    return []


def _printed(text: str) -> list[tuple[float, int]]:
    """The numbers of a text with their decimals: '2.4–30.2%' -> [(2.4, 1), (30.2, 1)]."""
    found = NUMBER.findall(text.replace("−", "-"))
    return [(float(n.replace(",", "")), len(n.partition(".")[2])) for n in found]


@pytest.mark.parametrize("study", STUDIES, ids=lambda p: p.name)
def test_a_percentage_is_a_percentage(study: Path) -> None:
    """Each ``%`` value is in the scale of its text: '11.5%' has the value 11.538…, and an
    interval '2.4–30.2%' the values [2.44…, 30.15…] (not fractions, not counts)."""
    config = load_study(study)
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    registry = json.loads(collect_numbers(results, config).to_json())
    checked = 0
    for key, leaf in _leaves(registry):
        value = leaf["value"]
        if leaf.get("unit") != "%" or value is None:
            continue
        values = value if isinstance(value, list) else [value]
        printed = _printed(leaf["text"])[: len(values)]
        for v, (shown, decimals) in zip(values, printed, strict=False):
            if v is not None:
                assert round(v, decimals) == pytest.approx(shown, abs=10**-decimals), key
                checked += 1
    assert checked > 5
