"""The numbers registry: every number the manuscript shows, keyed, with its printed text,
unit and method (the public result of the presentation step).

``results.json`` is this registry serialised; ``_generated/results.yml`` holds the printed texts
for Quarto's ``{{< meta results.KEY >}}``; the generated paragraphs, the tables and the captions
read the same texts. One entry, one computation: text, tables and the JSON cannot disagree.

Contract of each :class:`Number`: ``value`` is in the scale of ``text`` (a percentage as a
percentage, a CI as ``[lower, upper]``), ``None`` when it does not exist (not reached, not
estimable) or is suppressed; ``text`` is what is printed; ``method`` names how the value was
computed (for a statistic, the R call giving the same number). Keys are unique dotted paths.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cohortpress.present import _checks, wording
from cohortpress.present import format as fmt
from cohortpress.present import suppress as sup
from cohortpress.present.labels import term_label
from cohortpress.present.notes import model_note

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Sequence

    from cohortpress.analyse import StudyResults
    from cohortpress.analyse._results import CoxResult, KMEstimate, ProportionEstimate
    from cohortpress.analyse._study import (
        Characteristic,
        Distribution,
        EndpointResult,
        GroupedSurvival,
        Landmark,
    )
    from cohortpress.config import StudyConfig


@dataclass(frozen=True)
class Number:
    """One printed number: its value, the text printed, its unit and how it was computed."""

    value: Any
    text: str
    unit: str | None = None
    method: str | None = None


def slug(text: str) -> str:
    """A meta key from a label: 'Hand-foot skin reaction' -> 'hand_foot_skin_reaction'."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def label_keys(labels: Iterable[str], reserved: Collection[str] = ()) -> dict[str, str]:
    """Label -> meta key, a different key for every different label of one group.

    An ASCII label keeps its readable :func:`slug`. A label whose slug would be shared with
    another label of the group ("Rash", "Rash!", "rash"; "ALT < 40", "ALT ≥ 40"), be empty,
    drop letters or digits (発熱, Ödem), or be one of the ``reserved`` keys the group holds
    beside its labels (a level named "Missing" next to the row's ``missing``) gets its slug
    followed by a short hash of the label itself: the same label always gets the same key.
    """
    distinct = list(dict.fromkeys(labels))
    bases = {label: slug(label) for label in distinct}
    shared = Counter(bases.values())
    return {
        label: base
        if base and shared[base] == 1 and not _drops_letters(label) and base not in reserved
        else _hashed(label)
        for label, base in bases.items()
    }


def _drops_letters(label: str) -> bool:
    return any(ch.isalnum() and not ch.isascii() for ch in label)


def _hashed(label: str) -> str:
    digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:8]
    return f"{slug(label) or 'label'}_{digest}"


class Numbers:
    """A flat registry of dotted keys, written out as nested mappings.

    ``small_cell`` is the study's threshold: a suppressed count (see ``present.suppress``) is
    entered with value None and its mark as text, and its percentage likewise, so results.json
    and the meta file never hold what the tables hide.
    """

    def __init__(self, small_cell: int | None = None) -> None:
        self._entries: dict[str, Number] = {}
        self.small_cell = small_cell
        self._keys: dict[str, dict[str, str]] = {}

    def label_keys(
        self, group: str, labels: Iterable[str], reserved: Collection[str] = ()
    ) -> dict[str, str]:
        """The keys of ``labels`` under ``group`` (see :func:`label_keys`), remembered for
        :meth:`key`, which the generated text uses to find the same entries."""
        keys = self._keys[group] = label_keys(labels, reserved)
        return keys

    def key(self, group: str, label: str) -> str:
        """The key a label was given under ``group``."""
        return self._keys[group][label]

    def add(
        self, key: str, value: Any, text: str, unit: str | None = None, method: str | None = None
    ):
        self._entries[key] = Number(value, text, unit, method)

    def add_count(
        self,
        key: str,
        count: int,
        mark: sup.Mark,
        unit: str | None = "patients",
        method: str | None = None,
    ) -> None:
        """A count, or (suppressed) value None with '<k' or '*' as text."""
        why = self.why(mark) or method
        self.add(key, None if mark else count, fmt.count(count, mark), unit, why)

    def add_percent(self, key: str, count: int, n: int, mark: sup.Mark) -> None:
        """The percentage of a count out of ``n``, its value in percent as its text (100·k/n);
        suppressed (value None) with the count."""
        if mark:
            self.add(key, None, fmt.DASH, "%", self.why(mark))
        else:
            value = 100 * count / n if n else None
            self.add(key, value, f"{fmt.percent(count, n)}%", "%", "100 × count / n")

    def why(self, mark: sup.Mark) -> str | None:
        if not mark:
            return None
        k = self.small_cell
        if mark == sup.WITHHELD:
            return f"withheld (value null) so that a count below {k} cannot be derived from a total"
        return f"suppressed: counts below {k} are not reported (value null, text '{mark}')"

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


