"""pandoc starts on what reads no figure while the figures are drawn, and nothing else changes;
after them, the manuscript's DOCX goes first.

A run stages its documents while its figures are still being drawn and starts the pandoc
passes that read none of them (the HTML pages, which get their figures embedded afterwards,
and the PDFs' Typst sources); the rest waits for the figures. These tests render the render
fixture with its figure written only after the passes started, as the drawing process writes
it, and check the outputs are those of a render that found the figure in place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from test_render import ROOT, stage

import cohortpress.render._embedded as embedded
from cohortpress._priority import BEHIND, run_behind
from cohortpress.errors import RenderError
from cohortpress.render import FORMATS, RenderOutcome, stage_documents
from cohortpress.render._kept import CITEPROC, KeptRenders

FIGURES = ("figures/figure-1.png",)


def _counted_pandoc(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every pandoc run of the embedded engine, recorded (and run)."""
    runs: list[list[str]] = []
    real = embedded.run_pandoc

    def counted(args: list[str], *rest: object, **options: object) -> list[str]:
        runs.append(args)
        return real(args, *rest, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(embedded, "run_pandoc", counted)
    return runs


def _with_figures_late(
    staging: Path, told: tuple[str, ...] = FIGURES, kept: KeptRenders | None = None
) -> RenderOutcome:
    """Render the staging folder's manuscript in every format, its figures put back only
    after the passes that read none were started, having been told of ``told``."""
    held = staging.parent / "held"
    shutil.move(staging / "figures", held)
    staged = stage_documents(staging, [("manuscript", FORMATS)], engine="embedded",
                             project_root=ROOT, kept=kept)  # fmt: skip
    with staged.ahead(told) as started:
        shutil.move(held, staging / "figures")  # the drawing process is done
        return started.write()[0]


def _bytes(outcome: RenderOutcome) -> dict[str, bytes]:
    return {fmt: path.read_bytes() for fmt, path in outcome.outputs.items()}


@pytest.fixture(scope="module")
def in_place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every format rendered with the figure in place from the start."""
    staging = stage(tmp_path_factory.mktemp("in_place"))
    staged = stage_documents(staging, [("manuscript", FORMATS)], engine="embedded",
                             project_root=ROOT)  # fmt: skip
    return _bytes(staged.write()[0])


def test_passes_started_before_the_figures_give_the_same_bytes(
    tmp_path: Path, in_place: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = _counted_pandoc(monkeypatch)
    outcome = _with_figures_late(stage(tmp_path))
    assert _bytes(outcome) == in_place
    # HTML and the Typst source ran once, ahead; DOCX, which embeds the figure, after it
    assert sorted(next(a for a in args if a.startswith("--to=")) for args in runs) == [
        "--to=docx",
        "--to=html5",
        "--to=typst-citations",
    ]


def test_the_pdf_pass_ahead_takes_the_citations_the_page_pass_kept(
    tmp_path: Path, in_place: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where citeproc's result is kept, the PDF's pass ahead starts once the page's has ended,
    and every format takes the one result the page's pass kept; the outputs are unchanged."""
    events: list[tuple[str, str]] = []
    lock, real = threading.Lock(), embedded.run_pandoc

    def recorded(args: list[str], *rest: object, **options: object) -> list[str]:
        to = next(a for a in args if a.startswith("--to="))
        with lock:
            events.append(("start", to))
        try:
            return real(args, *rest, **options)  # type: ignore[arg-type]
        finally:
            with lock:
                events.append(("end", to))

    monkeypatch.setattr(embedded, "run_pandoc", recorded)
    kept = KeptRenders(tmp_path / "kept")
    assert _bytes(_with_figures_late(stage(tmp_path), kept=kept)) == in_place
    assert events.index(("end", "--to=html5")) < events.index(("start", "--to=typst-citations"))
    assert len(list((tmp_path / "kept").glob(f"*{CITEPROC}"))) == 1


def test_passes_told_of_other_files_than_came_are_run_again(
    tmp_path: Path, in_place: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The passes were told they may read a figure that never came (confine.lua reads the
    list): their outputs are not taken, the passes run again with the files there are."""
    runs = _counted_pandoc(monkeypatch)
    outcome = _with_figures_late(stage(tmp_path), told=(*FIGURES, "figures/never-drawn.png"))
    assert _bytes(outcome) == in_place
    assert len(runs) == 5  # two passes ahead, thrown away; three after the figures


def test_an_error_of_a_pass_ahead_is_the_one_of_writing_in_order(tmp_path: Path) -> None:
    broken = "\nAs in @tbl-missing.\n"
    with pytest.raises(RenderError) as in_order:
        staging = stage(tmp_path / "in_order", broken)
        stage_documents(staging, [("manuscript", FORMATS)], engine="embedded",
                        project_root=ROOT).write()  # fmt: skip
    with pytest.raises(RenderError) as ahead:
        _with_figures_late(stage(tmp_path / "ahead", broken))
    assert str(ahead.value) == str(in_order.value)
    assert "@tbl-missing refers to no table or figure" in str(ahead.value)


def _priorities(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """Whether each pandoc pass (by its --to) and each typst compile ran behind."""
    behind: dict[str, bool] = {}
    real_pandoc, real_typst = embedded.run_pandoc, embedded.compile_typst

    def pandoc(args: list[str], *rest: object, **options: object) -> list[str]:
        behind[next(a for a in args if a.startswith("--to="))] = bool(options.get("behind"))
        return real_pandoc(args, *rest, **options)  # type: ignore[arg-type]

    def typst(*args: object, **options: object) -> list[str]:
        behind["typst"] = bool(options.get("behind"))
        return real_typst(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(embedded, "run_pandoc", pandoc)
    monkeypatch.setattr(embedded, "compile_typst", typst)
    return behind


def test_after_the_passes_ahead_the_docx_goes_first_and_the_rest_runs_behind_it(
    tmp_path: Path, in_place: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    behind = _priorities(monkeypatch)
    assert _bytes(_with_figures_late(stage(tmp_path))) == in_place
    # the passes ahead ran beside the figures; after them, typst's compile yields to the DOCX
    assert behind == {"--to=docx": False, "--to=html5": False, "--to=typst-citations": False,
                      "typst": True}  # fmt: skip


@pytest.mark.parametrize("formats", [FORMATS, ("html", "pdf")])
def test_with_nothing_run_ahead_nothing_runs_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, formats: tuple[str, ...]
) -> None:
    """A cached run after a text edit: the PDF's pandoc pass and compile are as long as the
    DOCX, and no pass goes first."""
    behind = _priorities(monkeypatch)
    staged = stage_documents(stage(tmp_path), [("manuscript", formats)], engine="embedded",
                             project_root=ROOT)  # fmt: skip
    staged.write()
    assert not any(behind.values()) and "typst" in behind


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no process priorities here")
def test_a_process_run_behind_has_the_lower_priority() -> None:
    with subprocess.Popen(["sleep", "10"]) as process:
        try:
            run_behind(process.pid)
            assert os.getpriority(os.PRIO_PROCESS, process.pid) == BEHIND
        finally:
            process.kill()
    run_behind(process.pid)  # ended: left as it is, no error
