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