def _leaf(number: Number) -> dict[str, Any]:
    leaf = {"value": number.value, "text": number.text}
    if number.unit:
        leaf["unit"] = number.unit
    if number.method:
        leaf["method"] = number.method
    return leaf


def collect_numbers(results: StudyResults, config: StudyConfig) -> Numbers:
    """Fill the registry from the analysis results."""
    numbers = Numbers(results.conventions.small_cell)
    style = results.conventions.p_style
    _flow(numbers, results)
    _characteristics(numbers, results, config)
    _markers(numbers, results, config)
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


def flow_marks(results: StudyResults, k: int | None) -> dict[str, sup.Mark]:
    """Marks for the patient flow: the analysed cohort is always printed (unless itself small),
    so a small number excluded withholds the number screened, which would give it away."""
    flow = results.flow
    marks = {
        "analysed": sup.single(flow.analysed, flow.analysed, k),
        "excluded": sup.single(flow.excluded, flow.excluded, k),
        "censored_at_cutoff": sup.single(results.censored_at_cutoff, results.n, k),
    }
    marks["screened"] = sup.WITHHELD if marks["excluded"] else None
    reasons = [e.n for e in flow.exclusions]
    marks |= {f"reason{i}": m for i, m in enumerate(sup.suppressed(reasons, flow.excluded, k))}
    return marks


def _flow(numbers: Numbers, results: StudyResults) -> None:
    flow = results.flow
    marks = flow_marks(results, numbers.small_cell)
    numbers.add_count("flow.screened", flow.screened, marks["screened"])
    numbers.add_count("flow.excluded", flow.excluded, marks["excluded"])
    numbers.add_count("flow.analysed", flow.analysed, marks["analysed"])
    words = [wording.exclusion_reason(e.rule) for e in flow.exclusions]
    reasons = "; ".join(
        f"{fmt.count(e.n, marks[f'reason{i}'])} patients {words[i]}"
        for i, e in enumerate(flow.exclusions)
        if e.n
    )
    numbers.add("flow.exclusions", reasons, reasons or "none")
    keys = numbers.label_keys("flow.excluded_by", words)
    for i, e in enumerate(flow.exclusions):  # one line per rule, in the order the rules apply
        numbers.add_count(f"flow.excluded_by.{keys[words[i]]}", e.n, marks[f"reason{i}"])
    numbers.add_count("n", results.n, marks["analysed"])
    numbers.add_count("censored_at_cutoff", results.censored_at_cutoff,
                      marks["censored_at_cutoff"], None)  # fmt: skip


