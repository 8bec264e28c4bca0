"""Numbers a statistician checks a report against, beside those the text prints.

Each entry's ``method`` names the R call that gives the same number, so results.json can be
checked line by line in R: per Cox term the coefficient, SE, z and Wald p; per model the
log-likelihoods, the global tests, Harrell's concordance and the joint Wald test of each
factor; the log-rank table as ``survdiff`` prints it; the numbers at risk under each
Kaplan–Meier figure; every summary of a Table I row. In the R calls, ``time`` and ``status``
are the endpoint's time and event, and each covariate is its study.yml name coded as the model
codes it (levels, groups and cuts applied; complete cases, as coxph's ``na.omit``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from cohortpress.present import format as fmt
from cohortpress.present import suppress as sup
from cohortpress.present.notes import term_note

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cohortpress.analyse._results import (
        CoxResult,
        CoxTerm,
        LogRankResult,
        RiskTable,
    )
    from cohortpress.analyse._study import Characteristic, Distribution
    from cohortpress.present.numbers import Numbers

# Keys added beside the level keys of one group; a level whose key
# would be one of them gets a hashed key instead (see ``label_keys``).
CHARACTERISTIC_KEYS = ("n", "missing", "denominator")
GROUPED_KEYS = ("cox", "logrank_chisq", "missing")


def r_string(text: str) -> str:
    """An R string literal: double quotes, backslash escapes (JSON's are R's)."""
    return json.dumps(text, ensure_ascii=False)


R_RESERVED = frozenset((
    "if", "else", "repeat", "while", "function", "for", "next", "break", "in", "TRUE", "FALSE",
    "NULL", "Inf", "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_",
))  # fmt: skip


def r_name(name: str) -> str:
    """A variable name in R code: as it is when syntactic, else in backticks."""
    if re.fullmatch(r"(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*", name) and name not in R_RESERVED:
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def stat(value: float) -> str:
    """The printed text of a statistic nobody prints in the manuscript: three decimals."""
    return fmt.decimal(value, 3)


# ---- Cox models ------------------------------------------------------------------------------


def cox_terms(model: CoxResult) -> dict[str, str]:
    """Covariate -> its term in the R formula, in model order."""
    terms: dict[str, str] = {}
    for t in model.terms:
        if t.covariate in terms:
            continue
        name = r_name(t.covariate)
        if t.level is not None:
            terms[t.covariate] = f"relevel(factor({name}), ref = {r_string(t.reference or '')})"
        elif t.per != 1:
            terms[t.covariate] = f"I({name}/{t.per:g})"
        else:
            terms[t.covariate] = name
    return terms


def cox_call(model: CoxResult) -> str:
    """The coxph call of the model, e.g. ``coxph(Surv(time, status) ~ age, ties = "efron")``."""
    rhs = " + ".join(cox_terms(model).values()) or "1"
    return f'coxph(Surv(time, status) ~ {rhs}, ties = "{model.ties}")'


def coefficient_name(model: CoxResult, term: CoxTerm) -> str:
    """R's name of the term's coefficient: the formula term, then the level for a factor."""
    return cox_terms(model)[term.covariate] + (term.level or "")


def cox_model(numbers: Numbers, key: str, model: CoxResult, style: str) -> None:
    """Log-likelihoods, the global tests' statistics and df, the concordance, factor tests."""
    fit = cox_call(model)
    summary = f"summary({fit})"
    if model.loglik is not None:
        null, fitted = model.loglik
        numbers.add(f"{key}.loglik_null", null, stat(null), None, f"R: {fit}$loglik[1]")
        numbers.add(f"{key}.loglik", fitted, stat(fitted), None, f"R: {fit}$loglik[2]")
    for test, name, chisq_call, df_call in (
        (model.likelihood_ratio, "lr", f'{summary}$logtest["test"]', f'{summary}$logtest["df"]'),
        (model.score, "score", f'{summary}$sctest["test"]', f'{summary}$sctest["df"]'),
        # summary() rounds the Wald statistic to two decimals; the fit keeps it whole.
        (model.wald, "wald", f"{fit}$wald.test", f'{summary}$waldtest["df"]'),
    ):
        if test is None:
            continue
        numbers.add(f"{key}.{name}_chisq", test.statistic, stat(test.statistic), None,
                    f"{test.method} chi-square; R: {chisq_call}")  # fmt: skip
        numbers.add(f"{key}.{name}_df", test.df, str(test.df), "df", f"R: {df_call}")
    c = model.concordance
    if c is not None:
        how = (
            "Harrell's C of the linear predictor (survival::concordance: pairs tied in the "
            "linear predictor count 1/2, events tied in time are not compared)"
        )
        numbers.add(f"{key}.concordance", c.value, stat(c.value), None,
                    f'{how}; R: {summary}$concordance["C"]')  # fmt: skip
        numbers.add(f"{key}.concordance_se", c.se, stat(c.se), None,
                    f'infinitesimal jackknife; R: {summary}$concordance["se(C)"]')  # fmt: skip
    _factor_tests(numbers, key, model, fit, style)


