"""Hostile text and hostile paths: nothing from a workbook or study.yml becomes markup, and the
render reads nothing outside the staging folder and nothing from the network.

One real report is built from a copy of the thyroid study whose workbook and study.yml carry
hostile text (AE terms, a variable label, a level label read through a synonym, a marker label,
the drug name); the tests inspect the HTML, PDF and DOCX it produced. The path attacks render the
small fixture staging folder (tests/fixtures/render/) with the embedded engine and expect a
RenderError naming the key or line and the path.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml

from cohortpress.artefacts import _meta_yaml
from cohortpress.errors import RenderError
from cohortpress.present.escape import markdown_text
from cohortpress.present.numbers import Numbers
from cohortpress.render import _typst as typst_step
from cohortpress.render import render
from cohortpress.render._pandoc import pandoc_path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
PLANTED = b"PLANTED-SECRET-BYTES-7f3a9c"  # a file outside the study that must never be read
FORMATS = ("html", "pdf", "docx")

# Hostile text, each with a word in front (the AE table sorts and the paragraph lowercases).
AE_TERMS = (
    "Rash <script>alert(1)</script>",
    "Pain <img src={outside} onerror=alert(2)>",
    "Cough ![p3](http://evil.example/p3.png) [s4](https://evil.example/s4)",
    "Fever `<w:p><w:r><w:t>OXMLINJECT</w:t></w:r></w:p>`{=openxml}",
    "Nausea `#emph[ty5]`{=typst} ```{=typst}",
    "Fatigue {{< meta results.n >}} {{< include /etc/passwd >}}",
    "Edema @smith2020 [@jones] [^n1]",
    "Anemia $x^2$ H~2~O 2^10^ \\textbf{tex1}",
    "Itch **b6** _i7_ &amp; &lt; <!-- c8 -->",
    "Gout # h9 > q10 | p11 | ::: d12",
    "Chills url(../outside/c13.png) @import url(c14.css) <style>c15{}</style>",
)
DRUG = "sorafenib *drug1* <b>drug2</b> $d3$"
VARIABLE_LABEL = "Diagnosis <script>lab1()</script> [lab2](http://evil.example/l)"
LEVEL = "Follicular <img src=x onerror=lev1()>"
MARKER_LABEL = "Lymphocyte-to-monocyte ratio $m1$ @mark2"
# The front matter and the sentences study.yml alone writes (title block, Declarations, Methods).
FRONT_MATTER = {
    "title": "Sorafenib <i>title1</i> *title2* $t3$ {{< meta results.n >}}",
    "author": "A. <b>Name1</b> @author2",
    "affiliation": "Oncology [aff1](http://evil.example/a) #aff2",
    "keyword": "LMR `kw1` <u>kw2</u>",
    "funding": "Funding <script>dec1()</script> **dec2** [^dec3]",
    "regimen": "400 mg <sup>reg1</sup> $reg2$ \\textbf{reg3}",
}
RUNNING_TITLE = "Running <b>run1</b> & *run2* #run3"
# An eligibility rule's reason, printed in the patient flow of the Results ("1 patients …").
EXCLUSION_REASON = "aged over 85 <i>ex1</i> *ex2* $ex3$ [ex4](http://evil.example/e) @ex5"
TITLE = FRONT_MATTER["title"]  # also the subtitle of the supplement and the data report
# Keys of cohortpress's own methods bibliography: cited, they would resolve silently.
CRITERIA = "RECIST 1.1 [@wen2010] @breslow1974"


def _hostile_study(tmp: Path) -> tuple[Path, list[str]]:
    """A project folder with the thyroid study made hostile; returns it and the hostile texts."""
    outside = tmp / "outside" / "secret.png"
    outside.parent.mkdir()
    outside.write_bytes(PLANTED)
    project = tmp / "project"
    study = project / "reports" / "thyroid"
    study.mkdir(parents=True)
    shutil.copy(ROOT / "_quarto.yml", project / "_quarto.yml")
    shutil.copy(ROOT / "reports" / "thyroid" / "manuscript.qmd", study / "manuscript.qmd")
    shutil.copy(ROOT / "reports" / "thyroid" / "references.bib", study / "references.bib")
    config = yaml.safe_load((ROOT / "reports" / "thyroid" / "study.yml").read_text("utf-8"))
    config["data"] = "thyroid.xlsx"
    config["treatment"]["drug"] = DRUG
    config["variables"]["diagnosis"]["label"] = VARIABLE_LABEL
    histology = config["variables"]["histology"]
    histology["levels"] = ["Papillary", LEVEL, "Poorly differentiated"]
    histology["synonyms"] = {"Follicular": LEVEL}
    for covariate in config["cox"]["covariates"]:
        if covariate["variable"] == "histology":
            covariate["groups"]["Others"] = [LEVEL, "Poorly differentiated"]
    config["markers"]["LMR"]["label"] = MARKER_LABEL
    config["title"] = FRONT_MATTER["title"]
    config["short_title"] = RUNNING_TITLE
    config["authors"][1] = {
        "name": FRONT_MATTER["author"],
        "affiliation": FRONT_MATTER["affiliation"],
    }
    config["keywords"].append(FRONT_MATTER["keyword"])
    config["declarations"]["funding"] = FRONT_MATTER["funding"]
    config["treatment"]["regimen"] = FRONT_MATTER["regimen"]
    config["inclusion"]["criteria"] = [{"exclude": "age > 85", "reason": EXCLUSION_REASON}]
    config["response"]["criteria"] = CRITERIA  # its own criteria: their categories declared
    config["response"]["categories"] = [
        {"code": code, "label": label, "counts_as": counts}
        for code, label, counts in (
            ("CR", "Complete response", "response"), ("PR", "Partial response", "response"),
            ("SD", "Stable disease", "stable"), ("PD", "Progressive disease", "progression"),
            ("NE", "Not evaluable", "not_evaluable"),
        )
    ]  # fmt: skip
    (study / "study.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    workbook = openpyxl.load_workbook(ROOT / "data" / "thyroid_sorafenib.xlsx")
    sheet = workbook["adverse_events"]
    terms = [term.replace("{outside}", str(outside)) for term in AE_TERMS]
    for term in terms:
        sheet.append(["TH-010", term, 1, None])  # an analysed patient
    workbook.save(study / "thyroid.xlsx")
    return project, [
        *terms,
        DRUG,
        VARIABLE_LABEL,
        LEVEL,
        MARKER_LABEL,
        CRITERIA,
        EXCLUSION_REASON,
        *FRONT_MATTER.values(),
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("hostile")
    project, hostile = _hostile_study(tmp)
    command = [
        sys.executable, "-m", "cohortpress", "report", "reports/thyroid",
        "--engine", "embedded", "--output", str(tmp / "out"), "-q",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return tmp / "out" / "thyroid", hostile


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text outside <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def _html(folder: Path, document: str = "manuscript") -> _Tags:
    parser = _Tags()
    parser.feed((folder / f"{document}.html").read_text(encoding="utf-8"))
    return parser


def _pdf_text(folder: Path, document: str = "manuscript") -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(folder / f"{document}.pdf"), "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def _docx_text(folder: Path, document: str = "manuscript") -> str:
    word = docx.Document(str(folder / f"{document}.docx"))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def _squeezed(text: str) -> str:
    """Text without any white space (and without hyphens a line break added), lowercased: a
    string shows literally when its squeezed form is in the output's squeezed text."""
    text = re.sub(r"-\n", "", text.replace("\xad", ""))
    return re.sub(r"\s+", "", text).lower()


