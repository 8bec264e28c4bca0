"""Privacy: no identifier leaves the workbook, and small counts are suppressed everywhere.

- study.yml cannot use an identifying field (patient ID, birth date, a declared identifier
  column) as a table, comparison, Cox or dose-reduction variable;
- adverse event terms holding a patient ID, a declared name, an e-mail address or a phone
  number stop the build at their row and column, or are redacted without a trace;
- ``statistics: small_cell: 5`` leaves no count from 1 to 4 in any table cell, sentence,
  results.json value or numbers-at-risk row, with secondary suppression where a total would
  give a hidden count away.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pypandoc
import pytest
import yaml
from defects import AE, Book, thyroid_config, write_xlsx
from examples import columns, thyroid_workbook
from pypdf import PdfReader

from cohortpress.analyse import analyse
from cohortpress.analyse._results import RiskTable
from cohortpress.artefacts.figures._km_data import risk_frame
from cohortpress.artefacts.tables import build_tables
from cohortpress.artefacts.text import write_paragraphs
from cohortpress.config import StudyConfig, load_study
from cohortpress.derive import derive_cohort
from cohortpress.errors import StudyConfigError
from cohortpress.intake import read_workbook
from cohortpress.present.numbers import collect_numbers
from cohortpress.present.placement import Placement
from cohortpress.present.suppress import WITHHELD, crossed, factor_marks, suppressed
from cohortpress.validate import validate_workbook
from cohortpress.validate._identifiers import (
    MAX_PARTS,
    IdentifierFinder,
    masked,
    redacted,
    term_words,
)

ROOT = Path(__file__).resolve().parents[1]
THYROID = ROOT / "reports" / "thyroid"
WORKBOOK = ROOT / "data" / "thyroid_sorafenib.xlsx"
SMALL = ("1", "2", "3", "4")


# --- secondary suppression on hand-built counts --------------------------------------------


@pytest.mark.parametrize(
    ("counts", "total", "marks"),
    [
        ([10, 20], 30, [None, None]),  # nothing small
        ([0, 30], 30, [None, None]),  # 0 is not a small cell
        ([3, 47], 50, ["<5", WITHHELD]),  # two levels: the other gives it away
        ([3, 20, 27], 50, ["<5", WITHHELD, None]),  # k levels: the next smallest goes too
        ([2, 3, 45], 50, ["<5", "<5", None]),  # two hidden, adding up to 5: enough
        ([1, 1, 50], 52, ["<5", "<5", WITHHELD]),  # hidden cells adding up to 2 would be 1 and 1
        ([3, 0, 30], 33, ["<5", None, WITHHELD]),  # withholding a 0 would protect nothing
        ([47], 50, [WITHHELD]),  # the 3 not listed follow from the total
        ([3], 50, ["<5"]),  # the 47 not listed keep it company
        ([4], 4, ["<5"]),  # a whole group below k
    ],
)
def test_secondary_suppression(counts: list[int], total: int, marks: list[str | None]) -> None:
    assert suppressed(counts, total, 5) == marks


def test_groups_and_levels_both_adding_up_are_suppressed_together() -> None:
    # Table I by two groups: the 3 in group A would follow from its row (13 - 10) or its
    # column (13 - 10), so each line that hides a count hides at least two.
    assert crossed([[3, 10], [10, 10]], [13, 20], [13, 20], 5) == [["<5", "*"], ["*", "*"]]
    marks = crossed([[3, 20], [10, 20], [10, 20]], [23, 30, 30], [23, 60], 5)
    assert marks == [["<5", "*"], ["*", "*"], [None, None]]
    assert crossed([[30, 20], [10, 20]], [50, 30], [40, 40], 5) == [[None, None], [None, None]]


def test_no_threshold_suppresses_nothing() -> None:
    assert suppressed([1, 2, 47], 50, None) == [None, None, None]


def test_numbers_at_risk_are_suppressed_across_the_groups_at_each_time() -> None:
    risk = RiskTable((0.0, 500.0, 1000.0), {"High": (20, 9, 3), "Low": (6, 4, 0)})
    plain = risk_frame(risk, ["High", "Low"])
    assert {"3", "4", "9"} <= set(plain["text"])  # the check below can fail
    frame = risk_frame(risk, ["High", "Low"], small_cell=5).set_index(["group", "time"])
    assert frame.loc[("High", 1000.0), "text"] == "<5"
    assert frame.loc[("Low", 1000.0), "text"] == WITHHELD  # else the 3 follows from the total
    assert frame.loc[("Low", 500.0), "text"] == "<5"
    assert frame.loc[("High", 500.0), "text"] == WITHHELD  # 13 at risk is printed overall
    assert frame.loc[("High", 0.0), "text"] == "20"


# --- study.yml: identifiers are never variables --------------------------------------------


def _study(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((THYROID / "study.yml").read_text(encoding="utf-8"))
    raw["data"] = str(WORKBOOK)
    change(raw)
    (tmp_path / "study.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    shutil.copy2(THYROID / "manuscript.qmd", tmp_path / "manuscript.qmd")
    shutil.copy2(THYROID / "references.bib", tmp_path / "references.bib")
    return tmp_path


def _declare_names(raw: dict) -> None:
    raw["identifiers"] = ["Name"]


CONFIG_USES = [
    (
        lambda raw: raw["table1"].append({"variable": "birth_date"}),
        "table1[10].variable: 'birth_date' identifies a patient and is never printed",
    ),
    (
        lambda raw: raw["table1"].insert(0, {"variable": "patient_id"}),
        "table1[0].variable: 'patient_id' identifies a patient and is never printed",
    ),
    (
        lambda raw: raw.update(compare_by="patient_id"),
        "compare_by: 'patient_id' identifies a patient and is never printed",
    ),
    (
        lambda raw: raw["cox"]["covariates"].append({"variable": "birth_date"}),
        "cox.covariates[14].variable: 'birth_date' identifies a patient and is never printed",
    ),
    (
        lambda raw: raw["cox"].update(
            multivariate={"rule": "fixed", "covariates": ["age", "patient_id"]}
        ),
        "cox.multivariate.covariates[1]: 'patient_id' identifies a patient and is never printed",
    ),
    (
        lambda raw: raw.update(dose_reduction="birth_date"),
        "dose_reduction: 'birth_date' identifies a patient and is never printed",
    ),
    (
        lambda raw: (_declare_names(raw), raw["table1"].append({"variable": "Name"})),
        "table1[10].variable: 'Name' identifies a patient and is never printed",
    ),
    (
        lambda raw: raw.update(identifiers=["Patient ID"]),
        "identifiers[0]: 'Patient ID' is the column of 'patient_id'",
    ),
]


@pytest.mark.parametrize(("change", "message"), CONFIG_USES, ids=range(len(CONFIG_USES)))
def test_identifier_used_as_a_variable_is_a_study_error(
    tmp_path: Path, change, message: str
) -> None:
    with pytest.raises(StudyConfigError) as info:
        load_study(_study(tmp_path, change))
    assert message in str(info.value)


def test_identifier_in_table1_exits_2_without_traceback(tmp_path: Path) -> None:
    folder = _study(tmp_path, lambda raw: raw["table1"].append({"variable": "birth_date"}))
    done = _cli("validate", str(folder))
    assert done.returncode == 2
    assert "'birth_date' identifies a patient and is never printed" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr


# --- free text: identifiers stop the build, or are redacted ---------------------------------

TERMS = {  # Excel row of the adverse events sheet -> term holding an identifier, and the rule
    2: ("Rash, see P02 chart", "a patient ID"),
    3: ("Nausea (told Ito)", "a name or identifier from 'Name'"),
    4: ("Fatigue, ask dr.who@clinic.example.org", "an e-mail address"),
    5: ("Diarrhoea, call 555-123-4567", "a phone number"),
}


def _names_declared() -> StudyConfig:
    return thyroid_config().model_copy(update={"identifiers": ("Name",)})


def test_terms_holding_identifiers_are_errors_at_their_cell(tmp_path: Path) -> None:
    book = Book()
    for row, (term, _) in TERMS.items():
        book.set(AE, row, "Adverse event", term)
    workbook = read_workbook(write_xlsx(book, tmp_path / "ids.xlsx"), _names_declared())
    report = validate_workbook(workbook, _names_declared())
    assert "Name" not in workbook.patients.columns  # names never reach derive
    for row, (term, kind) in TERMS.items():
        found = [p for p in report.errors if p.row == row and p.column == "Adverse event"]
        assert len(found) == 1, (row, report.as_lines())
        problem = found[0]
        assert problem.sheet == "adverse_events"
        assert kind in problem.rule
        assert problem.value is not None
        assert problem.value != term
        assert "***" in problem.value


def test_redaction_rewrites_terms_and_notes_and_counts_them(tmp_path: Path) -> None:
    book = Book()
    book.set(AE, 2, "Adverse event", "Rash P02")
    book.set(AE, 3, "Adverse event", "rash p02")  # a case variant: intake notes the spelling
    base = _names_declared()
    config = base.model_copy(
        update={"adverse_events": base.adverse_events.model_copy(update={"identifiers": "redact"})}
    )
    workbook = read_workbook(write_xlsx(book, tmp_path / "r.xlsx"), config)
    assert any("p02" in n.rule.casefold() for n in workbook.normalisations)  # can fail below
    report = validate_workbook(workbook, config)
    assert report.ok, report.as_lines()
    assert list(workbook.adverse_events.loc[[2, 3], "term"]) == ["Rash [redacted]"] * 2
    assert not any("p02" in n.rule.casefold() for n in workbook.normalisations)
    counted = [n for n in workbook.normalisations if "replaced by '[redacted]'" in n.rule]
    assert [(n.column, n.rule, n.count) for n in counted] == [
        ("Adverse event", "a patient ID replaced by '[redacted]'", 2)
    ]


def test_short_ids_and_names_are_not_looked_for(tmp_path: Path) -> None:
    book = Book()
    book.set("patients", 2, "Name", "Al Bo")  # words of two letters would match everyday text
    book.set(AE, 2, "Adverse event", "Al bo rash")
    config = _names_declared()
    report = validate_workbook(read_workbook(write_xlsx(book, tmp_path / "s.xlsx"), config), config)
    assert report.ok, report.as_lines()


def test_term_with_an_id_exits_1_naming_row_and_column(tmp_path: Path) -> None:
    data = _workbook_with_terms(tmp_path / "ids.xlsx")
    shutil.copy2(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    (tmp_path / "study").mkdir()
    folder = _study(tmp_path / "study", _declare_names)
    done = _cli("report", str(folder), "--data", str(data), "--output", str(tmp_path / "out"))
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    assert "Traceback" not in shown
    assert "Adverse event" in shown and "nothing was built" in shown
    assert "Ogawa" not in shown and "kenji.w@" not in shown  # values are masked
    assert not (tmp_path / "out" / "study").exists()
    done = _cli("validate", str(folder), "--data", str(data), "--format", "json")
    assert done.returncode == 1
    problems = json.loads(done.stdout)
    located = {(p["sheet"], p["row"], p["column"]): p for p in problems}
    for row, (_, trace) in REDACTED_TERMS.items():
        problem = located[("adverse_events", row, "Adverse event")]
        assert trace not in problem["value"]
        assert "must not reach the report" in problem["rule"]


def test_a_name_typed_into_another_column_is_masked_in_every_message(tmp_path: Path) -> None:
    """A patient's name in Sex, a name and an e-mail address in a date: each an error at its
    cell, the name cut to its first letters in the terminal's lines and in --format json;
    a patient ID stays shown (a duplicated ID is about it)."""
    data = tmp_path / "names.xlsx"
    book = thyroid_workbook(data)
    sheet = book["patients"]
    headers = columns(sheet)
    name = str(sheet.cell(row=3, column=headers["Name"]).value)
    other = str(sheet.cell(row=4, column=headers["Name"]).value)
    pid = str(sheet.cell(row=2, column=headers["Patient ID"]).value)
    sheet.cell(row=5, column=headers["Sex"], value=name)
    sheet.cell(row=6, column=headers["Date of death"], value=f"{other} (kenji.w@example.org)")
    sheet.cell(row=7, column=headers["Patient ID"], value=pid)
    book.save(data)
    folder = _study(tmp_path, _declare_names)
    done = _cli("validate", str(folder), "--data", str(data))
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    for secret in (*name.split(), *other.split(), "kenji.w@"):
        assert secret not in shown
    done = _cli("validate", str(folder), "--data", str(data), "--format", "json")
    located = {(p["row"], p["column"]): p for p in json.loads(done.stdout)}
    first, last = name.split()
    assert located[(5, "Sex")]["value"] == f"{first[0]}*** {last[0]}***"
    assert located[(6, "Date of death")]["value"].endswith("(k***)")
    duplicated = located[(2, "Patient ID")]
    assert (duplicated["value"], duplicated["rows"]) == (pid, [2, 7])


REDACTED_TERMS = {  # Excel row of the real thyroid AE sheet -> (term, what must leave no trace)
    2: ("Hand-foot skin reaction TH-002", "TH-002"),
    3: ("Rash or desquamation, Ogawa", "Ogawa"),
    4: ("Hand-foot skin reaction kenji.w@example.org", "kenji.w@example.org"),
    5: ("Fatigue +81 3 1234 5678", "1234 5678"),
}


def _workbook_with_terms(path: Path) -> Path:
    book = openpyxl.load_workbook(WORKBOOK)
    for row, (term, _) in REDACTED_TERMS.items():
        book["adverse_events"].cell(row=row, column=2, value=term)
    book.save(path)
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


# --- one real render: redacted identifiers and small_cell: 5 --------------------------------


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The thyroid study, its AE terms holding identifiers, with redaction and small_cell: 5."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy2(ROOT / "_quarto.yml", root / "_quarto.yml")
    data = _workbook_with_terms(root / "thyroid.xlsx")

    def change(raw: dict) -> None:
        _declare_names(raw)
        raw["data"] = str(data)
        raw["adverse_events"]["identifiers"] = "redact"
        raw["statistics"]["small_cell"] = 5

    (root / "reports" / "thyroid").mkdir(parents=True)
    folder = _study(root / "reports" / "thyroid", change)
    done = _cli("report", str(folder), "--engine", "embedded", "--output", str(root / "out"), "-q")
    assert done.returncode == 0, done.stderr
    return root / "out" / "thyroid"


def _documents(folder: Path) -> dict[str, str]:
    """Every output as text: manuscript and supplement (three formats each), the data report,
    results.json, workbook, SVGs."""
    texts: dict[str, str] = {}
    for document, prefix in (("manuscript", ""), ("supplement", "supplement.")):
        texts[f"{prefix}html"] = (folder / f"{document}.html").read_text(encoding="utf-8")
        pages = PdfReader(folder / f"{document}.pdf").pages
        texts[f"{prefix}pdf"] = "\n".join(page.extract_text() for page in pages)
        texts[f"{prefix}docx"] = pypandoc.convert_file(
            str(folder / f"{document}.docx"), "plain", extra_args=["--wrap=none"]
        )
    texts["data_report"] = (folder / "data_report.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(folder / "supplementary.xlsx") as book:
        texts["xlsx"] = "\n".join(
            book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml")
        )
    texts["json"] = (folder / "results.json").read_text(encoding="utf-8")
    for svg in (folder / "figures").glob("*.svg"):
        texts[svg.name] = svg.read_text(encoding="utf-8")
    return texts


@pytest.mark.slow
def test_redacted_identifiers_leave_no_trace(private: Path) -> None:
    texts = _documents(private)
    for name, text in texts.items():
        flat = " ".join(text.split())
        for _, trace in REDACTED_TERMS.values():
            assert trace.casefold() not in flat.casefold(), (name, trace)
        assert "Sasaki" not in flat, name  # the Name column is never printed
    assert "[redacted]" in " ".join(texts["xlsx"].split())
    appendix = " ".join(re.sub(r"<[^>]+>", " ", texts["data_report"]).split())
    for kind in (
        "a patient ID",
        "a name or identifier from",
        "an e-mail address",
        "a phone number",
    ):
        assert re.search(rf"{kind}[^.]*? replaced by .\[redacted\]. \(1×\)", appendix), kind


def _small_counts_in_tables(cells: list[str]) -> list[str]:
    """Cells that print a count from 1 to 4: '3', '3 (11.5)', a header '... n=3'."""
    pattern = re.compile(r"^(?:[1-4])(?: \(\d+(?:\.\d)?\))?$|\bn=[1-4]\b")
    return [c for c in cells if pattern.search(c.strip())]


def _small_counts_in_sentences(text: str) -> list[str]:
    """Counts of patients or events from 1 to 4 in running text ('3 patients', '1 (3.8%)')."""
    words = r"(?:[1-4]|one|two|three|four)"
    pattern = rf"\b{words} (?:patients?|events?)\b|\bin {words} \(|\b[1-4] \(\d+(?:\.\d)?%\)"
    return re.findall(pattern, text, flags=re.IGNORECASE)


def _small_values(results: dict) -> list[str]:
    """results.json entries that are counts (unit patients or events) with a value of 1–4."""
    found = []

    def walk(node: object, key: str) -> None:
        if isinstance(node, dict) and "value" in node and "text" in node:
            counts = node.get("unit") in ("patients", "events")
            if counts and (node["value"] in (1, 2, 3, 4) or node["text"] in SMALL):
                found.append(key)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{key}.{k}")

    walk(results, "")
    return found


def _in_process(small_cell: int | None) -> tuple[list[str], str, dict]:
    """Table cells, generated paragraphs and results.json of the thyroid study, built here."""
    config = load_study(THYROID)
    config = config.model_copy(
        update={"statistics": config.statistics.model_copy(update={"small_cell": small_cell})}
    )
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    numbers = collect_numbers(results, config)
    tables = build_tables(results, config)
    cells = [
        str(c) for t in tables for c in [*t.frame.columns, *t.frame.iloc[:, 1:].to_numpy().ravel()]
    ]
    text = "\n".join(
        write_paragraphs(
            results, config, numbers, Placement(), normalisations=[], warnings=[]
        ).values()
    )
    return cells, text, json.loads(numbers.to_json())


def test_without_small_cell_the_checks_find_small_counts() -> None:
    cells, text, results = _in_process(None)
    assert _small_counts_in_tables(cells)
    assert _small_counts_in_sentences(text)
    assert _small_values(results)


def test_small_cell_suppresses_tables_sentences_and_results() -> None:
    cells, text, results = _in_process(5)
    assert _small_counts_in_tables(cells) == []
    assert _small_counts_in_sentences(text) == []
    assert _small_values(results) == []
    assert "<5" in cells and WITHHELD in cells  # primary and secondary suppression
    assert results["response"]["PR"]["n"] == {
        "value": None,
        "text": "<5",
        "unit": "patients",
        "method": "suppressed: counts below 5 are not reported (value null, text '<5')",
    }
    assert "counts below 5 are not reported (shown as <5)" in text  # the Methods say the rule


@pytest.mark.slow
def test_small_cell_in_every_rendered_output(private: Path) -> None:
    texts = _documents(private)
    results = json.loads(texts["json"])
    assert _small_values(results) == []
    book = pd.read_excel(private / "supplementary.xlsx", sheet_name=None, header=None, dtype=str)
    cells = [c for sheet in book.values() for c in sheet.iloc[:, 1:].fillna("").to_numpy().ravel()]
    assert _small_counts_in_tables(cells) == []
    for name in ("html", "pdf", "docx"):
        assert _small_counts_in_sentences(" ".join(texts[name].split())) == [], name
    for name, svg in texts.items():
        if name.endswith(".svg"):  # matplotlib writes each text as a comment over its paths
            printed = re.findall(r"<!-- (.*?) -->", svg)
            assert not set(printed) & set(SMALL), name
    assert "<!-- &lt;5 -->" in texts["survival.svg"] or "<!-- <5 -->" in texts["survival.svg"]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("Rash, call Sa\u200bsaki", "Sa\u200bsaki"),  # a zero-width space
        ("Rash, call Og\u00adawa", "Og\u00adawa"),  # a soft hyphen
        ("Rash, call Ｗａｔａｎａｂｅ", "Ｗａｔａｎａｂｅ"),  # fullwidth letters
        ("Rash, call Ikedа", "Ikedа"),  # a Cyrillic а
        ("Fatigue TH\u2011001", "TH\u2011001"),  # a non-breaking hyphen
        ("Nausea SasakiKimiko", "Sasaki Kimiko"),  # names run together
        ("Nausea Sasaki_Kimiko", "Sasaki Kimiko"),
        ("Rash, call Müller", "Müller"),  # an accent the name column has not
    ],
)
def test_an_identifier_written_with_look_alike_or_invisible_characters_is_found(
    term: str, found: str
) -> None:
    """Each reached Table III and the supplementary workbook: only the phone and e-mail
    variants were caught."""
    patients = pd.DataFrame({"patient_id": pd.array(["TH-001", "TH-002"], dtype="string")})
    names = pd.DataFrame({"Name": ["Sasaki Kimiko", "Ogawa Jun", "Watanabe Ken", "Ikeda Aya",
                                   "Muller Anna"]})  # fmt: skip
    finder = IdentifierFinder(patients, names, among=term_words([term]))
    hits = finder.hits(term)
    assert [term[h.start : h.end] for h in hits] == found.split()
    assert IdentifierFinder(patients, names).hits(term) == hits
    shown, printed = masked(term, hits), redacted(term, hits)
    assert "***" in shown and not any(name in printed for name in found.split())


def test_numbers_at_risk_by_a_factor_count_the_patients_in_no_curve() -> None:
    """Under the overall curve 40 at risk; the curves 25, 11 and 0: the 4 without a value of
    the factor are a small count the reader can work out, so one more count is withheld; at
    time 0 the marks are the factor's (suppress.factor_marks), as the survival table's."""
    risk = RiskTable((0.0, 12.0), {"A": (25, 20), "B": (11, 9), "C": (0, 0)})
    alone = risk_frame(risk, ["A", "B", "C"], small_cell=5).set_index(["group", "time"])
    assert alone.loc[("B", 0.0), "text"] == "11"  # 40 − 25 − 11 = 4 given away
    frame = risk_frame(risk, ["A", "B", "C"], None, 5, (40, 29)).set_index(["group", "time"])
    assert frame.loc[("B", 0.0), "text"] == WITHHELD
    assert frame.loc[("A", 0.0), "text"] == "25"
    marks, unknown = factor_marks([25, 11, 0], 4, 40, 5)
    assert (marks, unknown) == ([None, WITHHELD, None], "<5")


class _CountingWords(dict):
    """The finder's index of words, counting its lookups."""

    lookups = 0

    def get(self, key, default=None):  # type: ignore[override]
        type(self).lookups += 1
        return super().get(key, default)


@pytest.mark.parametrize("among", [True, False])
def test_a_word_of_thousands_of_parts_is_screened_with_bounded_lookups(among: bool) -> None:
    """Every run of a word's parts was looked up: a term of 8,000 parts ('a-a-…') made 32
    million lookups of strings up to 16,000 characters, and took minutes. Runs are now at most
    as long as the longest ID or name (and never over MAX_PARTS); an ID in such a word is still
    found, and a long run of e-mail characters is read once, not once a character."""
    term = "-".join(["a"] * 8000) + "-TH-001-" + "x" * 200_000
    patients = pd.DataFrame({"patient_id": pd.array(["TH-001", "TH-002"], dtype="string")})
    finder = IdentifierFinder(patients, None, among=term_words([term]) if among else None)
    finder.words = _CountingWords(finder.words)
    _CountingWords.lookups = 0
    hits = finder.hits(term)
    assert [term[h.start : h.end] for h in hits] == ["TH-001"]
    assert _CountingWords.lookups <= 8003 * MAX_PARTS
