"""Table I summaries: each `summary:` of study.yml prints what it says, and the footnote too.

The five analysed patients of the test workbook are aged 65, 72, 58, 80 and 61; R gives
quantile(type = 7) 61, 65, 72, mean 67.2 and sd 8.871302.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from defects import ROOT, valid_book, write_xlsx

from cohortpress.analyse import analyse
from cohortpress.artefacts.tables._builders import table_characteristics
from cohortpress.artefacts.tables._table import INDENT
from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.errors import StudyConfigError
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers


def _results(
    tmp_path: Path,
    table1: list[dict],
    sex_missing: bool = False,
    age_missing: bool = False,
    small_cell: int | None = None,
):
    book = valid_book()
    if sex_missing:
        book.set("patients", 4, "Sex", None)  # P03
    if age_missing:
        book.set("patients", 4, "Age (years)", None)  # P03, aged 58
    path = write_xlsx(book, tmp_path / "book.xlsx")
    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    raw.update(table1=table1, data=str(path))
    raw.setdefault("statistics", {})["small_cell"] = small_cell
    (tmp_path / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = load_study(tmp_path)
    workbook = read_workbook(path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    return results, config


def _rows(tmp_path: Path, table1: list[dict], sex_missing: bool = False):
    results, config = _results(tmp_path, table1, sex_missing)
    table = table_characteristics(results, config)
    return dict(zip(table.frame["Variable"], table.frame.iloc[:, 1], strict=True)), table.notes


@pytest.mark.parametrize(
    ("summary", "value", "words"),
    [
        ("auto", "65 (58–80)", "median (range)"),
        ("median_range", "65 (58–80)", "median (range)"),
        ("median_iqr", "65 (61–72)", "median (IQR)"),
        ("mean_sd", "67.2 (8.9)", "mean (SD)"),
    ],
)
def test_each_continuous_summary(tmp_path: Path, summary: str, value: str, words: str) -> None:
    rows, notes = _rows(tmp_path, [{"variable": "age", "label": "Age", "summary": summary}])
    assert rows == {"Age": value}
    assert f"Values are {words}." in notes


def test_the_footnote_lists_every_summary_used_and_cut_numbers_are_counts(tmp_path) -> None:
    table1 = [
        {"variable": "age", "label": "Age", "summary": "median_range"},
        {"variable": "best_change_pct", "label": "Change", "summary": "median_iqr"},
        {"variable": "best_change_pct", "label": "Shrunk", "cut": -30, "summary": "n_percent"},
        {"variable": "sex"},
    ]
    rows, notes = _rows(tmp_path, table1)
    assert rows["Change"] == "−5.0 (−10.0 to 0.0)"  # -35, -10, -5, 0, 25: a minus sign, "to"
    assert (rows[f"{INDENT}<-30"], rows[f"{INDENT}≥-30"]) == ("1 (20.0)", "4 (80.0)")
    # Two ways of summarising numbers: which row is which is said (the cells do not tell).
    assert "Values are median (range) (age), median (IQR) (change) or n (%)." in notes
    assert not any(n.startswith("Percentages are of") for n in notes)


def test_counts_with_unknown_values_state_their_denominator(tmp_path: Path) -> None:
    rows, notes = _rows(tmp_path, [{"variable": "sex"}], sex_missing=True)
    assert rows[f"{INDENT}Unknown"] == "1 (20.0)"
    assert "Values are n (%)." in notes
    assert "Percentages are of all patients in the column, those with an unknown value " in (
        " ".join(notes)
    )


def test_the_numbers_hold_what_the_summary_prints(tmp_path: Path) -> None:
    table1 = [
        {"variable": "age", "summary": "mean_sd"},
        {"variable": "best_change_pct", "summary": "median_iqr"},
    ]
    results, config = _results(tmp_path, table1)
    numbers = collect_numbers(results, config).nested(leaf="all")["characteristics"]
    age, change = numbers["age"], numbers["best_change_pct"]
    assert (age["mean"]["value"], age["mean"]["text"]) == (pytest.approx(67.2), "67.2")
    assert (age["sd"]["value"], age["sd"]["text"]) == (pytest.approx(8.871302046), "8.9")
    assert (change["q1"]["value"], change["q3"]["value"]) == (-10, 0)
    assert change["iqr"]["text"] == "−10.0 to 0.0"  # a minus sign and "to" around a negative end
    # Whatever the row prints, a statistician finds every summary, each with its R call.
    for row in (age, change):
        for name in ("n", "missing", "mean", "sd", "median", "q1", "q3", "min", "max"):
            assert "R: " in row[name]["method"], name
    assert age["q1"]["method"].endswith("quantile(x, 0.25, type = 7, na.rm = TRUE)")
    assert change["mean"]["method"].endswith("mean(x, na.rm = TRUE)")


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"variable": "sex", "summary": "mean_sd"}, "mean_sd is for a number without `cut`"),
        ({"variable": "age", "summary": "n_percent"}, "n_percent needs a `cut` for 'age'"),
        ({"variable": "age", "cut": 65, "summary": "median_iqr"}, "(use n_percent)"),
    ],
)
def test_a_summary_that_does_not_fit_is_a_study_error(tmp_path: Path, row, words) -> None:
    """Said when study.yml is read (by validate too), naming the key."""
    with pytest.raises(StudyConfigError) as info:
        _results(tmp_path, [row])
    assert "table1[0].summary: " in str(info.value)
    assert words in str(info.value)


def test_a_marker_row_prints_the_markers_decimals_as_the_text_does(tmp_path: Path) -> None:
    """NLR (decimals: 2) and ALC (decimals: 0): Table I, characteristics and markers in
    results.json print the same median; a marker's setting wins over the default of one."""
    table1 = [{"variable": "NLR", "label": "NLR"}, {"variable": "ALC", "label": "ALC"}]
    results, config = _results(tmp_path, table1)
    rows, _ = _rows(tmp_path, table1)
    numbers = collect_numbers(results, config).nested()
    for name, decimals in (("NLR", 2), ("ALC", 0)):
        median = numbers["markers"][name]["median"]
        assert numbers["characteristics"][name]["median"] == median
        assert rows[name] == f"{median} ({numbers['characteristics'][name]['range']})"
        assert len(median.partition(".")[2]) == decimals, median


