"""End to end: the example studies render to HTML, PDF and DOCX with the papers' numbers.

Each study is rendered once per test session (embedded engine) into a temporary output folder;
the tests then read the three documents back as text.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pypandoc
import pytest
from pypdf import PdfReader

from cohortpress.render._embed import PAGE_POLICY

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _render(study: str, out: Path) -> Path:
    command = [
        sys.executable, "-m", "cohortpress", "report", f"reports/{study}",
        "--engine", "embedded", "--output", str(out), "-q",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return out / study


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("output")
    return {study: _render(study, out) for study in ("thyroid", "renal")}


def _texts(folder: Path) -> dict[str, str]:
    html = (folder / "manuscript.html").read_text(encoding="utf-8")
    pdf = "\n".join(page.extract_text() for page in PdfReader(folder / "manuscript.pdf").pages)
    docx = pypandoc.convert_file(
        str(folder / "manuscript.docx"), "plain", extra_args=["--wrap=none"]
    )
    plain_html = pypandoc.convert_text(html, "plain", format="html", extra_args=["--wrap=none"])
    return {"html": plain_html, "pdf": pdf, "docx": docx}


def _squash(text: str) -> str:
    """One space for any run of white space; soft hyphens (line-break artefacts) dropped."""
    return re.sub(r"\s+", " ", text.replace("\xad", ""))


THYROID = [
    "2,002",
    "543",
    "969",
    "80.8%",
    "11.5%",
    "0.21",
    "0.019",
    "2,327",
    "1,346",
    "74 (53–86)",
    "10 (38.5)",
    "16 (61.5)",
    "18 (69.2)",
    "21 (80.8)",
    "23 (88.5)",
    "17 (65.4)",
    "1,481",
    "2.06",
    "133.3",
    "5.37",
    "24 (92.3)",
    "17 (65.4)",
    "CTCAE v5.0",
    "Table I",
    "Table III",
]
RENAL = [
    "10.3",
    "30.2",
    "38.1%",
    "90.5%",
    "62 (41–83)",
    "30 (71.4)",
    "12 (28.6)",
    "37 (88.1)",
    "27 (64.3)",
    "24 (57.1)",
    "18 (42.9)",
    "42 (100)",
    "16 (38.1)",
    "22 (52.4)",
    "CTCAE v3.0",
]


@pytest.mark.parametrize(("study", "expected"), [("thyroid", THYROID), ("renal", RENAL)])
def test_numbers_in_every_format(
    rendered: dict[str, Path], study: str, expected: list[str]
) -> None:
    texts = _texts(rendered[study])
    for fmt_name, text in texts.items():
        flat = _squash(text)
        missing = [value for value in expected if value not in flat]
        assert not missing, f"{study} {fmt_name} lacks {missing}"


# The References list: the study's literature (references.bib) cited first by the Introduction,
# then the methods references the generated Methods cite (the CTCAE version each study declares).
REFERENCES = {
    "thyroid": [
        "1. Haugen BR, Alexander EK, Bible KC, et al.",
        "2. Brose MS, Nutting CM, Jarzab B, et al.",
        "3. Nishijima TF, Muss H, Shachar S, et al.",
        "4. Eisenhauer EA, Therasse P, Bogaerts J,",
        "5. National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE), "
        "version 5.0.",
        "Efron B. The efficiency of Cox",
    ],
    "renal": [
        "1. Escudier B, Eisen T, Stadler WM, et al.",
        "2. Beck J, Procopio G, Bajetta E, et al.",
        "5. Hutson TE, Escudier B, Esteban E, et al.",
        "6. Heng DY, Xie W, Regan MM, et al.",
        "National Cancer Institute. Common Terminology Criteria for Adverse Events, version 3.0.",
        "Efron B. The efficiency of Cox",
    ],
}


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_references_in_every_format(rendered: dict[str, Path], study: str) -> None:
    for fmt_name, text in _texts(rendered[study]).items():
        flat = _squash(re.sub(r"-\n", "", text))  # a word hyphenated at the end of a PDF line
        listed = flat[flat.rindex("References") :]
        missing = [entry for entry in REFERENCES[study] if entry not in listed]
        assert not missing, f"{study} {fmt_name} lacks {missing}"
        assert "?)" not in flat  # no citation left unresolved


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_outputs_exist_and_are_complete(rendered: dict[str, Path], study: str) -> None:
    folder = rendered[study]
    for name in (
        "manuscript.html",
        "manuscript.pdf",
        "manuscript.docx",
        "results.json",
        "supplementary.xlsx",
    ):
        assert (folder / name).stat().st_size > 0, name
    pngs = list((folder / "figures").glob("*.png"))
    assert pngs and len(pngs) == len(list((folder / "figures").glob("*.svg")))
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert results["flow"]["analysed"]["value"] == results["n"]["value"]
    sheets = pd.ExcelFile(folder / "supplementary.xlsx").sheet_names
    assert "Table I" in sheets and "Table III" in sheets


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_pdf_figures_are_vector_graphics(rendered: dict[str, Path], study: str) -> None:
    """The PDF sets the figures from their SVG: no raster image on any page, while the DOCX
    carries the PNGs (Word's own format for them)."""
    for name in ("manuscript.pdf", "supplement.pdf"):
        for page in PdfReader(rendered[study] / name).pages:
            objects = page.get("/Resources", {}).get("/XObject", {})
            kinds = [ref.get_object()["/Subtype"] for ref in objects.values()]
            assert "/Image" not in kinds, name
    with zipfile.ZipFile(rendered[study] / "manuscript.docx") as docx:
        assert any(name.endswith(".png") for name in docx.namelist())


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_html_loads_nothing_from_the_network(rendered: dict[str, Path], study: str) -> None:
    """Nor may the browser load anything (or run a script) that raw HTML in a manuscript
    could still ask for: every page declares it (image-set(), an escaped url(), an iframe's
    srcdoc and javascript: links got past the checks of the embedding step)."""
    for page in ("manuscript.html", "supplement.html", "data_report.html"):
        html = (rendered[study] / page).read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", html)
        head = html[: html.index("</head>")]
        policy = f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}" />'
        assert head.index('<meta charset="utf-8" />') < head.index(policy)


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_docx_tables_are_word_tables(rendered: dict[str, Path], study: str) -> None:
    with zipfile.ZipFile(rendered[study] / "manuscript.docx") as docx:
        body = docx.read("word/document.xml").decode("utf-8")
    assert body.count("<w:tbl>") >= 3


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_no_patient_identifier_leaks(rendered: dict[str, Path], study: str) -> None:
    """Patient ids and names in the workbook never appear in any output."""
    import yaml

    config = yaml.safe_load((ROOT / "reports" / study / "study.yml").read_text(encoding="utf-8"))
    book = pd.read_excel(ROOT / "reports" / study / config["data"], sheet_name="patients")
    ids = book[config["columns"]["patient_id"]].astype(str).tolist()
    names = book["Name"].astype(str).tolist() if "Name" in book else []
    folder = rendered[study]
    texts = _texts(folder)
    texts["json"] = (folder / "results.json").read_text(encoding="utf-8")
    for sheet in pd.read_excel(
        folder / "supplementary.xlsx", sheet_name=None, header=None
    ).values():
        texts["xlsx"] = texts.get("xlsx", "") + sheet.to_csv()
    for svg in (folder / "figures").glob("*.svg"):
        texts[svg.name] = svg.read_text(encoding="utf-8")
    for where, text in texts.items():
        leaked = [v for v in ids + names if re.search(rf"\b{re.escape(v)}\b", text)]
        assert not leaked, f"{study} {where} shows {leaked[:3]}"


