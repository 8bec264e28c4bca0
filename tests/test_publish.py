"""Where a run may publish: refused --output folders, unwritable ones, busy studies, the default.

Every test runs ``cohortpress report`` as a user would (a real process, real folders) on the
small project of ``small_project.py``.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from small_project import command, make_project, patients_shown, run

from cohortpress.publish import CACHE, KEYS, LOCKS, MARKER, SOURCES, STAGING, VERSIONS

REFUSED = "choose a new or empty folder, or leave --output out to use _output"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def _contents(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``folder`` with its bytes, to show nothing was touched."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("reports", "it holds the study folder thyroid"),
        ("reports/thyroid", "it is the study folder"),
        (".", "it holds the study folder thyroid"),
        ("reports/other", "it is or holds a study folder (study.yml)"),
    ],
)
def test_output_over_a_study_is_refused(study: Path, target: str, reason: str) -> None:
    project = study.parents[1]
    shutil.copytree(study, project / "reports/other")
    before = _contents(project)
    done = run(study, "--output", str(project / target))
    assert done.returncode == 2, done.stderr
    assert f"refused, {reason}; {REFUSED}" in done.stderr
    assert _contents(project) == before


def test_unrelated_folder_is_refused(study: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    (mine / "thyroid").mkdir(parents=True)
    (mine / "thyroid" / "notes.txt").write_text("my notes", encoding="utf-8")
    before = _contents(mine)
    done = run(study, "--output", str(mine))
    assert done.returncode == 2
    assert "refused, it is not empty and was not made by cohortpress" in done.stderr
    assert _contents(mine) == before


def test_default_output_keeps_a_study_entry_it_did_not_publish(study: Path) -> None:
    entry = study.parents[1] / "_output" / "thyroid"
    entry.mkdir(parents=True)
    (entry / "notes.txt").write_text("my notes", encoding="utf-8")
    done = run(study)
    assert done.returncode == 2
    assert f"{entry} was not published by cohortpress; move it away" in done.stderr
    assert _contents(entry) == {"notes.txt": b"my notes"}


def test_output_under_a_file_cannot_be_written(study: Path, tmp_path: Path) -> None:
    (tmp_path / "occupied").write_text("a file where a folder must be", encoding="utf-8")
    done = run(study, "--output", str(tmp_path / "occupied" / "out"))
    assert done.returncode == 4
    assert done.stderr.strip().count("\n") == 0
    assert "cannot write the output folder" in done.stderr
    assert "Not a directory" in done.stderr


@functools.cache
def _private_mounts() -> bool:
    """Whether this machine lets a process mount a tmpfs in a mount namespace of its own."""
    if shutil.which("unshare") is None:
        return False
    probe = ["unshare", "--mount", "sh", "-c", "mount -t tmpfs tmpfs /mnt"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _run_on_tmpfs(study: Path, folder: Path, options: str) -> subprocess.CompletedProcess[str]:
    """A run whose --output is a fresh tmpfs mounted with ``options``, seen by it alone."""
    if not _private_mounts():
        pytest.skip("needs unshare --mount and tmpfs mounts (root in a private mount namespace)")
    folder.mkdir()
    mount = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"'
    wrapped = ["unshare", "--mount", "sh", "-c", mount, "sh", options, str(folder)]
    wrapped += command(study, "--output", str(folder))
    done = subprocess.run(wrapped, capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr
    return done


def test_read_only_output_folder(study: Path, tmp_path: Path) -> None:
    done = _run_on_tmpfs(study, tmp_path / "out", "ro,size=1m")
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert f"cannot write the output folder {tmp_path / 'out'}" in done.stderr
    assert "Read-only file system" in done.stderr


@pytest.mark.parametrize("size", ["32k", "300k"])  # full while writing artefacts / rendering
def test_full_output_folder(study: Path, tmp_path: Path, size: str) -> None:
    done = _run_on_tmpfs(study, tmp_path / "out", f"size={size}")
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "No space left on device" in done.stderr


def test_second_run_of_a_study_stops_at_once(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / LOCKS).mkdir(parents=True)
    (out / MARKER).write_text("", encoding="utf-8")
    with (out / LOCKS / "thyroid").open("w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a run in progress holds it
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        done = run(study, "--output", str(out))
    assert done.returncode == 5
    assert f"another run (process {os.getpid()}) is publishing thyroid to {out}" in done.stderr
    assert not (out / "thyroid").exists()
    assert not (out / STAGING).exists()


def test_default_output_of_earlier_versions_keeps_working(study: Path) -> None:
    """An _output/ made before the marker: its real study folders and their debris."""
    output = study.parents[1] / "_output"
    earlier = output / "thyroid"
    (earlier / "figures").mkdir(parents=True)
    (earlier / "manuscript.html").write_text("earlier run", encoding="utf-8")
    (output / "renal").mkdir()
    (output / "renal" / "results.json").write_text("{}", encoding="utf-8")
    (output / ".thyroid-abcd1234" / "staging").mkdir(parents=True)
    (output / ".thyroid.old").mkdir()
    done = run(study)
    assert done.returncode == 0, done.stderr
    assert earlier.is_symlink()
    assert patients_shown(earlier) == 26
    assert (output / MARKER).is_file()
    assert (output / "renal" / "results.json").read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in output.iterdir()) == sorted(
        [MARKER, CACHE, KEYS, LOCKS, SOURCES, STAGING, VERSIONS, "renal", "thyroid"]
    )
    assert list((output / STAGING).iterdir()) == []  # no run left behind
    assert len(list((output / VERSIONS / "thyroid").iterdir())) == 1


@pytest.mark.parametrize("where", ["project", "study"])
def test_a_linked_output_folder_not_made_by_cohortpress_is_refused(
    study: Path, tmp_path: Path, where: str
) -> None:
    """A ``_output`` that is a link was taken as the project's own output folder wherever it
    pointed, and publishing tidied the folder it found there: a study folder shipping its own
    ``_quarto.yml`` (a project of its own) and ``_output`` link deleted a user's files."""
    victim = tmp_path / "victim"
    (victim / "thyroid" / "figures").mkdir(parents=True)
    (victim / "thyroid" / "figures" / "holiday.png").write_bytes(b"photo")
    (victim / ".thyroid.old").mkdir()
    (victim / ".thyroid.old" / "diary.txt").write_text("diary", encoding="utf-8")
    project = study if where == "study" else study.parents[1]
    if where == "study":
        shutil.copy(study.parents[1] / "_quarto.yml", study / "_quarto.yml")
    (project / "_output").symlink_to(victim, target_is_directory=True)
    before = _contents(victim)
    done = run(study)
    assert done.returncode == 2, done.stderr
    assert f"{project / '_output'}: refused, a link to {victim}, which is not empty" in done.stderr
    assert _contents(victim) == before