@pytest.fixture(scope="module")
def texts(report: tuple[Path, list[str]]) -> dict[str, str]:
    folder, _ = report
    html = "".join(_html(folder).text)
    return {"html": html, "pdf": _pdf_text(folder), "docx": _docx_text(folder)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_text_shows_literally(
    report: tuple[Path, list[str]], texts: dict[str, str], fmt: str
) -> None:
    _, hostile = report
    shown = _squeezed(texts[fmt])
    missing = [text for text in hostile if _squeezed(text) not in shown]
    assert not missing, f"not shown literally in {fmt}: {missing}"


def test_hostile_running_title_shows_literally(report: tuple[Path, list[str]]) -> None:
    """The running title heads the PDF's pages after the first and the DOCX's header."""
    folder, _ = report
    assert _squeezed(RUNNING_TITLE) in _squeezed(_pdf_text(folder))
    with zipfile.ZipFile(folder / "manuscript.docx") as archive:
        header = archive.read("word/header1.xml").decode("utf-8")
    assert "Running &lt;b&gt;run1&lt;/b&gt; &amp; *run2* #run3</w:t>" in header


@pytest.mark.parametrize("fmt", FORMATS)
def test_supplement_shows_hostile_text_literally(report: tuple[Path, list[str]], fmt: str) -> None:
    """The supplement's comparison table holds the hostile level, variable and marker labels,
    and its subtitle the hostile study title."""
    folder = report[0]
    read = {"html": lambda: "".join(_html(folder, "supplement").text),
            "pdf": lambda: _pdf_text(folder, "supplement"),
            "docx": lambda: _docx_text(folder, "supplement")}  # fmt: skip
    shown = _squeezed(read[fmt]())
    missing = [t for t in (LEVEL, VARIABLE_LABEL, MARKER_LABEL, TITLE) if _squeezed(t) not in shown]
    assert not missing, f"not shown literally in the supplement ({fmt}): {missing}"


@pytest.mark.parametrize("document", ["manuscript", "supplement", "data_report"])
def test_html_has_no_script_or_event_handler(report: tuple[Path, list[str]], document: str) -> None:
    tags = _html(report[0], document).tags
    assert [tag for tag, _ in tags if tag in ("script", "iframe", "object", "embed")] == []
    handlers = [(tag, name) for tag, attrs in tags for name, _ in attrs if name.startswith("on")]
    assert handlers == []
    assert [tag for tag, _ in tags if tag == "math"] == []  # no $…$ became math
    if document != "manuscript":
        assert _squeezed(TITLE) in _squeezed("".join(_html(report[0], document).text))


def test_html_loads_nothing_remote_and_no_planted_file(report: tuple[Path, list[str]]) -> None:
    folder = report[0]
    source = (folder / "manuscript.html").read_text(encoding="utf-8")
    values = [value or "" for _, attrs in _html(folder).tags for _, value in attrs]
    remote = re.compile(r"^\s*(?:(?:https?|ftp):|//)", re.IGNORECASE)
    assert [v for v in values if remote.match(v) or "evil.example" in v] == []
    assert not re.search(r"url\(\s*[\"']?(?:https?:|ftp:|//)", source)
    assert base64.b64encode(PLANTED).decode()[:24] not in source
    assert "root:x:0:0" not in source


def test_citations_and_shortcodes_are_not_expanded(
    report: tuple[Path, list[str]], texts: dict[str, str]
) -> None:
    source = (report[0] / "manuscript.html").read_text(encoding="utf-8")
    cited = set(re.findall(r'data-cites="([^"]*)"', source))
    assert cited and not cited & {"smith2020", "jones", "mark2", "wen2010", "breslow1974"}
    assert 'class="footnote' not in source
    for text in texts.values():
        assert "{{< meta results.n >}}" in text
        assert "@smith2020" in text and "[@wen2010]" in text
        assert "Eisenhauer" not in text  # the criteria label is not "RECIST 1.1": no citation
        assert "Breslow N" not in text and "Wen PY" not in text


def test_docx_has_no_injected_openxml_or_planted_file(report: tuple[Path, list[str]]) -> None:
    with zipfile.ZipFile(report[0] / "manuscript.docx") as package:
        document = package.read("word/document.xml").decode("utf-8")
        media = [package.read(name) for name in package.namelist() if "media/" in name]
    assert "<w:t>OXMLINJECT</w:t>" not in document
    assert "&lt;w:t&gt;OXMLINJECT&lt;/w:t&gt;" in document
    assert PLANTED not in media
    assert "root:x:0:0" not in document


def test_pdf_has_no_injected_typst(texts: dict[str, str]) -> None:
    pdf = _squeezed(texts["pdf"])
    assert "`#emph[ty5]`{=typst}" in pdf
    assert "$x^2$" in pdf and "\\textbf{tex1}" in pdf


def test_figures_draw_dollar_signs_not_math(report: tuple[Path, list[str]]) -> None:
    """The drug name in the KM axis title holds $d3$: drawn as a dollar sign (the glyph
    DejaVuSans-24 in the SVG, whose text is drawn as paths), not as mathtext."""
    svg = (report[0] / "figures" / "survival.svg").read_text(encoding="utf-8")
    assert 'id="DejaVuSans-24"' in svg


def test_meta_texts_are_markdown_escaped_and_json_stays_plain(tmp_path: Path) -> None:
    """``results.yml`` feeds {{< meta >}}, read as Markdown; results.json keeps the text."""
    numbers = Numbers()
    numbers.add("ae.note", 1, "<b>x</b> @key {{< meta y >}}")
    meta = yaml.safe_load(_meta_yaml(numbers))["results"]["ae"]["note"]
    assert meta == r"\<b\>x\</b\> \@key \{\{\< meta y \>\}\}"
    assert json.loads(numbers.to_json())["ae"]["note"]["text"] == "<b>x</b> @key {{< meta y >}}"


# --- the render reads nothing outside the staging folder ----------------------------------


def _stage(tmp: Path, front_matter: str = "", body: str = "") -> Path:
    """The fixture staging folder with front-matter keys set (replacing the fixture's own)
    and ``body`` appended."""
    staging = tmp / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    manuscript = staging / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    for key in re.findall(r"^([\w-]+):", front_matter, flags=re.M):
        text = re.sub(rf"^{key}:.*\n", "", text, count=1, flags=re.M)
    manuscript.write_text("---\n" + front_matter + text[4:] + body, encoding="utf-8")
    return staging


def _outside_file(tmp: Path, name: str) -> Path:
    path = tmp / "outside" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(PLANTED)
    return path


def _project(tmp: Path, quarto: str = "") -> Path:
    project = tmp / "project"
    project.mkdir()
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8") + quarto
    (project / "_quarto.yml").write_text(text, encoding="utf-8")
    return project


FRONT_MATTER_ATTACKS = {
    "metadata-files": "metadata-files: [../outside/secret.yml]\n",
    "css": "format:\n  html:\n    css: /etc/passwd\n",
    "bibliography": "bibliography: ../outside/secret.bib\n",
    "csl": "csl: https://evil.example/style.csl\n",
    "reference-doc": "format:\n  docx:\n    reference-doc: ../outside/secret.docx\n",
    "template": "template: /etc/passwd\n",
    "include-in-header": "include-in-header:\n  - file: ../outside/secret.html\n",
    "include-before-body": "include-before-body: //evil.example/x.html\n",
    "include-after-body": "include-after-body: ../../x.html\n",
    "logo": "logo: /etc/passwd\n",
    "resource-path": "resource-path: [/etc]\n",
}


@pytest.mark.parametrize("key", list(FRONT_MATTER_ATTACKS))
def test_front_matter_paths_outside_stop_the_render(tmp_path: Path, key: str) -> None:
    staging = _stage(tmp_path, FRONT_MATTER_ATTACKS[key])
    with pytest.raises(RenderError, match=rf"front matter: (format\.\w+\.)?{key}: '") as caught:
        render(staging, engine="embedded", project_root=ROOT)
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("quarto", "named"),
    [
        ("metadata-files: [/etc/passwd]\n", "metadata-files: '/etc/passwd'"),
        ("bibliography: http://evil.example/refs.bib\n", "bibliography: 'http://evil.example"),
        ("filters: [../outside/evil.lua]\n", "filters: '../outside/evil.lua'"),
    ],
)
def test_quarto_yml_paths_outside_stop_the_render(tmp_path: Path, quarto: str, named: str) -> None:
    staging = _stage(tmp_path)
    with pytest.raises(RenderError, match=re.escape(f"_quarto.yml: {named}")):
        render(staging, engine="embedded", project_root=_project(tmp_path, quarto))