def _labels(html: str) -> list[str]:
    return [x.replace("\xa0", " ") for x in re.findall(r'cp-label">([^<]+?)\.?</span>', html)]


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_data_cleaning_log_is_a_separate_report(rendered: dict[str, Path], study: str) -> None:
    """The flow, normalisations and warnings go to data_report.html, not the manuscript."""
    folder = rendered[study]
    report = (folder / "data_report.html").read_text(encoding="utf-8")
    assert "Patient flow." in report and "patients were screened" in report
    for fmt_name, text in _texts(folder).items():
        assert "Patient flow." not in text and "Data appendix" not in text, fmt_name


def test_supplement_is_its_own_document_numbered_s1(rendered: dict[str, Path]) -> None:
    """Thyroid: the comparison by LMR group, the response and the survival tables, which the
    manuscript does not show, make the supplement (S1–S3); the sheets of supplementary.xlsx
    and the text that cites the comparison use the same numbers as the documents."""
    folder = rendered["thyroid"]
    html = (folder / "supplement.html").read_text(encoding="utf-8")
    assert _labels(html) == ["Table S1", "Table S2", "Table S3"]
    assert "by lymphocyte-to-monocyte ratio (LMR) group" in html
    pdf = " ".join(page.extract_text() for page in PdfReader(folder / "supplement.pdf").pages)
    assert "Table S1." in pdf and "Table S2." in pdf
    docx = pypandoc.convert_file(str(folder / "supplement.docx"), "plain")
    assert "Table S1." in docx
    manuscript = (folder / "manuscript.html").read_text(encoding="utf-8")
    shown = ["Table I", "Figure 1", "Figure 2", "Figure 3", "Table II", "Table III"]
    assert _labels(manuscript) == shown
    texts = _texts(folder)
    for fmt_name, text in texts.items():
        assert "LMR groups (Supplementary Table S1)" in _squash(text), fmt_name
    sheets = pd.ExcelFile(folder / "supplementary.xlsx").sheet_names
    expected = ["Table I", "Table II", "Table III", "Table S1", "Table S2", "Table S3"]
    assert sorted(sheets) == expected


