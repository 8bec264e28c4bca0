"""Where each generated table and figure is shown, and the number it carries there.

The manuscript is the author's ``manuscript.qmd``; the journal supplement is the author's
``supplement.qmd`` when the study folder has one, otherwise every generated table and figure
the manuscript does not show, in the order they are made. Manuscript floats are numbered in
document order with the ``crossref`` label styles of ``_quarto.yml`` (as the render filters
number them: "Table I", "Figure 1"); supplement floats are "Table S1", "Figure S1".

One decision, read by the text templates (a reference to a table in the supplement reads
"Supplementary Table S1"; to a table shown nowhere, nothing), by the supplement document and by
the sheet names of ``supplementary.xlsx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

Document = Literal["manuscript", "supplement"]
Kind = Literal["tbl", "fig"]

MANUSCRIPT = "manuscript.qmd"
SUPPLEMENT = "supplement.qmd"
SUPPLEMENT_KEYS: dict[Kind, str] = {"tbl": "supptbl", "fig": "suppfig"}
SUPPLEMENT_PREFIX: dict[Kind, str] = {"tbl": "Table S", "fig": "Figure S"}

_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")
_GENERATED = re.compile(
    r"(?:^|/)_generated/(?:supplement/)?(?P<kind>table|figure)-(?P<id>[\w-]+)\.md$"
)
_KINDS: dict[str, Kind] = {"table": "tbl", "figure": "fig"}


@dataclass(frozen=True)
class Float:
    """A generated table or figure: ``tbl-characteristics``, ``fig-survival``."""

    kind: Kind
    id: str

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.id}"

    @property
    def file(self) -> str:
        """Its include file under ``_generated/``."""
        return f"{'table' if self.kind == 'tbl' else 'figure'}-{self.id}.md"


@dataclass(frozen=True)
class Placed:
    document: Document
    number: str  # "I", "1", "S1"
    name: str  # "Table I", "Figure S1"


@dataclass(frozen=True)
class Placement:
    """Every generated float's document and number; floats shown nowhere are absent."""

    places: dict[str, Placed] = field(default_factory=dict)  # by label
    supplement: tuple[Float, ...] = ()  # in the supplement, in order
    supplement_written_by_author: bool = False

    def reference(self, label: str) -> str | None:
        """How the manuscript's text refers to a float: its Quarto cross-reference when the
        manuscript shows it, "Supplementary Table S1" when the supplement does, else None."""
        place = self.places.get(label)
        if place is None:
            return None
        if place.document == "manuscript":
            return f"@{label}"
        return f"Supplementary {place.name}"

    def name(self, label: str) -> str | None:
        place = self.places.get(label)
        return None if place is None else place.name


def place_floats(
    study: Path,
    floats: Iterable[Float],
    *,
    titles: dict[Kind, str],
    label_styles: dict[Kind, str],
) -> Placement:
    """Read which floats ``manuscript.qmd`` (and ``supplement.qmd``, if written) include.

    ``titles`` and ``label_styles`` are ``_quarto.yml``'s ``crossref`` ``tbl-title``/
    ``fig-title`` and ``tbl-labels``/``fig-labels``.
    """
    made = list(dict.fromkeys(floats))
    in_manuscript = _included(study / MANUSCRIPT, study)
    places: dict[str, Placed] = {}
    counts: dict[Kind, int] = {"tbl": 0, "fig": 0}
    for f in in_manuscript:
        counts[f.kind] += 1
        number = format_number(counts[f.kind], label_styles[f.kind])
        places[f.label] = Placed("manuscript", number, f"{titles[f.kind]} {number}")
    author_supplement = (study / SUPPLEMENT).is_file()
    if author_supplement:
        supplement = [f for f in _included(study / SUPPLEMENT, study) if f.label not in places]
    else:
        supplement = [f for f in made if f.label not in places]
    counts = {"tbl": 0, "fig": 0}
    for f in supplement:
        counts[f.kind] += 1
        name = f"{SUPPLEMENT_PREFIX[f.kind]}{counts[f.kind]}"
        places[f.label] = Placed("supplement", f"S{counts[f.kind]}", name)
    return Placement(places, tuple(supplement), author_supplement)


def format_number(n: int, style: str) -> str:
    """Quarto's label styles: arabic, roman, roman i (lower case), alpha x (from letter x)."""
    if style.startswith("roman"):
        roman = _roman(n)
        return roman.lower() if style.endswith(" i") else roman
    if style.startswith("alpha "):
        return chr(ord(style[-1]) + n - 1)
    return str(n)


def _roman(n: int) -> str:
    out = []
    for value, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def _included(path: Path, study: Path, chain: tuple[Path, ...] = ()) -> list[Float]:
    """The generated floats a document includes, in order, following the author's own
    included files (a missing or looping include is left for the renderer to report)."""
    if not path.is_file() or path in chain:
        return []
    found: list[Float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _INCLUDE.match(line)
        if match is None:
            continue
        written = match["path"].strip("\"'")
        generated = _GENERATED.search(written)
        if generated is not None:
            found.append(Float(_KINDS[generated["kind"]], generated["id"]))
            continue
        base = study if written.startswith("/") else path.parent
        found += _included((base / written.lstrip("/")).resolve(), study, (*chain, path))
    return list(dict.fromkeys(found))
