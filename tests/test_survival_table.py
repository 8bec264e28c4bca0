"""The survival table: rows per endpoint and per group, cells read from the Numbers registry,
the CI label from the study's confidence level."""

from __future__ import annotations

from pathlib import Path

import pytest

from cohortpress.analyse import analyse
from cohortpress.artefacts._figures import _by_caption
from cohortpress.artefacts.tables import Table, table_survival
from cohortpress.config import Endpoint, StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers

ROOT = Path(__file__).resolve().parents[1]


def _renal(conf_level: float) -> StudyConfig:
    """The renal study with OS by IMDC risk at 12, 24 and 200 months (beyond follow-up)."""
    config = load_study(ROOT / "reports/renal")
    endpoints = (
        Endpoint(kind="pfs"),
        Endpoint(kind="os", by=("imdc",), landmarks=(12.0, 24.0, 200.0)),
    )
    stats = config.statistics.model_copy(update={"conf_level": conf_level})
    return config.model_copy(update={"endpoints": endpoints, "statistics": stats})


@pytest.fixture(scope="module", params=[0.9, 0.95])
def built(request: pytest.FixtureRequest) -> tuple[Table, dict, float]:
    config = _renal(request.param)
    book = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(book.patients, book.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    return table_survival(results, config, numbers), numbers.nested(), request.param


def _row(table: Table, label: str, after: str) -> dict[str, str]:
    """The first row named ``label`` below the row named ``after``."""
    stub = [str(s).strip() for s in table.frame["Group"]]
    start = stub.index(after)
    return table.frame.iloc[stub.index(label, start)].to_dict()


def test_ci_label_follows_conf_level(built: tuple[Table, dict, float]) -> None:
    table, _, level = built
    ci = f"{round(level * 100)}% CI"
    labels = list(table.column_labels.values())
    assert f"Median, months ({ci})" in labels
    assert f"12-month OS ({ci})" in labels and f"200-month OS ({ci})" in labels
    if level != 0.95:
        everything = " ".join([*labels, *table.notes, *table.frame.astype(str).to_numpy().ravel()])
        assert "95%" not in everything


def test_cells_are_the_registry_texts(built: tuple[Table, dict, float]) -> None:
    table, r, _ = built
    overall = _row(table, "All patients", "Overall survival")
    mark = r["os"]["landmarks"]["t12"]
    assert overall["t12"] == f"{mark['value']} ({mark['ci']})"
    assert overall["Median"] == f"{r['os']['median']} ({r['os']['ci']})"
    assert (overall["n"], overall["Events"]) == (r["os"]["n"], r["os"]["events"])
    poor = _row(table, "Poor", "IMDC risk classification")
    mark = r["os"]["by"]["imdc"]["poor"]["landmarks"]["t24"]
    assert poor["t24"] == f"{mark['value']} ({mark['ci']})"


def test_beyond_follow_up_and_other_endpoints_times(built: tuple[Table, dict, float]) -> None:
    table, r, _ = built
    assert _row(table, "All patients", "Overall survival")["t200"] == "NE"
    assert r["os"]["landmarks"]["t200"]["text"] == "not estimable"
    pfs = _row(table, "All patients", "Progression-free survival")
    assert pfs["t12"] == pfs["t200"] == "–"
    assert any(n.startswith("NE: not estimable") for n in table.notes)
    assert any(n.startswith("–: not a landmark time") for n in table.notes)


def test_one_row_per_group_level(built: tuple[Table, dict, float]) -> None:
    table, _, _ = built
    stub = [str(s).strip() for s in table.frame["Group"]]
    assert stub == [
        "Progression-free survival",
        "All patients",
        "Overall survival",
        "All patients",
        "IMDC risk classification",
        "Favorable",
        "Intermediate",
        "Poor",
    ]


def test_by_group_text_prints_the_study_confidence_level() -> None:
    """The HR and landmark intervals of the by-group text say 90% when the study says 0.9."""
    from cohortpress.artefacts.text import write_paragraphs

    config = _renal(0.9)
    book = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(book.patients, book.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    text = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    by_factor = text["results_by_factor"]
    assert "By IMDC risk classification, the OS rates at 12 months, 24 months, and 200 months" in (
        by_factor
    )
    assert "(90% CI " in by_factor and "CI=" not in by_factor
    assert "95%" not in by_factor


def _without_imdc(rows: list[int], config: StudyConfig):
    """The renal study's results with IMDC risk blank in the workbook rows ``rows``."""
    book = read_workbook(config.data_path, config)
    patients = book.patients.copy()
    patients.loc[patients.index[rows], "imdc"] = None
    return analyse(derive_cohort(patients, book.adverse_events, config), config)


def test_patients_without_the_factor_are_accounted_for_as_the_captions_do() -> None:
    """Every patient of the endpoint is in a row or in the note, worded as the figure's
    caption words it; results.json holds the count."""
    config = _renal(0.95)
    results = _without_imdc([0, 1, 2], config)
    numbers = collect_numbers(results, config)
    table = table_survival(results, config, numbers)
    os = next(e for e in results.endpoints if e.kind == "os")
    shown = sum(int(_row(table, lvl, "IMDC risk classification")["n"]) for lvl in os.by[0].levels)
    assert shown + 3 == int(_row(table, "All patients", "Overall survival")["n"])
    note = "Not shown: 3 patients without a recorded IMDC risk classification."
    assert note in table.notes
    assert note in _by_caption(os, os.by, config, None, None)
    assert numbers.nested()["os"]["by"]["imdc"]["missing"] == "3"


def test_a_small_number_without_the_factor_is_suppressed_alike() -> None:
    config = _renal(0.95)
    stats = config.statistics.model_copy(update={"small_cell": 5})
    config = config.model_copy(update={"statistics": stats})
    results = _without_imdc([0, 1], config)
    numbers = collect_numbers(results, config)
    table = table_survival(results, config, numbers)
    os = next(e for e in results.endpoints if e.kind == "os")
    note = "Not shown: <5 patients without a recorded IMDC risk classification."
    assert note in table.notes
    assert note in _by_caption(os, os.by, config, None, 5)


def _small_cell(config: StudyConfig, k: int) -> StudyConfig:
    stats = config.statistics.model_copy(update={"small_cell": k})
    return config.model_copy(update={"statistics": stats})


def test_a_factors_counts_are_marked_alike_in_every_table_and_figure() -> None:
    """Histology: 38 clear cell, 4 non-clear cell of 42. Table I hides both (the 4 follows
    from the 38); the survival table, the numbers at risk (figure and results.json), the log-
    rank table and results.json hide the same counts with the same marks."""
    from cohortpress.artefacts.figures._km_data import risk_frame
    from cohortpress.artefacts.tables import table_characteristics

    config = _small_cell(_renal(0.95), 5)
    endpoints = (Endpoint(kind="os", by=("histology",), landmarks=(12.0,)),)
    config = config.model_copy(update={"endpoints": endpoints})
    book = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(book.patients, book.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    table1 = table_characteristics(results, config).frame
    stub = [str(s).strip() for s in table1["Variable"]]
    first = stub.index("Histology of primary tumor")
    marks = list(table1.iloc[first + 1 : first + 3, 1])
    assert marks == ["*", "<5"]
    table = table_survival(results, config, numbers)
    levels = ("Clear cell", "Non-clear cell")
    assert [_row(table, lvl, "Histology of primary tumor")["n"] for lvl in levels] == marks
    r = numbers.nested()["os"]["by"]["histology"]
    assert [r[k]["n"] for k in ("clear_cell", "non_clear_cell")] == marks
    assert [r[k]["at_risk"]["t0"] for k in ("clear_cell", "non_clear_cell")] == marks
    os = results.endpoints[0]
    g = os.by[0]
    frame = risk_frame(g.risk, [km.label for km in g.estimates], None, 5,
                       os.risk.n_risk[os.overall.label])  # fmt: skip
    assert list(frame.loc[frame["time"] == 0.0, "text"]) == marks
    # the survival table's events and the log-rank table's observed events agree
    assert [r[k]["observed"] for k in ("clear_cell", "non_clear_cell")] == [
        r[k]["events"] for k in ("clear_cell", "non_clear_cell")
    ]


def test_a_models_patients_do_not_give_away_a_small_number_without_a_value() -> None:
    """3 of 42 without IMDC risk: the univariate model's 39 patients would give the 3 away
    (Table II's note, results.json), as would the groups of Table S1 by a factor."""
    from cohortpress.artefacts.tables import table_cox

    config = _small_cell(_renal(0.95), 5)
    results = _without_imdc([0, 1, 2], config)
    numbers = collect_numbers(results, config)
    assert numbers.nested()["os"]["cox"]["imdc"]["n"] == "*"
    assert numbers.nested()["os"]["by"]["imdc"]["missing"] == "<5"
    notes = " ".join(table_cox(results, config).notes)
    assert "IMDC risk (* patients, " in notes and "39" not in notes
