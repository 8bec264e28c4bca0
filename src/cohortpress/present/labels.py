"""Labels of analysis results as the tables and results.json print them.

analyse gives a Cox term its level, reference, unit and ``per``; the words around them
("vs", "(ref)", "per 10 years") are the presentation's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.present import format as fmt

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
