"""Sentences about tumour response: definitions of the rates for the Methods, their values for
the Results and the abstract.

They are plain text (labels of custom criteria come from study.yml): the templates print them
through ``finalize``, which escapes them for Markdown. Numbers are the registry's printed texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cohortpress.analyse._study import MISSING_RESPONSE
from cohortpress.present.wording import (
    counted,
    rate_name,
    response_label,
    response_rows,
    sd_threshold,
    series,
)

if TYPE_CHECKING:
    from cohortpress.analyse._study import ResponseRate, ResponseSummary
    from cohortpress.config import StudyConfig


def _named(code: str, config: StudyConfig) -> str:
    """A category spelled out with its code, at its first mention: 'partial response (PR)'."""
    label = response_label(code, config)
    label = label if label.endswith(f"({code})") else f"{label} ({code})"
    return label[0].lower() + label[1:] if not label[:2].isupper() else label


def definitions(r: ResponseSummary, config: StudyConfig) -> str:
    """'The objective response rate (ORR) was defined as …', each rate printed defined once."""
    rates = response_rows(r)
    defined: set[str] = set()

    def codes(rate: ResponseRate) -> str:
        words = [code if code in defined else _named(code, config) for code in rate.codes]
        defined.update(rate.codes)
        return series(words, "or")

    parts = []
    for i, rate in enumerate(rates):
        lead = f"the {rate_name(r, rate)} ({rate.abbreviation})" + (
            " was defined as" if i == 0 else " as"
        )
        sd = ""
        if rate.rate == "dcr" or (rate.rate == "cbr" and r.sd_any):
            sd = " of any duration" if len(rate.codes) > len(r.rate("orr").codes) else ""
        elif rate.rate == "cbr":
            sd = f" lasting {'more than' if r.sd_strict else 'at least'} {sd_threshold(r)}"
        parts.append(f"{lead} the percentage of patients with {codes(rate)}{sd}")
    sentence = series(parts) if len(parts) < 3 else "; ".join(parts[:-1]) + "; and " + parts[-1]
    sentence = sentence[0].upper() + sentence[1:] + "."
    if any(rate.rate == "cbr" and not r.sd_any for rate in rates):
        sentence += " The duration of stable disease was read from the progression-free time."
    if r.sd_any and "cbr" in r.shown:
        cbr, dcr = r.rate("cbr"), r.rate("dcr")
        if "dcr" in r.shown:  # the CBR row is left out of the table: say why
            sentence += (
                " As stable disease of any duration counted as clinical benefit, the "
                f"{rate_name(r, cbr)} equals the {dcr.abbreviation} and is reported once."
            )
        else:
            sentence += (
                f" As stable disease of any duration counted as clinical benefit, the "
                f"{cbr.abbreviation} equals the {rate_name(r, dcr)}."
            )
    return sentence + (
        " Every patient in the analysis is in the denominator, including those not evaluable or "
        "without a recorded best response."
    )


def abbreviations(r: ResponseSummary) -> str:
    """'ORR, CBR' for the statistics paragraph."""
    return ", ".join(rate.abbreviation for rate in response_rows(r))


def values(r: ResponseSummary, numbers: dict[str, Any], ci: str) -> str:
    """'The ORR and CBR were 10.0% (95% CI …) and …, respectively; the best response was …'."""
    rates = response_rows(r)
    names = series([rate.abbreviation for rate in rates])
    texts = [f"{numbers[rate.rate]['pct']} ({ci} {numbers[rate.rate]['ci']})" for rate in rates]
    verb = "was" if len(rates) == 1 else "were"
    sentence = f"The {names} {verb} {series(texts)}" + (", respectively" if len(rates) > 1 else "")
    best = [
        f"{'not assessed' if lvl.level == MISSING_RESPONSE else lvl.level} in "
        + counted(numbers[lvl.level]["n"], numbers[lvl.level]["pct"])
        for lvl in r.counts
        if lvl.count
    ]
    return f"{sentence}; the best response was {series(best)}." if best else f"{sentence}."


def abstract(r: ResponseSummary, numbers: dict[str, Any]) -> str:
    """'; the objective response rate was 10.0%' (spelled out: the abstract stands alone)."""
    rates = response_rows(r)
    if len(rates) == 1:
        return f"; the {rate_name(r, rates[0])} was {numbers[rates[0].rate]['pct']}"
    names = series([rate_name(r, rate) for rate in rates])
    values = series([numbers[rate.rate]["pct"] for rate in rates])
    return f"; the {names} were {values}, respectively"
