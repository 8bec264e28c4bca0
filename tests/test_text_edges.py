"""The Results and Methods of studies off the example's path: what the text says when there is
nothing to list, nothing to estimate, counts it may not print, or more than two groups.

Each case changes the thyroid study or its workbook in one way and reads the paragraphs. A
sentence with nothing in it ("included ."), a count printed as a table's mark ("in * patients
(–)"), an unreached follow-up read as a time ("not reached years") or a two-group test named for
three groups each made a wrong manuscript that exited 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from examples import columns, thyroid_study, thyroid_workbook

from cohortpress.analyse import analyse
from cohortpress.artefacts.tables import build_tables
from cohortpress.artefacts.text._paragraphs import write_paragraphs
from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.labels import grouped_by
from cohortpress.present.numbers import collect_numbers
from cohortpress.present.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from cohortpress.artefacts.tables._table import Table


def _report(
    folder: Path,
    study: Callable[[dict[str, Any]], object] = lambda raw: None,
    book: Callable[[Any], object] = lambda book: None,
) -> tuple[str, list[Table]]:
    """The thyroid study changed by ``study`` (its study.yml) and ``book`` (its workbook): all
    its paragraphs as one text, and its tables."""
    workbook = thyroid_workbook(folder / "workbook.xlsx")
    book(workbook)
    workbook.save(folder / "workbook.xlsx")
    config = load_study(thyroid_study(folder, study, folder / "workbook.xlsx"))
    read = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(read.patients, read.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    paragraphs = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    return "\n".join(paragraphs.values()), build_tables(results, config)


def _set_column(book: Any, header: str, value: Callable[[Any], object]) -> None:
    """Every patient's ``header`` cell set to ``value(row)`` (the row's cells by header)."""
    sheet = book["patients"]
    at = columns(sheet)
    for row in range(2, sheet.max_row + 1):
        cells = {name: sheet.cell(row=row, column=col).value for name, col in at.items()}
        if cells["Patient ID"] is not None:
            sheet.cell(row=row, column=at[header]).value = value(cells)


def test_without_a_common_adverse_event_the_results_say_so(tmp_path: Path) -> None:
    def two_events(book: Any) -> None:  # two patients, one different event each
        sheet = book["adverse_events"]
        sheet.delete_rows(4, sheet.max_row)

    text, _ = _report(tmp_path, book=two_events)
    assert "included ." not in text
    assert "No AE occurred in 10% or more of the patients." in text


def test_counts_the_small_cell_rule_hides_are_said_in_words(tmp_path: Path) -> None:
    def small_cells(raw: dict[str, Any]) -> None:
        raw["statistics"]["small_cell"] = 5

    text, _ = _report(tmp_path, study=small_cells)
    results = text[text.index("We identified") :]  # the Methods explain the marks
    assert "(–)" not in results
    assert " * " not in results and "<5" not in results
    assert "fewer than 5 patients" in results
    common = results[results.index("The common AEs") :].split(".")[0]
    rare = results[results.index("The following AEs") :].split(".")[0]
    named = [term for term in ("interstitial pneumonitis", "keratoacanthoma", "anorexia")]
    assert not [term for term in named if term in common and term in rare]


def test_a_follow_up_the_reverse_estimate_does_not_reach_is_not_a_time(tmp_path: Path) -> None:
    def everyone_died(book: Any) -> None:
        _set_column(book, "Date of death", lambda cells: cells["Last visit"])

    text, _ = _report(tmp_path, book=everyone_died)
    assert "not reached days" not in text
    assert "The median follow-up time could not be estimated" in text


def test_an_endpoint_without_events_is_not_found_unassociated(tmp_path: Path) -> None:
    def nobody_died(book: Any) -> None:
        _set_column(book, "Date of death", lambda cells: None)

    text, _ = _report(tmp_path, book=nobody_died)
    assert "association between OS" not in text
    assert "No Cox model of OS could be estimated: no events among the 26 patients" in text


def test_more_than_two_groups_are_compared_with_the_test_the_table_names(tmp_path: Path) -> None:
    def by_ecog(raw: dict[str, Any]) -> None:
        raw["compare_by"] = "ecog"

    text, tables = _report(tmp_path, study=by_ecog)
    [table] = [t for t in tables if t.id == "comparison"]
    assert any("Kruskal–Wallis" in note for note in table.notes)
    assert "Kruskal–Wallis test" in text
    assert "Wilcoxon" not in text
    assert "compared between the ECOG PS groups with" in text
    assert table.caption.startswith("Patients' characteristics by ECOG PS group")


@pytest.mark.parametrize(
    ("name", "one", "many"),
    [
        ("ECOG PS", "ECOG PS group", "ECOG PS groups"),
        ("risk group", "risk group", "risk groups"),
        ("IMDC risk groups", "IMDC risk group", "IMDC risk groups"),
        ("Child–Pugh class", "Child–Pugh class", "Child–Pugh classes"),
        ("treatment arm", "treatment arm", "treatment arms"),
    ],
)
def test_a_factor_already_named_as_groups_is_not_grouped_again(
    name: str, one: str, many: str
) -> None:
    assert (grouped_by(name), grouped_by(name, plural=True)) == (one, many)


@pytest.mark.parametrize(
    ("n", "pct", "noun", "text"),
    [
        ("8", "20.0%", "patients", "8 patients (20.0%)"),
        ("1", "3.8%", "patients", "1 patient (3.8%)"),
        ("one", "3.8%", "patients", "one patient (3.8%)"),
        ("8", "20.0%", None, "8 (20.0%)"),
        ("<5", "–", None, "fewer than 5 patients"),
        ("*", "–", "patients", "a withheld number of patients"),
    ],
)
def test_a_count_in_a_sentence(n: str, pct: str, noun: str | None, text: str) -> None:
    assert counted(n, pct, noun) == text
