"""Properties of the whole command line over generated studies (see tests/strategies.py).

For any study written in the documented study language, ``cohortpress report`` either succeeds
with every output complete (the formats asked for exist and are not empty, results.json parses,
the patient flow adds up and Table I counts the analysed patients), or stops with exit code 1 or
2 and a message that points at the sheet, row and column or at the study.yml key. It never shows
a traceback. A study broken on purpose must stop with the code and the location expected.

Each example renders a manuscript, so the examples are few in CI and fixed
(``derandomize=True``: the same examples every run). For a deeper, random search run::

    HYPOTHESIS_PROFILE=deep PYTHONPATH=src .venv/bin/python -m pytest tests/test_properties.py

(the profile shrinks a failing example to a small one, which takes minutes per failure).
Families of input can be switched off to narrow a search, e.g.
``studies(Switches(hostile_text=False))`` (see :class:`strategies.Switches`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from strategies import Study, broken_studies, studies, write_study
from typer.testing import CliRunner

from cohortpress import cli
from cohortpress.cli import app

pytestmark = pytest.mark.slow

settings.register_profile(
    "ci",
    max_examples=8,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking re-renders for minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "deep",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
RUN = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Where a message may point in study.yml: its top-level keys.
KEY_PATH = re.compile(
    r"study\.yml|\b(table1|cox|markers|compare_by|inclusion|endpoints|variables|statistics|"
    r"response|adverse_events|columns|dose_reduction)\b"
)


def run_report(study: Study, root: Path) -> tuple[int, str, Path]:
    """Write the study under ``root`` and run ``cohortpress report`` on it in-process."""
    folder = write_study(study, root)
    note(f"study folder: {folder}")
    note((folder / "study.yml").read_text(encoding="utf-8"))
    args = ["report", str(folder), "--to", ",".join(study.formats), "--engine", "embedded"]
    widths = cli.out.width, cli.err.width
    cli.out.width = cli.err.width = 250  # the problems table wide enough not to fold words
    try:
        result = CliRunner().invoke(app, [*args, "--output", str(root / "out"), "-q"])
    finally:
        cli.out.width, cli.err.width = widths
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an escaped exception is a bug: show it as it is
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    note(output)
    assert "Traceback" not in output
    return result.exit_code, output, root / "out" / folder.name


def check_outputs(study: Study, out: Path) -> None:
    """Every format asked for is there and not empty; results.json adds up with Table I."""
    for fmt in study.formats:
        assert (out / f"manuscript.{fmt}").stat().st_size > 0, fmt
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    flow = results["flow"]
    screened, excluded = flow["screened"]["value"], flow["excluded"]["value"]
    included = flow["analysed"]["value"]
    if None in (screened, excluded, included):  # withheld as small cells: only their marks
        assert study.config.get("statistics", {}).get("small_cell"), flow
    else:
        assert screened == len(study.patients)
        assert screened == excluded + included
    assert results["n"]["value"] == included
    # The characteristics table is the workbook's first sheet; its name is the number the
    # manuscript gives it by first citation (not always "Table I": the Methods may cite the
    # comparison table first).
    header = pd.read_excel(out / "supplementary.xlsx", sheet_name=0, header=None).iloc[0]
    counts = [
        int(m.replace(",", "")) for m in re.findall(r"n=([\d,]+)", " ".join(map(str, header)))
    ]
    if included is None:  # a suppressed cohort size: Table I shows its mark, not a number
        assert re.search(r"n=(<\d+|\*)", " ".join(map(str, header))), list(header)
        return
    assert counts, f"Table I names no n: {list(header)}"
    assert counts[0] == included or sum(counts) == included, (counts, included)


def located(output: str) -> bool:
    """The message points at a workbook cell (sheet and row) or at a study.yml key."""
    at_cell = re.search(r"\b(patients|adverse_events)\b", output) and re.search(r"\d", output)
    return bool(at_cell or KEY_PATH.search(output))


def check_report(study: Study) -> None:
    with tempfile.TemporaryDirectory(prefix="cohortpress-props-") as tmp:
        code, output, out = run_report(study, Path(tmp))
        if code == 0:
            check_outputs(study, out)
        else:
            assert code in (1, 2), output
            assert located(output), output


@RUN
@given(studies())
def test_valid_study_reports_or_stops_with_a_location(study: Study) -> None:
    """HTML only: most of the cost of an example is drawing and rendering."""
    check_report(study)


@settings(RUN, max_examples=max(2, RUN.max_examples // 4))
@given(studies(formats=st.just(("html", "pdf", "docx"))))
def test_valid_study_in_every_format(study: Study) -> None:
    check_report(study)


@settings(RUN, max_examples=max(4, RUN.max_examples // 2))
@given(broken_studies())
def test_broken_study_names_the_place(study: Study) -> None:
    assert study.expected is not None
    with tempfile.TemporaryDirectory(prefix="cohortpress-props-") as tmp:
        code, output, _ = run_report(study, Path(tmp))
    flat = re.sub(r"\s+", " ", output)
    assert code == study.expected.code, output
    missing = [w for w in study.expected.words if w not in flat]
    assert not missing, f"{missing} not in: {output}"