def _distribution(numbers: Numbers, key: str, d: Distribution, unit: str | None, decimals: int):
    how = _checks.distribution_methods()
    numbers.add(f"{key}.median", d.median, fmt.decimal(d.median, decimals), unit, how["median"])
    numbers.add(f"{key}.min", d.minimum, fmt.decimal(d.minimum, decimals), unit, how["min"])
    numbers.add(f"{key}.max", d.maximum, fmt.decimal(d.maximum, decimals), unit, how["max"])
    text = fmt.span(d.minimum, d.maximum, decimals)
    numbers.add(f"{key}.range", [d.minimum, d.maximum], text, unit, how["range"])


def _summary_numbers(
    numbers: Numbers, key: str, c: Characteristic, d: Distribution, decimals: int
) -> None:
    """The quartiles, mean and SD of every continuous row of Table I, whichever it prints
    (what a statistician checks the row against), with the counts of values and missing."""
    unit = c.unit
    how = _checks.distribution_methods()
    low, high = fmt.decimal(d.q1, decimals), fmt.decimal(d.q3, decimals)
    numbers.add(f"{key}.q1", d.q1, low, unit, how["q1"])
    numbers.add(f"{key}.q3", d.q3, high, unit, how["q3"])
    numbers.add(f"{key}.iqr", [d.q1, d.q3], fmt.span(d.q1, d.q3, decimals), unit, how["iqr"])
    numbers.add(f"{key}.mean", d.mean, fmt.decimal(d.mean, decimals + 1), unit, how["mean"])
    numbers.add(f"{key}.sd", d.sd, fmt.decimal(d.sd, decimals + 1), unit, how["sd"])
    _checks.continuous_counts(numbers, key, d, sup.characteristic_marks(c, numbers.small_cell))


def _characteristics(numbers: Numbers, results: StudyResults, config: StudyConfig) -> None:
    for c in results.characteristics:
        key = f"characteristics.{c.variable}"
        if c.distribution is not None:
            decimals = fmt.characteristic_decimals(c.variable, config)
            _distribution(numbers, key, c.distribution, c.unit, decimals)
            _summary_numbers(numbers, key, c, c.distribution, decimals)
            continue
        marks, missing = sup.characteristic_marks(c, numbers.small_cell)
        reserved = _checks.CHARACTERISTIC_KEYS
        keys = numbers.label_keys(key, (lvl.level for lvl in c.levels), reserved)
        for lvl, mark in zip(c.levels, marks, strict=True):
            sub = f"{key}.{keys[lvl.level]}"
            numbers.add_count(f"{sub}.n", lvl.count, mark)
            numbers.add_percent(f"{sub}.pct", lvl.count, lvl.n, mark)
            text = fmt.n_percent(lvl.count, lvl.n, mark)
            numbers.add(f"{sub}.text", None if mark else lvl.count, text, None, numbers.why(mark))
        _checks.categorical_counts(numbers, key, c, marks, missing)


def _markers(numbers: Numbers, results: StudyResults, config: StudyConfig) -> None:
    for m in results.markers:
        key = f"markers.{m.name}"
        decimals = fmt.characteristic_decimals(m.name, config)  # as its Table I row
        _distribution(numbers, key, m.distribution, m.unit, decimals)
        numbers.add(f"{key}.cutoff", m.cutoff, fmt.plain(m.cutoff), m.unit)
        d = m.distribution  # its groups and the patients without a value, as Table I's
        (high, low), _ = sup.factor_marks(
            [m.high, m.low], d.missing, d.n + d.missing, numbers.small_cell
        )
        numbers.add_count(f"{key}.high", m.high, high)
        numbers.add_count(f"{key}.low", m.low, low)


