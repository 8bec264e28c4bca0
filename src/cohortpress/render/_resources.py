"""Files shipped with the render stage: Lua filters, pandoc templates, stylesheet, Word styles."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).parent / "resources"
STAGED = "_resources"  # where the staging folder gets the files _quarto.yml names
STAGED_FILES = (
    "manuscript.css",
    "reference.docx",
    "reference-submission.docx",
    "submission.typ",
    "methods.bib",
    "vancouver.csl",
)


def lua_filter(name: str) -> Path:
    return RESOURCES / "filters" / f"{name}.lua"


def template(name: str) -> Path:
    return RESOURCES / "templates" / name


def resource(name: str) -> Path:
    return RESOURCES / name
