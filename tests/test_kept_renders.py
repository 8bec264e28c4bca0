"""Kept renders: a document whose staged input and tools are those of an earlier render is
taken from there, and anything it reads that changed renders it again.

The keys are checked on a staging folder written here (fast); one end-to-end test renders the
small project, edits a sentence of the manuscript, and checks that only the manuscript was
rendered again and that the published bytes are those of an uncached run.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from small_project import make_project
from stage_hook import Stages

import cohortpress.cache._key as cache_key
from cohortpress.artefacts._supplement import KEPT_WORKBOOKS, KeptWorkbook
from cohortpress.cache import RENDERED, BuildCache
from cohortpress.errors import RenderError
from cohortpress.pipeline import build_report
from cohortpress.publish import CACHE
from cohortpress.render import KeptRenders
from cohortpress.render import _bibliography as bibliography
from cohortpress.render._kept import Rendered, kept, restore

DOCUMENTS = ("manuscript", "supplement", "data_report")


@dataclass(frozen=True)
class Job:
    """What a key reads of an ``EmbeddedJob``."""

    staging: Path
    stem: str
    formats: tuple[str, ...] = ("html",)
    env: dict[str, str] = field(default_factory=lambda: {"COHORTPRESS_FILES": "a\nb"})


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    folder = tmp_path / "staging"
    (folder / "_render").mkdir(parents=True)
    (folder / "_generated").mkdir()
    (folder / "figures").mkdir()
    (folder / "_generated/results.yml").write_text("results: {n: 26}\n", encoding="utf-8")
    (folder / "figures/km.png").write_bytes(b"\x89PNG a figure")
    for stem in DOCUMENTS:
        (folder / f"{stem}.qmd").write_text(f"# {stem}\n", encoding="utf-8")
        (folder / f"_render/{stem}.md").write_text(f"# {stem}\n", encoding="utf-8")
        (folder / f"_render/{stem}.metadata.yaml").write_text("title: x\n", encoding="utf-8")
    return folder


def _keys(staging: Path, **jobs: dict) -> dict[str, str]:
    store = KeptRenders(staging.parent / "kept")
    made = [Job(staging, stem, **jobs.get(stem, {})) for stem in DOCUMENTS]
    return dict(zip(DOCUMENTS, store.keys(made), strict=True))  # type: ignore[arg-type]


def test_same_staged_bytes_same_keys(staging: Path) -> None:
    first = _keys(staging)
    assert len(set(first.values())) == 3
    (staging / "figures/km.png").write_bytes(b"\x89PNG a figure")  # written again, same bytes
    assert _keys(staging) == first


def test_an_edit_of_one_document_changes_its_key_only(staging: Path) -> None:
    before = _keys(staging)
    (staging / "manuscript.qmd").write_text("# manuscript, edited\n", encoding="utf-8")
    (staging / "_render/manuscript.md").write_text("# manuscript, edited\n", encoding="utf-8")
    after = _keys(staging)
    assert after["manuscript"] != before["manuscript"]
    assert after["supplement"] == before["supplement"]
    assert after["data_report"] == before["data_report"]


@pytest.mark.parametrize(
    "change",
    [
        lambda s: (s / "figures/km.png").write_bytes(b"\x89PNG another figure"),
        lambda s: (s / "_generated/results.yml").write_text("results: {n: 25}\n", "utf-8"),
        lambda s: (s / "references.bib").write_text("@book{a, title={A}}\n", "utf-8"),
        lambda s: (s / "figures/km.png").rename(s / "figures/km-1.png"),
    ],
    ids=["figure", "generated text", "new file", "renamed file"],
)
def test_any_shared_staged_byte_changes_every_key(staging: Path, change) -> None:
    before = _keys(staging)
    change(staging)
    after = _keys(staging)
    assert all(after[stem] != before[stem] for stem in DOCUMENTS)


def test_another_documents_file_counts_when_named(staging: Path) -> None:
    """A document whose pandoc input names another document's source reads it: then an edit
    of that source renders it again too."""
    (staging / "_render/supplement.md").write_text("![](manuscript.qmd)\n", encoding="utf-8")
    before = _keys(staging)
    (staging / "manuscript.qmd").write_text("# manuscript, edited\n", encoding="utf-8")
    after = _keys(staging)
    assert after["supplement"] != before["supplement"]
    assert after["data_report"] == before["data_report"]


def test_formats_environment_and_tools_are_in_the_key(
    staging: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _keys(staging)
    assert (
        _keys(staging, supplement={"formats": ("html", "pdf")})["supplement"]
        != before["supplement"]
    )
    other = {"env": {"COHORTPRESS_FILES": "a"}}
    assert _keys(staging, supplement=other)["supplement"] != before["supplement"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert _keys(staging) != before
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    libraries = [*cache_key.libraries(), ["pypandoc-binary", "0.0"]]
    monkeypatch.setattr(cache_key, "libraries", lambda: libraries)
    assert all(_keys(staging)[stem] != before[stem] for stem in DOCUMENTS)


def test_kept_outputs_come_back_as_written(staging: Path) -> None:
    (staging / "supplement.html").write_bytes(b"<html>S1</html>")
    (staging / "supplement.pdf").write_bytes(b"%PDF S1")
    outputs = {"html": staging / "supplement.html", "pdf": staging / "supplement.pdf"}
    store = KeptRenders(staging.parent / "kept")
    store.save("k" * 64, kept(staging, outputs, ["a warning"]))
    rendered = store.load("k" * 64)
    assert rendered is not None
    assert rendered.notes == ("a warning",)
    elsewhere = staging.parent / "next"
    elsewhere.mkdir()
    assert restore(elsewhere, rendered) == {
        "html": elsewhere / "supplement.html",
        "pdf": elsewhere / "supplement.pdf",
    }
    assert (elsewhere / "supplement.pdf").read_bytes() == b"%PDF S1"
    assert KeptRenders(store.folder, read=False).load("k" * 64) is None  # --no-cache


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a pickle",
        pickle.dumps({"an": "old format"}),
        pickle.dumps(Rendered((("html", "../outside.html", b"x"),), ())),
    ],
    ids=["empty", "garbage", "foreign", "escaping path"],
)
def test_a_damaged_kept_render_is_a_miss(tmp_path: Path, content: bytes) -> None:
    store = KeptRenders(tmp_path)
    (tmp_path / f"{'d' * 64}.rendered").write_bytes(content)
    assert store.load("d" * 64) is None


def _files(folder: Path) -> dict[str, bytes]:
    folder = folder.resolve()
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.slow
def test_a_sentence_edit_renders_the_manuscript_only(tmp_path: Path) -> None:
    """After a sentence is added to manuscript.qmd, the supplement and the data report come
    from the kept renders (one new entry: the manuscript's), and every published byte is that
    of an uncached run."""
    study = make_project(tmp_path / "project")
    manuscript = study / "manuscript.qmd"
    manuscript.write_text(
        manuscript.read_text(encoding="utf-8").replace(
            "{{< include _generated/table-characteristics.md >}}\n", ""
        ),
        encoding="utf-8",
    )  # the table goes to the supplement: all three documents are rendered
    out = tmp_path / "out"
    formats = ("html", "pdf", "docx")
    build_report(study, formats=formats, engine="embedded", output_root=out)
    folder = out / CACHE / "thyroid" / RENDERED
    first = {p.name for p in folder.glob("*.rendered")}
    assert len(first) == 3
    [workbook] = folder.glob("*.xlsx")  # kept: the tables were made under the cache's key
    assert folder.stat().st_mode & 0o077 == 0
    assert folder.parent.stat().st_mode & 0o077 == 0
    with manuscript.open("a", encoding="utf-8") as stream:
        stream.write("\nA sentence added in an edit.\n")
    stages = Stages()
    build_report(study, formats=formats, engine="embedded", output_root=out, hook=stages)
    assert "analyse" not in stages.seen
    second = {p.name for p in folder.glob("*.rendered")}
    assert len(second - first) == 1  # the manuscript's
    assert list(folder.glob("*.xlsx")) == [workbook]  # the same tables and sheet names
    published = _files(out / "thyroid")
    assert "A sentence added in an edit." in published["manuscript.html"].decode()
    assert "supplement.pdf" in published
    build_report(study, formats=formats, engine="embedded", output_root=out, cache=False)
    assert _files(out / "thyroid") == published


def test_a_kept_workbook_is_found_by_its_key_and_sheet_names(tmp_path: Path) -> None:
    kept = KeptWorkbook(tmp_path, "a" * 64)
    sheets = {"characteristics": "Table I", "safety": "Table S1"}
    assert kept.find(sheets) is None
    zipped = tmp_path / "made.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("x", "y")
    kept.made = (kept.name(sheets), zipped.read_bytes())
    kept.keep()
    assert kept.find(sheets) == zipped.read_bytes()
    assert kept.find({**sheets, "safety": "Table II"}) is None  # renumbered by an edit
    assert KeptWorkbook(tmp_path, "b" * 64).find(sheets) is None  # other tables
    assert KeptWorkbook(tmp_path, "a" * 64, read=False).find(sheets) is None  # --no-cache
    (tmp_path / kept.name(sheets)).write_bytes(b"half a zip")
    assert kept.find(sheets) is None
    for n in range(KEPT_WORKBOOKS + 2):
        KeptWorkbook(tmp_path, "a" * 64, made=(f"{n}.xlsx", b"PK")).keep()
    assert len(list(tmp_path.glob("*.xlsx"))) == KEPT_WORKBOOKS


def test_only_a_cached_run_takes_a_kept_workbook(tmp_path: Path) -> None:
    """An uncached run's tables are the key's only if its inputs stayed as they were read,
    which is known after the run: it writes the workbook (and keeps it then), never copies."""
    store = BuildCache(tmp_path, key="c" * 64)
    cached, uncached = store.workbook(hit=True), store.workbook(hit=False)
    assert cached is not None and cached.read
    assert uncached is not None and not uncached.read
    assert BuildCache(tmp_path).workbook(hit=True) is None  # no key: nothing kept
    assert not BuildCache(tmp_path, key="c" * 64, read=False).workbook(hit=True).read


def test_a_bibliography_is_converted_once_for_its_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pandoc's CSL JSON of a .bib is kept by the file's bytes (and pandoc's identity): the next
    run reads it instead of running pandoc, and other bytes are converted anew."""
    monkeypatch.setattr(bibliography, "_converted", {})  # as in a fresh process
    staging = tmp_path / "staging"
    staging.mkdir()
    bib = staging / "references.bib"
    bib.write_text("@book{doe2020, title={A Book}, author={Doe, Jane}, year={2020}}\n", "utf-8")
    kept_renders = KeptRenders(tmp_path / "kept")
    [entry] = bibliography.read_entries(staging, "references.bib", kept_renders)
    assert entry["id"] == "doe2020"
    [converted] = (tmp_path / "kept").glob("*.csljson")
    assert json.loads(converted.read_text(encoding="utf-8"))[0]["id"] == "doe2020"
    monkeypatch.setattr(bibliography, "_converted", {})
    converted.write_text('[{"id": "kept"}]', encoding="utf-8")  # what pandoc would not write
    assert bibliography.read_entries(staging, "references.bib", kept_renders) == [{"id": "kept"}]
    no_cache = KeptRenders(tmp_path / "kept", read=False)
    monkeypatch.setattr(bibliography, "_converted", {})
    assert bibliography.read_entries(staging, "references.bib", no_cache)[0]["id"] == "doe2020"
    bib.write_text("@book{roe2021, title={B}, author={Roe, R}, year={2021}}\n", "utf-8")
    [entry] = bibliography.read_entries(staging, "references.bib", kept_renders)
    assert entry["id"] == "roe2021"
    converted.write_text("[{half", encoding="utf-8")  # damaged: converted anew
    monkeypatch.setattr(bibliography, "_converted", {})
    bib.write_text("@book{doe2020, title={A Book}, author={Doe, Jane}, year={2020}}\n", "utf-8")
    assert bibliography.read_entries(staging, "references.bib", kept_renders)[0]["id"] == "doe2020"


def test_a_bibliography_converted_ahead_is_taken_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run has pandoc convert the study's bibliographies while it reads and analyses
    (convert_ahead): reading the staged copy takes that conversion (pandoc ran once), keeps it
    for the next run, and a file pandoc cannot read is still reported where it always was."""
    monkeypatch.setattr(bibliography, "_converted", {})  # as in a fresh process
    monkeypatch.setattr(bibliography, "_converting", {})
    started: list[str] = []
    conversion = bibliography._Conversion

    def counted(folder: Path, name: str, reader: str) -> object:
        started.append(name)
        return conversion(folder, name, reader)

    monkeypatch.setattr(bibliography, "_Conversion", counted)
    study, staging = tmp_path / "study", tmp_path / "staging"
    for folder in (study, staging):
        folder.mkdir()
        (folder / "references.bib").write_text(
            "@book{doe2020, title={A Book}, author={Doe, Jane}, year={2020}}\n", "utf-8"
        )
        (folder / "broken.bib").write_text("@article{broken,\n  title = {no closing\n", "utf-8")
    bibliography.convert_ahead([study / "references.bib", study / "broken.bib"])
    bibliography.convert_ahead([study / "references.bib"])  # started already: not again
    assert started == ["references.bib", "broken.bib"]
    kept_renders = KeptRenders(tmp_path / "kept")
    [entry] = bibliography.read_entries(staging, "references.bib", kept_renders)
    assert entry["id"] == "doe2020"
    assert started == ["references.bib", "broken.bib"]  # taken, not converted again
    [kept_file] = (tmp_path / "kept").glob("*.csljson")
    assert json.loads(kept_file.read_text(encoding="utf-8"))[0]["id"] == "doe2020"
    with pytest.raises(RenderError, match="broken.bib cannot be read"):
        bibliography.read_entries(staging, "broken.bib", kept_renders)
    assert started == ["references.bib", "broken.bib", "broken.bib"]
    assert bibliography._converting == {}
    (staging / "references.bib").write_text("@book{roe2021, title={B}, year={2021}}\n", "utf-8")
    assert bibliography.read_entries(staging, "references.bib")[0]["id"] == "roe2021"  # its bytes
    monkeypatch.setattr(bibliography, "_converted", {})  # a later run, its conversion kept
    before = len(started)
    bibliography.convert_ahead([study / "references.bib"], kept_renders)
    assert len(started) == before  # not started again
    bibliography.convert_ahead([study / "references.bib"], KeptRenders(tmp_path / "other"))
    assert len(started) == before + 1  # not kept there: started


def test_a_conversion_started_by_another_process_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process forked after convert_ahead (the figures' drawer, a preview's build) holds the
    parent's conversions but cannot wait for pandoc, a child of the parent's: it converts."""
    monkeypatch.setattr(bibliography, "_converted", {})
    monkeypatch.setattr(bibliography, "_converting", {})
    (tmp_path / "references.bib").write_text("@book{doe2020, title={A}, year={2020}}\n", "utf-8")
    bibliography.convert_ahead([tmp_path / "references.bib"])
    [conversion] = bibliography._converting.values()
    monkeypatch.setattr(conversion, "owner", -1)  # as seen from a forked process
    assert conversion.text() is None
    assert bibliography.read_entries(tmp_path, "references.bib")[0]["id"] == "doe2020"