def test_symlinked_bibliography_to_outside_stops_the_render(tmp_path: Path) -> None:
    staging = _stage(tmp_path, "bibliography: linked.bib\n")
    (staging / "linked.bib").symlink_to(_outside_file(tmp_path, "secret.bib"))
    with pytest.raises(RenderError, match="bibliography: 'linked.bib' is outside"):
        render(staging, engine="embedded", project_root=ROOT)


def test_stylesheet_loading_a_remote_file_stops_the_render(tmp_path: Path) -> None:
    staging = _stage(tmp_path, "format:\n  html:\n    css: own.css\n")
    (staging / "own.css").write_text('@import url("https://evil.example/x.css");\n', "utf-8")
    with pytest.raises(RenderError, match="css: own.css: 'https://evil.example/x.css'"):
        render(staging, engine="embedded", project_root=ROOT)


IMAGE_ATTACKS = {
    "absolute": "![secret]({outside})",
    "parent": "![secret](../outside/secret.png)",
    "remote": "![remote](http://evil.example/x.png)",
    "symlink": "![linked](figures/linked.png)",
    "raw-html": '<img src="https://evil.example/pixel.png">',
    "raw-html-outside": '```{{=html}}\n<video poster="../outside/secret.png"></video>\n```',
    "style-attribute": '```{{=html}}\n<p style="background: url(../outside/secret.png)">x</p>\n```',
    "style-element": "```{{=html}}\n<style>p {{ background: url('{outside}') }}</style>\n```",
    "srcset": '<img srcset="data:image/png;base64,AA== 2x, ../outside/secret.png 1x">',
    "character-references": '<img src="https&#x3A;&sol;/evil.example/pixel.png">',
    "style-character-references": (
        '```{{=html}}\n<p style="background: url(&quot;../outside/secret.png&quot;)">x</p>\n```'
    ),
}
# DOCX and PDF drop these raw HTML elements and attributes (nothing is loaded): HTML only.
HTML_ONLY = {
    "raw-html-outside",
    "style-attribute",
    "style-element",
    "srcset",
    "style-character-references",
}
IMAGE_CASES = [
    (attack, fmt)
    for attack in IMAGE_ATTACKS
    for fmt in FORMATS
    if attack not in HTML_ONLY or fmt == "html"
]


