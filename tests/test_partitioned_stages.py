"""Intake, validation and derivation of a partitioned extract on the Dask workers.

On a real 2-worker ``LocalCluster``: the cohort derived piece by piece equals
``derive_cohort`` on the same rows read in memory (every column of every analysed patient,
the flow, the adverse events kept); a broken extract gives the in-memory problems, located at
the file and the row within the file, the rules spanning files included; a rule broken on
many rows lists a bounded number of them. Without a cluster: how files are cut into pieces
(rows keep their place in the file), how the flow lines of pieces add up, which engine
``auto`` picks, and that the in-memory engine never imports Dask.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("distributed")

from distributed import wait  # noqa: E402

from cohortpress.config import load_study  # noqa: E402
from cohortpress.derive import Exclusion, derive_cohort  # noqa: E402
from cohortpress.derive._inclusion import INSUFFICIENT  # noqa: E402
from cohortpress.derive._partitions import derive_extract, summed_exclusions  # noqa: E402
from cohortpress.engine_data import AUTO_BYTES, choose_engine  # noqa: E402
from cohortpress.errors import StudyConfigError  # noqa: E402
from cohortpress.intake import _partitioned  # noqa: E402
from cohortpress.intake._partitioned import open_extract, read_piece  # noqa: E402
from cohortpress.pipeline import check_workbook  # noqa: E402
from cohortpress.publish import MARKER  # noqa: E402
from cohortpress.validate._partitions import LISTED_PER_RULE, validate_extract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "reports" / "thyroid"
sys.path.insert(0, str(ROOT / "data"))
from make_registry import write_registry  # noqa: E402

PATIENTS = 3_000
ROWS_PER_FILE = 150  # several files per year: rules must span them


@pytest.fixture(scope="module")
def config():
    return load_study(STUDY)


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("registry")
    return {
        "single": write_registry(PATIENTS, folder / "single"),
        "partitioned": write_registry(
            PATIENTS, folder / "partitioned", partitioned_by="year", rows_per_file=ROWS_PER_FILE
        ),
    }


def _wait(_label: str, futures: list) -> None:
    wait(futures)


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_pieces_keep_the_row_within_the_file(config, tmp_path: Path, monkeypatch) -> None:
    """A file of several row groups cut into pieces: each row keeps its row in the file."""
    frame = pd.DataFrame({"Patient ID": [f"P{i:03d}" for i in range(10)], "Sex": ["F"] * 10})
    (tmp_path / "patients").mkdir()
    frame.to_parquet(tmp_path / "patients" / "part.parquet", index=False, row_group_size=3)
    monkeypatch.setattr(_partitioned, "PIECE_ROWS", 4)
    extract = open_extract(tmp_path, config, events_required=False)
    pieces = extract.pieces["patients"]
    # row groups of 3, 3, 3 and 1 rows; at most 4 rows a piece, the last two groups together
    assert [(p.first_row, p.rows) for p in pieces] == [(2, 3), (5, 3), (8, 4)]
    assert extract.names["patients"] == "patients/"
    from cohortpress.intake._fields import patient_fields

    sheet = read_piece(pieces[2], patient_fields(config), config)
    assert sheet.frame.index.tolist() == [8, 9, 10, 11]
    assert sheet.frame["patient_id"].tolist() == ["P006", "P007", "P008", "P009"]
    assert pieces[2].name == "patients/part.parquet"


def _read_in_pieces(folder: Path, config, monkeypatch, piece_rows: int) -> tuple[list, list]:
    """The patients file's IDs by row and its rows' problems, read piece by piece."""
    from cohortpress.intake._fields import patient_fields

    monkeypatch.setattr(_partitioned, "PIECE_ROWS", piece_rows)
    pieces = open_extract(folder, config, events_required=False).pieces["patients"]
    sheets = [read_piece(p, patient_fields(config), config) for p in pieces]
    ids = [(at_row, i) for s in sheets for at_row, i in s.frame["patient_id"].items()]
    # the file's columns are checked on each piece: the rows' problems are compared, by row
    problems = sorted((p.row, p.rule, p.severity) for s in sheets for p in s.problems if p.row)
    return ids, problems


def _assert_read_as_whole(
    folder: Path, config, monkeypatch, piece_rows: int, rows: int, blank: set[int]
) -> None:
    """Read in pieces of ``piece_rows`` rows, the patients file of ``rows`` rows (``blank``:
    the rows left empty) gives what it gives read whole, and leaves a row out only with a
    problem naming it: its error, or the warning of the note block under the table."""
    whole = _read_in_pieces(folder, config, monkeypatch, 1_000_000)
    assert _read_in_pieces(folder, config, monkeypatch, piece_rows) == whole
    ids, problems = whole
    left_out = set(range(2, rows + 2)) - {at_row for at_row, _ in ids} - blank
    errors = {at_row for at_row, _, level in problems if level == "error"}
    notes_from = min((r for r, _, level in problems if level == "warning"), default=rows + 2)
    assert all(at_row in errors or at_row >= notes_from for at_row in left_out)


@pytest.mark.parametrize(
    ("at", "row"),
    [
        (2, {"Patient ID": None, "Sex": "* consent withdrawn"}),  # a note line, a piece's last
        (1, {"Patient ID": "* consent withdrawn", "Sex": None}),  # inside a piece
        (2, {"Patient ID": "* consent withdrawn", "Sex": None}),
        (3, {"Patient ID": "years", "Sex": "%"}),  # units, a piece's first row
    ],
)
def test_a_pieces_edge_is_not_the_tables_edge(config, tmp_path: Path, monkeypatch, at, row) -> None:
    """Read piece by piece, a file gives the rows and problems it gives read whole: a line like
    a note at a piece's end was skipped with a warning where the whole file reads a record (or
    stops at a note line with records below it), and a row at a piece's start was taken for a
    row of units under the header."""
    records = [{"Patient ID": f"P{i:03d}", "Sex": "F"} for i in range(10)]
    records[at] = row
    (tmp_path / "patients").mkdir()
    pd.DataFrame(records).to_parquet(
        tmp_path / "patients" / "part.parquet", index=False, row_group_size=3
    )
    _assert_read_as_whole(tmp_path, config, monkeypatch, 4, len(records), set())


_LINES = {
    "record": {"Patient ID": "P{:03d}", "Sex": "F"},
    "blank": {"Patient ID": None, "Sex": None},
    "marked": {"Patient ID": "* consent withdrawn", "Sex": None},
    "marked later": {"Patient ID": None, "Sex": "* see the chart"},
    "loose": {"Patient ID": None, "Sex": "values from the 2021 extract"},
    "units": {"Patient ID": "years", "Sex": "%"},
}
_NOT_RECORDS = {"blank", "marked", "marked later", "loose"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.sampled_from(sorted(_LINES)), min_size=1, max_size=12),
    group=st.integers(1, 4),
    piece_rows=st.integers(1, 6),
)
def test_a_file_read_in_pieces_is_read_as_whole(config, lines, group, piece_rows) -> None:
    """Any mix of records, blank rows, note-like lines and units rows, in row groups and pieces
    of any size, reads piece by piece as it reads whole; where a piece's edge falls inside the
    note block under the table (or the block's blank row above it), or the file's first
    filled row is not in its first piece, the file is left out of the comparison (each piece
    sees only its own rows)."""
    records = [
        {k: v.format(i) if isinstance(v, str) else v for k, v in _LINES[line].items()}
        for i, line in enumerate(lines)
    ]
    tail = len(lines)  # where the lines that may be the note block under the table start
    while tail > 0 and lines[tail - 1] in _NOT_RECORDS:
        tail -= 1
    filled = [i for i, line in enumerate(lines) if line != "blank"]
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        (Path(folder) / "patients").mkdir()
        pd.DataFrame(records).to_parquet(
            Path(folder) / "patients" / "part.parquet", index=False, row_group_size=group
        )
        monkeypatch.setattr(_partitioned, "PIECE_ROWS", piece_rows)
        pieces = open_extract(Path(folder), config, events_required=False).pieces["patients"]
        last_from = pieces[-1].first_row - 2  # the last piece's first line
        assume(last_from <= max(tail - 1, 0))
        assume(not filled or filled[0] < pieces[0].rows)
        blank = {i + 2 for i, line in enumerate(lines) if line == "blank"}
        _assert_read_as_whole(Path(folder), config, monkeypatch, piece_rows, len(lines), blank)


def test_flow_lines_of_pieces_add_up_in_rule_order() -> None:
    rule, short = "with brain metastases", "treated for less than 1 month"
    got = summed_exclusions(
        [
            (Exclusion(rule, 2), Exclusion(short, 1)),
            (Exclusion(rule, 0), Exclusion(INSUFFICIENT, 3), Exclusion(short, 4)),
            (),
        ]
    )
    assert got == (Exclusion(rule, 2), Exclusion(INSUFFICIENT, 3), Exclusion(short, 5))


def test_auto_picks_dask_for_a_partitioned_or_large_extract(
    extracts: dict[str, Path], monkeypatch
) -> None:
    single, partitioned = extracts["single"], extracts["partitioned"]
    assert choose_engine("auto", single, None) == "pandas"
    assert choose_engine("auto", partitioned, None) == "dask"  # only Dask reads it
    assert choose_engine("auto", single, "tcp://127.0.0.1:8786") == "dask"
    monkeypatch.setattr("cohortpress.engine_data.AUTO_BYTES", 1000)
    assert choose_engine("auto", single, None) == "dask"  # one file per sheet, but large
    assert AUTO_BYTES >= 100 * 1024**2
    with pytest.raises(StudyConfigError, match="--engine-data dask"):
        choose_engine("pandas", partitioned, None)
    with pytest.raises(StudyConfigError, match="--scheduler"):
        choose_engine("pandas", single, "tcp://127.0.0.1:8786")


def test_the_in_memory_engine_does_not_import_dask() -> None:
    code = (
        "import sys; import cohortpress.pipeline, cohortpress.intake, cohortpress.validate, "
        "cohortpress.derive, cohortpress.engine_data, cohortpress.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_an_in_memory_report_run_does_not_import_dask(tmp_path: Path) -> None:
    # A whole first run (validation's schemas built and checked, the analysis, tables,
    # figures and HTML), then a workbook whose column and row rules fail: pandera reports
    # failures without Dask too.
    code = f"""
import sys
from pathlib import Path
from cohortpress.intake import Workbook
from cohortpress.pipeline import build_report, check_workbook
from cohortpress.validate import validate_workbook

study = {str(STUDY)!r}
build_report(study, formats=["html"], engine="embedded", output_root=Path({str(tmp_path)!r}),
             cache=False, engine_data="pandas")
config, workbook, report = check_workbook(study)
assert report.ok, report.as_lines()
patients = workbook.patients.copy()
patients.loc[patients.index[0], "age"] = 150.0
patients.loc[patients.index[1], "last_contact"] = patients["treatment_start"].iloc[1] - (
    patients["last_contact"].iloc[1] - patients["treatment_start"].iloc[1]
)
events = workbook.adverse_events.copy()
events.loc[events.index[0], "grade"] = 2.5
broken = Workbook(**{{**workbook.__dict__, "patients": patients, "adverse_events": events}})
rules = {{p.rule for p in validate_workbook(broken, config).problems}}
assert "age must be between 0 and 120" in rules, rules
assert any(r.startswith("the last contact is before") for r in rules), rules
assert "the grade must be a whole number (1, 2, 3, 4 or 5)" in rules, rules
print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_cohort_derived_on_workers_equals_the_in_memory_cohort(
    client, config, extracts: dict[str, Path]
) -> None:
    extract = open_extract(extracts["partitioned"], config, events_required=False)
    assert len(extract.pieces["patients"]) > 14  # several files per year
    validated = validate_extract(client, extract, config, _wait)
    _, workbook, report = check_workbook(STUDY, extracts["single"])
    assert validated.report.ok and report.ok
    assert sorted(validated.report.as_lines()) == sorted(report.as_lines())
    assert validated.rows == {
        "patients/": PATIENTS,
        "adverse_events/": len(workbook.adverse_events),
    }
    cohort = derive_extract(client, validated, config, _wait)
    expected = derive_cohort(workbook.patients, workbook.adverse_events, config)
    assert cohort.flow == expected.flow
    assert cohort.censored_at_cutoff == expected.censored_at_cutoff
    assert cohort.dated == expected.dated and cohort.time_unit == expected.time_unit

    def by_id(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        return frame[columns].sort_values(["patient_id", *columns[1:2]]).reset_index(drop=True)

    got = cohort.patients.compute()
    assert list(got.columns) == list(expected.patients.columns)
    columns = list(expected.patients.columns)
    pd.testing.assert_frame_equal(by_id(got, columns), by_id(expected.patients, columns))
    assert cohort.adverse_events is not None and expected.adverse_events is not None
    events = cohort.adverse_events.compute()
    ae_columns = ["patient_id", "term", "grade", "onset_date"]
    ordered = ["patient_id", "term", "onset_date", "grade"]
    pd.testing.assert_frame_equal(
        events[ae_columns].sort_values(ordered).reset_index(drop=True),
        expected.adverse_events[ae_columns].sort_values(ordered).reset_index(drop=True),
    )
    normalisations = {(n.column, n.rule): n.count for n in validated.normalisations}
    in_memory = {(n.column, n.rule): n.count for n in workbook.normalisations if n.column}
    assert {k: v for k, v in normalisations.items() if k[0]} == in_memory


@pytest.fixture(scope="module")
def broken(extracts: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The partitioned extract with a death before the start (first file, its 5th row), an
    ID repeated in the second file (10th row), an adverse event of an unknown patient, and
    every sex of the third file unreadable."""
    folder = _copy(extracts["partitioned"], tmp_path_factory.mktemp("broken") / "extract")
    files = sorted((folder / "patients").rglob("*.parquet"))
    first, second, third = files[:3]
    a, b, c = (pd.read_parquet(f) for f in (first, second, third))
    a.loc[4, "Date of death"] = a.loc[4, "Sorafenib start"] - pd.Timedelta(days=30)
    b.loc[9, "Patient ID"] = a.loc[2, "Patient ID"]
    c["Sex"] = "X"
    for frame, file in ((a, first), (b, second), (c, third)):
        frame.to_parquet(file, index=False)
    events_file = sorted((folder / "adverse_events").rglob("*.parquet"))[1]
    events = pd.read_parquet(events_file)
    events.loc[0, "Patient ID"] = "rg-" + a.loc[2, "Patient ID"].removeprefix("RG-")
    events.to_parquet(events_file, index=False)
    files = {"first": first, "second": second, "third": third, "events": events_file}
    names = {k: f.relative_to(folder).as_posix() for k, f in files.items()}
    return {"folder": folder, "names": names, "id": a.loc[2, "Patient ID"], "sex_rows": len(c)}


def test_a_broken_extract_is_located_by_file_and_row(client, config, broken: dict) -> None:
    extract = open_extract(broken["folder"], config, events_required=False)
    report = validate_extract(client, extract, config, _wait).report
    assert not report.ok
    names, pid = broken["names"], broken["id"]
    located = {(p.sheet, p.row, p.column) for p in report.errors}
    assert (names["first"], 6, "Date of death") in located  # the frame's 5th row: row 6
    duplicated = {(p.sheet, p.row) for p in report.errors if "more than one row" in p.rule}
    assert duplicated == {(names["first"], 4), (names["second"], 11)}
    unknown = [p for p in report.errors if p.rule.startswith("no patient with this ID")]
    # the patient whose ID the second file lost has unknown events too
    changed = [p for p in unknown if p.value == "rg-" + pid.removeprefix("RG-")]
    assert [(p.sheet, p.row) for p in changed] == [(names["events"], 2)]
    assert changed[0].suggestion == f"did you mean '{pid}'?"
    sexes = [p for p in report.errors if p.column == "Sex"]
    listed = [p for p in sexes if p.row is not None]
    assert len(listed) == LISTED_PER_RULE < broken["sex_rows"]
    assert all(p.sheet == names["third"] for p in listed)
    more = [p for p in sexes if p.row is None]
    assert len(more) == 1 and f"{broken['sex_rows'] - LISTED_PER_RULE:,} more rows" in more[0].rule


def _edit_first_event(folder: Path, pid: str, column: str, value: object) -> tuple[str, int]:
    """Set ``column`` of the first adverse event of ``pid`` (files in order); its file and
    row as a problem names them."""
    for file in sorted(folder.rglob("*.parquet")):
        if not file.is_relative_to(folder / "adverse_events") and file.stem != "adverse_events":
            continue
        frame = pd.read_parquet(file)
        rows = frame.index[frame["Patient ID"] == pid]
        if len(rows):
            frame.loc[rows[0], column] = value
            frame.to_parquet(file, index=False)
            return file.relative_to(folder).as_posix(), int(rows[0]) + 2
    raise AssertionError(pid)


def test_events_are_read_against_their_patients_as_in_memory(
    client, config, extracts: dict[str, Path], tmp_path: Path
) -> None:
    """An event after its patient's death (an error) and a grade 5 event of a patient without
    a date of death (a warning), each in another file than its patient: the partitioned run
    finds what the in-memory run finds, at the events' file and row."""
    single = pd.read_parquet(extracts["single"] / "patients.parquet")
    events = pd.read_parquet(extracts["single"] / "adverse_events.parquet")
    with_events = single[single["Patient ID"].isin(events["Patient ID"])]
    dead = with_events[with_events["Date of death"].notna()].iloc[0]
    alive = with_events[with_events["Date of death"].isna()].iloc[0]
    late = dead["Date of death"] + pd.Timedelta(days=3)
    found = {}
    for kind in ("single", "partitioned"):
        folder = _copy(extracts[kind], tmp_path / kind)
        where = (
            _edit_first_event(folder, dead["Patient ID"], "Onset date", late),
            _edit_first_event(folder, alive["Patient ID"], "CTCAE grade", 5),
        )
        if kind == "single":
            report = check_workbook(STUDY, folder)[2]
        else:
            report = validate_extract(client, open_extract(folder, config, events_required=False),
                                      config, _wait).report  # fmt: skip
        rules = ("date of death (", "grade 5 (death)")
        listed = [p for p in report.problems if any(r in p.rule for r in rules)]
        found[kind] = (listed, where)
    (memory, _), (partitioned, (after_death, fatal)) = found["single"], found["partitioned"]
    assert sorted((p.rule, p.column, p.value, p.severity) for p in memory) == sorted(
        (p.rule, p.column, p.value, p.severity) for p in partitioned
    )
    assert len(partitioned) == 2
    located = {p.severity: (p.sheet, p.row) for p in partitioned}
    assert located == {"error": after_death, "warning": fatal}
    [error] = [p for p in partitioned if p.severity == "error"]
    assert error.value == f"{late:%Y-%m-%d}"
    assert error.rule == f"after the patient's date of death ({dead['Date of death']:%Y-%m-%d})"


def test_a_name_typed_into_another_column_is_masked(
    client, config, extracts: dict[str, Path], tmp_path: Path
) -> None:
    """As in memory: the name of a patient of another file, typed into Sex, is cut to its
    first letters in the problem (the workers find it among their pieces' names)."""
    folder = _copy(extracts["partitioned"], tmp_path / "extract")
    first, second = sorted((folder / "patients").rglob("*.parquet"))[:2]
    name = str(pd.read_parquet(first).loc[0, "Name"])
    frame = pd.read_parquet(second)
    frame.loc[3, "Sex"] = name
    frame.to_parquet(second, index=False)
    extract = open_extract(folder, config, events_required=False)
    report = validate_extract(client, extract, config, _wait).report
    [problem] = [p for p in report.errors if p.column == "Sex"]
    assert (problem.sheet, problem.row) == (second.relative_to(folder).as_posix(), 5)
    assert problem.value == " ".join(f"{word[0]}***" for word in name.split())
    assert not [line for line in report.as_lines() if any(w in line for w in name.split())]


def test_a_broken_extract_stops_the_cli_with_exit_1(broken: dict, tmp_path: Path) -> None:
    """Through the CLI on its own local cluster: exit 1, the files named, the previous
    output untouched, no traceback."""
    out = tmp_path / "out"
    (out / "thyroid").mkdir(parents=True)
    (out / MARKER).write_text("", encoding="utf-8")  # an output folder cohortpress made
    (out / "thyroid" / "results.json").write_text("{}", encoding="utf-8")
    command = [
        sys.executable, "-m", "cohortpress", "report", "reports/thyroid",
        "--data", str(broken["folder"]), "--engine-data", "dask", "--output", str(out), "-q",
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "250"}  # a wide terminal: a table row on one line
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout + done.stderr
    assert "Traceback" not in text
    for name in broken["names"].values():
        assert name in text
    assert (out / "thyroid" / "results.json").read_text(encoding="utf-8") == "{}"