def _km(
    numbers: Numbers,
    key: str,
    km: KMEstimate,
    unit: str,
    marks: tuple[sup.Mark, sup.Mark] | None = None,
) -> None:
    """A curve's median, CI, n and events; ``marks`` (n, events) those of a curve by a factor,
    decided over the factor's curves (default: the curve alone)."""
    med = km.median
    method = f"Kaplan–Meier; {km.median_rule}; {km.ci_transform} CI (Brookmeyer–Crowley)"
    numbers.add(f"{key}.median", med.estimate, fmt.time(med.estimate, unit), unit, method)
    ci = fmt.time_ci(med.lower, med.upper, unit)
    numbers.add(f"{key}.ci", [med.lower, med.upper], ci, unit, method)
    level = fmt.level(km.conf_level)
    text = f"{fmt.time(med.estimate, unit)} {unit} ({level} CI {ci})"
    if med.estimate is None:
        text = f"not reached ({level} CI {ci})"
    numbers.add(f"{key}.text", med.estimate, text, unit, method)
    k = numbers.small_cell
    n_mark, events_mark = marks or (sup.single(km.n, km.n, k), sup.single(km.events, km.n, k))
    numbers.add_count(f"{key}.n", km.n, n_mark)
    numbers.add_count(f"{key}.events", km.events, events_mark, "events")


def _endpoint(numbers: Numbers, endpoint: EndpointResult, unit: str, style: str) -> None:
    _km(numbers, endpoint.kind, endpoint.overall, unit)
    _landmarks(numbers, endpoint, unit)
    curve = [(endpoint.kind, endpoint.overall.label, None)]
    _checks.at_risk(numbers, curve, endpoint.risk, [landmark_key(t) for t in endpoint.risk.times])
    for grouped in endpoint.by:
        _grouped(numbers, f"{endpoint.kind}.by.{grouped.factor}", endpoint, grouped, unit, style)
    for model in endpoint.univariate:
        name = model.terms[0].covariate if model.terms else "model"
        _cox(numbers, f"{endpoint.kind}.cox.{name}", model, style, endpoint.overall.n)
    if endpoint.multivariate is not None:
        _cox(numbers, f"{endpoint.kind}.multivariate", endpoint.multivariate, style,
             endpoint.overall.n)  # fmt: skip


def _landmarks(numbers: Numbers, endpoint: EndpointResult, unit: str) -> None:
    """Survival at each declared time: value, CI and number at risk, with the R call."""
    _survival_at(numbers, endpoint.kind, endpoint.overall, endpoint.landmarks, unit, "1", None)


def _survival_at(
    numbers: Numbers,
    key: str,
    km: KMEstimate,
    marks: tuple[Landmark, ...],
    unit: str,
    formula: str,
    stratum: str | None,
    risk: Sequence[sup.Mark] = (),
) -> None:
    """The landmark entries under ``key``: ``landmarks.t<time>.{time, n_risk, value, ci,
    text}``; ``formula`` is the right-hand side of the R call (``1``, or the factor whose
    ``stratum`` these are); ``risk``, a stratum's marks of its numbers at risk, decided over
    the factor's strata."""
    level = fmt.level(km.conf_level)
    for i, mark in enumerate(marks):
        sub = f"{key}.landmarks.{landmark_key(mark.time)}"
        method = (
            f"Kaplan–Meier, {km.ci_transform} CI; R summary(survfit(Surv(time, status) ~ "
            f'{formula}, conf.type = "{km.ci_transform}", conf.int = {km.conf_level:g}), '
            f"times = {mark.time:g})"
        )
        if stratum is not None:
            method += f", stratum {formula}={stratum}"
        numbers.add(f"{sub}.time", mark.time, wording.duration(mark.time, unit), unit)
        alone = sup.single(mark.n_risk, km.n, numbers.small_cell)
        numbers.add_count(f"{sub}.n_risk", mark.n_risk, (risk[i] if risk else None) or alone)
        if mark.surv is None:
            numbers.add(f"{sub}.value", None, "not estimable", "%", method)
            numbers.add(f"{sub}.text", None, "not estimable", "%", method)
            continue
        value = f"{fmt.survival_percent(mark.surv)}%"
        # R gives no band where S = 1 after the first time (log-log): none is printed either
        ci = (
            "not estimable"
            if mark.lower is None or mark.upper is None
            else f"{fmt.survival_percent(mark.lower)}{fmt.DASH}{fmt.survival_percent(mark.upper)}%"
        )
        percent = 100 * mark.surv  # in the scale of the text; R's surv × 100
        bounds = [_times_100(mark.lower), _times_100(mark.upper)]
        numbers.add(f"{sub}.value", percent, value, "%", method)
        numbers.add(f"{sub}.ci", bounds, ci, "%", method)
        numbers.add(f"{sub}.text", percent, f"{value} ({level} CI {ci})", "%", method)


