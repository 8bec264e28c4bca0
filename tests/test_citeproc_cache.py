"""citeproc's result kept between runs (``filters/references.lua``): a text edit that leaves the
citations as they were takes it instead of running citeproc, and nothing citeproc reads can
change without the result being computed anew.

The filter is run here by pandoc itself on small documents (a tenth of a second each): what a
run with the cache writes (the output and pandoc's warnings) must be what a run without it
writes, whatever was kept before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohortpress.render._kept import CITEPROC, KeptRenders
from cohortpress.render._pandoc import pandoc_path
from cohortpress.render._resources import RESOURCES, lua_filter

BIB = """\
@article{brose2014, author = {Brose, M. S. and Nutting, C. M.}, title = {Sorafenib in
  thyroid cancer}, journal = {Lancet}, year = {2014}, volume = {384}, pages = {319--328}}
@article{kim2019, author = {Kim, J. and Lee, S.}, title = {Lenvatinib after sorafenib},
  journal = {Thyroid}, year = {2019}}
@book{cox1984, author = {Cox, D. R. and Oakes, D.}, title = {Analysis of Survival Data},
  publisher = {Chapman and Hall}, year = {1984}}
@article{ye2020, author = {Ye, X.}, title = {Markers of immunity}, journal = {Cancer},
  year = {2020}, doi = {10.1000/xyz}}
"""
KEYS = ("brose2014", "kim2019", "cox1984", "ye2020")
NOTE_STYLE = """\
<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0">
  <info><title>A note style</title><id>note</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation><layout suffix="."><text variable="title"/></layout></citation>
  <bibliography><layout><text variable="title"/></layout></bibliography>
