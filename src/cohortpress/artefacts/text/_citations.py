"""What the generated Methods cite: the method in force, mapped to its key in ``methods.bib``.

Citation markup is made here and in the templates' own text, never from workbook or study.yml
text: a declared label (``response.criteria``, ``adverse_events.grading``) only selects a key
from the tables below, and a label they do not know gets no citation rather than a wrong one.
The keys are those of ``cohortpress/render/resources/methods.bib`` (a test checks each one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cohortpress.present.escape import markdown_text

_KEY = re.compile(r"^[a-z][a-z0-9]*$")


@dataclass(frozen=True)
class Citation:
    """A citation of methods references, printed by a template as ``" [@a; @b]"`` (with its
    leading space), or as nothing when it cites nothing."""

    keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for key in self.keys:
            if not _KEY.match(key):
                raise ValueError(f"not a methods reference key: {key!r}")

    def markdown(self) -> str:
        if not self.keys:
            return ""
        return " [" + "; ".join(f"@{key}" for key in self.keys) + "]"

    def __bool__(self) -> bool:
        return bool(self.keys)


NONE = Citation()

# Fixed methods: what each generated sentence names.
METHODS: dict[str, Citation] = {
    "kaplan_meier": Citation(("kaplan1958",)),
    "greenwood": Citation(("greenwood1926",)),
    "logrank": Citation(("mantel1966", "peto1972")),
    "reverse_km": Citation(("schemper1996",)),
    "brookmeyer_crowley": Citation(("brookmeyer1982",)),
    "cox": Citation(("cox1972",)),
    "wilcoxon": Citation(("wilcoxon1945",)),
    "kruskal": Citation(("kruskal1952",)),
    "fisher": Citation(("fisher1934",)),
    "chi_squared": Citation(("pearson1900",)),
    "clopper_pearson": Citation(("clopper1934",)),
    "cohortpress": Citation(("cohortpress",)),
    "numpy": Citation(("harris2020",)),
    "scipy": Citation(("virtanen2020",)),
    "pandas": Citation(("mckinney2010",)),
}
TIES: dict[str, Citation] = {
    "efron": Citation(("efron1977",)),
    "breslow": Citation(("breslow1974",)),
}
# Kalbfleisch and Prentice introduced the log(-log) interval; the log and plain intervals are
# Greenwood's variance on those scales, cited through Greenwood.
CI_TRANSFORMS: dict[str, Citation] = {"log-log": Citation(("kalbfleisch1980",))}

# Declared labels, normalised by _normalise: lower case, "version"/"v" before a number dropped.
CRITERIA: dict[str, Citation] = {
    "recist 1.1": Citation(("eisenhauer2009",)),
    "recist 1.0": Citation(("therasse2000",)),
    "mrecist": Citation(("lencioni2010",)),
    "modified recist": Citation(("lencioni2010",)),
    "modified recist (mrecist)": Citation(("lencioni2010",)),
    "irecist": Citation(("seymour2017",)),
    "rano": Citation(("wen2010",)),
    "lugano": Citation(("cheson2014",)),
    "lugano 2014": Citation(("cheson2014",)),
    "lugano classification": Citation(("cheson2014",)),
}
GRADING: dict[str, Citation] = {
    "ctcae 3.0": Citation(("ctcae3",)),
    "ctcae 3": Citation(("ctcae3",)),
    "ctcae 4.0": Citation(("ctcae4",)),
    "ctcae 4.03": Citation(("ctcae403",)),
    "ctcae 5.0": Citation(("ctcae5",)),
    "ctcae 5": Citation(("ctcae5",)),
}
_VERSION = re.compile(r"\bversion\b\.?|\bver\b\.?|\bv\b\.?(?=\s*\d)|\bv(?=\d)")
_CTCAE = re.compile(
    r"^(?:nci[\s-]+)?(?:common terminology criteria for adverse events(?:\s*\(ctcae\))?|ctcae)"
)
_RESPONSE = re.compile(r"^response evaluation criteria in solid tumou?rs(?:\s*\(recist\))?")


def _normalise(label: str) -> str:
    text = _VERSION.sub(" ", label.casefold())
    text = re.sub(r"\s+", " ", text).strip().rstrip(".")
    text = _CTCAE.sub("ctcae", text)
    return _RESPONSE.sub("recist", text)


def criteria_citation(label: str) -> Citation:
    """The reference of declared response criteria ("RECIST 1.1", "mRECIST", …), if known."""
    return CRITERIA.get(_normalise(label), NONE)


def grading_citation(label: str) -> Citation:
    """The NCI report of a declared CTCAE version ("CTCAE v5.0", …), if known."""
    return GRADING.get(_normalise(label), NONE)


def finalize(value: object) -> str:
    """Jinja's ``finalize``: a citation prints its markup, anything else as literal text."""
    if isinstance(value, Citation):
        return value.markdown()
    return markdown_text(value)