def _times_100(x: float | None) -> float | None:
    return None if x is None else 100 * x


def landmark_key(time: float) -> str:
    """The results key of a landmark time: 12 -> "t12", 1.5 -> "t1_5"."""
    return "t" + f"{time:g}".replace(".", "_")


def _cox(
    numbers: Numbers, key: str, model: CoxResult, style: str, total: int | None = None
) -> None:
    """A Cox model: each term's HR, CI and Wald p; the model's n (of the endpoint's ``total``,
    by default its own), events, global tests, EPV; and what a statistician checks it against
    (see ``_checks``), each with its R call."""
    method = f"Cox proportional hazards, {model.ties} ties; Wald CI and p"
    fit = _checks.cox_call(model)
    summary = f"summary({fit})"
    k = numbers.small_cell
    n_mark, events_mark = sup.model_marks(model.n, model.events, total or model.n, k)
    numbers.add_count(f"{key}.n", model.n, n_mark, method=f"R: {fit}$n")
    numbers.add_count(f"{key}.events", model.events, events_mark, "events", f"R: {fit}$nevent")
    wald_df = model.wald.df if model.wald is not None else 0
    for test, name, call in (
        (model.likelihood_ratio, "lr", f'{summary}$logtest["pvalue"]'),
        (model.score, "score", f'{summary}$sctest["pvalue"]'),
        (model.wald, "wald", f"pchisq({fit}$wald.test, {wald_df}, lower.tail = FALSE)"),
    ):
        if test is not None:
            numbers.add(f"{key}.{name}_p", test.p, fmt.p_value(test.p, style),
                        method=f"{test.method}, {test.statistic:.3f} on {test.df} df; "
                        f"R: {call}")  # fmt: skip
    _checks.cox_model(numbers, key, model, style)
    if model.events_per_variable is not None:
        epv = model.events_per_variable
        numbers.add(f"{key}.epv", epv, fmt.decimal(epv, 1), "events per variable",
                    "events / number of estimated coefficients")  # fmt: skip
    note = model_note(model)
    if note:
        numbers.add(f"{key}.note", note, note)
    keys = numbers.label_keys(f"{key}.terms", (_term_label(t) for t in model.terms))
    for term in model.terms:
        sub = f"{key}.terms.{keys[_term_label(term)]}"
        # The R calls where there is a number; R's for a term without one would mislead.
        r_hr, r_ci, r_p = _checks.term_methods(model, term) if term.hr is not None else 3 * ("",)
        hr = fmt.hazard_ratio(term.hr)
        numbers.add(f"{sub}.hr", term.hr, hr, method=f"{method}{r_hr}")
        ci = fmt.hr_ci(term.lower, term.upper)
        numbers.add(f"{sub}.ci", [term.lower, term.upper], ci, method=r_ci and f"Wald CI{r_ci}")
        numbers.add(f"{sub}.p", term.p, fmt.p_value(term.p, style), method=f"Wald{r_p}")
        label = term_label(term)
        numbers.add(f"{sub}.label", label, label)
        _checks.cox_term(numbers, sub, model, term)


def _term_label(term: Any) -> str:
    return term.covariate + " " + (term.level or "")


