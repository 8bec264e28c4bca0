"""Where each generated table and figure is shown, and the number it carries there."""

from __future__ import annotations

from pathlib import Path

import pytest

from cohortpress.present.placement import Float, Placement, format_number, place_floats

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


def _cited(tmp_path: Path, text: str, generated: dict[str, str] | None = None) -> Placement:
    """Placement once the generated paragraphs are written (their citations counted)."""
    study = _study(tmp_path, text)
    return place_floats(study, MADE, titles=TITLES, label_styles=ROMAN, generated=generated or {})


def _numbers(placement: Placement) -> dict[str, str | None]:
    return {f.label: placement.name(f.label) for f in MADE}


def test_floats_are_numbered_by_first_citation(tmp_path: Path) -> None:
    """The text cites Table II (Cox) before Table I (characteristics), as shown: the Cox table
    becomes Table I. For Quarto, which numbers in document order, placement names the float to
    move, located."""
    text = (
        "---\ntitle: x\n---\n\n"
        "Hazard ratios are in @tbl-cox; the patients in [@tbl-characteristics].\n\n"
        + _include("table-characteristics")
        + _include("table-cox")
    )
    placement = _cited(tmp_path, text)
    assert placement.name("tbl-cox") == "Table I"
    assert placement.name("tbl-characteristics") == "Table II"
    assert placement.uncited == ()
    assert placement.out_of_order == (
        "manuscript.qmd, line 9: Table I (#tbl-cox) is cited first (manuscript.qmd, line 5) "
        "but shown after #tbl-characteristics (manuscript.qmd, line 7); Quarto numbers floats "
        "in the order they are shown, so move the include of #tbl-cox before that of "
        "#tbl-characteristics, or cite them in the order they are shown (the embedded engine "
        "numbers by first citation)"
    )


def test_generated_paragraphs_cite_where_they_are_included(tmp_path: Path) -> None:
    """A generated paragraph's citations count at its include; floats never cited follow the
    cited ones in document order, each named in a warning."""
    text = (
        _include("results_efficacy")
        + _include("table-characteristics")
        + _include("figure-os-by")
        + _include("figure-survival")
        + "The Cox models are in @Tbl-cox.\n\n"
        + _include("table-cox")
    )
    generated = {"results_efficacy": "Survival is shown in @fig-survival (see also \\@fig-os-by)."}
    placement = _cited(tmp_path, text, generated)
    assert _numbers(placement) == {
        "tbl-characteristics": "Table II",
        "tbl-cox": "Table I",
        "tbl-comparison": "Table S1",
        "fig-survival": "Figure 1",
        "fig-os-by": "Figure 2",  # escaped: not a citation, so uncited
    }
    assert placement.uncited == ("tbl-characteristics", "fig-os-by")
    assert placement.uncited_warnings()[1] == (
        "manuscript.qmd: Figure 2 (#fig-os-by) is shown but never cited (@fig-os-by); it is "
        "numbered after the floats the text cites"
    )


def test_citations_in_code_comments_and_front_matter_do_not_count(tmp_path: Path) -> None:
    text = (
        "---\nabstract: see @tbl-cox\n---\n\n<!-- @tbl-cox\nfirst -->\n\n```\n@tbl-cox\n```\n\n"
        "Write to a@tbl-cox.org. Patients in @tbl-characteristics, models in @tbl-cox.\n\n"
        + _include("table-cox")
        + _include("table-characteristics")
    )
    placement = _cited(tmp_path, text)
    assert placement.name("tbl-characteristics") == "Table I"
    assert placement.name("tbl-cox") == "Table II"
    assert placement.out_of_order is not None
    assert "cited first (manuscript.qmd, line 12)" in placement.out_of_order


def test_citations_in_document_order_agree_with_quarto(tmp_path: Path) -> None:
    text = (
        "See @tbl-characteristics and @fig-survival, then @tbl-cox.\n\n"
        + _include("table-characteristics")
        + _include("figure-survival")
        + _include("table-cox")
    )
    placement = _cited(tmp_path, text)
    assert placement.out_of_order is None and placement.uncited == ()
    assert placement.name("tbl-cox") == "Table II"
