"""The words for what analyse gives as codes and settings: endpoint definitions, the response
criteria and the names of their rates, the stable-disease duration, the reasons treatment
ended, why patients were excluded, the names of the tests comparing groups and of the groups,
and the titles of a Kaplan–Meier figure's axes and table; and how running text writes a list
(:func:`series`) and a count (:func:`counted`, in words where the small-cell rule hides it).

analyse and derive give an endpoint's kind and censoring rule, the criteria's name, the rate's
code (``orr``), the SD threshold as a value and unit, an end reason's code, an exclusion rule's
kind and parameters, a comparison test's code and a group's level; the sentences, names and
titles are made here, once, and the Methods, tables and figures read them.

The ``method`` of each number in results.json (the R call that gives it) stays where the number
is computed: it documents the computation, it is not display.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from cohortpress.present import format as fmt
from cohortpress.present.labels import mid_sentence
from cohortpress.present.suppress import WITHHELD
from cohortpress.response_criteria import RATE_NAMES, known_criteria
from cohortpress.vocabulary import END_REASON_LABELS, ENDPOINT_NAMES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from cohortpress.analyse._results import ComparisonTest
    from cohortpress.analyse._study import (
        EndpointResult,
        GroupComparison,
        GroupedSurvival,
        ResponseRate,
        ResponseSummary,
    )
    from cohortpress.config import Endpoint, StudyConfig
    from cohortpress.derive import ExclusionRule

# How the Methods define an endpoint derived from dates; completes "… was defined as the time …".
ENDPOINT_DEFINITIONS = {
    "os": "from the start of treatment to death from any cause; patients alive were censored "
    "at the last date known alive",
    "pfs": "from the start of treatment to progression or death, whichever came first; patients "
    "without either were censored at the last date known alive",
    "ttf": "from the start of treatment to its discontinuation for any reason, including "
    "progression, toxicity, patient or physician decision and death; patients still on "
    "treatment were censored at the last date known alive",
}
_PFS_AT_ASSESSMENT = (
    "from the start of treatment to progression or death, whichever came first; patients "
    "without either were censored at their last tumour assessment, or at the start of "
    "treatment when no assessment was recorded"
)
AT_RISK_TITLE = "Number at risk"  # the title of the table under a Kaplan–Meier plot
OVERALL_CURVE = "All patients"  # the name of the curve of all patients


# --- lists in running text ------------------------------------------------------------------


def series(items: Sequence[str], word: str = "and", *, clauses: bool = False) -> str:
    """'a', 'a and b', 'a, b, and c': how every list in running text is written, with the
    serial comma of the AMA style most medical journals follow (and the thyroid paper).
    ``clauses``: the items are independent clauses ("the median OS was …"), which take the
    comma before the conjunction even when there are two."""
    n = len(items)
    return "".join(
        item + series_separator(i, n, word, clauses=clauses) for i, item in enumerate(items, 1)
    )


def series_separator(index: int, length: int, word: str = "and", *, clauses: bool = False) -> str:
    """What follows the ``index``-th (from 1) of ``length`` items in :func:`series`; the
    templates print it after each item of a loop (``sep(loop)``, ``sep(loop, clauses=True)``)."""
    if index >= length:
        return ""
    if index == length - 1:
        return f" {word} " if length == 2 and not clauses else f", {word} "
    return ", "


def counted(n: str, pct: str | None = None, noun: str | None = None) -> str:
    """A printed count in running text: '8 patients (20.0%)', 'one patient (3.8%)', or '8 (20.0%)'
    without a noun (plural; singular for one). A count the small-cell rule hides has no
    percentage and is said in words: 'fewer than 5 patients' for one printed '<5', 'a withheld
    number of patients' for one printed '*' (the tables' marks, which a sentence has no note
    to explain)."""
    if n.startswith("<"):
        return f"fewer than {n[1:]} {noun or 'patients'}"
    if n == WITHHELD:
        return f"a withheld number of {noun or 'patients'}"
    if noun:
        n = f"{n} {noun.removesuffix('s') if n in ('1', 'one') else noun}"
    return f"{n} ({pct})" if pct else n


# --- endpoints ------------------------------------------------------------------------------


def endpoint_label(result: EndpointResult) -> str:
    """An endpoint's name: study.yml's, else its kind's ("Overall survival")."""
    return result.label or ENDPOINT_NAMES[result.kind][0]


def endpoint_abbreviation(result: EndpointResult) -> str:
    """An endpoint's abbreviation: study.yml's, else its kind's ("OS")."""
    return result.abbreviation or ENDPOINT_NAMES[result.kind][1]


def endpoint_definition(result: EndpointResult, config: StudyConfig) -> str:
    """How the Methods define an endpoint: from the dates, following its censoring rule, or
    from the columns it was read from as recorded (named by the workbook's headers)."""
    endpoint = _endpoint(result.kind, config)
    if endpoint.time is None or endpoint.status is None:
        if endpoint.kind == "pfs" and endpoint.censor_at == "last_assessment":
            return _PFS_AT_ASSESSMENT
        return ENDPOINT_DEFINITIONS[endpoint.kind]
    return _recorded_definition(endpoint, config)


