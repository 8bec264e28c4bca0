"""The sentences that say why a result has no number, made from analyse's status codes.

analyse returns a status (``cohortpress.analyse._status``) and the data the sentence needs
(the covariate's label and level, the patients analysed, the iterations); this module words it
once, for table footnotes, results.json and the text alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.analyse._status import (
    ComparisonStatus,
    LogRankStatus,
    ModelStatus,
    MultivariateStatus,
    TermStatus,
)
from cohortpress.present import format as fmt

if TYPE_CHECKING:
    from cohortpress.analyse._results import ComparisonResult, CoxResult, CoxTerm, LogRankResult
    from cohortpress.analyse._study import MultivariateSkipped

_NOT_ESTIMATED = "so its hazard ratio cannot be estimated."
_TERM: dict[TermStatus, str] = {
    TermStatus.CONSTANT: f"the same value in every patient analysed, {_NOT_ESTIMATED}",
    TermStatus.EMPTY_LEVEL: f"no patients in this level, {_NOT_ESTIMATED}",
    TermStatus.ONLY_LEVEL: "every patient analysed is in this level, so there is no comparison.",
    TermStatus.NO_EVENT_CONTRAST: (
        f"no event occurred while patients with different values were at risk, {_NOT_ESTIMATED}"
    ),
    TermStatus.COLLINEAR: f"collinear with other covariates, {_NOT_ESTIMATED}",
    TermStatus.NO_EVENTS_IN_LEVEL: (
        "no events in this level, so the hazard ratio is zero (monotone likelihood) and is not "
        "estimated."
    ),
    TermStatus.MONOTONE: (
        "the likelihood keeps increasing along this coefficient (monotone likelihood), so its "
        "hazard ratio is not estimated."
    ),
}
_CANNOT = "The model cannot be estimated"
_LOGRANK: dict[LogRankStatus, str] = {
    LogRankStatus.FEWER_THAN_TWO_AT_RISK: (
        "fewer than two groups had patients at risk at an event time"
    ),
    LogRankStatus.ALL_AT_RISK_HAD_EVENT: (
        "at every event time, all the patients at risk had the event"
    ),
}
_COMPARISON: dict[ComparisonStatus, str] = {
    ComparisonStatus.GROUP_WITHOUT_VALUES: "a group has no values",
    ComparisonStatus.ALL_EQUAL: "all values are equal",
    ComparisonStatus.FEWER_THAN_TWO_GROUPS: "fewer than two groups have values",
    ComparisonStatus.ONE_CATEGORY: "only one category or group observed",
    ComparisonStatus.CHI_SQUARED_FALLBACK: (
        "the table is too large for Fisher's exact test; Pearson's chi-squared was used"
    ),
}


def unestimated_reason(model: CoxResult) -> str | None:
    """Why a Cox model could not be fitted at all ("no events among the 15 patients
    analysed"); None when it was fitted (perhaps with terms that were not estimable)."""
    match model.status:
        case ModelStatus.NO_EVENTS:
            return f"no events among the {model.n} patients analysed"
        case ModelStatus.NO_COVARIATE_VARIES:
            return "no covariate varies among the patients analysed"
        case _:
            return None


def model_note(model: CoxResult) -> str | None:
    """Why a Cox model's estimates are missing or unreliable, as a sentence; None when fitted."""
    reason = unestimated_reason(model)
    if reason is not None:
        return f"{_CANNOT}: {reason}."
    match model.status:
        case None:
            return None
        case ModelStatus.NOT_CONVERGED:
            return (
                f"The fit did not converge in {model.iterations} iterations; the estimates are "
                "unreliable."
            )
        case ModelStatus.MONOTONE:
            return (
                "Some hazard ratios are not estimable (monotone likelihood, see their notes); "
                "Wald tests involving them are not reported."
            )


def term_note(term: CoxTerm, model: CoxResult) -> str | None:
    """Why a Cox term has no hazard ratio, naming it ("ALBI grade, Grade 3: …"); None when
    it has one. A term of a model that was not fitted at all carries the model's sentence."""
    if term.status is None:
        return None
    if term.status is TermStatus.MODEL_NOT_ESTIMABLE:
        return model_note(model)
    label = term.covariate_label or term.covariate
    name = f"{label}, {term.level}" if term.level is not None else label
    return f"{name}: {_TERM[term.status]}"


def logrank_note(test: LogRankResult) -> str | None:
    """Why a log-rank test compared nothing (then chi-square 0 on 0 df, p = 1)."""
    return None if test.status is None else _LOGRANK[test.status]


def comparison_note(result: ComparisonResult) -> str | None:
    """Why a group comparison has no p-value, or which test replaced the planned one."""
    return None if result.status is None else _COMPARISON[result.status]


def multivariate_note(skipped: MultivariateSkipped | None) -> str | None:
    """Why no multivariable model was fitted, as the end of "… was not performed": "because of
    the small sample size" (study.yml's reason), "because fewer than two factors had …"."""
    if skipped is None:
        return None
    if skipped.status is MultivariateStatus.NOT_REQUESTED:
        return f"because of {skipped.reason}" if skipped.reason else "as none was requested"
    threshold = fmt.plain(skipped.threshold or 0)
    return f"because fewer than two factors had a univariate p < {threshold}"