def test_a_linked_output_folder_cohortpress_made_or_empty_is_used(
    study: Path, tmp_path: Path
) -> None:
    """An ``_output`` linked to a new or empty folder (on another disk, say) keeps working."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (study.parents[1] / "_output").symlink_to(elsewhere, target_is_directory=True)
    assert run(study).returncode == 0
    assert (elsewhere / MARKER).is_file() and (elsewhere / "thyroid" / "manuscript.html").is_file()
    assert run(study).returncode == 0  # made by cohortpress now


def test_another_study_folder_of_the_same_name_is_refused(study: Path) -> None:
    """Two study folders named alike (one linked in from elsewhere) shared one output: the
    second replaced the first's report, and compared its cohort with the first's data cut."""
    project = study.parents[1]
    assert run(study).returncode == 0
    published = _contents(project / "_output" / "thyroid")
    other = project / "other" / "thyroid"
    shutil.copytree(study, other)
    (project / "reports" / "alias").symlink_to(other, target_is_directory=True)
    for folder in (other, project / "reports" / "alias"):
        done = run(folder)
        assert done.returncode == 2, done.stderr
        assert "the outputs of the study folder reports/thyroid, not other/thyroid" in done.stderr
    assert _contents(project / "_output" / "thyroid") == published
    assert run(study).returncode == 0  # its own folder still publishes