def _endpoint(kind: str, config: StudyConfig) -> Endpoint:
    for endpoint in config.endpoints:
        if endpoint.kind == kind:
            return endpoint
    raise ValueError(f"study.yml declares no {kind} endpoint, yet it has a result")


def _recorded_definition(endpoint: Endpoint, config: StudyConfig) -> str:
    """Completes "<label> (<abbreviation>) was taken as recorded: …"."""
    time, status = config.header(endpoint.time or ""), config.header(endpoint.status or "")
    unit = endpoint.time_unit or config.time_unit
    events = ", ".join(endpoint.event_values)
    censored = ", ".join(endpoint.censored_values)
    return (
        f"the time in the column “{time}” (in {unit}) and the event from the column "
        f"“{status}” ({events}: event; {censored}: censored), not derived from dates"
    )


def survival_axis_title(label: str) -> str:
    """What the y axis shows, from the endpoint's name: 'Overall survival probability',
    'Progression-free survival probability'; a 'Time to X' endpoint shows the
    'Probability of no X' (time to treatment failure: 'Probability of no treatment failure')."""
    if label.lower().startswith("time to ") and len(label) > len("time to "):
        return f"Probability of no {label[len('time to ') :]}"
    return f"{label} probability"


def curve_names(g: GroupedSurvival, config: StudyConfig) -> list[str]:
    """The names of a factor's curves in the legend, the numbers-at-risk table and the
    annotation, one per level: "High LMR" for a marker; the levels with their variable's label
    ("ECOG PS 0", "ECOG PS 1") when one of them is a bare number or a letter or two (an ECOG PS
    of 1, a Child–Pugh class A, beside panel letters, or "No", would read as nothing), every
    level of the factor alike ("Bone Yes", "Bone No"); otherwise the levels as they are
    ("Papillary")."""
    if g.factor in config.markers:
        return [f"{level} {g.factor}" for level in g.levels]
    if any(level.isdigit() or (len(level) <= 2 and level.isalnum()) for level in g.levels):
        return [f"{g.label} {level}" for level in g.levels]
    return list(g.levels)


def not_recorded(count: str, n: int, g: GroupedSurvival, config: StudyConfig) -> str:
    """'3 patients without a recorded ECOG PS': the patients left out of the curves and the
    survival rows by a factor, worded once for the figure captions and the survival table;
    ``count`` is ``n`` as printed (a suppression mark, perhaps)."""
    name = g.factor if g.factor in config.markers else mid_sentence(g.label)
    return f"{count} {'patient' if n == 1 else 'patients'} without a recorded {name}"


def time_axis_title(drug: str, unit: str) -> str:
    """The time axis of a Kaplan–Meier plot: 'Time from the start of lenvatinib (months)'."""
    return f"Time from the start of {drug} ({unit})"


# --- response -------------------------------------------------------------------------------


def criteria_text(r: ResponseSummary) -> str:
    """The criteria as a sentence names them ("the Lugano classification", "RECIST 1.1"); a
    set of the study's own by the name study.yml gives it."""
    known = known_criteria(r.criteria)
    return known.in_text if known is not None else r.criteria


def rate_name(r: ResponseSummary, rate: ResponseRate | str) -> str:
    """A rate's name as the field writes it, lower case: 'objective response rate' (the
    Lugano classification: 'overall response rate')."""
    code = rate if isinstance(rate, str) else rate.rate
    known = known_criteria(r.criteria)
    names = known.rate_names if known is not None else {}
    return names.get(code, RATE_NAMES[code])


def response_rows(r: ResponseSummary) -> tuple[ResponseRate, ...]:
    """The rates printed (the response table and the text): those study.yml lists, the CBR
    once when it equals a listed DCR."""
    both = {"dcr", "cbr"} <= set(r.shown)
    return tuple(rate for rate in r.shown_rates if not (both and rate.equals))


def response_label(code: str, config: StudyConfig) -> str:
    """A best-response category as the response table names it, from the criteria in force
    (built in, or the categories study.yml declares); patients without one are 'Not assessed'."""
    # Imported here: the figures' workers read this module's titles without the analysis.
    from cohortpress.analyse._study import MISSING_RESPONSE

    if code == MISSING_RESPONSE:
        return "Not assessed (no best response recorded)"
    if config.response is None:
        raise ValueError("the study has no response settings")
    return config.response.scheme.label(code)


def duration(value: float, unit: str) -> str:
    """A length of time: '6 months', '1 month', '42 days'."""
    return f"{fmt.plain(value)} {unit[:-1] if value == 1 else unit}"


def sd_threshold(r: ResponseSummary) -> str:
    """How long stable disease must last for the CBR: '6 months'."""
    return duration(r.sd_min_value, r.sd_min_unit)


