"""The front matter from study.yml: the generated metadata file and Declarations section, the
check that manuscript.qmd does not contradict study.yml, and the rendered title block, running
title and Declarations in HTML, PDF and DOCX (embedded engine, on the render fixture)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
import yaml
from small_project import make_project, run

from cohortpress.artefacts._front_matter import (
    declarations_markdown,
    front_matter,
    front_matter_yaml,
)
from cohortpress.artefacts._manuscript import check_manuscript
from cohortpress.artefacts.text._paragraphs import _environment
from cohortpress.config import Author, Declarations, StudyConfig, Treatment, load_study
from cohortpress.errors import StudyConfigError
from cohortpress.render import render

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
THYROID = load_study(ROOT / "reports" / "thyroid")
HEAD = "---\nmetadata-files:\n  - _generated/results.yml\n  - _generated/front-matter.yml\n"
BODY = (
    "---\n\nText.\n{{< include _generated/methods_treatment.md >}}\n\n"
    "{{< include _generated/declarations.md >}}\n"
)


def _study(tmp: Path, extra_front_matter: str = "", body: str = BODY) -> StudyConfig:
    """The thyroid configuration with its folder at ``tmp``, holding the manuscript given."""
    (tmp / "manuscript.qmd").write_text(HEAD + extra_front_matter + body, encoding="utf-8")
    return THYROID.model_copy(update={"folder": tmp})


# The generated metadata and section ------------------------------------------------------------


def test_front_matter_follows_quartos_author_schema() -> None:
    meta = yaml.safe_load(front_matter_yaml(THYROID))
    assert meta["title"].startswith("Efficacy and Safety of Sorafenib")
    assert meta["running-title"] == "Sorafenib and immunity markers in RR-DTC"
    first, second = meta["author"]
    assert first == {
        "name": "A. Investigator",
        "affiliations": ["Department of Medical Oncology, Example City Hospital"],
        "email": "a.investigator@example.org",
        "corresponding": True,
    }
    assert "corresponding" not in second and "email" not in second
    assert meta["keywords"][0] == "sorafenib"


def test_front_matter_texts_are_escaped_for_markdown() -> None:
    config = THYROID.model_copy(
        update={
            "title": "A *b* <i>c</i> {{< meta results.n >}}",
            "authors": (Author(name="X @y", affiliation="Dept [z](http://e)"),),
            "keywords": ("k $1$",),
        }
    )
    meta = front_matter(config)
    assert meta["title"] == r"A \*b\* \<i\>c\</i\> \{\{\< meta results.n \>\}\}"
    assert meta["author"] == [{"name": r"X \@y", "affiliations": [r"Dept \[z\](http\://e)"]}]
    assert meta["keywords"] == [r"k \$1\$"]
    assert front_matter(config, escape=False)["title"] == config.title


def test_affiliations_one_or_several() -> None:
    assert Author(name="A", affiliation="One").affiliations == ("One",)
    assert Author(name="A", affiliation=["One", "Two"]).affiliations == ("One", "Two")
    assert Author(name="A").affiliations == ()


def test_declarations_in_journal_order_and_escaped() -> None:
    config = THYROID.model_copy(
        update={"declarations": Declarations(funding="None *at all*", ethics="IRB <b>7</b>")}
    )
    text = declarations_markdown(config)
    assert text.startswith("## Declarations\n\n**Ethics approval.** IRB \\<b\\>7\\</b\\>")
    assert text.index("Ethics approval") < text.index("Funding")
    assert "**Funding.** None \\*at all\\*" in text
    assert declarations_markdown(THYROID.model_copy(update={"declarations": Declarations()})) == ""


@pytest.mark.parametrize(
    ("regimen", "line", "sentence"),
    [
        (
            "400 mg twice daily",
            "second-line",
            "Sorafenib was given at 400 mg twice daily as second-line therapy.",
        ),  # fmt: skip
        ("400 mg twice daily", None, "Sorafenib was given at 400 mg twice daily."),
        (None, "first-line", "Sorafenib was given as first-line therapy."),
        (None, None, ""),
        ("800 mg *daily*", None, "Sorafenib was given at 800 mg \\*daily\\*."),
    ],
)
def test_treatment_sentence(regimen: str | None, line: str | None, sentence: str) -> None:
    treatment = Treatment(drug="sorafenib", regimen=regimen, line=line)
    config = THYROID.model_copy(update={"treatment": treatment})
    text = _environment().get_template("methods_treatment.md.j2").render(config=config)
    assert text.strip() == sentence


@pytest.mark.parametrize(
    ("authors", "message"),
    [
        ([{"name": "A", "corresponding": True}], "needs an `email`"),
        (
            [
                {"name": "A", "corresponding": True, "email": "a@example.org"},
                {"name": "B", "corresponding": True, "email": "b@example.org"},
            ],
            "are all marked corresponding",
        ),
        ([{"name": "A", "email": "a@example.org <b>"}], "authors.0.email"),
    ],
)
def test_author_rules_in_study_yml(tmp_path: Path, authors: list[dict], message: str) -> None:
    raw = yaml.safe_load((ROOT / "reports/thyroid/study.yml").read_text(encoding="utf-8"))
    raw["authors"] = authors
    raw["data"] = str(ROOT / "data/thyroid_sorafenib.xlsx")
    (tmp_path / "study.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(StudyConfigError, match=re.escape(message)):
        load_study(tmp_path)


# manuscript.qmd against study.yml --------------------------------------------------------------


def test_the_example_manuscripts_pass() -> None:
    check_manuscript(THYROID)
    check_manuscript(load_study(ROOT / "reports" / "renal"))


@pytest.mark.parametrize(
    ("front", "key"),
    [
        ('title: "Another title"\n', "title"),
        ("author: [Somebody Else]\n", "author"),
        ("authors: [{name: A. Investigator}]\n", "authors"),  # no affiliation, no e-mail
        ("keywords: [other]\n", "keywords"),
        ("running-title: Other\n", "running-title"),
    ],
)
def test_written_twice_differently_is_an_error_naming_both(
    tmp_path: Path, front: str, key: str
) -> None:
    config = _study(tmp_path, front)
    with pytest.raises(StudyConfigError) as caught:
        check_manuscript(config)
    message = str(caught.value)
    assert "study.yml" in message and str(tmp_path / "manuscript.qmd") in message
    assert f"remove `{key}:` from the front matter" in message


def test_written_twice_identically_is_accepted(tmp_path: Path) -> None:
    same = (
        f"title: >-\n  {THYROID.title}\n"
        "author:\n"
        "  - name: A. Investigator\n"
        "    affiliations: ['Department of Medical Oncology, Example City Hospital']\n"
        "    email: a.investigator@example.org\n"
        "    corresponding: true\n"
        "  - name: B. Coauthor\n"
        "    affiliations:\n"
        "      - {name: 'Department of Medical Oncology, Example City Hospital'}\n"
        "keywords: sorafenib, thyroid cancer, lymphocyte-to-monocyte ratio, real-world data\n"
    )
    check_manuscript(_study(tmp_path, same))


def test_the_metadata_file_must_be_listed(tmp_path: Path) -> None:
    (tmp_path / "manuscript.qmd").write_text(
        "---\nmetadata-files: [_generated/results.yml]\n" + BODY, encoding="utf-8"
    )
    with pytest.raises(StudyConfigError, match="does not list _generated/front-matter.yml"):
        check_manuscript(THYROID.model_copy(update={"folder": tmp_path}))


@pytest.mark.parametrize(
    ("left_out", "keys"),
    [
        ("declarations.md", "declarations.ethics, declarations.consent"),
        ("methods_treatment.md", "treatment.regimen"),
    ],
)
def test_declared_parts_must_be_included(tmp_path: Path, left_out: str, keys: str) -> None:
    body = "\n".join(line for line in BODY.splitlines() if left_out not in line) + "\n"
    with pytest.raises(StudyConfigError) as caught:
        check_manuscript(_study(tmp_path, body=body))
    message = str(caught.value)
    assert keys in message and f"{{{{< include _generated/{left_out} >}}}}" in message


def test_report_stops_with_the_conflict_before_analysing(tmp_path: Path) -> None:
    study = make_project(tmp_path)
    manuscript = study / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8")
    manuscript.write_text(text.replace("---\n", "---\ntitle: Old title\n", 1), encoding="utf-8")
    done = run(study, "--output", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    flat = re.sub(r"\s+", " ", done.stderr)
    assert "title is written both in" in flat and "manuscript.qmd" in flat
    assert not (tmp_path / "out" / "thyroid").exists()


# Rendered: title block, running title, declarations --------------------------------------------

CONFIG = THYROID.model_copy(
    update={
        "title": "Sorafenib in <RR-DTC> & *friends*",
        "short_title": "Sorafenib <b>run1</b> & *run2*",
        "authors": (
            Author(
                name="Aiko Tanaka",
                affiliation=("Oncology, Fukuyama",),
                email="a.t@example.org",
                corresponding=True,
            ),  # fmt: skip
            Author(
                name="Kenji Sato",
                affiliation=("Clinical Research, Hiroshima", "Oncology, Fukuyama"),
            ),  # fmt: skip
        ),
        "keywords": ("thyroid cancer", "LMR $1$"),
        "declarations": Declarations(ethics="IRB No. 567.", funding="None <i>at</i> all."),
    }
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The render fixture with its front matter moved to the generated metadata file, and a
    Conclusion and the Declarations before its References."""
    staging = tmp_path_factory.mktemp("front") / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    source = (staging / "manuscript.qmd").read_text(encoding="utf-8")
    front, body = source.split("\n---\n", 1)
    kept = yaml.safe_load(front.removeprefix("---\n"))
    for key in ("title", "author", "keywords"):
        kept.pop(key)
    kept["metadata-files"] = ["_generated/results.yml", "_generated/front-matter.yml"]
    body = body.replace(
        "# References",
        "# Conclusion\n\nIt works.\n\n{{< include _generated/declarations.md >}}\n\n# References",
    )
    head = yaml.safe_dump(kept, allow_unicode=True, sort_keys=False)
    (staging / "manuscript.qmd").write_text(f"---\n{head}---\n{body}", encoding="utf-8")
    generated = staging / "_generated"
    (generated / "front-matter.yml").write_text(front_matter_yaml(CONFIG), encoding="utf-8")
    (generated / "declarations.md").write_text(declarations_markdown(CONFIG), encoding="utf-8")
    return render(staging, engine="embedded", project_root=ROOT).outputs