def test_raw_html_loading_staged_files_renders(tmp_path: Path) -> None:
    """A srcset with a data URI (its comma inside the URL), a style attribute and a <style>
    element loading a figure of the study: admitted, and embedded in the page."""
    body = (
        "\n\n```{=html}\n"
        '<img srcset="data:image/png;base64,AA== 2x, figures/figure-1.png 1x">\n'
        '<p style="background: url(figures/figure-1.png)">x</p>\n'
        "<style>p.x { background: url('figures/figure-1.png') }</style>\n"
        "```\n"
    )
    outcome = render(_stage(tmp_path, body=body), formats=("html",), engine="embedded",
                     project_root=ROOT)  # fmt: skip
    page = outcome.outputs["html"].read_text(encoding="utf-8")
    assert "figure-1.png" not in page and page.count("data:image/png;base64,") >= 4


def test_raw_html_is_read_as_the_browser_reads_it(tmp_path: Path) -> None:
    """Attribute values with character references, as an author's HTML (or an editor) writes
    them: a staged figure named so is admitted and embedded (it used to stop the render as a
    missing file), and a remote or outside target is refused for what it is."""
    body = (
        "\n\n```{=html}\n"
        '<img src="figures&sol;figure-1&#46;png">\n'
        '<p style="background: url(&quot;figures/figure-1.png&quot;)">x</p>\n'
        "```\n"
    )
    outcome = render(_stage(tmp_path / "staged", body=body), formats=("html",),
                     engine="embedded", project_root=ROOT)  # fmt: skip
    page = outcome.outputs["html"].read_text(encoding="utf-8")
    assert "figure-1" not in page and page.count("data:image/png;base64,") >= 3
    for attack, (target, why) in enumerate((
        ("https&#x3A;//evil.example/x.png", "a remote resource"),
        ("&#46;&#46;/outside/secret.png", "outside the staging folder"),
        ("figures&sol;figure-1&period;png&#0;", "no such file"),  # NUL is no character
    )):  # fmt: skip
        body = f'\n\n```{{=html}}\n<img src="{target}">\n```\n'
        staging = _stage(tmp_path / f"attack-{attack}", body=body)
        with pytest.raises(RenderError, match=why):
            render(staging, formats=("html",), engine="embedded", project_root=ROOT)


