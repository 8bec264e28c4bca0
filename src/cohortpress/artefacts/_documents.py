"""The documents cohortpress writes beside the author's manuscript.

Journals take the supplement as its own file, and the data-cleaning log belongs to the study
team, not to the reader of the paper. So:

- ``supplement.qmd``: the journal supplement, "Table S1", "Figure S1"…, with every generated
  table and figure the manuscript does not show (unless the study folder has its own
  ``supplement.qmd``, which is used as written);
- ``data_report.qmd``: the patient flow, the normalisations and the warnings (HTML only).

Both are valid Quarto documents. ``_generated/supplement.yml`` declares the supplement's
numbering as Quarto custom cross-reference kinds (``supptbl``, ``suppfig``), so an author's own
supplement lists it in ``metadata-files`` and includes ``_generated/supplement/table-<id>.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cohortpress._yaml import dump_yaml
from cohortpress.present.escape import markdown_text
from cohortpress.present.placement import SUPPLEMENT, SUPPLEMENT_KEYS, SUPPLEMENT_PREFIX

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.config import StudyConfig
    from cohortpress.present.numbers import Numbers
    from cohortpress.present.placement import Placement

DATA_REPORT = "data_report.qmd"
SUPPLEMENT_METADATA = "_generated/supplement.yml"


def supplement_crossref() -> dict[str, Any]:
    """Quarto 1.4 custom float kinds numbered "Table S1", "Figure S1" (no space)."""
    return {
        "crossref": {
            "custom": [
                {
                    "kind": "float",
                    "key": SUPPLEMENT_KEYS[kind],
                    "reference-prefix": SUPPLEMENT_PREFIX[kind],
                    "space-before-numbering": False,
                    "latex-env": SUPPLEMENT_KEYS[kind],
                }
                for kind in ("tbl", "fig")
            ]
        }
    }


def write_supplement_document(
    staging: Path, config: StudyConfig, placement: Placement, captions: dict[str, str]
) -> list[Path]:
    """``_generated/supplement.yml`` always; ``supplement.qmd`` when the author wrote none and
    some table or figure is left for it: a cover page listing its contents (``captions`` by
    float label), then each table and figure on a page of its own."""
    metadata = staging / SUPPLEMENT_METADATA
    metadata.write_text(_yaml(supplement_crossref()), encoding="utf-8")
    written = [metadata]
    if placement.supplement_written_by_author or not placement.supplement:
        return written
    front = {
        "title": "Supplementary material",
        "subtitle": markdown_text(config.title),
        "metadata-files": [SUPPLEMENT_METADATA, "_generated/results.yml"],
    }
    contents = [
        f"- {placement.name(f.label)}. {markdown_text(captions.get(f.label, ''))}"
        for f in placement.supplement
    ]
    pages = [
        f"{{{{< pagebreak >}}}}\n\n{{{{< include _generated/supplement/{f.file} >}}}}\n"
        for f in placement.supplement
    ]
    body = "**Contents**\n\n" + "\n".join(contents) + "\n\n" + "\n".join(pages)
    path = staging / SUPPLEMENT
    path.write_text(f"---\n{_yaml(front)}---\n\n{body}", encoding="utf-8")
    return [*written, path]


def write_data_report(staging: Path, config: StudyConfig, numbers: Numbers) -> Path:
    """The study team's record of the run: what was read (provenance), then how: flow,
    normalisations, warnings."""
    front = {"title": "Data report", "subtitle": markdown_text(config.title)}
    body = _provenance_section(numbers) + "{{< include _generated/data_appendix.md >}}\n"
    path = staging / DATA_REPORT
    path.write_text(f"---\n{_yaml(front)}---\n\n{body}", encoding="utf-8")
    return path


def _provenance_section(numbers: Numbers) -> str:
    """A definition list of ``provenance.*`` (empty when the run recorded none)."""
    record = numbers.nested(leaf="all").get("provenance")
    if not record:
        return ""
    lines = ["**Provenance.**", ""]
    lines.append(f"- Data cutoff: {markdown_text(record['data_cutoff']['text'])}")
    for entry in record.get("inputs", {}).values():
        name, digest = entry["name"]["text"], entry["sha256"]["text"]
        size = entry["bytes"]["text"]
        lines.append(f"- Input: {markdown_text(name)} ({markdown_text(size)} bytes, SHA-256 "
                     f"{markdown_text(digest)})")  # fmt: skip
    for sheet, rows in record.get("rows", {}).items():
        lines.append(f"- Rows read, {markdown_text(sheet)}: {markdown_text(rows['text'])}")
    lines.append(f"- study.yml SHA-256: {markdown_text(record['study_yml']['sha256']['text'])}")
    lines.append(f"- cohortpress {markdown_text(record['cohortpress']['text'])}")
    software = ", ".join(f"{k} {v['text']}" for k, v in record.get("software", {}).items())
    if software:
        lines.append(f"- Software: {markdown_text(software)}")
    conventions = ", ".join(
        f"{k.replace('_', ' ')} {v['text']}" for k, v in record.get("conventions", {}).items()
    )
    lines.append(f"- Statistical conventions: {markdown_text(conventions)}")
    return "\n".join(lines) + "\n\n"


def _yaml(data: dict[str, Any]) -> str:
    return dump_yaml(data, width=1000)
