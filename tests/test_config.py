"""study.yml loading: valid studies load, mistakes are named with the key and the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from examples import EXAMPLE_FOLDERS

from cohortpress.config import load_study
from cohortpress.errors import StudyConfigError

ROOT = Path(__file__).resolve().parents[1]
STUDIES = list(EXAMPLE_FOLDERS)


@pytest.mark.parametrize("folder", STUDIES, ids=lambda p: p.name)
def test_example_studies_load(folder: Path) -> None:
    config = load_study(folder)
    assert config.endpoints
    assert config.data_path.name.endswith((".xlsx", ".csv", ".parquet"))


def _broken(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    change(raw)
    (tmp_path / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_unknown_key_is_named(tmp_path: Path) -> None:
    folder = _broken(tmp_path, lambda raw: raw.update(data_cutof="2021-05-31"))
    with pytest.raises(StudyConfigError) as info:
        load_study(folder)
    message = str(info.value)
    assert "study.yml" in message
    assert "data_cutof: unknown key" in message


def test_bad_choice_names_the_choices(tmp_path: Path) -> None:
    folder = _broken(tmp_path, lambda raw: raw["statistics"].update(ci_transform="loglog"))
    with pytest.raises(StudyConfigError) as info:
        load_study(folder)
    expected = "statistics.ci_transform: expected 'log-log', 'log' or 'plain'; got 'loglog'"
    assert expected in str(info.value)


def test_unknown_variable_suggests_the_close_one(tmp_path: Path) -> None:
    folder = _broken(tmp_path, lambda raw: raw["table1"].append({"variable": "histolgy"}))
    message = "unknown variable 'histolgy' \\(did you mean 'histology'\\?\\)"
    with pytest.raises(StudyConfigError, match=message):
        load_study(folder)


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ({"kind": "os", "by": ["LMR", "ecog", "LMR"]}, "endpoints.1.by: 'LMR' is listed twice"),
        ({"kind": "os", "landmarks": [365, 730, 365.0]}, "endpoints.1.landmarks: 365 is listed"),
    ],
)
def test_a_factor_or_landmark_listed_twice_is_a_slip(
    tmp_path: Path, endpoint: dict[str, object], message: str
) -> None:
    """Both ran, printing "according to LMR and LMR" and "at 365 days and 365 days"."""
    folder = _broken(tmp_path, lambda raw: raw.update(endpoints=[{"kind": "ttf"}, endpoint]))
    with pytest.raises(StudyConfigError) as info:
        load_study(folder)
    assert message in str(info.value)


def _twice(key: str, entry: dict[str, object]):
    def change(raw: dict[str, Any]) -> None:
        rows = raw["table1"] if key == "table1" else raw["cox"]["covariates"]
        rows.insert(2, entry)

    return change


@pytest.mark.parametrize(
    ("key", "entry", "message"),
    [
        # Shown twice in Table I, without a word.
        ("table1", {"variable": "sex", "label": "Gender"},
         "table1[2]: shows 'Gender' as table1[1] does"),
        ("table1", {"variable": "bone_metastasis", "group": "Metastatic sites, n (%)"},
         "table1[6]: shows 'Bone' as table1[2] does"),
        # Stopped the run as a bug (exit 70): the second cut's codes overwrote the first's.
        ("cox", {"variable": "age", "label": "Age 65", "cut": 65},
         "cox.covariates[2]: 'age' is cox.covariates[0] already; a variable enters the Cox models "
         "once"),
        ("cox", {"variable": "LMR", "label": "Gender"},
         "cox.covariates[2]: shows 'Gender' as cox.covariates[1] does"),
        # Case and surrounding spaces aside, still one name to a reader.
        ("table1", {"variable": "symptoms", "label": "gender "},
         "table1[2]: shows 'gender ' as table1[1] does (as 'Gender')"),
        ("cox", {"variable": "monocytes", "label": "GENDER"},
         "cox.covariates[2]: shows 'GENDER' as cox.covariates[1] does (as 'Gender')"),
    ],
)  # fmt: skip
def test_a_row_or_factor_shown_twice_is_an_error(
    tmp_path: Path, key: str, entry: dict[str, object], message: str
) -> None:
    folder = _broken(tmp_path, _twice(key, entry))
    with pytest.raises(StudyConfigError) as info:
        load_study(folder)
    assert message in str(info.value)


def test_a_variable_in_table1_twice_under_two_labels_is_fine(tmp_path: Path) -> None:
    """Age as a median and as the share at or above 70: two rows a reader can tell apart."""
    row = {"variable": "age", "label": "Age ≥70 years", "cut": 70, "summary": "n_percent"}
    assert len(load_study(_broken(tmp_path, _twice("table1", row))).table1) == 11


@pytest.mark.parametrize(
    ("endpoints", "message"),
    [
        # Both stopped the run as a bug (exit 70): an IndexError, a duplicate table id.
        ([], "endpoints: at least one time-to-event endpoint is needed: os, pfs or ttf"),
        (
            [{"kind": "ttf"}, {"kind": "os"}, {"kind": "os", "label": "OS again"}],
            "endpoints: endpoints[1] and endpoints[2] are both 'os'; each kind of endpoint is "
            "analysed once",
        ),
    ],
)
def test_endpoints_are_one_of_each_kind_and_at_least_one(
    tmp_path: Path, endpoints: list[dict[str, str]], message: str
) -> None:
    folder = _broken(tmp_path, lambda raw: raw.update(endpoints=endpoints))
    with pytest.raises(StudyConfigError) as info:
        load_study(folder)
    assert message in str(info.value)


def _by_label(raw: dict[str, Any]) -> None:
    raw["variables"]["symptoms"]["label"] = "Bone"
    raw["endpoints"] = [{"kind": "ttf"}, {"kind": "os", "by": ["symptoms", "bone_metastasis"]}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # "the median survival (S) was 8.4 months and the median survival (S) was 21.3 months",
        # under one "Survival" header over two column groups.
        pytest.param(
            lambda raw: raw.update(endpoints=[
                {"kind": "ttf", "label": "Survival", "abbreviation": "S1"},
                {"kind": "os", "label": "Survival", "abbreviation": "S2"},
            ]),
            "endpoints: endpoints[0].label (ttf) and endpoints[1].label (os) are both "
            "'Survival'; the text, tables and figures name each endpoint by its label, so give "
            "each its own",
            id="endpoint-labels",
        ),
        pytest.param(
            lambda raw: raw.update(endpoints=[
                {"kind": "ttf", "abbreviation": "S"}, {"kind": "os", "abbreviation": "s "},
            ]),
            "endpoints: endpoints[0].abbreviation (ttf) 'S' and endpoints[1].abbreviation (os) "
            "'s ' differ only in case or surrounding spaces; the text, tables and figures name "
            "each endpoint by its abbreviation",
            id="endpoint-abbreviations",
        ),
        pytest.param(
            lambda raw: raw.update(endpoints=[
                {"kind": "ttf", "label": "overall survival"}, {"kind": "os"},
            ]),
            "endpoints[0].label (ttf) 'overall survival' and endpoints[1] (os, by default) "
            "'Overall survival' differ only in case",
            id="endpoint-label-and-a-default",
        ),
        pytest.param(
            lambda raw: raw["markers"].update(SII={
                "label": "neutrophil-to-lymphocyte ratio", "formula": "neutrophils", "cutoff": 1,
            }),
            "(top level): markers.NLR.label 'Neutrophil-to-lymphocyte ratio' and "
            "markers.SII.label 'neutrophil-to-lymphocyte ratio' differ only in case or "
            "surrounding spaces; the Methods define each marker by its label",
            id="marker-labels",
        ),
        pytest.param(
            _by_label,
            "(top level): endpoints[1].by: variables.symptoms.label and "
            "variables.bone_metastasis.label are both 'Bone'; the curves by each factor are "
            "titled by its label",
            id="by-factor-labels",
        ),
    ],
)  # fmt: skip
def test_names_shown_side_by_side_must_differ(tmp_path: Path, change, message: str) -> None:
    """Two endpoints, markers or curves under one name read as one: the message names both
    keys and the name."""
    with pytest.raises(StudyConfigError) as info:
        load_study(_broken(tmp_path, change))
    assert message in str(info.value)


def test_endpoints_named_apart_load(tmp_path: Path) -> None:
    endpoints = [{"kind": "ttf", "label": "Survival"}, {"kind": "os", "abbreviation": "Surv"}]
    config = load_study(_broken(tmp_path, lambda raw: raw.update(endpoints=endpoints)))
    assert [e.label for e in config.endpoints] == ["Survival", None]


@pytest.mark.parametrize(
    "text", ["Poorly differentiated", "poorly_differentiated", " Non-clear  cell", "Ｙｅｓ", "-1"]
)
def test_levels_are_told_apart_as_cells_are_read(text: str) -> None:
    """The check of a variable's levels compares them as intake matches a cell to a level."""
    from cohortpress._folding import cell_key
    from cohortpress.intake._categories import key

    assert key is cell_key  # one rule, not two kept equal
    assert cell_key(text) == cell_key(text.upper().replace("_", "-"))


