"""The Quarto engine turns the same tables as the embedded engine, and sets them at the end of
their section.

Quarto is not needed for most of this: the staged project and sources are checked as files
(the keys where Quarto documents them), and landscape.lua is run by plain pandoc on the
Quarto-shaped document. Only the last test needs the Quarto CLI (1.6 or later, for its
landscape Div) and is skipped without it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from cohortpress.artefacts.tables._table import Table
from cohortpress.render import render
from cohortpress.render._confine import check_paths
from cohortpress.render._landscape import QUARTO_WRAPPER, quarto_landscape
from cohortpress.render._pandoc import pandoc_path
from cohortpress.render._quarto import (
    LANDSCAPE_ENTRY,
    LANDSCAPE_FILTER,
    VECTOR_ENTRY,
    VECTOR_FILTER,
    stage_quarto,
)
from cohortpress.render._resources import lua_filter
from cohortpress.render._staging import stage_project

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"


def _table(table_id: str, columns: int) -> str:
    """A great_tables float: eight "HR (95% CI)" columns do not fit a portrait page, two do."""
    values = {f"c{i}": [f"{i}.77 (0.40–1.49)"] * 2 for i in range(columns)}
    stub = ["C-reactive protein: ≥0.8 mg/dL vs <0.8 mg/dL (ref)", "Age (years): <60 vs ≥60"]
    frame = pd.DataFrame({"Variable": stub, **values})
    labels = {column: "HR (95% CI)" for column in values}
    return Table(table_id, f"{table_id} table.", frame, labels).markdown()


WIDE, NARROW = _table("wide", 8), _table("narrow", 2)


def test_a_wide_table_is_wrapped_in_quartos_landscape_div() -> None:
    text = quarto_landscape(f"Before.\n\n{WIDE}\nAfter.\n")
    lines = text.split("\n")
    opening = lines.index(':::: {.landscape .cp-landscape width="29.7cm" height="21cm"}')
    assert lines[opening + 1] == "::: {#tbl-wide}"  # the float itself is not turned twice
    after = lines.index("After.")
    assert lines[after - 3 : after] == [":::", "::::", ""]  # the float closes, then the wrapper
    assert text.count("::::") == 2
    assert quarto_landscape(text) == text  # a second pass changes nothing


def test_a_narrow_table_and_a_nested_one_stay_as_they_are() -> None:
    nested = f":::: {{.box}}\n\n{WIDE}\n::::\n"
    text = f"{NARROW}\n{nested}"
    assert quarto_landscape(text) == text


def test_a_table_the_author_turned_is_wrapped_too() -> None:
    turned = NARROW.replace("::: {#tbl-narrow}", "::: {#tbl-narrow .landscape}", 1)
    assert turned != NARROW
    text = quarto_landscape(turned)
    assert QUARTO_WRAPPER in text and "::: {#tbl-narrow}" in text


def _staged(tmp_path: Path) -> Path:
    staging = tmp_path / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    (staging / "_generated" / "table-cox.md").write_text(WIDE, encoding="utf-8")  # included
    stage_project(staging, ROOT)
    stage_quarto(staging, "manuscript")
    return staging


def test_the_staged_project_lists_the_filters_for_typst_html_and_docx(tmp_path: Path) -> None:
    staging = _staged(tmp_path)
    config = yaml.safe_load((staging / "_quarto.yml").read_text(encoding="utf-8"))
    original = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    formats = config["format"]
    listed = {
        "typst": [LANDSCAPE_ENTRY, VECTOR_ENTRY],
        "docx": [LANDSCAPE_ENTRY],
        "html": [VECTOR_ENTRY],  # the page sets the figures' SVG; no orientation
    }
    for name, entries in listed.items():  # Quarto's per-format `filters:`, entry point `at:`
        assert formats[name]["filters"] == entries
        assert {k: v for k, v in formats[name].items() if k != "filters"} == (
            original["format"][name]
        )
    assert "filters" not in config
    assert LANDSCAPE_ENTRY == {"path": LANDSCAPE_FILTER, "at": "post-quarto"}
    assert VECTOR_ENTRY == {"path": VECTOR_FILTER, "at": "post-quarto"}
    for path, name in ((LANDSCAPE_FILTER, "landscape"), (VECTOR_FILTER, "vector")):
        assert (staging / path).read_bytes() == lua_filter(name).read_bytes()
    check_paths(config, "_quarto.yml", staging)  # confined to the staging folder
    stage_quarto(staging, "manuscript")  # staging twice lists each filter once
    again = yaml.safe_load((staging / "_quarto.yml").read_text(encoding="utf-8"))
    assert again["format"]["typst"]["filters"] == listed["typst"]
    assert again["format"]["docx"]["filters"] == listed["docx"]


def test_the_included_table_is_wrapped_in_the_staged_sources(tmp_path: Path) -> None:
    staging = _staged(tmp_path)
    included = (staging / "_generated" / "table-cox.md").read_text(encoding="utf-8")
    assert included.startswith(":::: {.landscape .cp-landscape")
    characteristics = (staging / "_generated" / "table-characteristics.md").read_text("utf-8")
    assert QUARTO_WRAPPER not in characteristics  # fits the portrait page


def _blocks(markdown: str) -> list[dict[str, Any]]:
    """The document's top-level blocks after landscape.lua, run by plain pandoc."""
    command = [str(pandoc_path()), "--from=markdown", "--to=json",
               f"--lua-filter={lua_filter('landscape')}"]  # fmt: skip
    done = subprocess.run(command, input=markdown, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["blocks"]


def _label(block: dict[str, Any]) -> str:
    if block["t"] == "Header":
        return f"h{block['c'][0]}:{block['c'][1][0]}"
    if block["t"] == "Div":
        identifier, classes, attributes = block["c"][0]
        inner = [b["c"][0][0] for b in block["c"][1] if b["t"] == "Div"]
        return f"div:{identifier or '+'.join(classes)}:{dict(attributes)}:{inner}"
    return block["t"]


def test_pandoc_moves_quartos_landscape_div_to_the_end_of_its_section() -> None:
    source = (
        "# Results\n\nSee @tbl-wide and @tbl-narrow.\n\n"
        f"{quarto_landscape(WIDE)}\n{quarto_landscape(NARROW)}\n"
        "## Safety\n\nText of the subsection.\n\n# Discussion\n\nText.\n"
    )
    labels = [_label(block) for block in _blocks(source)]
    page = {"width": "29.7cm", "height": "21cm"}  # the DOCX section Quarto's filter makes
    wrapper = f"div:landscape+cp-landscape:{page}:{['tbl-wide']}"
    assert labels == [
        "h1:results", "Para", "div:tbl-narrow:{}:[]", "h2:safety", "Para",
        wrapper, "h1:discussion", "Para",
    ]  # fmt: skip


def _docx_orientations(path: Path) -> list[str]:
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    return [part.split('w:orient="')[1].split('"')[0] for part in xml.split("<w:pgSz")[1:]
            if 'w:orient="' in part]  # fmt: skip


@pytest.mark.quarto
@pytest.mark.skipif(
    shutil.which("quarto") is None, reason="needs the Quarto CLI (1.6 or later) on PATH"
)
def test_quarto_sets_the_wide_table_in_a_landscape_section(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    (staging / "_generated" / "table-cox.md").write_text(WIDE, encoding="utf-8")
    outcome = render(staging, formats=("docx",), engine="quarto", project_root=ROOT)
    assert "landscape" in _docx_orientations(outcome.outputs["docx"])
