"""Why a result has no number: status codes, never sentences.

analyse says *what happened* (a level without events, a model that did not converge); the
presentation step (``cohortpress.present.notes``) says it in words, once, for the tables, the
text and results.json alike.
"""

from __future__ import annotations

from enum import StrEnum


class TermStatus(StrEnum):
    """Why a Cox term has no hazard ratio."""

    CONSTANT = "constant"  # the same value in every patient analysed
    EMPTY_LEVEL = "empty_level"  # no patients in this level
    ONLY_LEVEL = "only_level"  # every patient analysed is in this level
    NO_EVENT_CONTRAST = "no_event_contrast"  # singular: no event while values differed at risk
    COLLINEAR = "collinear"  # singular with other covariates
    NO_EVENTS_IN_LEVEL = "no_events_in_level"  # infinite: the level has no events
    MONOTONE = "monotone"  # infinite: the likelihood keeps increasing along it
    MODEL_NOT_ESTIMABLE = "model_not_estimable"  # the whole model was not fitted (see its status)


class ModelStatus(StrEnum):
    """Why a Cox model's estimates are missing or unreliable."""

    NO_EVENTS = "no_events"  # no events among the patients analysed (``n`` of the model)
    NO_COVARIATE_VARIES = "no_covariate_varies"
    NOT_CONVERGED = "not_converged"  # stopped after ``iterations`` without converging
    MONOTONE = "monotone"  # some hazard ratios infinite: Wald tests involving them left out


class LogRankStatus(StrEnum):
    """Why a log-rank test had nothing to compare (then chisq = 0 on 0 df, p = 1)."""

    FEWER_THAN_TWO_AT_RISK = "fewer_than_two_at_risk"
    ALL_AT_RISK_HAD_EVENT = "all_at_risk_had_event"


class ComparisonStatus(StrEnum):
    """Why a group comparison has no p-value, or used another test than planned."""

    GROUP_WITHOUT_VALUES = "group_without_values"
    ALL_EQUAL = "all_equal"
    FEWER_THAN_TWO_GROUPS = "fewer_than_two_groups"
    ONE_CATEGORY = "one_category"
    CHI_SQUARED_FALLBACK = "chi_squared_fallback"  # too large for Fisher's exact test


class MultivariateStatus(StrEnum):
    """Why no multivariable Cox model was fitted."""

    NOT_REQUESTED = "not_requested"  # study.yml ``cox.multivariate.rule: none`` (its reason)
    TOO_FEW_SELECTED = "too_few_selected"  # fewer than two factors below the threshold