def cox_term(numbers: Numbers, sub: str, model: CoxResult, term: CoxTerm) -> None:
    """Coefficient (log HR), SE and z of one term, or why it has none."""
    row = r_string(coefficient_name(model, term))
    summary = f"summary({cox_call(model)})$coefficients[{row}, "
    for name, value, column in (
        ("coef", term.coef, '"coef"'),
        ("se", term.se, '"se(coef)"'),
        ("z", term.z, '"z"'),
    ):
        if value is None:
            numbers.add(f"{sub}.{name}", None, fmt.DASH, None, term_note(term, model))
        else:
            numbers.add(f"{sub}.{name}", value, stat(value), None, f"R: {summary}{column}]")


def term_methods(model: CoxResult, term: CoxTerm) -> tuple[str, str, str]:
    """The R calls of a term's HR, CI and Wald p, for the entries the text prints (each
    as '; R: ...', to follow the method's words)."""
    row = r_string(coefficient_name(model, term))
    summary = f"summary({cox_call(model)})"
    level = "" if model.conf_level == 0.95 else f", conf.int = {model.conf_level:g}"
    return (
        f'; R: {summary}$conf.int[{row}, "exp(coef)"]',
        f"; R: summary({cox_call(model)}{level})$conf.int[{row}, 3:4]",
        f'; R: {summary}$coefficients[{row}, "Pr(>|z|)"]',
    )


def _factor_tests(numbers: Numbers, key: str, model: CoxResult, fit: str, style: str) -> None:
    """The joint Wald test of each factor with more than two levels, or why it is missing."""
    levels: dict[str, list[CoxTerm]] = {}
    for t in model.terms:
        if t.level is not None:
            levels.setdefault(t.covariate, []).append(t)
    for covariate, terms in levels.items():
        test = model.factor_tests.get(covariate)
        sub = f"{key}.factor.{covariate}"
        if test is None:
            if len(terms) > 1 and model.loglik is not None:
                why = (
                    "not reported: a coefficient of the factor is not estimable (see its "
                    "note), so its joint Wald test would be void"
                )
                numbers.add(f"{sub}.p", None, fmt.DASH, None, why)
            continue
        names = ", ".join(r_string(coefficient_name(model, t)) for t in terms if t.coef is not None)
        statistic = (
            f"fit <- {fit}; i <- c({names}); b <- coef(fit)[i]; "
            "drop(b %*% solve(vcov(fit)[i, i], b))"
        )
        how = (
            "joint Wald test of the factor's coefficients (base R matrix algebra; not "
            "anova(fit), whose likelihood-ratio tests are sequential)"
        )
        numbers.add(f"{sub}.chisq", test.statistic, stat(test.statistic), None,
                    f"{how}; R: {statistic}")  # fmt: skip
        numbers.add(f"{sub}.df", test.df, str(test.df), "df", f"R: length(c({names}))")
        numbers.add(f"{sub}.p", test.p, fmt.p_value(test.p, style), None,
                    f"{test.method}; R: pchisq(chisq, df = {test.df}, lower.tail = FALSE), "
                    f"chisq = {statistic}")  # fmt: skip


# ---- log-rank and numbers at risk ------------------------------------------------------------


def logrank_table(
    numbers: Numbers,
    key: str,
    level_keys: dict[str, str],
    lr: LogRankResult,
    factor: str,
    event_marks: dict[str, sup.Mark],
) -> None:
    """survdiff's table: per group observed and expected events, (O-E)^2/E and (O-E)^2/V;
    and the chi-square. A group whose event count is suppressed keeps its expected count only
    (the other columns would give the count away)."""
    call = f"survdiff(Surv(time, status) ~ {r_name(factor)})"
    numbers.add(f"{key}.logrank_chisq", lr.chisq, stat(lr.chisq), None,
                f"{lr.method} chi-square, {lr.df} df; R: {call}$chisq")  # fmt: skip
    for i, group in enumerate(lr.groups):
        if group not in level_keys or group not in event_marks:
            continue
        sub = f"{key}.{level_keys[group]}"
        mark = event_marks[group]  # as the survival table marks the group's events
        observed, expected = lr.observed[i], lr.expected[i]
        numbers.add_count(f"{sub}.observed", round(observed), mark, "events",
                          method=f"R: {call}$obs[{i + 1}]")  # fmt: skip
        numbers.add(f"{sub}.expected", expected, stat(expected), None,
                    f"expected events under equal hazards; R: {call}$exp[{i + 1}]")  # fmt: skip
        variance = lr.variance[i] if i < len(lr.variance) else 0.0
        for name, denominator, column, r_denominator in (
            ("oe2_e", expected, "(O-E)^2/E", f"{call}$exp[{i + 1}]"),
            ("oe2_v", variance, "(O-E)^2/V", f"diag({call}$var)[{i + 1}]"),
        ):
            value = (observed - expected) ** 2 / denominator if denominator > 0 else None
            if mark or value is None:
                why = numbers.why(mark) or "not defined: no events expected in this group"
                numbers.add(f"{sub}.{name}", None, fmt.DASH, None, why)
                continue
            r = f"({call}$obs[{i + 1}] - {call}$exp[{i + 1}])^2 / {r_denominator}"
            numbers.add(f"{sub}.{name}", value, stat(value), None,
                        f"survdiff's {column} column; R: {r}")  # fmt: skip


