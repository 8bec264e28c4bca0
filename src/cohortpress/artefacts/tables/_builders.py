"""The manuscript's tables: characteristics (I), Cox models (II), adverse events (III), response."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cohortpress.artefacts.tables._table import INDENT, Spanner, Table
from cohortpress.present import format as fmt
from cohortpress.present import suppress as sup
from cohortpress.present import wording
from cohortpress.present.labels import (
    grouped_by,
    mid_sentence,
    short_name,
    term_label,
    variable_label,
)
from cohortpress.present.notes import term_note
from cohortpress.present.numbers import collect_numbers
from cohortpress.present.wording import response_rows

if TYPE_CHECKING:
    from cohortpress.analyse import StudyResults
    from cohortpress.analyse._results import ComparisonTest, CoxResult, CoxTerm
    from cohortpress.analyse._study import (
        Characteristic,
        Distribution,
        EndpointResult,
        ResponseRate,
        ResponseSummary,
    )
    from cohortpress.config import StudyConfig
    from cohortpress.present.numbers import Numbers


def table_characteristics(results: StudyResults, config: StudyConfig) -> Table:
    """Table I: median (range) for continuous values, n (%) for levels, grouped as in the paper."""
    small = results.conventions.small_cell
    rows: list[tuple[str, str]] = []
    current_group = None
    for c in results.characteristics:
        if c.group != current_group and c.group:
            rows.append((c.group, ""))
        current_group = c.group
        indent = INDENT if c.group else ""
        rows.extend(_characteristic_rows(c, indent, small, config))
    column = f"Total n={fmt.count(results.n, sup.single(results.n, results.n, small))} (%)"
    frame = pd.DataFrame(rows, columns=["Variable", column])
    notes = tuple(dict.fromkeys(c.abbreviation for c in results.characteristics if c.abbreviation))
    notes += (_summaries_note(results.characteristics), *_denominator_note(results.characteristics))
    notes += _suppression_note(frame, small)
    return Table(
        "characteristics",
        f"Patients' characteristics at the time of {config.treatment.drug} initiation.",
        frame,
        column_labels={column: column},
        notes=tuple(n if n.endswith(".") else f"{n}." for n in notes),
    )


def _characteristic_rows(
    c: Characteristic,
    indent: str,
    small: int | None,
    config: StudyConfig,
    marks: tuple[list[sup.Mark], sup.Mark] | None = None,
    unknown: bool | None = None,
) -> list[tuple[str, str]]:
    """The table rows of one characteristic; an "Unknown" row when ``unknown`` (default: when
    values are missing), so the counts add up to the column's n: under a continuous row too,
    whose median is then of fewer patients than the column's."""
    unknown = bool(c.missing) if unknown is None else unknown
    label = variable_label(c.variable, c.label)
    levels, missing = marks or sup.characteristic_marks(c, small)
    if c.distribution is not None:
        decimals = fmt.characteristic_decimals(c.variable, config)
        rows = [(f"{indent}{label}", _continuous_value(c.distribution, c.summary, decimals))]
    elif len(c.levels) == 1:
        lvl = c.levels[0]
        rows = [(f"{indent}{label}", fmt.n_percent(lvl.count, lvl.n, levels[0]))]
    else:
        rows = [(f"{indent}{label}", "")]
        rows += [
            (f"{indent}{INDENT}{lvl.label}", fmt.n_percent(lvl.count, lvl.n, mark))
            for lvl, mark in zip(c.levels, levels, strict=True)
        ]
    if unknown:
        rows.append((f"{indent}{INDENT}Unknown", fmt.n_percent(c.missing, sup.size(c), missing)))
    return rows


_SUMMARY_WORDS = {
    "median_range": "median (range)",
    "median_iqr": "median (IQR)",
    "mean_sd": "mean (SD)",
    "counts": "n (%)",
}