@pytest.mark.parametrize(("attack", "fmt"), IMAGE_CASES)
def test_images_outside_or_remote_stop_the_render(tmp_path: Path, attack: str, fmt: str) -> None:
    outside = _outside_file(tmp_path, "secret.png")
    body = "\n\n" + IMAGE_ATTACKS[attack].format(outside=outside) + "\n"
    staging = _stage(tmp_path, body=body)
    (staging / "figures" / "linked.png").symlink_to(outside)
    with pytest.raises(RenderError, match=r"manuscript\.qmd, line \d+: (image|resource) '"):
        render(staging, formats=(fmt,), engine="embedded", project_root=ROOT)


def test_typst_packages_are_refused(tmp_path: Path) -> None:
    body = '\n\n```{=typst}\n#import "@preview/cetz:0.2.2": canvas\n```\n'
    staging = _stage(tmp_path, body=body)
    with pytest.raises(RenderError, match="@preview/cetz:0.2.2"):
        render(staging, formats=("pdf",), engine="embedded", project_root=ROOT)
    with pytest.raises(RenderError, match="downloaded from the network"):
        typst_step.refuse_packages('#include ("@preview/x:1.0.0")')


def test_runaway_typst_ends_with_a_render_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw Typst that doubles a string without end hits the compiler's memory limit (lowered
    here so the test is quick) and the render stops with a message."""
    monkeypatch.setattr(typst_step, "MEMORY_BYTES", 1024**3)
    body = '\n\n```{=typst}\n#let s = "ab"\n#for i in range(60) { s = s + s }\n#s.len()\n```\n'
    staging = _stage(tmp_path, body=body)
    with pytest.raises(RenderError, match="typst stopped before finishing the PDF"):
        render(staging, formats=("pdf",), engine="embedded", project_root=ROOT)


def test_wheel_pandoc_is_used_whatever_is_on_path(tmp_path: Path) -> None:
    """An older pandoc first on PATH (Debian's 2.17 lacks --embed-resources and Typst) changes
    nothing: the three formats render side by side with the wheel's pandoc."""
    system = shutil.which("pandoc", path="/usr/bin")
    if system is None:
        pytest.skip("no system pandoc in /usr/bin to put first on PATH")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pandoc").symlink_to(system)
    staging = _stage(tmp_path)
    script = (
        "import sys; from pathlib import Path; from cohortpress.render import render; "
        "out = render(Path(sys.argv[1]), engine='embedded', project_root=Path(sys.argv[2])); "
        "print(sorted(out.outputs))"
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-c", script, str(staging), str(ROOT)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['docx', 'html', 'pdf']"


# --- the Markdown escaper, read back by pandoc ---------------------------------------------

ESCAPE_CASES = (
    *AE_TERMS,
    "# heading", "> quote", "- item", "+ item", "1. item", "2) item", "| a | b |", "::: div",
    "=====", "***", "    indented code", "term\n: definition", "a  \nb", "line\\", "<!-- x -->",
    "&copy; &#60;", "<http://evil.example>", "[^1]", "^[note]", "~~gone~~", "[text]{.class}",
    "{{{< meta x >}}}", "`x`{=html}", "$$x$$", "\\(x\\)", "@key and [@key]", "*a* _b_ __c__",
    "x<y>z", "![](x.png){#fig-x}", "[x]: http://evil.example", "%title", "===", "- ", "+",
)  # fmt: skip


def _inlines(node: object) -> list[dict]:
    """Every element of a pandoc JSON AST, depth first."""
    if isinstance(node, dict):
        found = [node] if "t" in node else []
        return found + [item for value in node.values() for item in _inlines(value)]
    if isinstance(node, list):
        return [item for value in node for item in _inlines(value)]
    return []


@pytest.mark.parametrize("placement", ["{}", "Before {} after.", "- {}", "{}\n\n{}"])
def test_markdown_text_reads_back_as_plain_text(placement: str) -> None:
    """Each value, escaped, is read by pandoc's Markdown reader as text only: no element but
    words and spaces, and the same characters (white space runs collapsed to one space)."""
    values = [v.replace("{outside}", "/tmp/x.png") for v in ESCAPE_CASES]
    copies = placement.count("{}")
    source = "\n\n".join(placement.format(*[markdown_text(v)] * copies) for v in values)
    done = subprocess.run(
        [str(pandoc_path()), "-f", "markdown", "-t", "json"],
        input=source, capture_output=True, text=True, check=True,
    )  # fmt: skip
    blocks = json.loads(done.stdout)["blocks"]
    kinds = {e["t"] for e in _inlines(blocks)} - {"Str", "Space", "Para", "BulletList", "Plain"}
    assert kinds == set()
    words = " ".join(e["c"] for e in _inlines(blocks) if e["t"] == "Str")
    for value in values:
        assert " ".join(value.split()) in words


@pytest.mark.slow
def test_hostile_text_through_the_dask_engine(tmp_path: Path) -> None:
    """The same hostile study read as a Parquet extract by the Dask engine (a local cluster
    the command starts): its cell and study.yml text shows literally, and nothing runs."""
    pytest.importorskip("distributed")
    import pandas as pd

    project, hostile = _hostile_study(tmp_path)
    workbook = project / "reports" / "thyroid" / "thyroid.xlsx"
    extract = tmp_path / "extract"
    for sheet, frame in pd.read_excel(workbook, sheet_name=None).items():
        (extract / sheet).mkdir(parents=True)
        frame.to_parquet(extract / sheet / "part-0.parquet", index=False)
    command = [
        sys.executable, "-m", "cohortpress", "report", "reports/thyroid", "--data", str(extract),
        "--engine-data", "dask", "--to", "html", "--engine", "embedded",
        "--output", str(tmp_path / "out"), "-q",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "thyroid"
    assert not (folder / "cuts").exists()  # the Dask engine ran: it archives no data cut
    page = _html(folder)
    shown = _squeezed("".join(page.text))
    assert [text for text in hostile if _squeezed(text) not in shown] == []
    assert [tag for tag, _ in page.tags if tag in ("script", "iframe", "object", "embed")] == []
    assert [name for _, attrs in page.tags for name, _ in attrs if name.startswith("on")] == []
