"""How numbers print: one place, so a number looks the same in text, tables and results.yml."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from cohortpress.config import StudyConfig

NOT_REACHED = "not reached"
NOT_REACHED_SHORT = "NR"
NOT_ESTIMABLE = "NE"
DASH = "–"
MINUS = "\u2212"


def date(value: dt.date) -> str:
    """A date in running text: March 31, 2018."""
    return f"{value:%B} {value.day}, {value.year}"


def level(conf_level: float) -> str:
    """A confidence level as printed: 0.95 -> '95%', 0.975 -> '97.5%'."""
    return f"{conf_level * 100:g}%"


def ci_label(conf_level: float) -> str:
    """The label of an interval at ``conf_level``: '95% CI' (never typed as '95%')."""
    return f"{level(conf_level)} CI"


def plain(value: float) -> str:
    """A value as study.yml gives it, without trailing zeros: a cutoff (2.8, 1,000), a
    threshold (0.05), a landmark time (12); a typographic minus sign."""
    return f"{value:,g}".replace("-", MINUS)


def signed_percent(value: float) -> str:
    """A percent change with its sign: '+20%', '−30%'."""
    return f"{value:+g}%".replace("-", MINUS)


def survival_percent(value: float | None) -> str:
    """A survival probability (0–1) in percent with one decimal: 0.723 -> '72.3'."""
    return DASH if value is None else f"{value * 100:.1f}"


def integer(value: float | int) -> str:
    """Thousands separated, as journals print counts and days: 2,002."""
    return f"{round(value):,}"


def time(value: float | None, unit: str, *, short: bool = False) -> str:
    """A survival time: whole days with separators, else one decimal (months, years)."""
    if value is None:
        return NOT_REACHED_SHORT if short else NOT_REACHED
    if unit == "days":
        return integer(value)
    return f"{value:,.1f}"


def time_ci(lower: float | None, upper: float | None, unit: str, *, short: bool = False) -> str:
    return f"{time(lower, unit, short=short)}{DASH}{time(upper, unit, short=short)}"


def decimal(value: float | None, decimals: int = 2) -> str:
    """A number with ``decimals`` places and a typographic minus sign: −2.41."""
    if value is None or math.isnan(value):
        return DASH
    return f"{value:,.{decimals}f}".replace("-", MINUS)


def span(low: float | None, high: float | None, decimals: int) -> str:
    """A range or interval: '53–86'; with a negative end 'to', which a dash would garble:
    '−3.4 to −1.4'."""
    joiner = " to " if any(v is not None and v < 0 for v in (low, high)) else DASH
    return f"{decimal(low, decimals)}{joiner}{decimal(high, decimals)}"


def characteristic_decimals(name: str, config: StudyConfig) -> int:
    """Decimals of a continuous value (a Table I row, a marker), in Table I, the text and
    results.json alike, decided here only: a marker's ``decimals`` (its median in the text is
    printed so), a variable's own ``decimals``, else whole numbers for age and counts and one
    decimal for measurements."""
    marker = config.markers.get(name)
    if marker is not None:
        return marker.decimals
    variable = config.variables.get(name)
    if variable is not None and variable.decimals is not None:
        return variable.decimals
    return 0 if name == "age" or (variable is not None and variable.type == "count") else 1


def percent(count: int, n: int) -> str:
    """Percentage with one decimal (38.5); 100 and 0 print without decimals, as the papers do."""
    if n == 0:
        return DASH
    value = 100.0 * count / n
    if value in (0.0, 100.0):
        return f"{value:.0f}"
    return f"{value:.1f}"


def percent_ci(lower: float | None, upper: float | None) -> str:
    """A proportion's confidence interval in percent with one decimal: '2.4–30.2'."""
    low = None if lower is None else 100 * lower
    high = None if upper is None else 100 * upper
    return f"{decimal(low, 1)}{DASH}{decimal(high, 1)}"


def n_percent(count: int, n: int, mark: str | None = None) -> str:
    """'10 (38.5)'; a suppressed count (``mark`` from ``suppress``) prints as its mark alone."""
    if mark:
        return mark
    return f"{integer(count)} ({percent(count, n)})"


def count(value: int, mark: str | None = None) -> str:
    """A count, or its suppression mark ('<5', '*') when it must not be printed."""
    return mark or integer(value)


def percent_of(value: int, n: int, mark: str | None = None) -> str:
    """The percentage of a count; a dash when the count is suppressed (it would reveal it)."""
    return DASH if mark else percent(value, n)


def hazard_ratio(value: float | None) -> str:
    return NOT_ESTIMABLE if value is None else f"{value:.2f}"


def hr_ci(lower: float | None, upper: float | None) -> str:
    if lower is None or upper is None:
        return NOT_ESTIMABLE
    return f"{lower:.2f}{DASH}{upper:.2f}"


def p_value(p: float | None, style: str = "threshold") -> str:
    """A p-value in the study's style.

    ``threshold``: "<0.001" below 0.001, else three decimals (EZR, most clinical journals).
    ``two_significant``: two significant digits, "<0.0001" below 0.0001.
    ``sas``: "<.0001" below 0.0001, else four decimals without the leading zero (SAS output).
    """
    if p is None or math.isnan(p):
        return DASH
    if style == "threshold":
        return "<0.001" if p < 0.001 else f"{min(p, 1.0):.3f}"
    if style == "two_significant":
        if p < 0.0001:
            return "<0.0001"
        return f"{min(p, 1.0):#.2g}"  # '#' keeps the trailing zero: 0.0020, 0.10
    if style == "sas":
        return "<.0001" if p < 0.0001 else f"{p:.4f}".lstrip("0")
    raise ValueError(f"unknown p-value style {style!r}")


def p_text(p: float | None, style: str = "threshold") -> str:
    """'p=0.019' or 'p<0.001' for running text."""
    shown = p_value(p, style)
    return f"p{shown}" if shown.startswith("<") else f"p={shown}"
