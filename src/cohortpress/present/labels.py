"""Labels of analysis results as the tables and results.json print them.

analyse gives a Cox term its level, reference, unit and ``per``; the words around them
("vs", "(ref)", "per 10 years") are the presentation's. A Table I row and a compared factor
carry their variable's name and the label study.yml gives, if any; a built-in field without
one (age, sex) is named here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.present import format as fmt
from cohortpress.vocabulary import VARIABLE_LABELS

if TYPE_CHECKING:
    from cohortpress.analyse._results import CoxTerm
    from cohortpress.config import StudyConfig


def term_label(term: CoxTerm) -> str:
    """A level against its reference, "Poor vs Favourable/intermediate (ref)", or what a
    continuous covariate's hazard ratio is per: "per 10 years", "per unit"."""
    if term.level is not None:
        return f"{term.level} vs {term.reference} (ref)"
    if term.unit:
        return f"per {fmt.plain(term.per)} {term.unit}"
    return "per unit" if term.per == 1 else f"per {fmt.plain(term.per)} units"


def variable_label(name: str, label: str | None) -> str:
    """A variable's label: the one study.yml gives (``label``), else a built-in field's
    ("Age", "Sex"), else its name."""
    return label or VARIABLE_LABELS.get(name, name)


def mid_sentence(label: str) -> str:
    """A label inside a sentence: "Disease status" reads "disease status"; an acronym, a
    capitalised word or an initial kept as written ("ECOG PS", "IMDC risk", "BRAF V600 status",
    "Child–Pugh class", "C-reactive protein")."""
    first = label.split(" ", 1)[0]
    initial = len(first) > 1 and first[1] in "-–"  # "C-reactive protein", "T-cell count"
    if len(first) > 1 and first[1:].islower() and not initial:  # "Progression-free survival"
        return label[:1].lower() + label[1:]
    return label


def short_name(name: str, config: StudyConfig) -> str | None:
    """How a sentence names a factor briefly: a marker by its name in study.yml (markers are
    named by their abbreviation: "LMR"), a variable by the short form of its abbreviation
    ("ECOG PS" of "ECOG PS: Eastern Cooperative Oncology Group performance status"); None for
    a variable without one, which is named by its label. Never a variable's key."""
    if name in config.markers:
        return name
    variable = config.variables.get(name)
    if variable is None or not variable.abbreviation:
        return None
    return variable.abbreviation.split(":", 1)[0].strip() or None


def factor_name(name: str, label: str | None, config: StudyConfig) -> str:
    """A factor inside a sentence ("compared between the … groups"): its short name, else
    its label (``label``, or a built-in field's) as :func:`mid_sentence` writes it."""
    return short_name(name, config) or mid_sentence(variable_label(name, label))


# Factors already named as groups, singular to plural: "risk group", "treatment arm".
_GROUP_WORDS = {"group": "groups", "arm": "arms", "cohort": "cohorts", "class": "classes",
                "category": "categories"}  # fmt: skip


def grouped_by(name: str, *, short: str | None = None, plural: bool = False) -> str:
    """A factor as the groups it makes: 'ECOG PS group(s)', 'lymphocyte-to-monocyte ratio (LMR)
    group(s)' with its ``short`` name, but 'risk group(s) (RG)' and 'Child–Pugh class(es)' for
    a factor whose name already says so (not 'risk group groups')."""
    head, _, last = name.rpartition(" ")
    singular = {v: k for k, v in _GROUP_WORDS.items()}.get(last.lower(), last.lower())
    aside = f" ({short})" if short else ""
    if singular in _GROUP_WORDS:
        word = _GROUP_WORDS[singular] if plural else singular
        return f"{head} {word}{aside}" if head else f"{word}{aside}"
    return f"{name}{aside} {'groups' if plural else 'group'}"
