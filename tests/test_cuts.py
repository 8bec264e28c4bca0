"""Registry updates: each data cut archived with a snapshot, and what changed since the last.

Successive extracts of the thyroid study with more follow-up, a new patient and one planted
retroactive change of each kind: every change is found and classified, an unchanged extract
raises no alarm, no patient ID reaches any output, and the archive never loses a cut.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from small_project import make_project, run, script_json

from cohortpress._forked import FORK, cores
from cohortpress.cuts import Snapshot, compare_cuts
from cohortpress.cuts._snapshot import _as_text, _keyed_hash, _keys_like, patient_keys
from cohortpress.cuts._snapshot import _text as value_text

ROOT = Path(__file__).resolve().parents[1]
FIRST = dt.date(2021, 5, 31)  # the study's cutoff
SECOND = dt.date(2021, 11, 30)

# --- the comparison, on hand-made snapshots ---------------------------------------------


def _snapshot(rows: list[dict], events: list[dict] | None = None) -> Snapshot:
    base = {"included": True, "excluded_reason": None, "death_date": pd.NaT,
            "progression_date": pd.NaT, "baseline:ecog": "0"}  # fmt: skip
    frame = pd.DataFrame([base | r for r in rows])
    for column in ("death_date", "progression_date"):
        frame[column] = pd.to_datetime(frame[column])
    ae = pd.DataFrame(events or [], columns=["key", "row", "term", "grade", "onset_date"])
    ae["onset_date"] = pd.to_datetime(ae["onset_date"])
    return Snapshot(frame, ae)


def _compare(before: Snapshot, after: Snapshot):
    return compare_cuts(before, after, {}, {}, FIRST, SECOND)


def test_each_kind_of_retroactive_change_is_found_at_its_row() -> None:
    before = _snapshot(
        [
            {"key": "a", "row": 2, "death_date": "2020-03-01"},
            {"key": "b", "row": 3, "progression_date": "2020-06-01"},
            {"key": "c", "row": 4, "baseline:ecog": "1"},
            {"key": "d", "row": 5},
            {"key": "e", "row": 6},
        ],
        [{"key": "d", "row": 2, "term": "Rash", "grade": 1, "onset_date": "2020-01-10"},
         {"key": "e", "row": 3, "term": "Fatigue", "grade": 2, "onset_date": "2020-02-10"}],
    )  # fmt: skip
    after = _snapshot(
        [
            {"key": "a", "row": 12, "death_date": "2020-04-01"},  # moved
            {"key": "b", "row": 13},  # progression gone
            {"key": "c", "row": 14, "baseline:ecog": "2"},  # rewritten
            {"key": "d", "row": 15},
            {"key": "e", "row": 16, "death_date": "2021-08-01"},  # new follow-up: not retroactive
            {"key": "f", "row": 17},  # a new patient
        ],
        [{"key": "d", "row": 7, "term": "Rash", "grade": 3, "onset_date": "2020-01-10"}],
    )  # fmt: skip
    changes = _compare(before, after)
    assert changes.retroactive == {
        "adverse event grade changed": (7,),
        "adverse event removed": (16,),
        "baseline ecog changed": (14,),
        "death date changed": (12,),
        "progression date removed": (13,),
    }
    assert changes.added == (17,) and changes.removed == 0
    assert changes.new_events["deaths"] == 1 and changes.new_events["progressions"] == 0


def test_an_unchanged_extract_raises_no_alarm() -> None:
    rows = [{"key": k, "row": i, "death_date": "2020-01-01" if i % 2 else None}
            for i, k in enumerate("abcdef", start=2)]  # fmt: skip
    changes = _compare(_snapshot(rows), _snapshot(rows))
    assert changes.retroactive == {} and changes.added == () and changes.removed == 0
    assert changes.new_events == {"deaths": 0, "progressions": 0}


def test_eligibility_changes_are_counted_with_reasons() -> None:
    before = _snapshot([{"key": "a", "row": 2}, {"key": "b", "row": 3, "included": False,
                        "excluded_reason": "ECOG 3"}])  # fmt: skip
    after = _snapshot([{"key": "a", "row": 2, "included": False, "excluded_reason": "ECOG 3"},
                       {"key": "b", "row": 3}])  # fmt: skip
    changes = _compare(before, after)
    assert changes.newly_excluded == {"ECOG 3": (2,)}
    assert changes.newly_included == (3,)


def test_headline_moves_are_flagged_against_the_earlier_interval() -> None:
    def results(median: float, low: float, high: float) -> dict:
        return {"os": {"median": {"value": median, "text": f"{median:g}"},
                       "ci": {"value": [low, high], "text": f"{low:g}–{high:g}"}}}  # fmt: skip

    rows = [{"key": "a", "row": 2}]
    small = compare_cuts(_snapshot(rows), _snapshot(rows), results(20, 16, 24),
                         results(21, 17, 25), FIRST, SECOND)  # fmt: skip
    large = compare_cuts(_snapshot(rows), _snapshot(rows), results(20, 16, 24),
                         results(25, 20, 30), FIRST, SECOND)  # fmt: skip
    assert [h.beyond_ci for h in small.headlines] == [False]
    assert [(h.key, h.before_text, h.after_text, h.beyond_ci) for h in large.headlines] == [
        ("os.median", "20 (16–24)", "25 (20–30)", True)
    ]


def test_patients_are_known_by_a_keyed_hash_only() -> None:
    ids = pd.Series(["TH-001", "TH-002"])
    one, other = patient_keys(ids, b"k" * 32), patient_keys(ids, b"j" * 32)
    assert one.nunique() == 2 and not one.str.contains("TH").any()
    assert (one != other).all()  # without the study's key, a hash cannot be recomputed


def test_each_id_is_hashed_as_on_its_own() -> None:
    """One hash per distinct ID, a missing ID as "<NA>", the events' IDs looked up from the
    patients' (and hashed where a patient is not there): each key is the ID's own HMAC."""
    import hashlib
    import hmac

    key = b"k" * 32
    ids = pd.Series(["TH-001", None, "TH-002", "TH-001"], dtype="string")
    events = pd.Series(["TH-002", "TH-009", None, "TH-001"], dtype="string", index=[7, 8, 9, 10])

    def own(value: object) -> str:
        return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:32]

    keys = patient_keys(ids, key)
    assert keys.tolist() == [own(v) for v in ids]
    looked_up = _keys_like(events, ids, keys, key)
    assert looked_up.tolist() == [own(v) for v in events]
    assert looked_up.index.tolist() == [7, 8, 9, 10]


@given(key=st.binary(max_size=200), texts=st.lists(st.text(), max_size=5))
def test_the_keyed_hash_is_hmac_sha256(key: bytes, texts: list[str]) -> None:
    """The keyed state copied per text gives hmac's digest, for keys shorter and longer than a
    block."""
    import hashlib
    import hmac

    keyed = _keyed_hash(key)
    for text in texts:
        assert keyed(text) == hmac.digest(key, text.encode(), hashlib.sha256).hex()[:32]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([1.5, None, 2.0, 1.5, 1e20, 0.1 + 0.2]),
        pd.Series([0.0, -0.0, None]),  # one distinct value, two texts
        pd.Series(["a", None, "b", "a"], dtype="string"),
        pd.Series([1, 1.0, True, "a", None], dtype=object),  # equal as values, not as text
        pd.Series(pd.Categorical(["x", None, "y", "x"])),
        pd.Series([1, None, 3], dtype="Int64"),
    ],
)
def test_baseline_values_are_written_as_each_reads(values: pd.Series) -> None:
    """Each distinct value is written once; every value reads as it would on its own."""
    assert _as_text(values).tolist() == [value_text(v) for v in values]


# --- successive extracts through the command line -----------------------------------------


def _extract(path: Path, *, planted: bool) -> Path:
    """The thyroid workbook followed up to SECOND: one new patient, and with ``planted`` a
    death date moved, a progression removed, an ECOG PS rewritten and an AE regraded (all
    about the time before FIRST)."""
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    sheet = book["patients"]
    header = {cell.value: cell.column for cell in sheet[1]}
    rows = list(sheet.iter_rows(min_row=2))
    new = [cell.value for cell in rows[3]]
    new[header["Patient ID"] - 1], new[header["Name"] - 1] = "TH-901", "New Patient"
    sheet.append(new)
    if planted:
        dead = next(r for r in rows if r[header["Date of death"] - 1].value)
        moved = dead[header["Date of death"] - 1].value - dt.timedelta(days=20)
        dead[header["Date of death"] - 1].value = moved
        dead[header["Last visit"] - 1].value = moved
        progressed = next(
            r for r in rows if r[header["Progression date"] - 1].value and r is not dead
        )
        progressed[header["Progression date"] - 1].value = None
        ecog = next(r for r in rows if r not in (dead, progressed))
        cell = ecog[header["ECOG PS"] - 1]
        cell.value = 1 if cell.value in (0, "0") else 0
        events = book["adverse_events"]
        events.cell(row=2, column=3).value = 4 if events.cell(row=2, column=3).value != 4 else 3
    book.save(path)
    return path


def _set_cutoff(study: Path, cutoff: dt.date) -> None:
    config = yaml.safe_load((study / "study.yml").read_text(encoding="utf-8"))
    config["data_cutoff"] = cutoff.isoformat()
    (study / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cuts")
    study = make_project(tmp / "project")
    published = study.parents[1] / "_output" / "thyroid"
    assert run(study).returncode == 0
    first = (published / "cuts").resolve()
    _set_cutoff(study, SECOND)
    planted = _extract(tmp / "second.xlsx", planted=True)
    done = run(study, "--data", str(planted))
    assert done.returncode == 0, done.stderr
    return {"study": study, "published": published, "first": first, "tmp": tmp}


def _text(path: Path) -> str:
    return re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))


def test_every_cut_is_kept_and_the_update_report_finds_every_planted_change(
    cuts: dict[str, Path],
) -> None:
    published = cuts["published"]
    assert sorted(p.name for p in (published / "cuts").iterdir()) == [
        FIRST.isoformat(),
        SECOND.isoformat(),
    ]
    for cut in (published / "cuts").iterdir():
        assert (cut / "results.json").is_file() and (cut / "snapshot.parquet").is_file()
    report = " ".join(_text(published / "update_report.html").split())
    assert "Data cut of November 30, 2021 compared with the cut of May 31, 2021." in report
    assert re.search(r"New patients: 1 \(row \d+\)", report)
    for kind in ("death date changed", "progression date removed", "baseline ecog changed",
                 "adverse event grade changed"):  # fmt: skip
        assert re.search(rf"{kind}: 1 \(row \d+\)", report), kind
    assert "OS in the cut of May 31, 2021 (dashed)" in report


def test_no_patient_id_or_name_in_any_output(cuts: dict[str, Path]) -> None:
    published = cuts["published"]
    for path in published.resolve().rglob("*"):
        if path.is_file() and path.suffix in (".parquet", ".json", ".html"):
            data = path.read_bytes()
            assert b"TH-0" not in data and b"TH-901" not in data, path
            assert b"New Patient" not in data, path


def test_an_unchanged_extract_has_no_retroactive_change(cuts: dict[str, Path]) -> None:
    study, tmp = cuts["study"], cuts["tmp"]
    third = dt.date(2022, 2, 28)
    _set_cutoff(study, third)
    same = _extract(tmp / "third.xlsx", planted=True)  # the second extract again
    assert run(study, "--data", str(same)).returncode == 0
    report = " ".join(_text(cuts["published"] / "update_report.html").split())
    assert "compared with the cut of November 30, 2021" in report
    assert "No data about the time up to November 30, 2021 differ" in report
    assert "New patients: 0" in report


def test_a_failed_run_keeps_every_cut_and_a_rerun_replaces_only_its_own(
    cuts: dict[str, Path],
) -> None:
    study, tmp, published = cuts["study"], cuts["tmp"], cuts["published"]
    before = sorted(p.name for p in (published / "cuts").iterdir())
    broken = tmp / "broken.xlsx"
    book = openpyxl.load_workbook(ROOT / "data/thyroid_sorafenib.xlsx")
    book["patients"].cell(row=3, column=5).value = "not a date"
    book.save(broken)
    assert run(study, "--data", str(broken)).returncode == 1
    assert sorted(p.name for p in (published / "cuts").iterdir()) == before
    first = published / "cuts" / FIRST.isoformat() / "results.json"
    kept = first.read_bytes()
    _set_cutoff(study, SECOND)
    assert run(study, "--data", str(_extract(tmp / "again.xlsx", planted=False))).returncode == 0
    assert sorted(p.name for p in (published / "cuts").iterdir()) == before
    assert first.read_bytes() == kept


def test_changes_command_prints_the_comparison(cuts: dict[str, Path]) -> None:
    import subprocess
    import sys

    study = cuts["study"]
    command = [sys.executable, "-m", "cohortpress", "changes", str(study),
               "--since", FIRST.isoformat()]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"against {FIRST.isoformat()}" in done.stdout
    assert "retroactive, death date changed: 1" in done.stdout
    unknown = subprocess.run([*command[:-1], "2000-01-01"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "no such cut" in unknown.stderr


def test_the_snapshot_is_taken_alongside_the_render_and_fails_in_the_cuts_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot is taken on a thread while the documents render; taking it fails as it
    failed when taken in the "cuts" stage: the error is raised there, after the render, and
    nothing is published."""
    import threading

    from stage_hook import Stages

    from cohortpress import cuts
    from cohortpress.pipeline import build_report

    study = make_project(tmp_path / "project")
    threads: list[str] = []

    def failing(*_: object) -> Snapshot:
        threads.append(threading.current_thread().name)
        raise RuntimeError("the snapshot failed")

    monkeypatch.setattr(cuts, "take_snapshot", failing)
    stages, out = Stages(), tmp_path / "out"
    with pytest.raises(RuntimeError, match="the snapshot failed"):
        build_report(study, formats=("html",), engine="embedded", output_root=out, hook=stages)
    assert threads and threads[0] != threading.main_thread().name
    assert stages.seen[-2:] == ["render", "cuts"]
    assert not (out / "thyroid").exists()