@pytest.mark.parametrize(("small_cell", "unknown"), [(None, "1 (20.0)"), (3, "<3")])
def test_a_continuous_row_counts_its_unknown_values(
    tmp_path: Path, small_cell: int | None, unknown: str
) -> None:
    """One age missing of five: an Unknown row under the median, as under a categorical row,
    its count marked as results.json marks it; the text says so too."""
    from cohortpress.artefacts.text import write_paragraphs

    table1 = [{"variable": "age", "label": "Age"}]
    results, config = _results(tmp_path, table1, age_missing=True, small_cell=small_cell)
    frame = table_characteristics(results, config).frame
    rows = dict(zip(frame["Variable"], frame.iloc[:, 1], strict=True))
    assert rows == {"Age": "68 (61–80)", f"{INDENT}Unknown": unknown}  # 61, 65, 72, 80
    numbers = collect_numbers(results, config)
    age = numbers.nested()["characteristics"]["age"]
    assert age["missing"] == unknown.split(" ")[0]
    assert age["n"] == ("4" if small_cell is None else "*")  # 5 − 4 would give the 1 away
    text = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    said = "1 patient" if small_cell is None else "fewer than 3 patients"  # the mark in words
    assert f"(range 61–80 years; not recorded for {said})" in text["results_patients"]


def test_the_comparison_table_counts_a_continuous_rows_unknown_values(tmp_path: Path) -> None:
    """By LMR group, the Unknown row of age is under each group, adding up to Table I's."""
    from cohortpress.artefacts.tables._builders import table_comparison

    results, config = _results(tmp_path, [{"variable": "age", "label": "Age"}], age_missing=True)
    table = table_comparison(results, config)
    assert table is not None
    frame = table.frame.set_index("Variable")
    unknown = [str(cell).split(" ")[0] for cell in frame.loc[f"{INDENT}Unknown"].iloc[:-1]]
    assert sorted(unknown) == ["0", "1"]