def _continuous_value(d: Distribution, summary: str, decimals: int) -> str:
    """'62 (45–80)', '62 (55–70)' or '61.8 (9.4)', with the decimals the text and
    results.json use (``fmt.characteristic_decimals``); a mean and SD get one more."""
    if summary == "mean_sd":
        return f"{fmt.decimal(d.mean, decimals + 1)} ({fmt.decimal(d.sd, decimals + 1)})"
    low, high = (d.q1, d.q3) if summary == "median_iqr" else (d.minimum, d.maximum)
    return f"{fmt.decimal(d.median, decimals)} ({fmt.span(low, high, decimals)})"


def _summaries_note(characteristics: tuple[Characteristic, ...]) -> str:
    """'Values are median (range) or n (%).': the summaries the table uses; where numbers are
    summarised in more than one way, each with its rows: 'Values are median (range) (age),
    median (IQR) (lactate dehydrogenase) or n (%).'"""
    rows: dict[str, list[str]] = {}
    for c in characteristics:
        if c.distribution is not None:
            rows.setdefault(c.summary, []).append(mid_sentence(variable_label(c.variable, c.label)))
    named = len(rows) > 1  # which rows is which: the reader cannot tell from the cells
    words = [f"{_SUMMARY_WORDS[s]} ({', '.join(r)})" if named else _SUMMARY_WORDS[s]
             for s, r in rows.items()]  # fmt: skip
    if any(c.distribution is None for c in characteristics) or not words:
        words.append(_SUMMARY_WORDS["counts"])
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"Values are {listed}."


def _denominator_note(characteristics: tuple[Characteristic, ...]) -> tuple[str, ...]:
    """Where a row has unknown values, say what its percentages are of."""
    if not any(c.missing for c in characteristics):
        return ()
    return ("Percentages are of all patients in the column, those with an unknown value included.",)


def _suppression_note(frame: pd.DataFrame, small: int | None) -> tuple[str, ...]:
    """The footnote that explains '<k' and '*', for a table that prints either."""
    if small is None:
        return ()
    cells = frame.astype(str).to_numpy().ravel().tolist()
    if not any(c in (sup.below(small), sup.WITHHELD) for c in cells):
        return ()
    return (
        f"{sup.below(small)}: fewer than {small} patients; {sup.WITHHELD}: withheld so that a "
        f"count below {small} cannot be worked out from the total.",
    )


def table_cox(results: StudyResults, config: StudyConfig) -> Table:
    """Table II: univariate (and multivariable) Cox models, endpoints side by side."""
    style = results.conventions.p_style
    multi = any(e.multivariate is not None for e in results.endpoints)
    first = results.endpoints[0]
    frame = pd.DataFrame({"Variable": _term_labels(first.univariate, first.covariate_labels)})
    labels: dict[str, str] = {}
    spanners: list[Spanner] = []
    for e in results.endpoints:
        models = [("Univariate", _univariate_cells(e, style))]
        if multi:
            models.append(("Multivariate", _multivariate_cells(e, style)))
        for model, (hr, p) in models:
            hr_col, p_col = f"{e.kind}_{model}_hr", f"{e.kind}_{model}_p"
            frame[hr_col], frame[p_col] = hr, p
            labels |= {
                hr_col: f"HR ({fmt.ci_label(results.conventions.conf_level)})",
                p_col: "p-Value",
            }
            if multi:
                spanners.append(
                    Spanner(f"{model} analysis", (hr_col, p_col), level=0, id=f"{e.kind}-{model}")
                )
        cols = tuple(c for c in frame.columns if c.startswith(f"{e.kind}_"))
        name = wording.endpoint_label(e)
        spanners.append(Spanner(name, cols, level=1 if multi else 0, id=e.kind))
    return Table(
        "cox",
        _cox_caption(results, multi),
        frame,
        column_labels=labels,
        spanners=tuple(spanners),
        notes=_cox_notes(results, config, not_entered=_not_entered(frame)),
    )