def _grouped(
    numbers: Numbers,
    key: str,
    e: EndpointResult,
    g: GroupedSurvival,
    unit: str,
    style: str,
) -> None:
    """The curves of one factor: every count of its levels (n, events, at risk) marked over
    the levels together, with the patients in no curve, so that no table or figure gives away
    what another hides."""
    k = numbers.small_cell
    keys = numbers.label_keys(key, g.levels, _checks.GROUPED_KEYS)
    n_marks, missing_mark = sup.grouped_marks(e, g, k)
    missing = e.unrecorded(g)
    if missing:  # in no curve and no row: the table's note and the captions say how many
        why = "the endpoint's patients without a value of the factor"
        numbers.add_count(f"{key}.missing", missing, missing_mark, method=why)
    event_marks = sup.grouped_event_marks(e, g, k)
    for level, km, n_mark, events_mark in zip(
        g.levels, g.estimates, n_marks, event_marks, strict=True
    ):
        _km(numbers, f"{key}.{keys[level]}", km, unit, (n_mark, events_mark))
    if g.landmarks:  # one tuple per level when the endpoint declares landmarks
        at_times = list(zip(*([m.n_risk for m in marks] for marks in g.landmarks), strict=True))
        by_time = sup.risk_marks(at_times, k, [m.n_risk for m in e.landmarks])
        for j, (level, km, marks) in enumerate(
            zip(g.levels, g.estimates, g.landmarks, strict=True)
        ):
            risk = [marks_at[j] for marks_at in by_time]
            _survival_at(numbers, f"{key}.{keys[level]}", km, marks, unit, g.factor, level, risk)
    curves = [
        (
            f"{key}.{keys[level]}",
            km.label,
            f"{_checks.r_name(g.factor)} == {_checks.r_string(level)}",
        )
        for level, km in zip(g.levels, g.estimates, strict=True)
    ]
    totals = e.risk.n_risk[e.overall.label]  # under the overall curve, at the same times
    _checks.at_risk(numbers, curves, g.risk, [landmark_key(t) for t in g.risk.times], totals)
    if g.logrank is not None:
        lr = g.logrank
        call = f"survdiff(Surv(time, status) ~ {_checks.r_name(g.factor)})"
        method = f"{lr.method}, chi-square {lr.chisq:.3f} on {lr.df} df"
        numbers.add(
            f"{key}.logrank_p",
            lr.p,
            fmt.p_value(lr.p, style),
            method=f"{method}; R: pchisq({call}$chisq, {lr.df}, lower.tail = FALSE)",
        )
        numbers.add(f"{key}.logrank_df", lr.df, str(lr.df), "df",
                    method=f"{method}; R: sum({call}$exp > 0) - 1")  # fmt: skip
        events = dict(zip(g.levels, event_marks, strict=True))  # one per curve, by its level
        _checks.logrank_table(numbers, key, keys, lr, g.factor, events)
    if g.cox is None:
        return
    _cox(numbers, f"{key}.cox", g.cox, style, e.overall.n)
    method = f"Cox, {g.cox.ties} ties, Wald CI"
    term = g.cox.terms[0] if len(g.cox.terms) == 1 else None
    if term is not None:
        numbers.add(f"{key}.hr", term.hr, fmt.hazard_ratio(term.hr), method=method)
        numbers.add(f"{key}.hr_ci", [term.lower, term.upper], fmt.hr_ci(term.lower, term.upper))
        numbers.add(f"{key}.hr_p", term.p, fmt.p_value(term.p, style), method="Wald")
    # Every non-reference level against the reference, from the univariate Cox of the factor.
    for t in g.cox.terms:
        if t.level in keys and t.reference is not None:
            sub = f"{key}.{keys[t.level]}"
            numbers.add(f"{sub}.hr", t.hr, fmt.hazard_ratio(t.hr), method=method)
            numbers.add(f"{sub}.hr_ci", [t.lower, t.upper], fmt.hr_ci(t.lower, t.upper))
            numbers.add(f"{sub}.hr_p", t.p, fmt.p_value(t.p, style), method="Wald")
            numbers.add(f"{key}.reference", t.reference, t.reference)