# Builds the report in a fresh process that ends with its run, as `cohortpress report` does,
# with a registry's threshold (patients) for taking the snapshot in a forked process; prints
# the processes that took it.
FORKED_SNAPSHOT = """
import json, os, sys
from pathlib import Path
from cohortpress import _gc, cuts, pipeline

pipeline.SNAPSHOT_FORKED_FROM = int(sys.argv[3])
real, taken_in = cuts.take_snapshot, Path(sys.argv[2]) / "taken-in"

def recorded(*args):
    with taken_in.open("a") as stream:  # the forked process's list would not come back
        stream.write(f"{os.getpid()}\\n")
    return real(*args)

cuts.take_snapshot = recorded
_gc.for_this_process()
pipeline.build_report(Path(sys.argv[1]), formats=("html",), engine="embedded",
                      output_root=Path(sys.argv[2]), cache=False)
print(json.dumps({"run": os.getpid(), "taken": taken_in.read_text().split()}))
taken_in.unlink()
"""


@pytest.mark.skipif(not (FORK and cores() > 1), reason="no fork here, or one core")
def test_a_registrys_snapshot_taken_in_a_forked_process_is_the_one_taken_on_the_thread(
    tmp_path: Path,
) -> None:
    study, output = make_project(tmp_path / "project"), tmp_path / "out"
    cut = output / "thyroid" / "cuts" / FIRST.isoformat()
    names = ("snapshot.parquet", "snapshot_ae.parquet")
    threaded = script_json(FORKED_SNAPSHOT, str(study), str(output), "1000000")
    on_the_thread = {name: (cut / name).read_bytes() for name in names}
    # the same output folder, so the same study key: the same patients, the same hashes
    forked = script_json(FORKED_SNAPSHOT, str(study), str(output), "1")
    assert threaded["taken"] == [str(threaded["run"])]
    assert len(forked["taken"]) == 1 and forked["taken"][0] != str(forked["run"])
    assert {name: (cut / name).read_bytes() for name in names} == on_the_thread