def _cox_caption(results: StudyResults, multi: bool) -> str:
    kind = "Univariate and multivariate" if multi else "Univariate"
    endpoints = wording.series([wording.endpoint_label(e).lower() for e in results.endpoints])
    return f"{kind} Cox regression analyses of factors associated with {endpoints}."


def _term_labels(univariate: tuple[CoxResult, ...], names: dict[str, str]) -> list[str]:
    """'Risk group: Poor vs Good/intermediate (ref)'; further levels of a factor indented."""
    labels = []
    for result in univariate:
        for i, term in enumerate(result.terms):
            name = names.get(term.covariate, term.covariate)
            label = term_label(term)
            labels.append(f"{name}: {label}" if i == 0 else f"{INDENT}{label}")
    return labels


def _term_cells(term: CoxTerm | None, style: str) -> tuple[str, str]:
    if term is None:
        return fmt.DASH, fmt.DASH
    if term.hr is None:
        return fmt.NOT_ESTIMABLE, fmt.DASH
    return f"{fmt.hazard_ratio(term.hr)} ({fmt.hr_ci(term.lower, term.upper)})", fmt.p_value(
        term.p, style
    )


def _univariate_cells(e: EndpointResult, style: str) -> tuple[list[str], list[str]]:
    cells = [_term_cells(t, style) for r in e.univariate for t in r.terms]
    return [c[0] for c in cells], [c[1] for c in cells]


def _multivariate_cells(e: EndpointResult, style: str) -> tuple[list[str], list[str]]:
    fitted = {(t.covariate, t.level): t for t in (e.multivariate.terms if e.multivariate else ())}
    cells = [
        _term_cells(fitted.get((t.covariate, t.level)), style)
        for r in e.univariate
        for t in r.terms
    ]
    return [c[0] for c in cells], [c[1] for c in cells]


def _not_entered(frame: pd.DataFrame) -> bool:
    """Whether a multivariate column prints the dash of a factor left out of the model."""
    columns = [c for c in frame.columns if c.endswith("_Multivariate_hr")]
    return any(frame[c].eq(fmt.DASH).any() for c in columns)


def _cox_notes(results: StudyResults, config: StudyConfig, *, not_entered: bool) -> tuple[str, ...]:
    ties = results.conventions.ties.capitalize()
    small = results.conventions.small_cell
    notes = [
        f"HR: hazard ratio; CI: confidence interval (Wald). Cox proportional hazards regression, "
        f"{ties} method for tied times; p-values are Wald tests."
    ]
    for e in results.endpoints:
        total = e.overall.n
        counts = _patients_events(total, e.overall.events, total, small)
        m = e.multivariate
        if m is not None and (m.n, m.events) != (total, e.overall.events):
            counts += (
                f" ({_patients_events(m.n, m.events, total, small)} in the multivariate model)"
            )
        fewer = [  # a factor's model leaves out the patients without its value
            f"{e.covariate_labels.get(r.terms[0].covariate, r.terms[0].covariate)} "
            f"({_patients_events(r.n, r.events, total, small)})"
            for r in e.univariate
            if r.terms and (r.n, r.events) != (e.overall.n, e.overall.events)
        ]
        if fewer:
            counts += f"; univariate, without the missing values: {', '.join(fewer)}"
        notes.append(f"{wording.endpoint_label(e)}: {counts}.")
    if not_entered:
        notes.append(f"{fmt.DASH}: not entered in the multivariate model.")
    unestimable = {
        term_note(t, r) for e in results.endpoints for r in e.univariate for t in r.terms
    }
    notes += sorted(f"NE: {note}" for note in unestimable if note)
    return tuple(notes)


def _patients_events(n: int, events: int, total: int, small: int | None) -> str:
    """'26 patients, 24 events' of a model of the endpoint's ``total`` patients, each count
    suppressed as results.json's (``suppress.model_marks``)."""
    n_mark, events_mark = sup.model_marks(n, events, total, small)
    return f"{fmt.count(n, n_mark)} patients, {fmt.count(events, events_mark)} events"


