"""The presentation step: where analysis results become the text a reader sees, once.

It takes the analysis results (:class:`cohortpress.analyse.StudyResults`: plain numbers,
status codes and the :class:`~cohortpress.analyse.Conventions` in force) and study.yml, and
gives every displayed string. Tables, figure captions, the text templates and the supplement
read only what it gives; none of them formats a number or words a status itself.

Result types (the contract):

- :class:`Number` — one printed number: ``value`` (in the scale of ``text``: a percentage as a
  percentage; ``None`` when it does not exist or is suppressed), ``text`` (exactly as the
  manuscript prints it), ``unit`` and ``method`` (how it was computed; for a statistic, the R
  call that gives the same number).
- :class:`Numbers` — the registry of every :class:`Number` under a unique dotted key
  (``os.median``, ``characteristics.sex.male.pct``); serialised as ``results.json``
  (:meth:`Numbers.to_json`) and, escaped for Markdown, as the ``_generated/results.yml``
  the documents read (written by :mod:`cohortpress.artefacts`).
  Keys made from labels come from :func:`label_keys`: two labels never share a key.
  :func:`collect_numbers` fills it from the results.
- :class:`Placement` — where each generated :class:`Float` (table or figure) is shown and the
  number it carries there (:class:`Placed`): manuscript floats numbered by order of first
  citation, supplement floats S1, S2 …; the same numbers in the manuscript, the supplement and
  the sheet names of ``supplementary.xlsx``.
- ``format`` — how a single value prints (:mod:`cohortpress.present.format`): CI labels from
  the confidence level, decimals, p-value styles, percentages, ranges, times, "NR"/"NE".
- ``notes`` — the sentences that say why a result has no number, from analyse's status codes.
- ``labels`` — the labels of results: a Cox term's "B vs A (ref)", "per 10 years"; a
  variable's label (study.yml's, else a built-in field's).
- ``suppress`` — the small-cell rule: which counts print as "<k" and which are withheld.
- ``escape`` — text from a workbook or study.yml made literal for each output format.
- ``spelling`` — cohortpress's own words in US or UK spelling per ``lang``.
- ``wording`` — the words for analyse's and derive's codes and settings: endpoint names and
  definitions, the response criteria and rate names, the stable-disease duration, end
  reasons, exclusion reasons, comparison tests and groups, Kaplan–Meier axis titles.

To add a number: compute it in analyse (a plain value), add it in :mod:`numbers` with
``Numbers.add(key, value, text, unit, method)`` using a ``format`` helper for ``text``, then
print it from a template as ``{{ r.<key> }}`` or in a table from the same entry. See
``docs/presentation.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cohortpress.present.escape import MATPLOTLIB_LITERAL_TEXT, markdown_text, markdown_tree

if TYPE_CHECKING:
    from cohortpress.present import format, labels, notes, suppress, wording
    from cohortpress.present.numbers import Number, Numbers, collect_numbers, label_keys
    from cohortpress.present.placement import Float, Placed, Placement, place_floats

# Loaded on first use: escaping is needed from intake to rendering, the rest (which reads the
# analysis results) only after the analysis, so importing the escaping stays cheap.
_LAZY = {
    **dict.fromkeys(("Number", "Numbers", "collect_numbers", "label_keys"), "numbers"),
    **dict.fromkeys(("Float", "Placed", "Placement", "place_floats"), "placement"),
}
_MODULES = ("format", "labels", "notes", "suppress", "wording")

__all__ = [
    "MATPLOTLIB_LITERAL_TEXT",
    "Float",
    "Number",
    "Numbers",
    "Placed",
    "Placement",
    "collect_numbers",
    "format",
    "label_keys",
    "labels",
    "markdown_text",
    "markdown_tree",
    "notes",
    "place_floats",
    "suppress",
    "wording",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
