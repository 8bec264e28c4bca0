"""Placeholders an author has still to fill, found before a submission build goes out.

The example studies write what their source papers do not state (funding, conflicts of
interest, data availability) as "[TO BE COMPLETED BY THE AUTHORS: …]" rather than invent it.
A draft may keep them; a build with the submission profile notes each one left in the
document's text or its generated parts, so it is not sent to a journal unnoticed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

MARK = "TO BE COMPLETED BY THE AUTHORS"
SUBMISSION = "submission"
_PLACEHOLDER = re.compile(  # as present/escape.py writes it: \[ … \: … \]
    r"\\?\[\s*" + re.escape(MARK) + r"\s*\\?:?\s*(?P<what>[^\]]*?)\s*\\?\]", re.IGNORECASE
)


def placeholder_notes(staging: Path, document: str) -> list[str]:
    """A note for each placeholder left in ``<document>.qmd`` or the generated parts."""
    sources = [staging / f"{document}.qmd", *sorted((staging / "_generated").glob("*.md"))]
    notes = []
    for source in sources:
        if not source.is_file():
            continue
        for match in _PLACEHOLDER.finditer(source.read_text(encoding="utf-8")):
            what = " ".join(match["what"].split()).rstrip(".")
            where = source.relative_to(staging).as_posix()
            notes.append(
                f"warning: a placeholder is left in {where} ({what}); fill it in study.yml "
                "or the manuscript before submitting"
            )
    return notes