def _text(outputs: dict[str, Path], fmt: str) -> str:
    if fmt == "html":
        html = outputs["html"].read_text(encoding="utf-8")
        html = re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
        from html import unescape

        return re.sub(r"\s+", " ", unescape(html))
    if fmt == "pdf":
        pages = pypdf.PdfReader(outputs["pdf"]).pages
        return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in pages))
    document = docx.Document(str(outputs["docx"]))
    return re.sub(r"\s+", " ", "\n".join(p.text for p in document.paragraphs))


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_title_block_from_study_yml(rendered: dict[str, Path], fmt: str) -> None:
    text = _text(rendered, fmt)
    assert "Sorafenib in <RR-DTC> & *friends*" in text
    assert re.search(r"Aiko Tanaka ?1 ?\* ?(,| and) Kenji Sato ?2 ?, ?1", text), text[:400]
    assert re.search(r"1 ?Oncology, Fukuyama.*2 ?Clinical Research, Hiroshima", text)
    assert "Correspondence to: Aiko Tanaka, a.t@example.org" in text
    assert "thyroid cancer, LMR $1$" in text


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_declarations_after_conclusion_before_references(
    rendered: dict[str, Path], fmt: str
) -> None:
    text = _text(rendered, fmt)
    conclusion = text.index("It works.")
    declarations = text.index("Declarations Ethics approval.")  # not the HTML contents
    assert conclusion < declarations < text.index("Eur J Cancer")  # a reference
    assert "Ethics approval. IRB No. 567." in text
    assert "Funding. None <i>at</i> all." in text
    assert text.index("Ethics approval") < text.index("Funding")


def test_running_title_heads_the_pdf_from_page_two(rendered: dict[str, Path]) -> None:
    pages = [page.extract_text() for page in pypdf.PdfReader(rendered["pdf"]).pages]
    running = "Sorafenib <b>run1</b> & *run2*"
    assert running not in pages[0]
    assert all(running in page for page in pages[1:])


def test_running_title_in_the_docx_header(rendered: dict[str, Path]) -> None:
    with zipfile.ZipFile(rendered["docx"]) as archive:
        header = archive.read("word/header1.xml").decode("utf-8")
        document = archive.read("word/document.xml").decode("utf-8")
    assert "Sorafenib &lt;b&gt;run1&lt;/b&gt; &amp; *run2*</w:t>" in header
    assert "DOCPROPERTY &quot;running-title&quot;" in header
    assert "<w:titlePg" in document  # no running title on the title page