def table_adverse_events(results: StudyResults, config: StudyConfig) -> Table | None:
    """Table III: patients with each AE at its worst grade, any grade and grade ≥ k."""
    ae = results.adverse_events
    if ae is None:
        return None
    small = results.conventions.small_cell
    severe = f"Grade {ae.severe_grade}≤"
    counts = [("All adverse events", ae.any_grade, ae.severe)]
    counts += [(r.term, r.any_grade, r.severe) for r in ae.rows]
    rows = [
        (
            term,
            fmt.n_percent(any_grade, ae.n, sup.single(any_grade, ae.n, small)),
            fmt.n_percent(severe_n, ae.n, sup.single(severe_n, ae.n, small)),
        )
        for term, any_grade, severe_n in counts
    ]
    frame = pd.DataFrame(rows, columns=["Adverse events", "All grades", severe])
    labels = {"All grades": "All grades, n (%)", severe: f"Grade ≥{ae.severe_grade}, n (%)"}
    denominator = fmt.count(ae.n, sup.single(ae.n, ae.n, small))
    notes = (
        f"Adverse events graded by {ae.grading}; each patient counted once per event, at the "
        "worst grade; "
        f"denominator: {denominator} patients.",
        *_suppression_note(frame, small),
    )
    return Table(
        "adverse-events",
        f"Adverse events associated with {config.treatment.drug}.",
        frame,
        column_labels=labels,
        notes=notes,
    )


def table_response(results: StudyResults, config: StudyConfig) -> Table | None:
    """Best overall response by the criteria's categories, then the rates the study reports
    (ORR, DCR, CBR), each with its exact confidence interval."""
    r = results.response
    if r is None or config.response is None:
        return None
    small = results.conventions.small_cell
    marks = sup.response_marks(r, small)
    rows = [
        (
            wording.response_label(lvl.level, config),
            fmt.n_percent(lvl.count, lvl.n, marks[lvl.level]),
            "",
        )
        for lvl in r.counts
        if lvl.count or lvl.level != "NE"
    ]
    for rate in response_rows(r):
        p = rate.estimate
        ci = fmt.DASH if marks[rate.rate] else fmt.percent_ci(p.lower, p.upper)  # CI reveals k
        rows.append((rate_row_label(r, rate), fmt.n_percent(p.k, p.n, marks[rate.rate]), ci))
    ci = fmt.ci_label(results.conventions.conf_level)
    frame = pd.DataFrame(rows, columns=["Response", "n (%)", ci])
    notes = (
        f"Best overall response by {wording.criteria_text(r)}. {_rates_note(r)} "
        f"{ci}: Clopper–Pearson (exact). "
        "Percentages of all patients in the analysis.",
        *_suppression_note(frame, small),
    )
    return Table(
        "response",
        "Best overall response.",
        frame,
        column_labels={ci: f"{ci} (%)"},
        notes=notes,
    )


def rate_row_label(r: ResponseSummary, rate: ResponseRate) -> str:
    """'Objective response rate (CR + PR)'; a DCR that is also the CBR says so."""
    name = wording.rate_name(r, rate)
    name = name[0].upper() + name[1:]
    if rate.rate == "dcr" and r.sd_any and "cbr" in r.shown:
        name = f"{name} = {wording.rate_name(r, 'cbr')}"
    codes = " + ".join(rate.codes)
    if rate.rate == "cbr" and not r.sd_any:
        codes += f" {'>' if r.sd_strict else '≥'} {wording.sd_threshold(r)}"
    return f"{name} ({codes})"


def _rates_note(r: ResponseSummary) -> str:
    """How stable disease is counted in the rates shown."""
    shown = {rate.rate for rate in response_rows(r)}
    if "cbr" in shown and r.sd_any:
        return "Clinical benefit: any response or stable disease of any duration (= DCR)."
    if "cbr" in shown:
        comparison = ">" if r.sd_strict else "≥"
        lasting = f"{comparison} {wording.sd_threshold(r)}"
        return f"Clinical benefit: stable disease counted when lasting {lasting}."
    if "dcr" in shown and r.sd_any and "cbr" in r.shown:
        return "Stable disease of any duration counts, so the CBR equals the DCR."
    if "dcr" in shown:
        return "Disease control: stable disease of any duration."
    return ""


