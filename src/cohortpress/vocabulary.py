"""The fixed vocabularies cohortpress knows without study.yml: one place, imported everywhere.

The built-in categories of the workbook's fields (sex, the reasons treatment ended, best
overall response, yes/no, CTCAE grades), the printed labels of the end reasons, the labels of
the built-in fields a study may summarise without declaring them, and the default names of
the endpoints. Intake reads cells into these codes, config lists them as the
levels study.yml may add synonyms to, analyse counts them by code, and the presentation step
prints their labels (``present.wording``).
"""

from __future__ import annotations

from typing import Final

SEXES: Final = ("Male", "Female")
END_REASONS: Final = (
    "progression",
    "adverse_event",
    "death",
    "patient_decision",
    "physician_decision",
    "other",
)
END_REASON_LABELS: Final[dict[str, str]] = {
    "progression": "Disease progression",
    "adverse_event": "Adverse events",
    "death": "Death",
    "patient_decision": "Patient decision",
    "physician_decision": "Physician decision",
    "other": "Other reasons",
}
BEST_RESPONSES: Final = ("CR", "PR", "SD", "PD", "NE")
YES_NO: Final = ("Yes", "No")
GRADES: Final = ("1", "2", "3", "4", "5")

# A built-in field's label, unless study.yml gives one (a table1 row's or a covariate's label).
VARIABLE_LABELS: Final[dict[str, str]] = {
    "age": "Age",
    "sex": "Sex",
    "best_change_pct": "Maximal change of target lesions",
}

# A built-in field's type, unit and levels as Table I, the models and the comparison read it;
# any other built-in field is summarised as a number.
BUILTIN_VARIABLES: Final[dict[str, tuple[str, str | None, tuple[str, ...] | None]]] = {
    "age": ("continuous", "years", None),
    "sex": ("categorical", None, SEXES),
    "best_change_pct": ("continuous", "%", None),
}

# Endpoint kind -> (label, abbreviation), unless study.yml names it.
ENDPOINT_NAMES: Final[dict[str, tuple[str, str]]] = {
    "os": ("Overall survival", "OS"),
    "pfs": ("Progression-free survival", "PFS"),
    "ttf": ("Time to treatment failure", "TTF"),
}