def _proportion(numbers: Numbers, key: str, p: ProportionEstimate, mark: sup.Mark) -> None:
    """k of n with its exact CI; a suppressed k hides the percentage and the CI (which
    would give k away)."""
    numbers.add_count(f"{key}.n", p.k, mark)
    if mark:
        numbers.add_percent(f"{key}.pct", p.k, p.n, mark)
        numbers.add(f"{key}.ci", None, fmt.DASH, "%", numbers.why(mark))
        return
    percent = _times_100(p.estimate)  # in the scale of the text: R's estimate × 100
    numbers.add(f"{key}.pct", percent, f"{fmt.percent(p.k, p.n)}%", "%", p.method)
    ci = f"{fmt.percent_ci(p.lower, p.upper)}%"
    bounds = [_times_100(p.lower), _times_100(p.upper)]
    numbers.add(f"{key}.ci", bounds, ci, "%", p.method)


def _response(numbers: Numbers, results: StudyResults) -> None:
    r = results.response
    if r is None:
        return
    marks = sup.response_marks(r, numbers.small_cell)
    for lvl in r.counts:
        numbers.add_count(f"response.{lvl.level}.n", lvl.count, marks[lvl.level])
        numbers.add_percent(f"response.{lvl.level}.pct", lvl.count, lvl.n, marks[lvl.level])
    numbers.add("response.criteria.name", r.criteria, r.criteria)
    if r.reference:
        numbers.add("response.criteria.reference", r.reference, r.reference, method="citation key")
    for rate in r.shown_rates:
        _proportion(numbers, f"response.{rate.rate}", rate.estimate, marks[rate.rate])


def _treatment(numbers: Numbers, results: StudyResults) -> None:
    t = results.treatment
    if t is None:  # no treatment dates in the workbook
        return
    unit = results.time_unit
    decimals = 0 if unit == "days" else 1
    _distribution(numbers, "treatment.duration", t.duration, unit, decimals)
    *marks, ongoing = treatment_marks(results, numbers.small_cell)
    for lvl, mark in zip(t.reasons, marks, strict=True):
        key = f"treatment.stopped.{lvl.level}"
        numbers.add_count(f"{key}.n", lvl.count, mark)
        numbers.add_percent(f"{key}.pct", lvl.count, lvl.n, mark)
    numbers.add_count("treatment.ongoing.n", t.ongoing, ongoing)
    numbers.add_percent("treatment.ongoing.pct", t.ongoing, results.n, ongoing)
    if t.dose_reduction is not None:
        d = t.dose_reduction
        mark = sup.single(d.k, d.n, numbers.small_cell)
        _proportion(numbers, "treatment.dose_reduction", d, mark)


def treatment_marks(results: StudyResults, k: int | None) -> list[sup.Mark]:
    """Marks for the reasons treatment stopped, then for 'ongoing': one group of all patients."""
    t = results.treatment
    if t is None:
        return []
    return sup.suppressed([*(lvl.count for lvl in t.reasons), t.ongoing], results.n, k)


def _adverse_events(numbers: Numbers, results: StudyResults) -> None:
    ae = results.adverse_events
    if ae is None:
        return
    k = numbers.small_cell
    for key, count in (("ae.any", ae.any_grade), ("ae.severe", ae.severe)):
        mark = sup.single(count, ae.n, k)
        numbers.add_count(f"{key}.n", count, mark)
        numbers.add_percent(f"{key}.pct", count, ae.n, mark)
    keys = numbers.label_keys("ae.terms", (row.term for row in ae.rows))
    for row in ae.rows:
        key = f"ae.terms.{keys[row.term]}"
        mark = sup.single(row.any_grade, ae.n, k)
        numbers.add_count(f"{key}.n", row.any_grade, mark)
        numbers.add_percent(f"{key}.pct", row.any_grade, ae.n, mark)
        numbers.add_count(f"{key}.severe", row.severe, sup.single(row.severe, ae.n, k))
