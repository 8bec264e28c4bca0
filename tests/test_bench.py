"""``make bench``: the author's loop cases, the copy of the project they run on, and finding
the R peer, the memory of a run's processes together. No timing is asserted; the timed runs
themselves are ``make bench``'s."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from small_project import ROOT, make_project

from cohortpress.bench import TreeMemory
from cohortpress.bench_loop import (
    ALL_FORMATS,
    CASES,
    Timing,
    cache_entries,
    cases_for,
    copy_project,
    edit_manuscript,
    preview_refresh,
    run_report,
    run_timed,
)
from cohortpress.bench_peer import PEER, missing_peer, peer_formats
from cohortpress.config import load_study

STUDY = Path("reports/thyroid")


def test_the_loop_has_every_case_of_the_issue() -> None:
    kinds = [(case.kind, case.formats) for case in CASES]
    assert kinds == [
        ("cold", ALL_FORMATS),
        ("cold", ("html",)),
        ("edit", ALL_FORMATS),
        ("edit", ("html",)),
        ("preview", ("html",)),
    ]
    assert cases_for(ALL_FORMATS) == CASES
    assert [c.kind for c in cases_for(("html",))] == ["cold", "edit", "preview"]
    assert all(c.formats == ("html",) for c in cases_for(("html",)))


def test_the_project_is_copied_with_its_workbook(tmp_path: Path) -> None:
    before = (ROOT / STUDY / "manuscript.qmd").read_bytes()
    study = copy_project(ROOT, STUDY, tmp_path)
    assert study == tmp_path / STUDY
    assert (tmp_path / "_quarto.yml").is_file()
    config = load_study(study)
    assert config.data_path.resolve().is_relative_to(tmp_path.resolve())
    assert config.data_path.read_bytes() == load_study(ROOT / STUDY).data_path.read_bytes()
    edit_manuscript(study, "marker 1")
    assert "marker 1" in (study / "manuscript.qmd").read_text(encoding="utf-8")
    assert (ROOT / STUDY / "manuscript.qmd").read_bytes() == before  # never reports/


def test_a_workbook_outside_the_project_stops_the_bench(tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_project(project)  # its study.yml names the repository's workbook by absolute path
    (tmp_path / "copy").mkdir()
    with pytest.raises(SystemExit, match="outside"):
        copy_project(project, STUDY, tmp_path / "copy")


def test_peer_is_skipped_with_a_reason_without_r(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no Rscript, no LaTeX
    assert missing_peer(ROOT / PEER) == "Rscript is not on PATH"
    assert missing_peer(tmp_path / "nothing.Rmd") == f"{tmp_path / 'nothing.Rmd'} is missing"
    assert peer_formats(ALL_FORMATS) == ("html", "docx")  # no PDF without LaTeX


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_peer_is_found_where_r_renders_it() -> None:
    reason = missing_peer(ROOT / PEER)
    assert reason is None or reason.startswith("R cannot render the peer")


@pytest.mark.slow
def test_text_edit_and_preview_refresh_end_to_end(tmp_path: Path) -> None:
    """The machinery the loop times, once each at paper size on the small project: a text edit
    served by the build cache, and a preview refresh that publishes the edit."""
    project = tmp_path / "project"
    study = make_project(project).relative_to(project)
    run_report(project, study, ("html",))
    entries = cache_entries(project, study)
    assert entries
    edit_manuscript(project / study, "edit 1")
    run_report(project, study, ("html",))
    assert cache_entries(project, study) == entries  # the same entry file: a cache hit
    timing = preview_refresh(project / study)
    assert timing["refresh_seconds"] > 0


def test_each_repeat_runs_every_case_then_the_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's drift over a run reaches cohortpress and R alike: they alternate."""
    import argparse

    import cohortpress.bench as bench
    import cohortpress.bench_loop as bench_loop
    import cohortpress.bench_peer as bench_peer

    calls: list[str] = []

    def ours(case: bench_loop.Case, _root: Path, _study: Path, repeat: int) -> Timing:
        calls.append(f"{repeat}:{case.kind}:{','.join(case.formats)}")
        return Timing(1.0 + repeat, None if case.kind == "preview" else 1.5 + repeat)

    def theirs(_data: Path, formats: tuple[str, ...], marker: str) -> Timing:
        calls.append(f"{marker[-1]}:R:{','.join(formats)}")
        return Timing(4.0, 3.0)

    monkeypatch.setattr(bench_loop, "time_case", ours)
    monkeypatch.setattr(bench_peer, "render_peer", theirs)
    monkeypatch.setattr(bench_peer, "peer_formats", lambda formats: formats)
    monkeypatch.setattr(bench, "_peer_reason", lambda _args: None)
    monkeypatch.setattr(bench, "_paper_data", lambda: Path("workbook.xlsx"))
    record = bench.run_loop(argparse.Namespace(to="html", repeats=2, no_peer=False))
    assert calls == [
        "0:cold:html", "0:edit:html", "0:preview:html", "0:R:html",
        "1:cold:html", "1:edit:html", "1:preview:html", "1:R:html",
    ]  # fmt: skip
    assert record["loop"][0]["seconds"] == [1.0, 2.0]
    assert record["loop"][0]["cpu_seconds"] == [1.5, 2.5]
    assert record["peer"]["html"]["seconds"] == [4.0, 4.0]  # type: ignore[index]
    table = bench.loop_table(record)
    assert (
        "| first run (empty cache), HTML | 1.50 s (1.00–2.00) | 2.00 s "
        "| 4.00 s (4.00–4.00) (HTML) | 3.00 s | 0.38 |"
    ) in table
    assert "| preview refresh (edit saved → HTML published), HTML | 1.50 s (1.00–2.00) | – |" in (
        table
    )


def test_a_run_is_timed_with_the_cpu_of_every_process_it_waited_for() -> None:
    """The CPU time counts the command's children too (here a child that spins)."""
    import sys

    spin = "import time; end = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {spin!r}])"
    done, timing = run_timed([sys.executable, "-c", parent])
    assert done.returncode == 0
    assert timing.cpu_seconds is not None and timing.cpu_seconds >= 0.3
    assert timing.seconds > 0


def test_a_ratio_is_the_median_of_the_repeats_own() -> None:
    from cohortpress.bench import paired_ratio

    assert paired_ratio([2.0, 4.0, 3.0], [4.0, 4.0, 10.0]) == 0.5  # not 3 / 4
    assert paired_ratio([2.0, 4.0], [4.0, 4.0, 10.0]) == 0.75  # not side by side: medians


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="no smaps_rollup here")
def test_the_memory_of_a_run_and_the_processes_it_forks_is_counted_together() -> None:
    """A process holding 60 MB that forks one holding 60 MB more: together more than either."""
    script = (
        "import os, time\n"
        "held = bytearray(60_000_000)\n"
        "if os.fork() == 0:\n"
        "    more = bytearray(60_000_000)\n"
        "    time.sleep(1.0)\n"
        "    os._exit(0)\n"
        "time.sleep(1.0)\n"
        "os.wait()\n"
    )
    with subprocess.Popen([sys.executable, "-c", script]) as child, TreeMemory(child.pid) as tree:
        child.wait()
    assert tree.peak_mib is not None and tree.peak_mib > 110
