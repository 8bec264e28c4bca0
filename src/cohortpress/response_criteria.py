"""Tumour response criteria by name: their categories, the spellings read as each, and what
counts towards which rate.

``response.criteria`` in study.yml names one of :data:`CRITERIA` (RECIST 1.1, mRECIST, iRECIST,
RANO, Lugano) or is a label of the study's own, whose categories ``response.categories``
declares. Intake reads the ``best_response`` column against the categories, the analysis counts
them and derives the rates from each category's ``counts_as``:

- ORR (objective response rate): categories counting as ``response``;
- DCR (disease control rate): ``response`` and ``stable`` of any duration;
- CBR (clinical benefit rate): ``response``, and ``stable`` lasting ``sd_min_duration``.

Each criteria set has a stable ``reference`` id (a BibTeX-style citation key) for the Methods;
the bibliography entry itself belongs to the study's ``references.bib``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CountsAs = Literal["response", "stable", "progression", "not_evaluable"]
RateName = Literal["orr", "dcr", "cbr"]


@dataclass(frozen=True)
class Category:
    """One best-overall-response category: its code in the data, its name, and its class."""

    code: str
    label: str
    counts_as: CountsAs
    spellings: tuple[str, ...] = ()  # other ways exports write it, read as ``code``


@dataclass(frozen=True)
class Criteria:
    """A set of response criteria: categories in table order, names of the rates."""

    name: str
    categories: tuple[Category, ...]
    reference: str | None = None  # citation key for the Methods (None for a custom label)
    citation: str | None = None  # the publication, in words, for whoever writes references.bib
    aliases: tuple[str, ...] = ()
    rate_names: dict[str, str] = field(default_factory=dict)  # rate -> name when not standard
    # % change of the tumour measure at which progression and (partial) response begin: the
    # waterfall plot's dashed lines (None: none drawn, for criteria of a study's own)
    thresholds: tuple[float, float] | None = None
    text: str | None = None  # how sentences name it ("the Lugano classification"); default name

    @property
    def in_text(self) -> str:
        """The criteria as a sentence names them: 'assessed according to …'."""
        return self.text or self.name

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    def codes_counting_as(self, *kinds: CountsAs) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories if c.counts_as in kinds)

    def label(self, code: str) -> str:
        return next(c.label for c in self.categories if c.code == code)

    def spellings(self) -> dict[str, str]:
        """Built-in spelling -> code (the full names of the categories, and their variants)."""
        table = {c.label: c.code for c in self.categories}
        table.update({s: c.code for c in self.categories for s in c.spellings})
        return table

    def rate_name(self, rate: RateName) -> str:
        """The rate's name as the field writes it, lower case ('objective response rate')."""
        return self.rate_names.get(rate, RATE_NAMES[rate])


RATE_NAMES: dict[str, str] = {
    "orr": "objective response rate",
    "dcr": "disease control rate",
    "cbr": "clinical benefit rate",
}
RATE_ABBREVIATIONS: dict[str, str] = {"orr": "ORR", "dcr": "DCR", "cbr": "CBR"}

_NE = Category("NE", "Not evaluable", "not_evaluable", ("not evaluated",))


def _solid(
    name: str,
    reference: str,
    citation: str,
    aliases: tuple[str, ...],
    thresholds: tuple[float, float] = (20.0, -30.0),
    text: str | None = None,
) -> Criteria:
    """Criteria with the RECIST categories (CR, PR, SD, PD, NE)."""
    return Criteria(
        name,
        (
            Category("CR", "Complete response", "response"),
            Category("PR", "Partial response", "response"),
            Category("SD", "Stable disease", "stable"),
            Category("PD", "Progressive disease", "progression", ("progression",)),
            _NE,
        ),
        reference,
        citation,
        aliases,
        thresholds=thresholds,
        text=text,
    )


CRITERIA: tuple[Criteria, ...] = (
    _solid(
        "RECIST 1.1",
        "eisenhauer2009",
        "Eisenhauer EA, et al. New response evaluation criteria in solid tumours: revised RECIST "
        "guideline (version 1.1). Eur J Cancer 2009;45:228–47.",
        ("RECIST v1.1", "RECIST version 1.1", "RECIST1.1"),
    ),
    _solid(
        "mRECIST",
        "lencioni2010",
        "Lencioni R, Llovet JM. Modified RECIST (mRECIST) assessment for hepatocellular "
        "carcinoma. Semin Liver Dis 2010;30:52–60.",
        ("modified RECIST",),
    ),
    Criteria(
        "iRECIST",
        (
            Category("iCR", "Complete response (iCR)", "response", ("immune complete response",)),
            Category("iPR", "Partial response (iPR)", "response", ("immune partial response",)),
            Category("iSD", "Stable disease (iSD)", "stable", ("immune stable disease",)),
            Category(
                "iUPD",
                "Unconfirmed progressive disease (iUPD)",
                "progression",
                ("immune unconfirmed progressive disease",),
            ),
            Category(
                "iCPD",
                "Confirmed progressive disease (iCPD)",
                "progression",
                ("immune confirmed progressive disease",),
            ),
            _NE,
        ),
        "seymour2017",
        "Seymour L, et al. iRECIST: guidelines for response criteria for use in trials testing "
        "immunotherapeutics. Lancet Oncol 2017;18:e143–52.",
        ("immune RECIST",),
        thresholds=(20.0, -30.0),
    ),
    _solid(
        "RANO",
        "wen2010",
        "Wen PY, et al. Updated response assessment criteria for high-grade gliomas: Response "
        "Assessment in Neuro-Oncology Working Group. J Clin Oncol 2010;28:1963–72.",
        ("RANO criteria",),
        (25.0, -50.0),  # product of perpendicular diameters
        "the RANO criteria",
    ),
    Criteria(
        "Lugano",
        (
            Category(
                "CR",
                "Complete (metabolic) response",
                "response",
                ("complete response", "complete metabolic response", "CMR"),
            ),
            Category(
                "PR",
                "Partial (metabolic) response",
                "response",
                ("partial response", "partial metabolic response", "PMR"),
            ),
            Category(
                "SD",
                "Stable disease (no metabolic response)",
                "stable",
                ("stable disease", "no metabolic response", "NMR"),
            ),
            Category(
                "PD",
                "Progressive (metabolic) disease",
                "progression",
                ("progressive disease", "progressive metabolic disease", "PMD", "progression"),
            ),
            _NE,
        ),
        "cheson2014",
        "Cheson BD, et al. Recommendations for initial evaluation, staging, and response "
        "assessment of Hodgkin and non-Hodgkin lymphoma: the Lugano classification. J Clin "
        "Oncol 2014;32:3059–68.",
        ("Lugano 2014", "Lugano classification"),
        {"orr": "overall response rate"},
        (50.0, -50.0),  # sum of the products of the diameters (SPD)
        "the Lugano classification",
    ),
)


def _key(name: str) -> str:
    return "".join(name.casefold().split())


_BY_NAME = {_key(alias): c for c in CRITERIA for alias in (c.name, *c.aliases)}


def known_criteria(name: str) -> Criteria | None:
    """The built-in criteria a name means (any case or spacing, or an alias), else None."""
    return _BY_NAME.get(_key(name))


KNOWN_NAMES = tuple(c.name for c in CRITERIA)
DEFAULT = CRITERIA[0]
