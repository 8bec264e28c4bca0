"""Placeholders left for the authors are noted in a submission build, and only there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.render._placeholders import placeholder_notes

if TYPE_CHECKING:
    from pathlib import Path


def _staging(tmp_path: Path, declarations: str) -> Path:
    (tmp_path / "_generated").mkdir()
    (tmp_path / "_generated" / "declarations.md").write_text(declarations, encoding="utf-8")
    (tmp_path / "manuscript.qmd").write_text("# Results\n\nText.\n", encoding="utf-8")
    return tmp_path


def test_each_placeholder_is_named(tmp_path: Path) -> None:
    """As present/escape.py writes them into the generated Markdown: brackets escaped."""
    text = (
        "**Funding.** \\[TO BE COMPLETED BY THE AUTHORS\\: the funding of the study.\\]\n\n"
        "**Conflicts of interest.** \\[To be completed by the authors: conflicts.\\]\n"
    )
    notes = placeholder_notes(_staging(tmp_path, text), "manuscript")
    assert len(notes) == 2
    assert "_generated/declarations.md" in notes[0] and "(the funding of the study)" in notes[0]
    assert "(conflicts)" in notes[1]


def test_a_filled_declaration_gives_no_note(tmp_path: Path) -> None:
    text = "**Funding.** This study received no specific funding.\n"
    assert placeholder_notes(_staging(tmp_path, text), "manuscript") == []