def _multivariate(settings: dict[str, Any]):
    return lambda raw: raw["cox"].update(multivariate=settings)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # Accepted: the Methods named "the prespecified factors monocyte count", no model fitted.
        (
            {"rule": "fixed", "covariates": ["age", "monocytes"]},
            "(top level): cox.multivariate.covariates[1]: 'monocytes' is not one of "
            "cox.covariates (age, sex, ecog, diagnosis, histology, bone_metastasis, "
            "lung_metastasis, lymph_node_metastasis, symptoms, anti_tg_antibody, ALC, NLR, PLR, "
            "LMR); the multivariate model is fitted from those factors: add it under "
            "cox.covariates, or choose one of them",
        ),
        (
            {"rule": "fixed"},
            "cox.multivariate.covariates: rule fixed fits the factors listed here; list them, "
            "from cox.covariates (age, sex,",
        ),
        (
            {"rule": "fixed", "covariates": ["ecog", "age", "ecog"]},
            "cox.multivariate.covariates[2]: 'ecog' is listed twice",
        ),
        (
            {"rule": "univariate_p", "covariates": ["ecog"]},
            "cox.multivariate: covariates: only rule fixed fits the listed factors; rule "
            "univariate_p would ignore them (remove them, or set rule: fixed)",
        ),
    ],
)
def test_multivariate_factors_are_among_the_cox_factors(
    tmp_path: Path, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(StudyConfigError) as info:
        load_study(_broken(tmp_path, _multivariate(settings)))
    assert message in str(info.value)


def test_the_check_of_fixed_factors_accepts_what_the_analysis_fits(tmp_path: Path) -> None:
    """Every factor the check lets through is one the analysis puts in the model."""
    from cohortpress.analyse._survival import _multivariate_choice, covariate_coding

    listed = ["LMR", "ecog", "age"]
    settings = {"rule": "fixed", "covariates": listed}
    config = load_study(_broken(tmp_path, _multivariate(settings)))
    specs = [covariate_coding(cov, config)[0] for cov in config.cox.covariates]
    chosen, skipped = _multivariate_choice(specs, (), config)
    assert skipped is None
    assert sorted(spec.name for spec in chosen) == sorted(listed)


def test_validate_stops_on_a_fixed_factor_outside_the_cox_factors(tmp_path: Path) -> None:
    """``validate`` passed and ``report`` exited 0 with Methods naming a model never fitted."""
    import os
    import subprocess
    import sys

    settings = {"rule": "fixed", "covariates": ["monocytes"]}
    folder = _broken(tmp_path, _multivariate(settings))
    (folder / "study.yml").write_text(
        (folder / "study.yml").read_text(encoding="utf-8").replace("../../data/", f"{ROOT}/data/"),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "cohortpress", "validate", str(folder)]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cox.multivariate.covariates[0]: 'monocytes' is not one of" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_study_file(tmp_path: Path) -> None:
    with pytest.raises(StudyConfigError, match="no study.yml"):
        load_study(tmp_path)


def test_presets_and_overrides(tmp_path: Path) -> None:
    folder = _broken(
        tmp_path, lambda raw: raw["statistics"].update(conventions="sas", ci_transform="log")
    )
    stats = load_study(folder).statistics
    assert stats.resolved("ties") == "breslow"
    assert stats.resolved("ci_transform") == "log"
    assert stats.resolved("p_style") == "sas"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("DD/MM/YYYY", "%d/%m/%Y"),
        ("MM/DD/YYYY", "%m/%d/%Y"),
        ("YYYY-MM-DD", "%Y-%m-%d"),
        ("DD.MM.YYYY", "%d.%m.%Y"),
        ("D/M/YY", "%d/%m/%y"),
        ("dd-mm-yyyy", "%d-%m-%Y"),
        ("D MMM YYYY", "%d %b %Y"),
        ("MMMM D, YYYY", "%B %d, %Y"),
        ("%d/%m/%Y", "%d/%m/%Y"),
    ],
)
def test_date_formats_as_people_write_them(tmp_path: Path, spelling: str, code: str) -> None:
    folder = _broken(tmp_path, lambda raw: raw.update(date_formats=[spelling]))
    assert load_study(folder).date_formats == (code,)


