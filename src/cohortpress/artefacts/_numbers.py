"""Every number the manuscript shows, keyed, with its printed text, unit and method.

``results.json`` is this registry serialised; ``_generated/results.yml`` holds the printed texts for
Quarto's ``{{< meta results.KEY >}}``; the generated paragraphs read the same texts. One entry, one
computation: text, tables and the JSON cannot disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from cohortpress.artefacts import _format as fmt

if TYPE_CHECKING:
    from cohortpress.analyse import StudyResults
    from cohortpress.analyse._results import CoxResult, KMEstimate, ProportionEstimate
    from cohortpress.analyse._study import Distribution, EndpointResult, GroupedSurvival
    from cohortpress.config import StudyConfig


@dataclass(frozen=True)
class Number:
    value: Any
    text: str
    unit: str | None = None
    method: str | None = None


def slug(text: str) -> str:
    """A meta key from a label: 'Hand-foot skin reaction' -> 'hand_foot_skin_reaction'."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


class Numbers:
    """A flat registry of dotted keys, written out as nested mappings."""

    def __init__(self) -> None:
        self._entries: dict[str, Number] = {}

    def add(
        self, key: str, value: Any, text: str, unit: str | None = None, method: str | None = None
    ):
        self._entries[key] = Number(value, text, unit, method)

    def text(self, key: str) -> str:
        return self._entries[key].text

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def nested(self, leaf: str = "text") -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for key, number in self._entries.items():
            node = tree
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = number.text if leaf == "text" else _leaf(number)
        return tree

    def to_json(self) -> str:
        return json.dumps(self.nested(leaf="all"), indent=2, ensure_ascii=False, allow_nan=False)

    def to_meta_yaml(self) -> str:
        return yaml.safe_dump({"results": self.nested()}, allow_unicode=True, sort_keys=False)


def _leaf(number: Number) -> dict[str, Any]:
    leaf = {"value": number.value, "text": number.text}
    if number.unit:
        leaf["unit"] = number.unit
    if number.method:
        leaf["method"] = number.method
    return leaf


def collect_numbers(results: StudyResults, config: StudyConfig) -> Numbers:
    """Fill the registry from the analysis results."""
    numbers = Numbers()
    style = config.statistics.resolved("p_style")
    _flow(numbers, results)
    _characteristics(numbers, results, config)
    _markers(numbers, results)
    unit = results.time_unit
    f = results.followup
    numbers.add("followup.median", f.estimate, fmt.time(f.estimate, unit), unit,
                "reverse Kaplan–Meier (censoring as the event)")  # fmt: skip
    for endpoint in results.endpoints:
        _endpoint(numbers, endpoint, unit, style)
    _response(numbers, results)
    _treatment(numbers, results)
    _adverse_events(numbers, results)
    return numbers


def _flow(numbers: Numbers, results: StudyResults) -> None:
    flow = results.flow
    numbers.add("flow.screened", flow.screened, fmt.integer(flow.screened), "patients")
    numbers.add("flow.excluded", flow.excluded, fmt.integer(flow.excluded), "patients")
    numbers.add("flow.analysed", flow.analysed, fmt.integer(flow.analysed), "patients")
    reasons = "; ".join(f"{fmt.integer(e.n)} patients {e.reason}" for e in flow.exclusions if e.n)
    numbers.add("flow.exclusions", reasons, reasons or "none")
    for e in flow.exclusions:  # one line per rule, in the order the rules apply
        numbers.add(f"flow.excluded_by.{slug(e.reason)}", e.n, fmt.integer(e.n), "patients")
    numbers.add("n", results.n, fmt.integer(results.n), "patients")
    numbers.add("censored_at_cutoff", results.censored_at_cutoff, str(results.censored_at_cutoff))


def _distribution(numbers: Numbers, key: str, d: Distribution, unit: str | None, decimals: int):
    numbers.add(
        f"{key}.median", d.median, fmt.decimal(d.median, decimals), unit, "median (R type 7)"
    )
    numbers.add(f"{key}.min", d.minimum, fmt.decimal(d.minimum, decimals), unit)
    numbers.add(f"{key}.max", d.maximum, fmt.decimal(d.maximum, decimals), unit)
    text = f"{fmt.decimal(d.minimum, decimals)}{fmt.DASH}{fmt.decimal(d.maximum, decimals)}"
    numbers.add(f"{key}.range", [d.minimum, d.maximum], text, unit)


