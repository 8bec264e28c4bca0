"""The generated paragraphs of the example studies, word for word, so a wording change is seen.

Each study's paragraphs (Methods, Results, abstract, data appendix) are built in-process as
test_text_numbers.py builds them and compared with ``__snapshots__/test_text_snapshots.ambr``.
A deliberate change is accepted with ``pytest tests/test_text_snapshots.py --snapshot-update``
and reviewed in the diff. The software versions the Methods name are replaced by ``<version>``,
so a dependency upgrade alone changes no snapshot.
"""

from __future__ import annotations

import re
from pathlib import Path

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


def _without_versions(text: str, versions: list[str]) -> str:
    """Each version string printed after a name ("SciPy 1.17.1") as ``<version>``."""
    for version in sorted(set(versions), key=len, reverse=True):
        text = re.sub(rf"(?<=[A-Za-z] ){re.escape(version)}\b", "<version>", text)
    return text


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_generated_paragraphs(study: str, snapshot) -> None:
    config = load_study(ROOT / "reports" / study)
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    add_provenance(numbers, collect_provenance(config, config.data_path, workbook),
                   results.software)  # fmt: skip
    paragraphs = write_paragraphs(results, config, numbers, normalisations=[], warnings=[])
    versions = list(results.software.values())
    shown = {name: _without_versions(text, versions) for name, text in paragraphs.items()}
    assert "<version>" in shown["methods_statistics"]
    assert shown == snapshot