</style>
"""


@dataclass(frozen=True)
class Run:
    output: str
    warnings: str


def _render(
    folder: Path,
    text: str,
    cache: Path | None,
    *,
    read: bool = True,
    to: str = "html5",
    lua: Path | None = None,
    args: tuple[str, ...] = (),
) -> Run:
    """``text`` through references.lua, keeping citeproc's results in ``cache`` (None: no
    folder given, as under Quarto or a render without kept renders)."""
    (folder / "doc.md").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHORTPRESS_CITEPROC")}
    if cache is not None:
        env["COHORTPRESS_CITEPROC"] = str(cache)
        env["COHORTPRESS_CITEPROC_READ"] = "1" if read else "0"
    command = [str(pandoc_path()), "doc.md", "--sandbox", "--wrap=none",
               f"--lua-filter={lua or lua_filter('references')}", f"--to={to}", *args]  # fmt: skip
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=True)
    return Run(done.stdout, done.stderr)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    work = tmp_path / "doc"
    work.mkdir()
    (work / "references.bib").write_text(BIB, encoding="utf-8")
    shutil.copy(RESOURCES / "vancouver.csl", work / "vancouver.csl")
    (work / "note.csl").write_text(NOTE_STYLE, encoding="utf-8")
    (tmp_path / "kept").mkdir()
    return work


def _document(body: str, csl: str | None = "vancouver.csl", extra: str = "") -> str:
    style = f"csl: {csl}\n" if csl else ""
    return f"---\nbibliography: references.bib\n{style}{extra}---\n\n{body}\n"


CITED = _document(
    "Sorafenib was approved [@brose2014], as @kim2019 found [see also @cox1984, p. 12; "
    "@brose2014].^[A note citing [@ye2020].]\n\n# References\n\n::: {#refs}\n:::\n"
)


def test_a_kept_result_is_taken_and_is_what_citeproc_writes(folder: Path) -> None:
    cache = folder.parent / "kept"
    plain = _render(folder, CITED, None)
    first = _render(folder, CITED, cache)
    [entry] = cache.glob(f"*{CITEPROC}")
    second = _render(folder, CITED, cache)
    assert first == second == plain
    assert "Sorafenib in thyroid cancer" in plain.output
    # The entry really is what a second run takes: changed, it shows in the output ...
    kept = entry.read_text(encoding="utf-8")
    entry.write_text(kept.replace('"Sorafenib"', '"Kept"'), encoding="utf-8")  # a title's word
    assert "Kept in thyroid cancer" in _render(folder, CITED, cache).output
    # ... unless the run may not read it (--no-cache), which computes it and replaces it.
    assert _render(folder, CITED, cache, read=False) == plain
    assert _render(folder, CITED, cache) == plain


@pytest.mark.parametrize("to", ["native", "typst", "docx"])
def test_every_format_gets_what_citeproc_writes(folder: Path, to: str) -> None:
    cache = folder.parent / "kept"
    if to == "docx":
        to = "native"  # the DOCX writer zips with the time; its input is the native document
        text = CITED.replace("---\n\n", "link-citations: true\n---\n\n", 1)
    else:
        text = CITED
    plain = _render(folder, text, None, to=to)
    assert _render(folder, text, cache, to=to) == plain
    assert _render(folder, text, cache, to=to) == plain


def test_one_result_serves_every_format(folder: Path) -> None:
    """citeproc's result does not depend on the writer: what the HTML pass kept is what the
    Typst and DOCX passes take, each writing what citeproc writes for it. The formats' own
    ``toc-title`` is not in the key; metadata citeproc reads is."""
    cache = folder.parent / "kept"
    formats = {"html5": ("--metadata=toc-title:Contents",), "typst": (), "native": ()}
    plain = {to: _render(folder, CITED, None, to=to, args=args) for to, args in formats.items()}
    for to, args in formats.items():
        assert _render(folder, CITED, cache, to=to, args=args) == plain[to]
    assert len(list(cache.glob(f"*{CITEPROC}"))) == 1
    linked = ("--metadata=link-citations:true",)
    assert _render(folder, CITED, cache, args=linked) == _render(folder, CITED, None, args=linked)
    assert len(list(cache.glob(f"*{CITEPROC}"))) == 2


def test_a_missing_key_is_warned_again_when_the_result_is_kept(folder: Path) -> None:
    """The render stops on citeproc's warning for a key in no bibliography
    (``_check_citations``): a kept result must give that warning as citeproc gave it."""
    cache = folder.parent / "kept"
    text = _document("As shown [@brose2014; @nokey], and [@other].")
    plain = _render(folder, text, None)
    assert plain.warnings == (
        "[WARNING] Citeproc: citation nokey not found\n"
        "[WARNING] Citeproc: citation other not found\n"
    )
    assert _render(folder, text, cache) == plain
    assert list(cache.glob(f"*{CITEPROC}"))
    assert _render(folder, text, cache) == plain


@pytest.mark.parametrize(
    "damaged", [b"", b"not json", b'{"pandoc-api-version":[1,23],"meta":{},"blocks":[]}']
)
def test_a_damaged_entry_is_computed_anew(folder: Path, damaged: bytes) -> None:
    cache = folder.parent / "kept"
    plain = _render(folder, CITED, None)
    _render(folder, CITED, cache)
    [entry] = cache.glob(f"*{CITEPROC}")
    entry.write_bytes(damaged)
    assert _render(folder, CITED, cache) == plain


@pytest.mark.parametrize("why", ["note style", "style found elsewhere"])
def test_a_result_that_depends_on_more_is_never_kept(
    folder: Path, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note style's citations become footnotes numbered with the document's own; a style
    pandoc finds in its data folder is not read by the filter, so it cannot be in the key."""
    cache = folder.parent / "kept"
    if why == "note style":
        text = _document("As shown [@brose2014].^[A note.]", "note.csl")
    else:
        data = folder.parent / "data"
        (data / "pandoc" / "csl").mkdir(parents=True)
        shutil.copy(folder / "vancouver.csl", data / "pandoc" / "csl" / "elsewhere.csl")
        monkeypatch.setenv("XDG_DATA_HOME", str(data))
        text = _document("As shown [@brose2014].", "elsewhere.csl")
    plain = _render(folder, text, None)
    assert "Sorafenib in thyroid cancer" in plain.output
    assert _render(folder, text, cache) == plain
    assert not list(cache.glob(f"*{CITEPROC}"))


