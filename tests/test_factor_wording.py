"""How a factor is named and read off the patients it groups: the comparison by ``compare_by``
named by its label (never its key: "the braf groups"), without a row comparing the factor with
itself; the curves "by" a factor with the reference its Cox factor names (the figure said
"Wild-type vs Mutant", the Cox table "Mutant vs Wild-type"), and the patients they leave out
for a missing value named in the caption (they were left out unsaid)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from examples import thyroid_study

from cohortpress.analyse import analyse
from cohortpress.artefacts._figures import build_figures
from cohortpress.artefacts.tables import build_tables
from cohortpress.artefacts.text._paragraphs import write_paragraphs
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.labels import factor_name, mid_sentence
from cohortpress.present.numbers import collect_numbers

ROOT = Path(__file__).resolve().parents[1]


def _study(folder: Path, change: Any) -> StudyConfig:
    return load_study(thyroid_study(folder, change, folder / "workbook.xlsx"))


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, StudyConfig]:
    """Thyroid, compared by ECOG PS and drawn by sex and histology, one histology blanked."""
    folder = tmp_path_factory.mktemp("grouped")
    shutil.copy(ROOT / "data/thyroid_sorafenib.xlsx", folder / "workbook.xlsx")
    book = openpyxl.load_workbook(folder / "workbook.xlsx")
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(row=4, column=headers["Histology"]).value = None
    book.save(folder / "workbook.xlsx")

    def change(raw: dict[str, Any]) -> None:
        raw["compare_by"] = "ecog"
        for endpoint in raw["endpoints"]:
            endpoint["by"] = ["sex", "histology"]

    config = _study(folder, change)
    workbook = read_workbook(config.data_path, config)
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
    return analyse(cohort, config), config


def test_the_comparison_is_named_by_its_label_and_leaves_its_own_row_out(
    grouped: tuple[Any, StudyConfig],
) -> None:
    results, config = grouped
    [table] = [t for t in build_tables(results, config) if t.id == "comparison"]
    assert table.caption == "Patients' characteristics by ECOG PS group."
    assert "ECOG PS" not in set(table.frame["Variable"])  # in Table I, not in its own comparison
    assert "Histology" in set(table.frame["Variable"])
    numbers = collect_numbers(results, config)
    text = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    assert "compared between the ECOG PS groups" in text["methods_statistics"]
    assert "ecog" not in text["methods_statistics"]


def test_curves_by_a_factor_compare_as_its_cox_factor_and_name_who_is_not_shown(
    grouped: tuple[Any, StudyConfig], tmp_path: Path
) -> None:
    results, config = grouped
    specs, _ = build_figures(results, config, tmp_path, width=7, height=5)
    by = [s for s in specs if "according to baseline" in s.caption]
    assert by
    for spec in by:
        assert "(A) Sex Male vs Female" in spec.caption  # as the Cox factor: reference Female
        assert "Not shown: (B) 1 patient without a recorded histology." in spec.caption
    cox = {t.covariate: t for e in results.endpoints for t in e.univariate[1].terms}
    assert cox["sex"].reference == "Female"


@pytest.mark.parametrize(
    ("label", "written"),
    [
        ("Disease status", "disease status"),
        ("BRAF V600 status", "BRAF V600 status"),
        ("ECOG PS", "ECOG PS"),
        ("C-reactive protein", "C-reactive protein"),
        ("ICANS", "ICANS"),  # adverse event terms: the Results wrote "icans", "ast増加"
        ("AST増加", "AST増加"),
        ("Hand-foot skin reaction", "hand-foot skin reaction"),
    ],
)
def test_a_label_mid_sentence_keeps_acronyms(label: str, written: str) -> None:
    assert mid_sentence(label) == written


def test_a_factor_is_never_named_by_its_key() -> None:
    config = load_study(ROOT / "reports/thyroid")
    assert factor_name("LMR", None, config) == "LMR"  # a marker: its name is its abbreviation
    assert factor_name("ecog", "ECOG PS", config) == "ECOG PS"  # the abbreviation's short form
    assert factor_name("histology", "Histology", config) == "histology"


def test_sentences_read_with_one_marker_and_a_model_skipped_for_each_endpoint(
    tmp_path: Path,
) -> None:
    """'The median values of the markers were as follows: NLR were 2.99, respectively.'; 'was
    not performed because of fewer than two factors had …', said for the first endpoint only."""
    shutil.copy(ROOT / "data/thyroid_sorafenib.xlsx", tmp_path / "workbook.xlsx")

    def change(raw: dict[str, Any]) -> None:
        raw["markers"] = {"NLR": raw["markers"]["NLR"]}
        raw["compare_by"] = None
        raw["cox"]["covariates"] = [
            c for c in raw["cox"]["covariates"] if c["variable"] not in ("ALC", "PLR", "LMR")
        ]
        raw["cox"]["multivariate"] = {"rule": "univariate_p", "threshold": 0.0001}

    config = _study(tmp_path, change)
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    text = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    assert " The median NLR was " in text["results_patients"], text["results_patients"]
    assert "respectively" not in text["results_patients"]
    for kind in ("TTF", "OS"):
        assert (
            f"A multivariate analysis of {kind} was not performed because fewer than two factors "
            "had a univariate p \\< 0.0001."  # Markdown: the < escaped
        ) in text["results_cox"], text["results_cox"]


def test_the_cox_table_counts_a_factor_whose_model_leaves_patients_out(
    grouped: tuple[Any, StudyConfig],
) -> None:
    """The table's note gave the endpoint's 26 patients for every factor; histology's model
    had 25 (one histology blank)."""
    results, config = grouped
    [table] = [t for t in build_tables(results, config) if t.id == "cox"]
    notes = " ".join(table.notes)
    assert "univariate, without the missing values: Histology (25 patients, " in notes