def test_renal_supplement_holds_what_the_manuscript_leaves_out(
    rendered: dict[str, Path],
) -> None:
    """Renal: the manuscript shows the paper's tables and figures; the survival summary table
    (medians per endpoint), which the paper does not print, is the supplement's Table S1, and
    the workbook's sheets carry the documents' numbers."""
    folder = rendered["renal"]
    manuscript = _labels((folder / "manuscript.html").read_text(encoding="utf-8"))
    supplement = _labels((folder / "supplement.html").read_text(encoding="utf-8"))
    assert supplement == ["Table S1"]
    sheets = pd.ExcelFile(folder / "supplementary.xlsx").sheet_names
    assert sorted(sheets) == sorted(x for x in manuscript + supplement if x.startswith("Table"))


def test_provenance_is_recorded_and_a_rerun_is_identical(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    """results.json names the extract (SHA-256, rows per sheet), the cutoff, study.yml's hash,
    the versions and the conventions in force; the data report says so, the manuscript gives
    the cutoff; rendering the same extract again gives the same bytes."""
    import hashlib

    folder = rendered["renal"]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    record = results["provenance"]
    workbook = ROOT / "data" / "renal_sorafenib.xlsx"
    (entry,) = record["inputs"].values()
    assert entry["name"]["value"] == "data/renal_sorafenib.xlsx"
    assert entry["sha256"]["value"] == hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert record["rows"]["patients"]["value"] == 42
    assert record["data_cutoff"]["value"] == "2018-03-31"
    study_yml = (ROOT / "reports" / "renal" / "study.yml").read_bytes()
    assert record["study_yml"]["sha256"]["value"] == hashlib.sha256(study_yml).hexdigest()
    assert record["conventions"]["ties"]["value"] == "efron"
    assert entry["sha256"]["value"] in (folder / "data_report.html").read_text(encoding="utf-8")
    for fmt_name, text in _texts(folder).items():  # the PDF may break the line anywhere
        unbroken = re.sub(r"\s+", "", re.sub(r"-\n", "-", text.replace("\xad", "")))
        # the example manuscript leaves the file's hash to the data report: a journal has no use
        assert entry["sha256"]["value"][:12] not in unbroken, fmt_name
        assert "March31,2018" in unbroken, fmt_name  # the cutoff, in the Definitions
    again = _render_to(tmp_path, "renal", "html")
    assert (again / "results.json").read_bytes() == (folder / "results.json").read_bytes()
    assert _html_text(again / "manuscript.html") == _html_text(folder / "manuscript.html")


def _render_to(out: Path, study: str, formats: str) -> Path:
    command = [
        sys.executable, "-m", "cohortpress", "report", f"reports/{study}",
        "--engine", "embedded", "--output", str(out), "--to", formats, "-q",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return out / study


def _html_text(path: Path) -> str:
    """The page's text without the links to the other formats (rendered or not)."""
    html = path.read_text(encoding="utf-8")
    text = pypandoc.convert_text(html, "plain", format="html", extra_args=["--wrap=none"])
    return re.sub(r"(?m)^Also as: .*\n+", "", text)


FRONT_MATTER = {
    "thyroid": [
        "Efficacy and Safety of Sorafenib and Prognostic Value of Systemic Immunity Markers",
        "A. Investigator",
        "B. Coauthor",
        "Department of Medical Oncology, Example City Hospital",
        "Correspondence to: A. Investigator, a.investigator@example.org",
        "sorafenib, thyroid cancer, lymphocyte-to-monocyte ratio, real-world data",
        "Sorafenib was given at a starting dose of 400 mg twice a day.",
    ],
    "renal": [
        "Second-line Sorafenib for Patients With Metastatic Renal Cell Carcinoma",
        "C. Urologist",
        "Department of Urology, Example University School of Medicine",
        "Correspondence to: C. Urologist, c.urologist@example.org",
        "lung metastasis, second-line therapy, prognostic factor",
        "Sorafenib was given at 400 mg twice daily as second-line therapy.",
    ],
}


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_front_matter_from_study_yml_in_every_format(rendered: dict[str, Path], study: str) -> None:
    """Title, byline, correspondence, key words and regimen come from study.yml; the
    Declarations follow the Conclusion and precede the references."""
    folder = rendered[study]
    texts = _texts(folder)
    texts["docx"] = pypandoc.convert_file(  # with the title block, which is DOCX metadata
        str(folder / "manuscript.docx"), "plain", extra_args=["--wrap=none", "--standalone"]
    )
    for fmt_name, text in texts.items():
        flat = _squash(text)
        missing = [value for value in FRONT_MATTER[study] if value not in flat]
        assert not missing, f"{study} {fmt_name} lacks {missing}"
        conclusion = flat.rindex("Conclusion")
        ethics, conflicts = flat.index("Ethics approval."), flat.index("Conflicts of interest.")
        assert conclusion < ethics < conflicts < flat.rindex("Kaplan EL"), fmt_name  # a reference
