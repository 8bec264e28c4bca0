"""Where each generated table and figure is shown, and the number it carries there."""

from __future__ import annotations

from pathlib import Path

import pytest

from cohortpress.present.placement import Float, format_number, place_floats

MADE = [Float("tbl", "characteristics"), Float("tbl", "cox"), Float("tbl", "comparison"),
        Float("fig", "survival"), Float("fig", "os-by")]  # fmt: skip
ROMAN = {"tbl": "roman", "fig": "arabic"}
TITLES = {"tbl": "Table", "fig": "Figure"}


def _study(tmp_path: Path, manuscript: str, supplement: str | None = None) -> Path:
    (tmp_path / "manuscript.qmd").write_text(manuscript, encoding="utf-8")
    if supplement is not None:
        (tmp_path / "supplement.qmd").write_text(supplement, encoding="utf-8")
    return tmp_path


def _include(name: str) -> str:
    return f"{{{{< include _generated/{name}.md >}}}}\n\n"


def test_manuscript_floats_are_numbered_in_document_order(tmp_path: Path) -> None:
    text = "---\ntitle: x\n---\n\n" + "".join(
        _include(n) for n in ("table-characteristics", "figure-survival", "table-cox")
    )
    placement = place_floats(_study(tmp_path, text), MADE, titles=TITLES, label_styles=ROMAN)
    assert placement.name("tbl-characteristics") == "Table I"
    assert placement.name("tbl-cox") == "Table II"
    assert placement.name("fig-survival") == "Figure 1"
    assert placement.reference("tbl-cox") == "@tbl-cox"
    # Whatever the manuscript leaves out goes to the supplement, in the order it was made.
    assert [f.label for f in placement.supplement] == ["tbl-comparison", "fig-os-by"]
    assert placement.name("tbl-comparison") == "Table S1"
    assert placement.name("fig-os-by") == "Figure S1"
    assert placement.reference("tbl-comparison") == "Supplementary Table S1"


def test_an_authors_supplement_decides_and_the_rest_is_shown_nowhere(tmp_path: Path) -> None:
    placement = place_floats(
        _study(tmp_path, _include("table-characteristics"), _include("supplement/table-cox")),
        MADE, titles=TITLES, label_styles=ROMAN,
    )  # fmt: skip
    assert placement.supplement_written_by_author
    assert placement.name("tbl-cox") == "Table S1"
    assert placement.reference("tbl-comparison") is None
    assert placement.name("fig-survival") is None


def test_an_include_written_twice_counts_once(tmp_path: Path) -> None:
    text = _include("table-cox") + _include("table-cox") + _include("table-characteristics")
    placement = place_floats(_study(tmp_path, text), MADE, titles=TITLES, label_styles=ROMAN)
    assert placement.name("tbl-cox") == "Table I"
    assert placement.name("tbl-characteristics") == "Table II"


@pytest.mark.parametrize(
    ("n", "style", "shown"),
    [
        (4, "roman", "IV"),
        (9, "roman i", "ix"),
        (14, "roman", "XIV"),
        (3, "arabic", "3"),
        (2, "alpha a", "b"),
        (1, "alpha A", "A"),
    ],  # fmt: skip
)
def test_label_styles_match_quartos(n: int, style: str, shown: str) -> None:
    assert format_number(n, style) == shown