def _characteristics(numbers: Numbers, results: StudyResults, config: StudyConfig) -> None:
    small = config.statistics.small_cell
    for c in results.characteristics:
        key = f"characteristics.{c.variable}"
        if c.distribution is not None:
            decimals = 0 if c.variable == "age" else 1
            _distribution(numbers, key, c.distribution, c.unit, decimals)
            continue
        for lvl in c.levels:
            sub = f"{key}.{slug(lvl.level)}"
            numbers.add(f"{sub}.n", lvl.count, fmt.integer(lvl.count), "patients")
            numbers.add(f"{sub}.pct", lvl.percent, f"{fmt.percent(lvl.count, lvl.n)}%", "%")
            numbers.add(f"{sub}.text", lvl.count, fmt.n_percent(lvl.count, lvl.n, small))


def _markers(numbers: Numbers, results: StudyResults) -> None:
    for m in results.markers:
        key = f"markers.{m.name}"
        _distribution(numbers, key, m.distribution, m.unit, m.decimals)
        numbers.add(f"{key}.cutoff", m.cutoff, f"{m.cutoff:,g}", m.unit)
        numbers.add(f"{key}.high", m.high, fmt.integer(m.high), "patients")
        numbers.add(f"{key}.low", m.low, fmt.integer(m.low), "patients")


def _km(numbers: Numbers, key: str, km: KMEstimate, unit: str) -> None:
    med = km.median
    method = f"Kaplan–Meier; {km.median_rule}; {km.ci_transform} CI (Brookmeyer–Crowley)"
    numbers.add(f"{key}.median", med.estimate, fmt.time(med.estimate, unit), unit, method)
    ci = fmt.time_ci(med.lower, med.upper, unit)
    numbers.add(f"{key}.ci", [med.lower, med.upper], ci, unit, method)
    level = f"{round(km.conf_level * 100)}%"
    text = f"{fmt.time(med.estimate, unit)} {unit} ({level} CI {ci})"
    if med.estimate is None:
        text = f"not reached ({level} CI {ci})"
    numbers.add(f"{key}.text", med.estimate, text, unit, method)
    numbers.add(f"{key}.n", km.n, fmt.integer(km.n), "patients")
    numbers.add(f"{key}.events", km.events, fmt.integer(km.events), "events")


def _endpoint(numbers: Numbers, endpoint: EndpointResult, unit: str, style: str) -> None:
    _km(numbers, endpoint.kind, endpoint.overall, unit)
    for grouped in endpoint.by:
        _grouped(numbers, f"{endpoint.kind}.by.{grouped.factor}", grouped, unit, style)
    for model in endpoint.univariate:
        name = model.terms[0].covariate if model.terms else "model"
        _cox(numbers, f"{endpoint.kind}.cox.{name}", model, style)
    if endpoint.multivariate is not None:
        _cox(numbers, f"{endpoint.kind}.multivariate", endpoint.multivariate, style)


def _cox(numbers: Numbers, key: str, model: CoxResult, style: str) -> None:
    """A Cox model: each term's HR, CI and Wald p; the model's n, events, global tests, EPV."""
    method = f"Cox proportional hazards, {model.ties} ties; Wald CI and p"
    numbers.add(f"{key}.n", model.n, fmt.integer(model.n), "patients")
    numbers.add(f"{key}.events", model.events, fmt.integer(model.events), "events")
    for test, name in (
        (model.likelihood_ratio, "lr"),
        (model.score, "score"),
        (model.wald, "wald"),
    ):
        if test is not None:
            numbers.add(f"{key}.{name}_p", test.p, fmt.p_value(test.p, style),
                        method=f"{test.method}, {test.statistic:.3f} on {test.df} df")  # fmt: skip
    for covariate, test in model.factor_tests.items():
        numbers.add(
            f"{key}.factor.{covariate}.p", test.p, fmt.p_value(test.p, style), method=test.method
        )
    if model.events_per_variable is not None:
        epv = model.events_per_variable
        numbers.add(f"{key}.epv", epv, f"{epv:.1f}", "events per variable")
    if model.note:
        numbers.add(f"{key}.note", model.note, model.note)
    for term in model.terms:
        sub = f"{key}.terms.{slug(term.covariate + ' ' + (term.level or ''))}"
        numbers.add(f"{sub}.hr", term.hr, fmt.hazard_ratio(term.hr), method=method)
        numbers.add(f"{sub}.ci", [term.lower, term.upper], fmt.hr_ci(term.lower, term.upper))
        numbers.add(f"{sub}.p", term.p, fmt.p_value(term.p, style), method="Wald")
        numbers.add(f"{sub}.label", term.label, term.label)