def at_risk(
    numbers: Numbers,
    curves: Sequence[tuple[str, str, str | None]],
    risk: RiskTable,
    time_keys: Sequence[str],
    totals: Sequence[int] | None = None,
) -> None:
    """Numbers at risk at the figure's times, per curve: (key prefix, curve label, R subset).

    Suppressed as the figure prints them: the curves at one time are one group of counts, out
    of ``totals``, the numbers at risk under the overall curve (see ``suppress.risk_marks``)."""
    rows = [risk.n_risk[label] for _, label, _ in curves]
    marks = sup.risk_marks(list(zip(*rows, strict=True)), numbers.small_cell, totals)
    for g, (prefix, _, subset) in enumerate(curves):
        where = f", subset = {subset}" if subset else ""
        for t, (time, time_key) in enumerate(zip(risk.times, time_keys, strict=True)):
            method = (
                "at risk at the start of the interval (as R and SAS print them); R: "
                f"summary(survfit(Surv(time, status) ~ 1{where}), times = {time:g}, "
                "extend = TRUE)$n.risk"
            )
            numbers.add_count(f"{prefix}.at_risk.{time_key}", rows[g][t], marks[t][g],
                              method=method)  # fmt: skip


# ---- Table I rows ------------------------------------------------------------------------------


def continuous_counts(
    numbers: Numbers, key: str, d: Distribution, marks: tuple[list[sup.Mark], sup.Mark]
) -> None:
    """Patients with a value and without one (the Unknown row), for a continuous row, marked
    as Table I marks them (``suppress.characteristic_marks``)."""
    (n_mark,), missing_mark = marks
    numbers.add_count(f"{key}.n", d.n, n_mark, method="R: sum(!is.na(x))")
    numbers.add_count(f"{key}.missing", d.missing, missing_mark, method="R: sum(is.na(x))")


def categorical_counts(
    numbers: Numbers, key: str, c: Characteristic, marks: list[sup.Mark], missing: sup.Mark
) -> None:
    """Patients with a value, without one (the Unknown row), and the denominator of the
    row's percentages (every patient of the column, unknown included)."""
    if not c.levels:
        return
    denominator = c.levels[0].n
    known = denominator - c.missing
    hidden = known - sum(lvl.count for lvl in c.levels)  # levels the row does not list
    k = numbers.small_cell
    # The number with a value splits what is hidden into its parts: withheld when any is small.
    leaks = k is not None and (any(marks) or missing is not None or 0 < hidden < k)
    numbers.add_count(f"{key}.n", known, missing or (sup.WITHHELD if leaks else None),
                      method="R: sum(!is.na(x))")  # fmt: skip
    numbers.add_count(f"{key}.missing", c.missing, missing,
                      method="R: sum(is.na(x)) (the row's Unknown)")  # fmt: skip
    numbers.add_count(f"{key}.denominator", denominator, sup.single(denominator, denominator, k),
                      method="the percentages' denominator, unknown values included; "
                      "R: length(x)")  # fmt: skip


def distribution_methods() -> dict[str, str]:
    """The R calls of a continuous row's summaries (x: the row's values, NA where missing)."""
    return {
        "median": "median (R type 7); R: median(x, na.rm = TRUE)",
        "min": "R: min(x, na.rm = TRUE)",
        "max": "R: max(x, na.rm = TRUE)",
        "range": "R: range(x, na.rm = TRUE)",
        "q1": "first quartile (R type 7); R: quantile(x, 0.25, type = 7, na.rm = TRUE)",
        "q3": "third quartile (R type 7); R: quantile(x, 0.75, type = 7, na.rm = TRUE)",
        "iqr": "R: quantile(x, c(0.25, 0.75), type = 7, na.rm = TRUE)",
        "mean": "mean; R: mean(x, na.rm = TRUE)",
        "sd": "SD (n - 1); R: sd(x, na.rm = TRUE)",
    }
