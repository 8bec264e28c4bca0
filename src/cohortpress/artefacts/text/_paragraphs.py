"""Generated Methods and Results paragraphs, written from the same numbers as the tables."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import (
    BaseLoader,
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
)

from cohortpress.analyse._results import ComparisonTest
from cohortpress.analyse._status import MultivariateStatus
from cohortpress.artefacts._figures import by_figures
from cohortpress.artefacts.text import _citations as cite
from cohortpress.artefacts.text import _response_text as response_text
from cohortpress.config import DAYS_PER_UNIT
from cohortpress.exact_tests import EXACT_BELOW
from cohortpress.present import format as fmt
from cohortpress.present import suppress as sup
from cohortpress.present import wording
from cohortpress.present.escape import Markdown
from cohortpress.present.labels import factor_name, grouped_by, mid_sentence
from cohortpress.present.notes import multivariate_note, unestimated_reason
from cohortpress.present.numbers import flow_marks, landmark_key
from cohortpress.present.placement import Placement
from cohortpress.present.spelling import spell

if TYPE_CHECKING:
    from cohortpress.analyse import Conventions, StudyResults
    from cohortpress.analyse._study import EndpointResult, GroupedSurvival
    from cohortpress.config import StudyConfig
    from cohortpress.present.numbers import Numbers

PARAGRAPHS = (
    "abstract_results",
    "methods_treatment",
    "methods_definitions",
    "methods_markers",
    "methods_statistics",
    "results_patients",
    "results_efficacy",
    "results_by_factor",
    "results_cox",
    "results_safety",
    "data_appendix",
)
_NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
]
COMMON_MOST, COMMON_SHARE = 5, 0.1  # the AEs named as common: at most 5, in at least 10%
TRANSFORM_WORDS = {
    "log-log": "a log(−log) transformation",
    "log": "a log transformation",
    "plain": "no transformation (linear intervals)",
}


_TAGS = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.DOTALL)


class _SpelledLoader(BaseLoader):
    """The templates with their own words in the spelling of the document's ``lang``: the
    template text is respelled before it is compiled, so no value printed into it is."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.inner = PackageLoader("cohortpress.artefacts.text", "templates")

    def get_source(self, environment: Environment, template: str) -> tuple[str, Any, Any]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        parts = _TAGS.split(source)  # text, tag, text, …: tags (keys, code) stay as written
        spelled = [part if i % 2 else spell(part, self.lang) for i, part in enumerate(parts)]
        return "".join(spelled), filename, uptodate