def test_an_edit_of_the_filter_computes_anew(folder: Path) -> None:
    """The filter's own code is in the key: a changed filter never takes what the old one
    kept."""
    cache, lua = folder.parent / "kept", folder.parent / "references.lua"
    shutil.copy(lua_filter("references"), lua)
    plain = _render(folder, CITED, None)
    assert _render(folder, CITED, cache, lua=lua) == plain
    with lua.open("a", encoding="utf-8") as stream:
        stream.write("-- edited\n")
    assert _render(folder, CITED, cache, lua=lua) == plain
    assert len(list(cache.glob(f"*{CITEPROC}"))) == 2


def test_no_cache_folder_runs_citeproc(folder: Path) -> None:
    assert _render(folder, CITED, None) == _render(folder, CITED, folder.parent / "missing")


def test_the_filters_are_told_where_to_keep_and_whether_to_read(tmp_path: Path) -> None:
    assert KeptRenders(tmp_path / "study" / "rendered").filter_caches() == {
        "COHORTPRESS_CITEPROC": str((tmp_path / "study" / "rendered").resolve()),
        "COHORTPRESS_CITEPROC_READ": "1",
    }
    assert (tmp_path / "study" / "rendered").is_dir()
    no_cache = KeptRenders(tmp_path / "study" / "rendered", read=False)
    assert no_cache.filter_caches()["COHORTPRESS_CITEPROC_READ"] == "0"


# --- never stale: whatever was kept before, a run writes what citeproc writes --------------

_CITATION = st.sampled_from(KEYS + ("nokey",)).flatmap(
    lambda key: st.sampled_from(
        [
            f"[@{key}]",
            f"@{key}",
            f"[-@{key}]",
            f"[see @{key}, p. 3]",
            f"[@{key}; @kim2019]",
            f"^[As in [@{key}].]",
        ]  # fmt: skip
    )
)
_BIB_EDIT = st.sampled_from(
    [
        ("", ""),
        ("Sorafenib in", "Lenvatinib in"),
        ("year = {2019}", "year = {2018}"),
        ("@book{cox1984", "@book{cox1985"),
    ]  # fmt: skip
)
_META = st.fixed_dictionaries(
    {
        "csl": st.sampled_from(["vancouver.csl", None]),
        "extra": st.sampled_from(
            [
                "",
                "link-citations: true\n",
                "lang: de-DE\n",
                "nocite: '@ye2020'\n",
                "suppress-bibliography: true\n",
                "reference-section-title: Literature\n",
            ]  # fmt: skip
        ),
        "refs": st.booleans(),
    }
)


@st.composite
def _documents(draw: st.DrawFn) -> tuple[str, tuple[str, str]]:
    cites = draw(st.lists(_CITATION, max_size=5))
    body = " ".join(f"Sentence {i} {c}." for i, c in enumerate(cites)) or "No citation."
    meta = draw(_META)
    if meta["refs"]:
        body += "\n\n# References\n\n::: {#refs}\n:::\n"
    return _document(body, meta["csl"], meta["extra"]), draw(_BIB_EDIT)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=_documents(), after=_documents())
def test_a_run_after_any_other_writes_what_citeproc_writes(
    folder: Path, before: tuple[str, tuple[str, str]], after: tuple[str, tuple[str, str]]
) -> None:
    cache = folder.parent / "kept"
    for text, (old, new) in (before, after, after):  # the third run may take the second's
        (folder / "references.bib").write_text(BIB.replace(old, new), encoding="utf-8")
        assert _render(folder, text, cache) == _render(folder, text, None)
