"""Where each generated table and figure is shown, and the number it carries there.

The manuscript is the author's ``manuscript.qmd``; the journal supplement is the author's
``supplement.qmd`` when the study folder has one, otherwise every generated table and figure
the manuscript does not show, in the order they are made. Manuscript floats are numbered, as
journals ask, by the order in which the text first cites them (``@tbl-…``/``@fig-…``), with the
``crossref`` label styles of ``_quarto.yml`` ("Table I", "Figure 1"); floats the text never
cites come after, in document order, and are listed in :attr:`Placement.uncited`. Supplement
floats are "Table S1", "Figure S1", in the supplement's order.

Citations in the generated paragraphs count where their include sits in the manuscript. Those
paragraphs cite a float as ``@label`` when the manuscript shows it, which depends only on the
includes, never on the numbers: so placement is decided first from the includes
(:func:`place_floats` without ``generated``), the paragraphs are written with it, and the
numbers then follow from the author's text and the paragraphs (``generated``).

One decision, read by the text templates (a reference to a table in the supplement reads
"Supplementary Table S1"; to a table shown nowhere, nothing), by the supplement document and by
the sheet names of ``supplementary.xlsx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

Document = Literal["manuscript", "supplement"]
Kind = Literal["tbl", "fig"]

MANUSCRIPT = "manuscript.qmd"
SUPPLEMENT = "supplement.qmd"
SUPPLEMENT_KEYS: dict[Kind, str] = {"tbl": "supptbl", "fig": "suppfig"}
SUPPLEMENT_PREFIX: dict[Kind, str] = {"tbl": "Table S", "fig": "Figure S"}

_INCLUDE = re.compile(r"^\s*\{\{<\s*include\s+(?P<path>\"[^\"]+\"|'[^']+'|\S+)\s*>\}\}\s*$")
_PARAGRAPH = re.compile(r"(?:^|/)_generated/(?P<name>[\w-]+)\.md$")
# A Pandoc citation of a table or figure: @tbl-x, [@tbl-x], [-@fig-x], @Tbl-x; not an escaped
# \@ (workbook text is escaped so) nor the @ of an e-mail address.
_CITATION = re.compile(r"(?<![\w\\])@(?P<kind>[Tt]bl|[Ff]ig)-(?P<id>[\w-]*\w)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
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
    """Every generated float's document and number; floats shown nowhere are absent.

    ``uncited`` names the manuscript's floats its text never cites (numbered after the cited
    ones); ``out_of_order`` says, when the order of first citation differs from the order the
    manuscript shows the floats in, which float to move (Quarto numbers in document order)."""

    places: dict[str, Placed] = field(default_factory=dict)  # by label
    supplement: tuple[Float, ...] = ()  # in the supplement, in order
    supplement_written_by_author: bool = False
    uncited: tuple[str, ...] = ()  # labels, in document order
    out_of_order: str | None = None

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

    def uncited_warnings(self) -> list[str]:
        """One warning per manuscript float its text never cites, naming it."""
        return [
            f"{MANUSCRIPT}: {self.places[label].name} (#{label}) is shown but never cited "
            f"(@{label}); it is numbered after the floats the text cites"
            for label in self.uncited
        ]


def place_floats(
    study: Path,
    floats: Iterable[Float],
    *,
    titles: dict[Kind, str],
    label_styles: dict[Kind, str],
    generated: Mapping[str, str] | None = None,
) -> Placement:
    """Read which floats ``manuscript.qmd`` (and ``supplement.qmd``, if written) include, and
    number the manuscript's by first citation.

    ``titles`` and ``label_styles`` are ``_quarto.yml``'s ``crossref`` ``tbl-title``/
    ``fig-title`` and ``tbl-labels``/``fig-labels``; ``generated`` maps each generated
    paragraph (``results_cox`` for ``_generated/results_cox.md``) to its text, whose
    citations count where the manuscript includes it.
    """
    made = list(dict.fromkeys(floats))
    walk = _walk(study / MANUSCRIPT, study, generated or {})
    shown = list(dict.fromkeys(f for f, _ in walk.included))
    labels = {f.label: f for f in shown}
    cited = list(dict.fromkeys(label for label, _ in walk.cited if label in labels))
    order = [labels[label] for label in cited] + [f for f in shown if f.label not in cited]
    places: dict[str, Placed] = {}
    counts: dict[Kind, int] = {"tbl": 0, "fig": 0}
    for f in order:
        counts[f.kind] += 1
        number = format_number(counts[f.kind], label_styles[f.kind])
        places[f.label] = Placed("manuscript", number, f"{titles[f.kind]} {number}")
    author_supplement = (study / SUPPLEMENT).is_file()
    if author_supplement:
        included = _walk(study / SUPPLEMENT, study, {}).included
        supplement = list(dict.fromkeys(f for f, _ in included if f.label not in places))
    else:
        supplement = [f for f in made if f.label not in places]
    counts = {"tbl": 0, "fig": 0}
    for f in supplement:
        counts[f.kind] += 1
        name = f"{SUPPLEMENT_PREFIX[f.kind]}{counts[f.kind]}"
        places[f.label] = Placed("supplement", f"S{counts[f.kind]}", name)
    uncited = tuple(f.label for f in shown if f.label not in cited)
    conflict = _out_of_order(walk, order, places) if generated is not None else None
    return Placement(places, tuple(supplement), author_supplement, uncited, conflict)


Where = tuple[str, int]  # file (relative to the study folder) and line


@dataclass
class _Walk:
    """The manuscript read in order: each float included, each float cited, and where."""

    included: list[tuple[Float, Where]] = field(default_factory=list)
    cited: list[tuple[str, Where]] = field(default_factory=list)


def _out_of_order(walk: _Walk, order: list[Float], places: dict[str, Placed]) -> str | None:
    """For an engine that numbers in document order (Quarto): the first float, of each kind,
    that the manuscript shows before one its text cites earlier, located and named."""
    first_shown = dict(reversed([(f, where) for f, where in walk.included]))
    first_cited = dict(reversed(walk.cited))
    for kind in ("tbl", "fig"):
        by_citation = [f for f in order if f.kind == kind]
        by_document = sorted(by_citation, key=lambda f: _position(first_shown[f]))
        for cited, shown in zip(by_citation, by_document, strict=True):
            if cited == shown:
                continue
            (file, line), (cited_file, cited_line) = first_shown[cited], first_cited[cited.label]
            before = first_shown[shown]
            return (
                f"{file}, line {line}: {places[cited.label].name} (#{cited.label}) is cited "
                f"first ({cited_file}, line {cited_line}) but shown after #{shown.label} "
                f"({before[0]}, line {before[1]}); Quarto numbers floats in the order they are "
                f"shown, so move the include of #{cited.label} before that of #{shown.label}, "
                "or cite them in the order they are shown (the embedded engine numbers by "
                "first citation)"
            )
    return None


def _position(where: Where) -> tuple[int, int]:
    return (0 if where[0] == MANUSCRIPT else 1, where[1])


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


def _walk(
    path: Path, study: Path, generated: Mapping[str, str], chain: tuple[Path, ...] = ()
) -> _Walk:
    """The generated floats a document includes and the floats its text cites, in order,
    following the author's own included files (a missing or looping include is left for the
    renderer to report); code blocks, comments and the YAML front matter cite nothing, as
    for pandoc. A generated paragraph's citations are located at its include."""
    walk = _Walk()
    if not path.is_file() or path in chain:
        return walk
    name = path.relative_to(study).as_posix() if path.is_relative_to(study) else path.name
    lines = _COMMENT.sub(lambda m: "\n" * m[0].count("\n"), path.read_text(encoding="utf-8"))
    fenced = False
    front = lines.startswith("---")
    for number, line in enumerate(lines.splitlines(), start=1):
        if front:
            front = number == 1 or line.strip() not in ("---", "...")
            continue
        if _FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        where = (name, number)
        match = _INCLUDE.match(line)
        if match is None:
            walk.cited += [(_label(c), where) for c in _CITATION.finditer(line)]
            continue
        written = match["path"].strip("\"'")
        float_file = _GENERATED.search(written)
        if float_file is not None:
            walk.included.append((Float(_KINDS[float_file["kind"]], float_file["id"]), where))
            continue
        paragraph = _PARAGRAPH.search(written)
        if paragraph is not None:
            text = generated.get(paragraph["name"], "")
            walk.cited += [(_label(c), where) for c in _CITATION.finditer(text)]
            continue
        base = study if written.startswith("/") else path.parent
        inner = _walk((base / written.lstrip("/")).resolve(), study, generated, (*chain, path))
        walk.included += inner.included
        walk.cited += inner.cited
    return walk


def _label(citation: re.Match[str]) -> str:
    return f"{citation['kind'].lower()}-{citation['id']}"
