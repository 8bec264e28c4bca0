"""Codes that derive and analyse give, and the words the presentation step makes of them.

derive gives each line of the patient flow as an :class:`ExclusionRule` (its kind and
parameters, an author's reason kept as data); analyse gives a comparison's test as a
:class:`ComparisonTest` and its groups as levels. These tests build such results by hand and
read back the words of ``present.wording`` and the entries of the numbers registry.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_presentation import _config, _results

from cohortpress.analyse._results import ComparisonResult, ComparisonTest
from cohortpress.analyse._study import GroupComparison
from cohortpress.config import Duration
from cohortpress.derive import Exclusion, ExclusionKind, ExclusionRule, PatientFlow
from cohortpress.derive._inclusion import INSUFFICIENT
from cohortpress.derive._partitions import summed_exclusions
from cohortpress.present import collect_numbers, markdown_text, wording
from cohortpress.present.labels import variable_label

YOUNG = ExclusionRule(ExclusionKind.CRITERION, reason="younger than 18 years")
ECOG = ExclusionRule(ExclusionKind.CRITERION, reason="with ECOG PS 3 or 4")
SHORT = ExclusionRule(ExclusionKind.SHORT_TREATMENT, minimum=Duration(value=1, unit="months"))


def _short(value: float, unit: str) -> ExclusionRule:
    return replace(SHORT, minimum=Duration.model_validate({"value": value, "unit": unit}))


MARKUP = "with *ECOG* <b>3</b> [x](http://e.example) $y$ @key # h"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (YOUNG, "younger than 18 years"),
        (INSUFFICIENT, "with insufficient data for the eligibility criteria"),
        (SHORT, "treated for less than 1 month"),
        (_short(30, "days"), "treated for less than 30 days"),
        (_short(1.5, "months"), "treated for less than 1.5 months"),
    ],
)
def test_each_exclusion_rule_is_worded(rule: ExclusionRule, words: str) -> None:
    assert wording.exclusion_reason(rule) == words


def test_an_exclusion_rule_without_its_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="exclusion rule"):
        wording.exclusion_reason(ExclusionRule(ExclusionKind.SHORT_TREATMENT))
    with pytest.raises(ValueError, match="exclusion rule"):
        wording.exclusion_reason(ExclusionRule(ExclusionKind.CRITERION))


def test_an_authors_reason_is_data_kept_as_written_and_escaped_once_when_printed() -> None:
    rule = ExclusionRule(ExclusionKind.CRITERION, reason=MARKUP)
    assert wording.exclusion_reason(rule) == MARKUP  # not escaped in results.json
    printed = markdown_text(wording.exclusion_reason(rule))
    assert printed != MARKUP and "\\*ECOG\\*" in printed and "\\$y\\$" in printed


def _flow(*lines: Exclusion) -> PatientFlow:
    excluded = sum(e.n for e in lines)
    return PatientFlow(screened=20 + excluded, exclusions=lines, analysed=20)


def test_the_flow_entries_are_worded_from_the_rules_and_keep_their_keys() -> None:
    flow = _flow(Exclusion(YOUNG, 2), Exclusion(ECOG, 0), Exclusion(INSUFFICIENT, 1),
                 Exclusion(SHORT, 3))  # fmt: skip
    numbers = collect_numbers(replace(_results(), flow=flow), _config()).nested("all")["flow"]
    assert {key: v["value"] for key, v in numbers["excluded_by"].items()} == {
        "younger_than_18_years": 2,
        "with_ecog_ps_3_or_4": 0,
        "with_insufficient_data_for_the_eligibility_criteria": 1,
        "treated_for_less_than_1_month": 3,
    }
    assert numbers["exclusions"]["text"] == (
        "2 patients younger than 18 years; 1 patients with insufficient data for the "
        "eligibility criteria; 3 patients treated for less than 1 month"
    )


def test_an_authors_reason_with_markup_is_plain_text_in_results_json() -> None:
    rule = ExclusionRule(ExclusionKind.CRITERION, reason=MARKUP)
    numbers = collect_numbers(replace(_results(), flow=_flow(Exclusion(rule, 2))), _config())
    assert numbers.nested("all")["flow"]["exclusions"]["text"] == f"2 patients {MARKUP}"


def test_partitions_sum_their_flow_lines_by_rule_in_rule_order() -> None:
    first = (Exclusion(YOUNG, 1), Exclusion(ECOG, 2), Exclusion(SHORT, 0))
    second = (Exclusion(YOUNG, 0), Exclusion(ECOG, 1), Exclusion(INSUFFICIENT, 4),
              Exclusion(SHORT, 5))  # fmt: skip
    same_words = ExclusionRule(ExclusionKind.CRITERION, reason="younger than 18 years")
    third = (Exclusion(same_words, 3), Exclusion(ECOG, 0), Exclusion(SHORT, 1))
    assert summed_exclusions([first, second, third]) == (
        Exclusion(YOUNG, 4), Exclusion(ECOG, 3), Exclusion(INSUFFICIENT, 4), Exclusion(SHORT, 6),
    )  # fmt: skip


@pytest.mark.parametrize("test", list(ComparisonTest))
def test_every_comparison_test_is_named(test: ComparisonTest) -> None:
    name = wording.comparison_test_name(test)
    assert name and name != test.value
    assert wording.comparison_test_note(test).startswith(name)


def test_the_chi_squared_fallback_says_why() -> None:
    assert wording.comparison_test_note(ComparisonTest.CHISQ) == (
        "Pearson's chi-squared (no continuity correction), where the table was too large for "
        "Fisher's exact test"
    )
    assert wording.comparison_test_note(ComparisonTest.FISHER) == "Fisher's exact"


def _comparison(factor: str, levels: tuple[str, ...]) -> GroupComparison:
    test = ComparisonResult(ComparisonTest.FISHER, None, 0.5)
    return GroupComparison(factor, factor, levels, (10,) * len(levels), (((), test),))


def test_compared_groups_are_named_from_their_levels() -> None:
    config = _config()
    marker = _comparison("LMR", ("High", "Low"))
    assert wording.comparison_group_names(marker, config) == ["High LMR", "Low LMR"]
    variable = _comparison("histology", ("Papillary", "Follicular"))
    assert wording.comparison_group_names(variable, config) == ["Papillary", "Follicular"]


def test_a_variable_is_labelled_by_study_yml_before_its_built_in_label() -> None:
    assert variable_label("age", None) == "Age"
    assert variable_label("sex", None) == "Sex"
    assert variable_label("age", "Age, years") == "Age, years"  # study.yml wins
    assert variable_label("ldh", None) == "ldh"  # neither: the variable's name


def test_table_one_names_a_built_in_field_without_a_study_label() -> None:
    from cohortpress.analyse._study import Characteristic, LevelCount
    from cohortpress.artefacts.tables import table_characteristics

    sex = Characteristic(
        variable="sex", label=None, group=None, kind="counts",
        levels=(LevelCount("Male", "Male", 12, 20), LevelCount("Female", "Female", 8, 20)),
    )  # fmt: skip
    labelled = replace(sex, label="Gender")
    table = table_characteristics(_results(characteristics=(sex, labelled)), _config())
    assert table.frame.iloc[:, 0].str.strip().tolist() == [
        "Sex", "Male", "Female", "Gender", "Male", "Female",
    ]  # fmt: skip


def test_an_endpoint_is_named_by_study_yml_before_its_kind() -> None:
    (endpoint,) = _results().endpoints
    unnamed = replace(endpoint, kind="ttf", label=None, abbreviation=None)
    assert wording.endpoint_label(unnamed) == "Time to treatment failure"
    assert wording.endpoint_abbreviation(unnamed) == "TTF"
    named = replace(unnamed, label="Time to next treatment", abbreviation="TTNT")
    assert wording.endpoint_label(named) == "Time to next treatment"
    assert wording.endpoint_abbreviation(named) == "TTNT"