SUPERSCRIPTS = "ᵃᵇᶜᵈᵉᶠ"


def table_comparison(results: StudyResults, config: StudyConfig) -> Table | None:
    """Characteristics by group with a p-value per row; a footnote names each row's test."""
    comp = results.comparison
    if comp is None:
        return None
    style = results.conventions.p_style
    small = results.conventions.small_cell
    sizes, ungrouped = sup.factor_marks(list(comp.sizes), comp.ungrouped, results.n, small)
    columns = [
        f"{label} n={fmt.count(n, mark)}"
        for label, n, mark in zip(
            wording.comparison_group_names(comp, config), comp.sizes, sizes, strict=True
        )
    ]
    tests: dict[ComparisonTest, str] = {}
    factor_label = variable_label(comp.factor, comp.label)
    rows: list[list[str]] = []
    current_group = None
    for (per_level, test), overall in zip(comp.rows, results.characteristics, strict=True):
        first = per_level[0]
        if first.variable == comp.factor:  # the groups themselves, "tested" against themselves
            continue
        if first.group != current_group and first.group:
            rows.append([first.group, *[""] * (len(columns) + 1)])
        current_group = first.group
        indent = INDENT if first.group else ""
        marks = sup.comparison_marks(per_level, overall, small)
        unknown = any(c.missing for c in per_level)  # every column has the row, or none
        blocks = [
            _characteristic_rows(c, indent, small, config, marks[i] if marks else None, unknown)
            for i, c in enumerate(per_level)
        ]
        mark = SUPERSCRIPTS[list(tests).index(test.test)] if test.test in tests else None
        if mark is None:
            tests[test.test] = SUPERSCRIPTS[len(tests)]
            mark = tests[test.test]
        p = f"{fmt.p_value(test.p, style)}{mark}"
        # a group may lack a row another has (Unknown when only some groups have missing values)
        labels = list(dict.fromkeys(label for block in blocks for label, _ in block))
        cells = [dict(block) for block in blocks]
        for i, label in enumerate(labels):
            rows.append([label, *[c.get(label, "0") for c in cells], p if i == 0 else ""])
    frame = pd.DataFrame(rows, columns=["Variable", *columns, "p-Value"])
    notes = tuple(f"{mark} {wording.comparison_test_note(t)}." for t, mark in tests.items())
    notes += (_summaries_note(results.characteristics), *_suppression_note(frame, small))
    named = mid_sentence(factor_label)
    short = short_name(comp.factor, config)
    if comp.ungrouped:
        noun = "patient has" if comp.ungrouped == 1 else "patients have"
        notes += (
            f"{fmt.count(comp.ungrouped, ungrouped)} {noun} no {grouped_by(named)} "
            "(missing value) and are not included in this table or its tests.",
        )
    return Table(
        "comparison",
        f"Patients' characteristics by "
        f"{grouped_by(named, short=short if short not in (None, named) else None)}.",
        frame,
        column_labels={c: c for c in columns},
        notes=notes,
    )


def build_tables(
    results: StudyResults, config: StudyConfig, numbers: Numbers | None = None
) -> list[Table]:
    """Every table of the study; ``numbers`` is the registry the survival table reads its
    cells from (collected here when not given)."""
    from cohortpress.artefacts.tables._survival import table_survival  # it reads this module

    numbers = numbers or collect_numbers(results, config)
    tables = [
        table_characteristics(results, config),
        table_comparison(results, config),
        table_survival(results, config, numbers),
        table_cox(results, config) if config.cox.covariates else None,
        table_adverse_events(results, config),
        table_response(results, config),
    ]
    return [t for t in tables if t is not None]