# --- treatment ------------------------------------------------------------------------------


def end_reason_label(code: str) -> str:
    """The printed label of a reason treatment ended ('Disease progression')."""
    return END_REASON_LABELS[code]


# --- patient flow ---------------------------------------------------------------------------

# Completes "n patients …" in the patient flow.
INSUFFICIENT_DATA = "with insufficient data for the eligibility criteria"


def exclusion_reason(rule: ExclusionRule) -> str:
    """Why a flow line's patients were excluded, completing "n patients …": an eligibility
    criterion in its author's words from study.yml (data: escaped where it is printed),
    'with insufficient data for the eligibility criteria', 'treated for less than 1 month'."""
    # The kinds by value: importing derive here would load it into the figures' workers.
    if rule.kind == "criterion" and rule.reason is not None:
        return rule.reason
    if rule.kind == "insufficient_data":
        return INSUFFICIENT_DATA
    if rule.kind == "short_treatment" and rule.minimum is not None:
        return f"treated for less than {duration(rule.minimum.value, rule.minimum.unit)}"
    raise ValueError(f"an exclusion rule without what its words need: {rule!r}")


# --- comparison of groups -------------------------------------------------------------------

# A comparison test (``ComparisonTest``, by value) as a table's note names it.
TEST_NAMES = {
    "wilcoxon_exact": "Wilcoxon rank-sum, exact",
    "wilcoxon_normal": "Wilcoxon rank-sum, normal approximation with continuity correction",
    "kruskal": "Kruskal–Wallis",
    "fisher": "Fisher's exact",
    "chisq": "Pearson's chi-squared (no continuity correction)",
}
# Why a test other than the one the Methods name was used, completing the test's note.
_WHY_THIS_TEST = {"chisq": ", where the table was too large for Fisher's exact test"}


def comparison_test_name(test: ComparisonTest) -> str:
    """A comparison test's name: "Fisher's exact", "Wilcoxon rank-sum, exact"."""
    return TEST_NAMES[test]


def comparison_test_note(test: ComparisonTest) -> str:
    """A comparison test's name with why it was used where that is not the rule: "Pearson's
    chi-squared (no continuity correction), where the table was too large for Fisher's exact
    test"."""
    return f"{TEST_NAMES[test]}{_WHY_THIS_TEST.get(test, '')}"


def comparison_group_names(comp: GroupComparison, config: StudyConfig) -> list[str]:
    """The names of the groups compared, one per level shown: a marker's "High LMR", "Low
    LMR"; a variable's level as it is ("Papillary")."""
    if comp.factor in config.markers:
        return [f"{level} {comp.factor}" for level in comp.levels]
    return list(comp.levels)


def marker_formula(formula: str) -> str | None:
    """How a marker is calculated, as words after its name: a ratio of two columns reads "the
    ratio of neutrophils to lymphocytes"; a single column needs no words (its label says it);
    any other formula is given with its operators as printed in a paper (÷, ×)."""
    try:
        tree = ast.parse(formula.strip(), mode="eval").body
    except SyntaxError:  # study.yml formulas are checked before; keep the text as a fallback
        tree = None
    if isinstance(tree, ast.Name):
        return None
    if (
        isinstance(tree, ast.BinOp)
        and isinstance(tree.op, ast.Div)
        and isinstance(tree.left, ast.Name)
        and isinstance(tree.right, ast.Name)
    ):
        return f"the ratio of {_column_words(tree.left.id)} to {_column_words(tree.right.id)}"
    text = formula.replace("/", "÷").replace("*", "×")
    return f"calculated as {_column_words(text)}"


def _column_words(name: str) -> str:
    return name.replace("_", " ")


def abbreviation_pairs(notes: Iterable[str | None]) -> dict[str, str]:
    """The abbreviations a study explains ("IMDC: International Metastatic …"), as
    abbreviation -> expansion; a note not in that form explains nothing to expand."""
    pairs: dict[str, str] = {}
    for note in notes:
        short, sep, long = (note or "").partition(": ")
        if sep and short.strip() and len(short.strip()) < len(long.strip()):
            pairs.setdefault(short.strip(), long.strip())
    return pairs


def spelled_out(text: str, pairs: dict[str, str], defined: set[str]) -> str:
    """``text`` with each abbreviation not yet in ``defined`` spelled out at its first use
    ("International Metastatic Renal Cell Carcinoma Database Consortium (IMDC) risk"), for an
    abstract, which must stand alone; ``defined`` gains what was spelled out."""
    for short, long in pairs.items():
        if short in defined:
            continue
        found = re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text)
        if found and f"({short})" not in text:
            text = f"{text[: found.start()]}{long} ({short}){text[found.end() :]}"
            text = text.replace(f"({short}) (", f"({short}; ", 1)  # not "(ECOG PS) (1–2 vs 0"
            defined.add(short)
    return text
