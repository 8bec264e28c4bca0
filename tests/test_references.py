"""Citations: the methods bibliography, the Vancouver style, the Methods' citations of the
methods in force, and the author's bibliography merged with cohortpress's in every format."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import docx
import pypdf
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cohortpress.analyse import analyse
from cohortpress.artefacts.text import _citations as cite
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.errors import RenderError
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.render import render
from cohortpress.render._bibliography import (
    DEFAULT_CSL,
    METHODS_BIB,
    read_entries,
    stage_citations,
)
from cohortpress.render._pandoc import pandoc_path
from cohortpress.render._resources import RESOURCES

if TYPE_CHECKING:
    from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
NBSP = "\u00a0"


def _methods_entries() -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in read_entries(RESOURCES, "methods.bib")}


def _cited_keys() -> set[str]:
    tables = [cite.METHODS, cite.TIES, cite.CI_TRANSFORMS, cite.CRITERIA, cite.GRADING]
    return {key for table in tables for c in table.values() for key in c.keys}


# --- the methods bibliography and the style ------------------------------------------------


def test_every_key_the_methods_cite_is_in_the_methods_bibliography() -> None:
    entries = _methods_entries()
    assert _cited_keys() <= set(entries)
    assert set(entries) <= _cited_keys()  # and nothing in it that the Methods never cite


def test_methods_references_are_complete() -> None:
    for key, entry in _methods_entries().items():
        assert entry.get("title"), key
        if entry["type"] == "software":
            continue
        assert entry.get("author") and entry.get("issued"), key
        if entry["type"] == "article-journal":
            fields = ("container-title", "container-title-short", "volume", "page")
            assert all(entry.get(field) for field in fields), key
        assert "DOI" not in entry and "URL" not in entry, key


def _cite_with_style(text: str, csl: Path) -> str:
    command = [str(pandoc_path()), "--from=markdown", "--to=plain", "--wrap=none", "--citeproc",
               f"--bibliography={RESOURCES / 'methods.bib'}", f"--csl={csl}"]  # fmt: skip
    done = subprocess.run(command, input=text, capture_output=True, text=True, check=True)
    assert done.stderr == ""  # pandoc reads the style without a warning
    return done.stdout.replace(NBSP, " ")


def test_vancouver_style_numbers_in_order_of_citation() -> None:
    text = (
        "Curves [@kaplan1958] and models [@cox1972; @efron1977; @breslow1974], again [@kaplan1958]."
    )
    out = _cite_with_style(text, RESOURCES / "vancouver.csl")
    assert out.startswith("Curves (1) and models (2–4), again (1).")
    assert (
        "1. Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
        "J Am Stat Assoc. 1958;53(282):457–81.\n"
    ) in out
    assert (
        "2. Cox DR. Regression models and life-tables. J R Stat Soc Ser B. 1972;34(2):187–220."
        in out
    )
    assert out.index("2. Cox DR") < out.index("3. Efron B") < out.index("4. Breslow N")


def test_vancouver_style_lists_six_authors_then_et_al_and_reports() -> None:
    out = _cite_with_style("[@eisenhauer2009; @ctcae5; @fisher1934]", RESOURCES / "vancouver.csl")
    assert (
        "1. Eisenhauer EA, Therasse P, Bogaerts J, Schwartz LH, Sargent D, Ford R, et al. New "
        "response evaluation criteria in solid tumours: revised RECIST guideline (version 1.1). "
        "Eur J Cancer. 2009;45:228–47."
    ) in out
    assert (
        "2. National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE), "
        "version 5.0. Bethesda (MD): U.S. Department of Health and Human Services, National "
        "Institutes of Health, National Cancer Institute; 2017."
    ) in out
    assert "3. Fisher RA. Statistical methods for research workers. 5th ed. Edinburgh: " in out


# --- what the Methods cite -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("RECIST 1.1", "eisenhauer2009"),
        ("RECIST v1.1", "eisenhauer2009"),
        ("recist version 1.1", "eisenhauer2009"),
        ("Response Evaluation Criteria in Solid Tumors (RECIST) version 1.1", "eisenhauer2009"),
        ("RECIST 1.0", "therasse2000"),
        ("mRECIST", "lencioni2010"),
        ("modified RECIST", "lencioni2010"),
        ("iRECIST", "seymour2017"),
        ("RANO", "wen2010"),
        ("Lugano classification", "cheson2014"),
    ],
)
def test_response_criteria_are_cited(label: str, key: str) -> None:
    assert cite.criteria_citation(label).keys == (key,)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("CTCAE v5.0", "ctcae5"),
        ("CTCAE version 5", "ctcae5"),
        ("NCI-CTCAE v4.03", "ctcae403"),
        ("CTCAE v4.0", "ctcae4"),
        ("Common Terminology Criteria for Adverse Events version 3.0", "ctcae3"),
    ],
)
def test_ctcae_versions_are_cited(label: str, key: str) -> None:
    assert cite.grading_citation(label).keys == (key,)


@pytest.mark.parametrize(
    "label", ["RECIST", "RECIST 1.2", "RANO-BM", "CTCAE v4", "CTCAE v6.0", "WHO", "our own"]
)
def test_unknown_labels_get_no_citation(label: str) -> None:
    assert cite.criteria_citation(label) == cite.NONE
    assert cite.grading_citation(label) == cite.NONE
    assert cite.NONE.markdown() == ""


@given(st.text())
def test_any_label_cites_a_known_reference_or_nothing(label: str) -> None:
    assert cite.criteria_citation(label) in {cite.NONE, *cite.CRITERIA.values()}
    assert cite.grading_citation(label) in {cite.NONE, *cite.GRADING.values()}
    assert cite.finalize(label) != label or not re.search(r"[\[\]@]", label)


@given(st.text(min_size=1))
def test_a_citation_holds_only_bibliography_keys(key: str) -> None:
    if re.fullmatch(r"[a-z][a-z0-9]*", key):
        assert cite.Citation((key,)).markdown() == f" [@{key}]"
    else:
        with pytest.raises(ValueError, match="not a methods reference key"):
            cite.Citation((key,))


def _paragraphs(config: StudyConfig) -> dict[str, str]:
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    return write_paragraphs(results, config, numbers, normalisations=[], warnings=[])


def _thyroid(**changes: Any) -> StudyConfig:
    config = load_study(ROOT / "reports" / "thyroid")
    raw = config.model_dump(exclude_defaults=True)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return StudyConfig.model_validate({**raw, "folder": config.folder})


@pytest.fixture(scope="module")
def thyroid_methods() -> dict[str, str]:
    return _paragraphs(_thyroid())


def test_thyroid_methods_cite_what_the_analysis_used(thyroid_methods: dict[str, str]) -> None:
    stats = thyroid_methods["methods_statistics"]
    for cited in ("reverse Kaplan–Meier method [@schemper1996]",
                  "Kaplan–Meier method [@kaplan1958]", "log-rank test [@mantel1966; @peto1972]",
                  "Greenwood's variance [@greenwood1926]",
                  "log(−log) transformation [@kalbfleisch1980]",
                  "method of Brookmeyer and Crowley [@brookmeyer1982]",
                  "Cox proportional hazards regression [@cox1972]",
                  "tied event times [@efron1977]", "Wilcoxon rank-sum test [@wilcoxon1945]",
                  "Fisher's exact test [@fisher1934]", "CIs [@clopper1934]",
                  "[@cohortpress]", "[@harris2020]", "[@virtanen2020]",
                  "[@mckinney2010]"):  # fmt: skip
        assert cited in stats, cited
    assert "@breslow1974" not in stats
    definitions = thyroid_methods["methods_definitions"]
    assert "according to RECIST 1.1 [@eisenhauer2009]." in definitions
    assert "according to CTCAE v5.0 [@ctcae5];" in definitions


def test_the_ties_reference_follows_the_ties_setting() -> None:
    stats = _paragraphs(_thyroid(statistics__ties="breslow"))["methods_statistics"]
    assert "Breslow method for tied event times [@breslow1974]" in stats
    assert "@efron1977" not in stats


OWN_CATEGORIES = [
    {"code": "CR", "label": "Complete response", "counts_as": "response"},
    {"code": "PR", "label": "Partial response", "counts_as": "response"},
    {"code": "SD", "label": "Stable disease", "counts_as": "stable"},
    {"code": "PD", "label": "Progressive disease", "counts_as": "progression"},
    {"code": "NE", "label": "Not evaluable", "counts_as": "not_evaluable"},
]


def test_other_conventions_cite_their_own_methods() -> None:
    text = _paragraphs(
        _thyroid(
            statistics__conventions="r",
            response__criteria="Our own criteria",
            response__categories=OWN_CATEGORIES,
            adverse_events__grading="CTCAE v6.0",
        )
    )
    stats, definitions = text["methods_statistics"], text["methods_definitions"]
    assert "with a log transformation, and CIs" in stats
    assert "survfit" not in stats and "EZR" not in stats  # methods, not software defaults
    assert "@kalbfleisch1980" not in stats  # no reference for the log interval
    assert "according to Our own criteria. " in definitions
    assert "according to CTCAE v6.0; " in definitions
    assert "[@" not in definitions


# --- the render: the author's bibliography merged with the methods references -------------


def _stage(tmp: Path, manuscript: str | None = None, bib: str | None = None) -> Path:
    staging = tmp / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    if manuscript is not None:
        (staging / "manuscript.qmd").write_text(manuscript, encoding="utf-8")
    if bib is not None:
        (staging / "references.bib").write_text(bib, encoding="utf-8")
    return staging


def _texts(outputs: dict[str, Path]) -> dict[str, str]:
    html = re.sub(r"<style.*?</style>|<[^>]+>", " ", outputs["html"].read_text(encoding="utf-8"))
    pdf = "\n".join(page.extract_text() for page in pypdf.PdfReader(outputs["pdf"]).pages)
    word = "\n".join(p.text for p in docx.Document(str(outputs["docx"])).paragraphs)
    return {fmt: _plain(text) for fmt, text in {"html": html, "pdf": pdf, "docx": word}.items()}


def _plain(text: str) -> str:
    """Spaces collapsed, none before punctuation (HTML tags became spaces)."""
    text = re.sub(r"\s+", " ", text.replace(NBSP, " "))
    return re.sub(r"\s+(?=[.,;:)])|(?<=\()\s+", "", text)


@pytest.fixture(scope="module")
def fixture_texts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    staging = _stage(tmp_path_factory.mktemp("refs"))
    return _texts(render(staging, engine="embedded", project_root=ROOT).outputs)


# The fixture cites brose2014 (its own references.bib), then eisenhauer2009 (methods.bib, cited
# by the author), then the generated Methods' references in the order the text cites them.
IN_ORDER = (
    "1. Brose MS, Nutting CM, Jarzab B, et al. Sorafenib in radioactive",
    "2. Eisenhauer EA, Therasse P, Bogaerts J, Schwartz LH, Sargent D, Ford R, et al.",
    "3. Wilcoxon F. Individual comparisons by ranking methods.",
    "4. Fisher RA. Statistical methods for research workers.",
    "5. Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.",
    "6. Mantel N. Evaluation of survival data",
    "7. Peto R, Peto J. Asymptotically efficient rank invariant test procedures.",
    "8. Schemper M, Smith TL. A note on quantifying follow-up",
    "9. Cox DR. Regression models and life-tables.",
    "10. Efron B. The efficiency of Cox",
)


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_bibliography_in_every_format_numbered_in_order_of_citation(
    fixture_texts: dict[str, str], fmt: str
) -> None:
    text = fixture_texts[fmt]
    assert "phase III trial (1)." in text  # the author's citation
    assert "RECIST version 1.1 (2)." in text  # a methods reference cited by the author
    assert "log-rank test (6,7)" in text and "(Efron method for ties (10))" in text
    references = text[text.rindex("References") :]
    positions = [references.find(entry) for entry in IN_ORDER]
    assert -1 not in positions, [e for e, p in zip(IN_ORDER, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "11." not in references  # only what is cited is listed


def test_a_key_defined_differently_twice_is_an_error_naming_both_files(tmp_path: Path) -> None:
    bib = (FIXTURE / "references.bib").read_text(encoding="utf-8") + (
        "\n@article{kaplan1958,\n  author = {Kaplan, E. L. and Meier, P.},\n"
        "  title = {Nonparametric estimation},\n  journal = {JASA},\n  year = {1958}\n}\n"
    )
    staging = _stage(tmp_path, bib=bib)
    with pytest.raises(RenderError) as error:
        render(staging, formats=("html",), engine="embedded", project_root=ROOT)
    assert str(error.value) == (
        "the reference key 'kaplan1958' is defined differently in _resources/methods.bib "
        "(cohortpress's methods references) and in references.bib; delete one of the two "
        "entries (cite cohortpress's by its key), or give yours another key"
    )


def test_a_key_defined_alike_twice_is_fine(tmp_path: Path) -> None:
    methods = (RESOURCES / "methods.bib").read_text(encoding="utf-8")
    kaplan = methods[methods.index("@article{kaplan1958") :].split("\n}\n")[0] + "\n}\n"
    bib = (FIXTURE / "references.bib").read_text(encoding="utf-8") + "\n" + kaplan
    staging = _stage(tmp_path, bib=bib)
    outcome = render(staging, formats=("html",), engine="embedded", project_root=ROOT)
    assert outcome.notes == ()


def test_a_citation_no_bibliography_defines_stops_the_render(tmp_path: Path) -> None:
    manuscript = (FIXTURE / "manuscript.qmd").read_text(encoding="utf-8")
    manuscript = manuscript.replace("[@brose2014]", "[@brose2041]")
    line = manuscript.splitlines().index(
        next(x for x in manuscript.splitlines() if "@brose2041" in x)
    )
    staging = _stage(tmp_path, manuscript=manuscript)
    with pytest.raises(RenderError) as error:
        render(staging, formats=("html",), engine="embedded", project_root=ROOT)
    assert str(error.value) == (
        f"manuscript.qmd, line {line + 1}: @brose2041: cited, but defined in none of the "
        "bibliographies (_resources/methods.bib, references.bib); add the reference to your "
        "references.bib or correct the key"
    )


def test_references_bib_is_found_and_references_go_before_the_appendix(tmp_path: Path) -> None:
    manuscript = (FIXTURE / "manuscript.qmd").read_text(encoding="utf-8")
    manuscript = manuscript.replace("bibliography: references.bib\n", "")
    manuscript = manuscript.replace("# References\n\n::: {#refs}\n:::\n", "")
    manuscript += "\n# Data appendix {.appendix}\n\nThe appendix.\n"
    staging = _stage(tmp_path, manuscript=manuscript)
    outcome = render(staging, formats=("html", "docx"), engine="embedded", project_root=ROOT)
    for fmt in ("html", "docx"):
        text = _texts_of(outcome.outputs[fmt])
        assert text.rindex("References") < text.index("1. Brose MS") < text.rindex("Data appendix")
        assert text.index("10. Efron B") < text.index("The appendix.")


_CITED_ONLY = {
    "in the abstract": 'abstract: "As before [@brose2014]."\n---\n\nNo citation here.\n',
    "nowhere": "---\n\nNo citation here.\n",
}


@pytest.mark.parametrize("where", list(_CITED_ONLY))
def test_references_are_listed_wherever_cited_and_only_then(tmp_path: Path, where: str) -> None:
    """citeproc runs only on a document that cites (the front matter included); a document
    that does not gets no reference list."""
    manuscript = '---\ntitle: "A"\nbibliography: references.bib\n' + _CITED_ONLY[where]
    staging = _stage(tmp_path, manuscript=manuscript)
    outputs = render(staging, engine="embedded", project_root=ROOT).outputs
    for fmt, text in _texts(outputs).items():
        after = text[text.index("No citation here.") :]
        listed = "1. Brose MS, Nutting CM, Jarzab B, et al." in after
        assert listed == (where != "nowhere"), fmt
        assert ("References" in after) == (where != "nowhere"), fmt
        assert "brose2014" not in text, fmt  # never a raw key, as Typst's own @key would give


def _texts_of(path: Path) -> str:
    if path.suffix == ".docx":
        return _plain("\n".join(p.text for p in docx.Document(str(path)).paragraphs))
    html = path.read_text(encoding="utf-8")
    return _plain(re.sub(r"<[^>]+>", " ", html[html.index("<body") :]))


def test_csl_selects_another_style(tmp_path: Path) -> None:
    style = (RESOURCES / "vancouver.csl").read_text(encoding="utf-8")
    style = style.replace('layout prefix="(" suffix=")"', 'layout prefix="[" suffix="]"')
    manuscript = (FIXTURE / "manuscript.qmd").read_text(encoding="utf-8")
    manuscript = manuscript.replace("bibliography: references.bib\n", "csl: brackets.csl\n")
    staging = _stage(tmp_path, manuscript=manuscript)
    (staging / "brackets.csl").write_text(style, encoding="utf-8")
    outcome = render(staging, formats=("docx",), engine="embedded", project_root=ROOT)
    text = _texts_of(outcome.outputs["docx"])
    assert "phase III trial [1]." in text and "log-rank test [6,7]" in text


def test_quarto_gets_the_bibliographies_and_style_in_its_project_file(tmp_path: Path) -> None:
    staging = _stage(tmp_path)
    (staging / "_resources").mkdir()
    shutil.copy(RESOURCES / "methods.bib", staging / METHODS_BIB)
    project = {"format": {"html": {"toc": True}}, "bibliography": "shared.bib"}
    (staging / "shared.bib").write_text("", encoding="utf-8")
    staged = stage_citations(staging, project, ROOT)
    written = yaml.safe_load((staging / "_quarto.yml").read_text(encoding="utf-8"))
    assert written == staged
    # Quarto appends the front matter's references.bib to this list.
    assert written["bibliography"] == [METHODS_BIB, "shared.bib"]
    assert written["csl"] == DEFAULT_CSL
    assert written["format"] == {"html": {"toc": True}}


def test_a_study_folders_style_and_bibliographies_reach_the_staging_folder(tmp_path: Path) -> None:
    from cohortpress.pipeline import _stage_sources

    study = tmp_path / "study"
    shutil.copytree(ROOT / "reports" / "thyroid", study)
    (study / "journal.csl").write_text((RESOURCES / "vancouver.csl").read_text("utf-8"), "utf-8")
    config = load_study(study)
    _stage_sources(config, tmp_path / "staging")
    staged = sorted(path.name for path in (tmp_path / "staging").iterdir())
    assert staged == ["journal.csl", "manuscript.qmd", "references.bib"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("references.bib", "@article{broken,\n  title = {no closing brace\n", "cannot be read"),
        ("references.txt", "Kaplan and Meier, 1958", "is in no format citeproc reads"),
        ("references.json", "{not json", "is not valid CSL JSON"),
    ],
)
def test_an_unreadable_bibliography_is_named(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    manuscript = (FIXTURE / "manuscript.qmd").read_text(encoding="utf-8")
    manuscript = manuscript.replace("bibliography: references.bib", f"bibliography: {name}")
    staging = _stage(tmp_path, manuscript=manuscript)
    (staging / name).write_text(text, encoding="utf-8")
    with pytest.raises(RenderError, match=rf"^bibliography: {re.escape(name)} {message}"):
        render(staging, formats=("html",), engine="embedded", project_root=ROOT)


def test_a_project_bibliography_merges_with_the_studys(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    config = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    (root / "_quarto.yml").write_text(config + "bibliography: shared.bib\n", encoding="utf-8")
    (root / "shared.bib").write_text(
        "@book{collett2015,\n  author = {Collett, David},\n  title = {Modelling survival data "
        "in medical research},\n  edition = {3},\n  publisher = {CRC Press},\n"
        "  location = {Boca Raton},\n  year = {2015}\n}\n",
        encoding="utf-8",
    )
    manuscript = (FIXTURE / "manuscript.qmd").read_text(encoding="utf-8")
    manuscript = manuscript.replace("[@brose2014]", "[@brose2014; @collett2015]")
    staging = _stage(tmp_path, manuscript=manuscript)
    outcome = render(staging, formats=("docx",), engine="embedded", project_root=root)
    text = _texts_of(outcome.outputs["docx"])
    assert "phase III trial (1,2)." in text
    assert (
        "2. Collett D. Modelling survival data in medical research. 3rd ed. Boca Raton: CRC" in text
    )
    assert "3. Eisenhauer EA" in text
