"""Adverse event terms that look like one event written twice: warned, with the synonyms line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from defects import THYROID, valid_book, write_xlsx
from examples import EXAMPLE_FOLDERS
from hypothesis import given
from hypothesis import strategies as st

from cohortpress.config import load_study
from cohortpress.intake import read_workbook
from cohortpress.validate import validate_workbook
from cohortpress.validate._ae_terms import near_duplicates
from cohortpress.validate._ctcae import CTCAE_TERMS


def _found(*terms: str) -> dict[str, tuple[str, str]]:
    """term -> (target, reason) for a sheet holding ``terms`` (one row each, in order)."""
    series = pd.Series(list(terms), index=range(2, 2 + len(terms)), name="term")
    return {d.term: (d.target, d.reason) for d in near_duplicates(series)}


@pytest.mark.parametrize(
    ("variant", "target", "reason"),
    [
        ("Hand foot syndrome", "Hand-foot syndrome", "other spaces, hyphens or punctuation"),
        ("Diarrhoea", "Diarrhea", "British/American spelling"),
        ("Anaemia", "Anemia", "British/American spelling"),
        ("Diarhea", "Diarrhea", "spelling 1 letter apart"),
        ("HTN", "Hypertension", "abbreviation or other CTCAE wording"),
        ("AST increased", "Aspartate aminotransferase increased", "abbreviation"),
        ("Elevated AST", "Aspartate aminotransferase increased", "abbreviation"),
        ("HFSR", "Hand-foot skin reaction", "abbreviation or other CTCAE wording"),
        ("PSN", "Peripheral sensory neuropathy", "initials"),
        ("General fatigue", "Fatigue", "a qualifier added"),
        ("Worsening hypertension", "Hypertension", "a qualifier added"),
    ],
)
def test_each_kind_of_duplicate_is_found(variant: str, target: str, reason: str) -> None:
    found = _found(target, target, variant)  # the target is the more frequent spelling
    assert found[variant][0] == target
    assert found[variant][1].startswith(reason)


def test_mapped_toward_the_ctcae_spelling_even_when_rarer() -> None:
    found = _found("Diarrhoea", "Diarrhoea", "Diarrhoea", "Diarrhea", "HTN", "HTN", "Hypertension")
    assert found == {
        "Diarrhoea": ("Diarrhea", "British/American spelling"),
        "HTN": ("Hypertension", "abbreviation or other CTCAE wording"),
    }


@pytest.mark.parametrize(
    "pair",
    [
        ("Hypotension", "Hypertension"),
        ("Hypokalemia", "Hypocalcemia"),
        ("Hyperglycemia", "Hypoglycemia"),
        ("Bradycardia", "Tachycardia"),
        ("Platelet count increased", "Platelet count decreased"),
        ("Mucositis", "Myositis"),
        ("Pneumonia", "Pneumonitis"),
        ("Rash", "Rash acneiform"),
        ("Rash acneiform", "Rash maculo-papular"),
        ("Elevated AST/ALT", "AST increased"),
    ],
)
def test_different_events_are_not_duplicates(pair: tuple[str, str]) -> None:
    assert _found(*pair) == {}


@given(st.lists(st.sampled_from(sorted(CTCAE_TERMS)), min_size=2, max_size=30))
def test_ctcae_terms_are_never_duplicates_of_each_other(terms: list[str]) -> None:
    assert _found(*(t.capitalize() for t in terms)) == {}


@given(
    st.sampled_from(sorted(t for t in CTCAE_TERMS if len(t) >= 6 and " " not in t)),
    st.sampled_from(("General {}", "{}s", "Severe {}", "{} ")),
)
def test_a_written_variant_of_a_ctcae_term_maps_to_it(term: str, pattern: str) -> None:
    variant = pattern.format(term.lower()).strip()
    if variant.casefold() == term:
        return
    found = _found(term.capitalize(), variant)
    assert found == {variant: (term.capitalize(), found[variant][1])}


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=lambda p: p.name)
def test_no_false_alarm_on_the_example_studies(folder: Path) -> None:
    config = load_study(folder)
    report = validate_workbook(read_workbook(config.data_path, config), config)
    assert not [p for p in report.problems if p.rule.startswith("looks like")]


def test_the_printed_line_makes_the_warning_go_away(tmp_path: Path) -> None:
    book = valid_book()
    book.set("adverse_events", 7, "Adverse event", "General fatigue")  # P04 has Fatigue
    raw = yaml.safe_load((THYROID / "study.yml").read_text(encoding="utf-8"))
    raw["data"] = str(write_xlsx(book, tmp_path / "book.xlsx"))
    folder = tmp_path / "study"
    folder.mkdir()

    def warnings() -> list[str]:
        (folder / "study.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
        config = load_study(folder)
        report = validate_workbook(read_workbook(config.data_path, config), config)
        assert report.ok
        return [p.rule for p in report.warnings if p.rule.startswith("looks like")]

    [rule] = warnings()
    line = rule.split("adverse_events: synonyms: ")[1]
    assert line == '"General fatigue": Fatigue'
    raw["adverse_events"] = {"synonyms": yaml.safe_load(line)}
    assert warnings() == []