def _environment(lang: str = "en") -> Environment:
    """Templates whose every ``{{ value }}`` is printed as literal text: labels, levels, terms
    and units come from the workbook and study.yml, so ``finalize`` escapes each printed value
    for Markdown (HTML autoescaping would be the wrong language), and a template cannot
    forget to. The one exception is a :class:`~._citations.Citation`, made from keys of the
    methods bibliography only, which prints its ``[@key]`` markup. ``| spell`` respells a
    phrase cohortpress made in code (an endpoint's definition), never data."""
    env = Environment(
        loader=_SpelledLoader(lang),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=cite.finalize,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["number_word"] = lambda n: _NUMBER_WORDS[n] if 0 <= n < 11 else fmt.integer(n)
    env.filters["count"] = fmt.integer
    env.filters["patients"] = lambda count: wording.counted(count, noun="patients")
    env.globals["counted"] = lambda entry, noun=None: wording.counted(
        entry["n"], entry.get("pct"), noun
    )
    env.filters["cutoff"] = fmt.plain
    env.filters["spell"] = lambda text: spell(str(text), lang)
    env.globals["sep"] = lambda loop, clauses=False: wording.series_separator(
        loop.index, loop.length, clauses=clauses
    )
    return env


@cache
def _bytecode_cache() -> BytecodeCache | None:
    """Jinja's cache of compiled templates in the user's private temporary folder, keyed by
    each template's (respelled) source, so never stale: compiling the eleven templates took
    0.1–0.2 s of every run. None where that folder cannot be made (then they are compiled)."""
    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def write_paragraphs(
    results: StudyResults,
    config: StudyConfig,
    numbers: Numbers,
    placement: Placement | None = None,
    *,
    normalisations: list[str],
    warnings: list[str],
    lang: str = "en",
) -> dict[str, str]:
    """Render every paragraph; returns name -> Markdown.

    ``placement`` says where each table and figure is shown, so a sentence cites it as the
    reader finds it: "(Table I)", "(Supplementary Table S1)", or not at all (without a
    placement, no table or figure is shown and none is cited). ``lang`` (the document's)
    chooses US or UK spelling (``present/spelling.py``).
    """
    placement = placement or Placement()
    env = _environment(lang)
    context = _context(results, config, numbers, normalisations, warnings)
    context["see"] = lambda label: _citation(placement, label)
    context["ref"] = lambda label: Markdown(placement.reference(label) or "")
    return {
        name: env.get_template(f"{name}.md.j2").render(**context).strip() + "\n"
        for name in PARAGRAPHS
    }


def _citation(placement: Placement, label: str) -> Markdown:
    """' (@tbl-x)', ' (Supplementary Table S1)', or nothing for a float shown nowhere."""
    reference = placement.reference(label)
    return Markdown(f" ({reference})" if reference else "")


def _context(
    results: StudyResults,
    config: StudyConfig,
    numbers: Numbers,
    normalisations: list[str],
    warnings: list[str],
) -> dict[str, Any]:
    style = results.conventions.p_style
    alpha = results.conventions.alpha
    r = numbers.nested()
    return {
        "results": results,
        "config": config,
        "cite": _citations(config, results.conventions),
        "r": r,
        "unit": results.time_unit,
        "cutoff": fmt.date(config.data_cutoff),
        "level": fmt.level(results.conventions.conf_level),  # "95%"
        "ci": fmt.ci_label(results.conventions.conf_level),  # "95% CI"
        "software": results.software,
        "key": numbers.key,
        "p_text": lambda p: fmt.p_text(p, style),
        "longer": _first_group_longer,
        "age": r.get("characteristics", {}).get("age"),
        "sex": _sex_sentence(r),
        "stopped": _stopped_sentence(results, r),
        "significant": {
            e.kind: [g for g in e.by if g.logrank and g.logrank.p < alpha and len(g.estimates) == 2]
            for e in results.endpoints
        },
        "significant_k": {
            e.kind: [g for g in e.by if g.logrank and g.logrank.p < alpha and len(g.estimates) > 2]
            for e in results.endpoints
        },
        "group_name": lambda g, level: _group_name(g, level, config),
        "abstract_groups": lambda g: _abstract_groups(g, config),
        "mid_sentence": mid_sentence,
        "endpoint_label": wording.endpoint_label,
        "abbreviation": wording.endpoint_abbreviation,
        "group_phrase": lambda g, level: _group_phrase(g, level, config),
        "landmark_key": landmark_key,
        "all_markers": {
            e.kind: all(g.factor in config.markers for g in e.by) for e in results.endpoints
        },
        "significant_uni": {
            e.kind: _significant_terms(e.univariate, e.covariate_labels, alpha, style)
            for e in results.endpoints
        },
        "significant_multi": {
            e.kind: _significant_terms(
                (e.multivariate,) if e.multivariate else (), e.covariate_labels, alpha, style
            )
            for e in results.endpoints
        },
        "abstract_multi": _abstract_terms(results, config, alpha, style),
        "unestimated": {e.kind: _unestimated(e) for e in results.endpoints},
        "epv": {e.kind: _epv_warning(e, numbers) for e in results.endpoints},
        "multivariate_note": {  # a reason the Methods already give is not repeated
            e.kind: None
            if e.multivariate_skipped is None
            or e.multivariate_skipped.status is MultivariateStatus.NOT_REQUESTED
            else multivariate_note(e.multivariate_skipped)
            for e in results.endpoints
        },
        "by_figures": {e.kind: _by_figures(e, config) for e in results.endpoints},
        "formula_text": {
            name: wording.marker_formula(m.formula) for name, m in config.markers.items()
        },
        "definitions": {e.kind: wording.endpoint_definition(e, config) for e in results.endpoints},
        "endpoint_sentence": _endpoint_sentence(results),
        "multivariate_sentence": _multivariate_sentence(config),
        "transform_words": TRANSFORM_WORDS[results.conventions.ci_transform],
        "days_per_month": fmt.plain(DAYS_PER_UNIT["months"]),
        "exact_below": EXACT_BELOW,
        "comparisons": results.comparison,
        "comparison_groups": (
            None
            if results.comparison is None
            else grouped_by(
                factor_name(results.comparison.factor, results.comparison.label, config),
                plural=True,
            )
        ),
        "kruskal_used": results.comparison is not None
        and any(test.test == ComparisonTest.KRUSKAL for _, test in results.comparison.rows),
        "chi_squared_used": results.comparison is not None
        and any(test.test == ComparisonTest.CHISQ for _, test in results.comparison.rows),
        **_common_events(results, results.conventions.small_cell),
        **_rare_events(results, results.conventions.small_cell),
        "ongoing": _ongoing_text(results, r),
        "exclusion_counts": _exclusion_counts(results, results.conventions.small_cell),
        "exclusion_reasons": [wording.exclusion_reason(e.rule) for e in results.flow.exclusions],
        "normalisations": normalisations,
        "warnings": warnings,
        **_response_sentences(results, config, r),
    }


def _response_sentences(
    results: StudyResults, config: StudyConfig, r: dict[str, Any]
) -> dict[str, str]:
    """The response definitions, values and abstract phrase (empty without a response analysis)."""
    resp = results.response
    if resp is None:
        keys = ("response_definitions", "response_values", "response_abstract")
        return {**dict.fromkeys(keys, ""), "response_abbreviations": "", "criteria_text": ""}
    numbers = r["response"]
    ci = fmt.ci_label(resp.orr.conf_level)
    return {
        "response_definitions": response_text.definitions(resp, config),
        "response_values": response_text.values(resp, numbers, ci),
        "response_abstract": response_text.abstract(resp, numbers),
        "response_abbreviations": response_text.abbreviations(resp),
        "criteria_text": wording.criteria_text(resp),
    }


def _citations(config: StudyConfig, conventions: Conventions) -> dict[str, cite.Citation]:
    """The references of the methods in force: ties, CI transform, criteria, grading."""
    return {
        **cite.METHODS,
        "ties": cite.TIES[conventions.ties],
        "transform": cite.CI_TRANSFORMS.get(conventions.ci_transform, cite.NONE),
        "criteria": cite.criteria_citation(config.response.criteria)
        if config.response
        else cite.NONE,
        "grading": cite.grading_citation(config.adverse_events.grading)
        if config.adverse_events
        else cite.NONE,
    }


def _ae_rows(results: StudyResults) -> tuple:
    return results.adverse_events.rows if results.adverse_events else ()


def _common_events(results: StudyResults, k: int | None) -> dict[str, Any]:
    """The most frequent AEs the Results name with their percentages: at most five, each in
    at least 10% of patients, and none whose count the small-cell rule hides (it has no
    percentage to print, and the sentence after names it among the rare ones). ``none_common``:
    no AE reached 10%, which the Results say instead of an empty list."""
    n = results.adverse_events.n if results.adverse_events else 0
    frequent = [row for row in _ae_rows(results) if row.any_grade >= COMMON_SHARE * n]
    shown = [row for row in frequent if sup.single(row.any_grade, n, k) is None]
    return {"common": shown[:COMMON_MOST], "none_common": not frequent,
            "common_share": f"{COMMON_SHARE:.0%}"}  # fmt: skip


def _rare_events(results: StudyResults, k: int | None) -> dict[str, Any]:
    """AEs seen in one patient each; with small-cell suppression, those below k (whose
    counts are not printed)."""
    n = results.adverse_events.n if results.adverse_events else 0
    if k is None:
        return {"rare": [row for row in _ae_rows(results) if row.any_grade == 1],
                "rare_text": "one patient each"}  # fmt: skip
    rare = [row for row in _ae_rows(results) if sup.single(row.any_grade, n, k) == sup.below(k)]
    return {"rare": rare, "rare_text": f"fewer than {k} patients each"}


def _ongoing_text(results: StudyResults, r: dict[str, Any]) -> str:
    """'three patients (11.5%)', the number in words as the papers write small numbers; in
    words too when the small-cell rule hides it ('fewer than 5 patients')."""
    if results.treatment is None:
        return ""
    ongoing = results.treatment.ongoing
    entry = r["treatment"]["ongoing"]
    shown = entry["n"]
    if shown == fmt.integer(ongoing) and 0 <= ongoing < 11:
        shown = _NUMBER_WORDS[ongoing]
    return wording.counted(shown, entry["pct"], "patients")


def _exclusion_counts(results: StudyResults, k: int | None) -> list[str]:
    marks = flow_marks(results, k)
    return [fmt.count(e.n, marks[f"reason{i}"]) for i, e in enumerate(results.flow.exclusions)]


def _first_group_longer(g: GroupedSurvival) -> bool:
    """Whether the first group's median is longer (a median not reached counts as longest)."""
    a, b = (km.median.estimate for km in g.estimates[:2])
    if a is None or b is None:
        return a is None and b is not None
    return a > b


def _sex_sentence(r: dict[str, Any]) -> str | None:
    sex = r.get("characteristics", {}).get("sex")
    if not sex or "female" not in sex:
        return None
    return f"{sex['female']['n']} ({sex['female']['pct']}) were female"


def _stopped_sentence(results: StudyResults, r: dict[str, Any]) -> str:
    parts = []
    for lvl in results.treatment.reasons if results.treatment else ():
        entry = r["treatment"]["stopped"][lvl.level]
        label = wording.end_reason_label(lvl.level).lower()
        parts.append(f"{label} in {wording.counted(entry['n'], entry['pct'], 'patients')}")
    return wording.series(parts)


def _significant_terms(
    models: tuple, names: dict[str, str], alpha: float, style: str
) -> list[dict[str, str]]:
    out = []
    for model in models:
        for term in model.terms:
            if term.p is not None and term.p < alpha:
                name = mid_sentence(names.get(term.covariate) or term.covariate)
                contrast = (
                    f"{mid_sentence(term.level)} vs {mid_sentence(str(term.reference))}; "
                    if term.level
                    else ""
                )
                hr, p = fmt.hazard_ratio(term.hr), fmt.p_text(term.p, style)
                out.append(
                    {
                        "phrase": f"{name} ({contrast}HR={hr}, {p})",
                        "spelled": f"{name} ({contrast}hazard ratio {hr}, {p})",
                    }
                )
    return out


def _abstract_terms(
    results: StudyResults, config: StudyConfig, alpha: float, style: str
) -> dict[str, list[str]]:
    """The multivariable results as the abstract words them, endpoint by endpoint: hazard
    ratio spelled out, and each abbreviation the study explains spelled out at its first use."""
    pairs = wording.abbreviation_pairs(
        [v.abbreviation for v in config.variables.values()]
        + [m.abbreviation for m in config.markers.values()]
    )
    defined: set[str] = set()
    return {
        e.kind: [
            wording.spelled_out(t["spelled"], pairs, defined)
            for t in _significant_terms(
                (e.multivariate,) if e.multivariate else (), e.covariate_labels, alpha, style
            )
        ]
        for e in results.endpoints
    }


def _unestimated(e: EndpointResult) -> str | None:
    """Why no univariate Cox model of the endpoint could be fitted (no events, say), which
    the Results say instead of finding "no significant association"; None when any was."""
    reasons = [unestimated_reason(model) for model in e.univariate]
    known = sorted({reason for reason in reasons if reason is not None})
    return known[0] if known and None not in reasons else None


def _epv_warning(endpoint: Any, numbers: Numbers) -> str | None:
    m = endpoint.multivariate
    if m is None or m.events_per_variable is None or m.events_per_variable >= 10:
        return None
    epv = numbers.text(f"{endpoint.kind}.multivariate.epv")
    return (
        f"With {epv} events per variable (fewer than 10), the multivariate "
        "estimates may be unstable and should be read with caution."
    )


def _factor_name(g: GroupedSurvival, config: StudyConfig) -> str:
    """A marker by its abbreviation (LMR), any other variable by its label."""
    return g.factor if g.factor in config.markers else g.label


def _group_name(g: GroupedSurvival, level: str, config: StudyConfig) -> str:
    """ "the high LMR group" for a marker, "patients with Histology Papillary" otherwise."""
    if g.factor in config.markers:
        return f"the {level.lower()} {g.factor} group"
    return f"patients with {g.label} {level}"


def _abstract_groups(g: GroupedSurvival, config: StudyConfig) -> tuple[str, str, str]:
    """The two groups of a two-level comparison, named for an abstract that stands alone,
    and the direction of its hazard ratio: "patients with a high lymphocyte-to-monocyte ratio
    (LMR)", "those with a low LMR", "high vs low LMR"."""
    first, second = g.levels[0], g.levels[1]
    term = g.cox.terms[0] if g.cox is not None and len(g.cox.terms) == 1 else None
    level, reference = (term.level, term.reference) if term is not None else (second, first)
    marker = config.markers.get(g.factor)
    if marker is not None:
        name = mid_sentence(marker.label)
        return (
            f"patients with a {first.lower()} {name} ({g.factor})",
            f"those with a {second.lower()} {g.factor}",
            f"{str(level).lower()} vs {str(reference).lower()} {g.factor}",
        )
    label = mid_sentence(g.label)
    return (
        f"patients with {label} {first}",
        f"those with {label} {second}",
        f"{label} {level} vs {reference}",
    )


def _group_phrase(g: GroupedSurvival, level: str, config: StudyConfig) -> str:
    """How a level is named after "By <factor>, …": "the high LMR group" for a marker,
    "patients with Child–Pugh class A" for a bare letter or number (a level that means
    nothing alone), else "the Poor group", "the ≥50% group", "the Grade 1 group"."""
    if g.factor in config.markers:
        return _group_name(g, level, config)
    if len(level) <= 2 and level.isalnum():
        return f"patients with {g.label} {level}"
    return f"the {level} group"


def _by_figures(e: EndpointResult, config: StudyConfig) -> list[tuple[str, str]]:
    """Each figure of the curves "by" (more than four factors are several figures): its
    factors listed in the order of its panels, and its label, cited after them."""
    return [
        (wording.series([_factor_name(g, config) for g in groups]), f"fig-{stem}")
        for stem, groups in by_figures(e)
    ]


def _endpoint_sentence(results: StudyResults) -> str:
    dated = [wording.endpoint_abbreviation(e) for e in results.endpoints if not e.recorded]
    recorded = [wording.endpoint_abbreviation(e) for e in results.endpoints if e.recorded]
    parts = []
    if dated:
        parts.append(f"{_joined_verb(dated)} measured from the start of treatment")
    if recorded:
        parts.append(
            f"{_joined_verb(recorded)} taken with the times and event statuses as recorded "
            "in the data"
        )
    return "; ".join(parts) + "."


def _joined_verb(names: list[str]) -> str:
    """ "OS was", "PFS and OS were"."""
    return f"{wording.series(names)} {'was' if len(names) == 1 else 'were'}"


def _multivariate_sentence(config: StudyConfig) -> str:
    rule = config.cox.multivariate
    if rule.rule == "none":
        reason = rule.reason or "the study design"
        return f"A multivariate analysis was not performed because of {reason}."
    if rule.rule == "fixed":
        labels = [mid_sentence(_covariate_label(name, config)) for name in rule.covariates]
        return f"The multivariate model included the prespecified factors {wording.series(labels)}."
    return (
        f"Factors with a univariate p-value <{fmt.plain(rule.threshold)} entered a multivariate "
        "Cox model; models with fewer than 10 events per variable are flagged."
    )


def _covariate_label(name: str, config: StudyConfig) -> str:
    """How the Methods name a covariate: its Cox label, else its variable's or marker's."""
    for covariate in config.cox.covariates:
        if covariate.variable == name and covariate.label:
            return covariate.label
    if name in config.variables:
        return config.variables[name].label
    if name in config.markers:
        return config.markers[name].label
    return name
