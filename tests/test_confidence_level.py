"""The confidence level is printed from the study's ``conf_level`` everywhere, never typed.

At ``conf_level: 0.9`` no table label, note, caption, sentence or figure annotation may say
"95%" (the abstract once printed "95% CI" around a 90% interval).
"""

from __future__ import annotations

from pathlib import Path

from cohortpress.analyse import analyse
from cohortpress.artefacts import _figures
from cohortpress.artefacts.tables import build_tables
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.present.wording import curve_names

ROOT = Path(__file__).resolve().parents[1]


def _printed(study: str, conf_level: float) -> list[str]:
    loaded = load_study(ROOT / "reports" / study)
    raw = loaded.model_dump(exclude_defaults=True)
    raw.setdefault("statistics", {})["conf_level"] = conf_level
    config = StudyConfig.model_validate({**raw, "folder": loaded.folder})
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    texts = list(
        write_paragraphs(results, config, numbers, normalisations=[], warnings=[]).values()
    )
    for table in build_tables(results, config, numbers):
        texts += [table.caption, *table.notes, *map(str, table.column_labels.values())]
        texts += [str(c) for c in table.frame.columns]
        texts += [str(v) for v in table.frame.to_numpy().ravel()]
    ci = f"{conf_level * 100:g}% CI"
    for e in results.endpoints:
        texts.append(_figures._overall_annotation(e, results.time_unit))
        texts += [
            _figures._annotation(g, results.time_unit, "threshold", ci, curve_names(g, config))
            for g in e.by
        ]
    return texts


def test_a_90_percent_study_never_prints_95_percent() -> None:
    for study in ("thyroid", "renal"):
        texts = _printed(study, 0.9)
        typed = [t for t in texts if "95%" in t or "95 %" in t]
        assert typed == [], (study, typed[:3])
        assert any("90% CI" in t for t in texts), study


def test_a_fractional_level_prints_as_written() -> None:
    texts = _printed("renal", 0.975)
    assert any("97.5% CI" in t for t in texts)
    assert not any("98% CI" in t for t in texts)