def test_without_memory_to_spare_a_registrys_snapshot_is_taken_on_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    from types import SimpleNamespace

    from cohortpress import _forked, _gc, pipeline

    monkeypatch.setattr(pipeline, "SNAPSHOT_FORKED_FROM", 1)
    monkeypatch.setattr(_gc, "ends_with_its_run", lambda: True)
    monkeypatch.setattr(_forked, "memory_to_spare", lambda **_: False)
    taken: list[str] = []

    def take(*_: object) -> str:
        taken.append(threading.current_thread().name)
        return "snapshot"

    with pipeline._Alongside() as alongside:
        alongside.take = take  # type: ignore[assignment]
        alongside.derived(SimpleNamespace(patients=[1, 2]), None)  # type: ignore[arg-type]
        alongside.start()
        assert alongside.result() == "snapshot"
    assert len(taken) == 1 and taken[0].startswith("snapshot")


def test_the_snapshots_thread_lets_go_of_the_data_once_it_is_taken() -> None:
    """The run hands the workbook and the cohort over to the snapshot (``hand_over``); taken,
    they are freed while the documents still render (170 MiB at 100,000 patients)."""
    import gc
    import weakref
    from types import SimpleNamespace

    from cohortpress import pipeline

    class Frame(list):  # a list weakref can refer to, standing for a DataFrame
        pass

    workbook = SimpleNamespace(patients=Frame([1, 2]))
    gone = weakref.ref(workbook.patients)
    with pipeline._Alongside() as alongside:
        alongside.take = lambda book, cohort: f"{len(book.patients)} patients"  # type: ignore[assignment]
        alongside.derived(workbook, None)  # type: ignore[arg-type]
        del workbook  # the run's own reference, let go of by hand_over()
        alongside.start()
        assert alongside.result() == "2 patients"
        gc.collect()
        assert gone() is None