@pytest.mark.parametrize("spelling", ["DD/MM/YYY", "YYYY-MM", "%d/%Q/%Y", "DMY", "MM/YYYY"])
def test_unknown_date_format_names_the_entry(tmp_path: Path, spelling: str) -> None:
    folder = _broken(tmp_path, lambda raw: raw.update(date_formats=["DD/MM/YYYY", spelling]))
    with pytest.raises(StudyConfigError) as info:
        load_study(folder)
    assert f"date_formats.1: '{spelling}' is not a date format" in str(info.value)
    assert "date_formats.0" not in str(info.value)


def test_a_spelt_date_format_reads_text_dates(tmp_path: Path) -> None:
    """``D/M/YY`` reaches intake as a strptime code: 5/3/19 is read as 5 March 2019."""
    from defects import valid_book, write_xlsx

    from cohortpress.intake import read_workbook

    folder = _broken(tmp_path, lambda raw: raw.update(date_formats=["D/M/YY"]))
    config = load_study(folder)
    book = valid_book()
    book.set("patients", 2, "Last visit", "5/3/19")
    workbook = read_workbook(write_xlsx(book, tmp_path / "dates.xlsx"), config)
    assert workbook.patients["last_contact"].iloc[0] == pd.Timestamp("2019-03-05")


def test_a_sheet_not_named_keeps_its_default_name(tmp_path: Path) -> None:
    folder = _broken(tmp_path, lambda raw: raw.update(sheets={"patients": "Patients"}))
    assert load_study(folder).sheets == {"patients": "Patients", "adverse_events": "adverse_events"}


@pytest.mark.parametrize("cutoff", ["2024-06-31", "2024-31-06"])
def test_an_impossible_date_is_named_with_its_line(tmp_path: Path, cutoff: str) -> None:
    """A date YAML cannot make (30 days in June) stopped with "day is out of range for month"
    alone: no file, no line, no value."""
    text = (ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("data_cutoff:"))
    lines = [f"data_cutoff: {cutoff}" if t.startswith("data_cutoff:") else t
             for t in text.splitlines()]  # fmt: skip
    (tmp_path / "study.yml").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_study(tmp_path)
    assert f"study.yml, line {line}:" in str(info.value)
    assert f"'{cutoff}' is not a date" in str(info.value)