def _grouped(numbers: Numbers, key: str, g: GroupedSurvival, unit: str, style: str) -> None:
    for level, km in zip(g.levels, g.estimates, strict=True):
        _km(numbers, f"{key}.{slug(level)}", km, unit)
    if g.logrank is not None:
        lr = g.logrank
        method = f"{lr.method}, chi-square {lr.chisq:.3f} on {lr.df} df"
        numbers.add(f"{key}.logrank_p", lr.p, fmt.p_value(lr.p, style), method=method)
    term = g.cox.terms[0] if g.cox is not None and len(g.cox.terms) == 1 else None
    if term is not None:
        method = f"Cox, {g.cox.ties} ties, Wald CI" if g.cox else None
        numbers.add(f"{key}.hr", term.hr, fmt.hazard_ratio(term.hr), method=method)
        numbers.add(f"{key}.hr_ci", [term.lower, term.upper], fmt.hr_ci(term.lower, term.upper))
        numbers.add(f"{key}.hr_p", term.p, fmt.p_value(term.p, style), method="Wald")


def _proportion(numbers: Numbers, key: str, p: ProportionEstimate) -> None:
    numbers.add(f"{key}.n", p.k, fmt.integer(p.k), "patients")
    numbers.add(f"{key}.pct", p.estimate, f"{fmt.percent(p.k, p.n)}%", "%", p.method)
    ci = f"{fmt.percent_ci(p.lower, p.upper)}%"
    numbers.add(f"{key}.ci", [p.lower, p.upper], ci, "%", p.method)


def _response(numbers: Numbers, results: StudyResults) -> None:
    r = results.response
    if r is None:
        return
    for lvl in r.counts:
        numbers.add(f"response.{lvl.level}.n", lvl.count, fmt.integer(lvl.count), "patients")
        numbers.add(f"response.{lvl.level}.pct", lvl.percent, f"{fmt.percent(lvl.count, lvl.n)}%")
    _proportion(numbers, "response.orr", r.orr)
    _proportion(numbers, "response.cbr", r.cbr)


def _treatment(numbers: Numbers, results: StudyResults) -> None:
    t = results.treatment
    unit = results.time_unit
    decimals = 0 if unit == "days" else 1
    _distribution(numbers, "treatment.duration", t.duration, unit, decimals)
    for lvl in t.reasons:
        key = f"treatment.stopped.{lvl.level}"
        numbers.add(f"{key}.n", lvl.count, fmt.integer(lvl.count), "patients")
        numbers.add(f"{key}.pct", lvl.percent, f"{fmt.percent(lvl.count, lvl.n)}%", "%")
    numbers.add("treatment.ongoing.n", t.ongoing, fmt.integer(t.ongoing), "patients")
    numbers.add("treatment.ongoing.pct", t.ongoing, f"{fmt.percent(t.ongoing, results.n)}%", "%")
    if t.dose_reduction is not None:
        _proportion(numbers, "treatment.dose_reduction", t.dose_reduction)


def _adverse_events(numbers: Numbers, results: StudyResults) -> None:
    ae = results.adverse_events
    if ae is None:
        return
    numbers.add("ae.any.n", ae.any_grade, fmt.integer(ae.any_grade), "patients")
    numbers.add("ae.any.pct", ae.any_grade, f"{fmt.percent(ae.any_grade, ae.n)}%", "%")
    numbers.add("ae.severe.n", ae.severe, fmt.integer(ae.severe), "patients")
    numbers.add("ae.severe.pct", ae.severe, f"{fmt.percent(ae.severe, ae.n)}%", "%")
    for row in ae.rows:
        key = f"ae.terms.{slug(row.term)}"
        numbers.add(f"{key}.n", row.any_grade, fmt.integer(row.any_grade), "patients")
        numbers.add(f"{key}.pct", row.any_grade, f"{fmt.percent(row.any_grade, ae.n)}%", "%")
        numbers.add(f"{key}.severe", row.severe, fmt.integer(row.severe), "patients")
