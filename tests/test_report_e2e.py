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
def test_html_loads_nothing_from_the_network(rendered: dict[str, Path], study: str) -> None:
    html = (rendered[study] / "manuscript.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"@import\s+url\(\s*['\"]?https?:", html)


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
    Declarations follow the Conclusion and precede the appendices."""
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
        assert conclusion < ethics < conflicts < flat.rindex("Data appendix"), fmt_name
