"""The text columns the analysis groups by, held as level codes, give the same numbers."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cohortpress.analyse import _summaries, analyse
from cohortpress.analyse._compare import compare_groups
from cohortpress.analyse._levels import mapped_levels, with_level_codes
from cohortpress.analyse._survival import endpoint_results
from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.intake import read_workbook

ROOT = Path(__file__).resolve().parents[1]

texts = st.lists(
    st.one_of(st.none(), st.sampled_from(["b", "a", "Ä", "a ", "10", "9"])), max_size=30
)


def _text(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype="string")


def _plain(values: pd.Series) -> list[object]:
    """The values as Python objects, missing ones as None."""
    return [None if pd.isna(v) else v for v in values.astype(object)]


@given(texts)
def test_coded_columns_hold_the_same_values_in_sorted_levels(values: list[str | None]) -> None:
    frame = pd.DataFrame({"x": _text(values), "n": np.arange(len(values), dtype=float)})
    coded = with_level_codes(frame, ["x", "n", "absent"])
    assert isinstance(coded["x"].dtype, pd.CategoricalDtype)
    assert list(coded["x"].cat.categories) == sorted({v for v in values if v is not None})
    assert _plain(coded["x"]) == values
    assert coded["n"].dtype == np.float64 and coded["n"].equals(frame["n"])
    assert frame["x"].dtype == "string"  # the cohort's own frame is left as it was


@given(texts, st.dictionaries(st.sampled_from(["a", "b", "Ä", "10"]), st.sampled_from(["P", "Q"])))
def test_mapped_levels_are_the_text_mapped(
    values: list[str | None], lookup: dict[str, str]
) -> None:
    text = _text(values)
    mapped = mapped_levels(with_level_codes(pd.DataFrame({"x": text}), ["x"])["x"], lookup)
    assert _plain(mapped) == _plain(text.map(lookup))
    assert list(mapped.cat.categories) == sorted(
        set(lookup.values()) & set(_plain(mapped)) - {None}
    )


@given(texts, st.lists(st.sampled_from(["g1", "g2", "g3"]), min_size=30, max_size=30))
def test_fisher_test_is_the_same_on_codes(values: list[str | None], groups: list[str]) -> None:
    text, group = _text(values), _text(groups[: len(values)])
    coded = with_level_codes(pd.DataFrame({"x": text, "g": group}), ["x", "g"])
    _same(
        compare_groups(coded["x"], coded["g"], "categorical"),
        compare_groups(text, group, "categorical"),
    )


def _same(a: object, b: object, path: str = "") -> None:
    """Equal to the last bit: dataclasses field by field, frames column by column."""
    assert type(a) is type(b), path
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame)
        assert list(a.dtypes) == list(b.dtypes) and a.equals(b), path
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), path
    else:
        assert a == b, path


@pytest.mark.parametrize("study", ["thyroid", "renal"])
def test_an_example_analysed_from_codes_is_analysed_from_text(study: str) -> None:
    """Table I, the markers, the comparison and every endpoint (curves by factor, Cox models)
    of the analysis, which reads level codes, are those computed from the text columns."""
    config = load_study(ROOT / "reports" / study)
    workbook = read_workbook(config.data_path, config)
    cohort = derive_cohort(workbook.patients, workbook.adverse_events, config)
    results = analyse(cohort, config)
    text_only = replace(
        results,
        characteristics=_summaries.characteristics(cohort, config),
        markers=_summaries.markers(cohort, config),
        comparison=_summaries.comparison(cohort, config),
        endpoints=endpoint_results(cohort, config),
    )
    assert any(isinstance(d, pd.StringDtype) for d in cohort.patients.dtypes)
    _same(results, text_only)
