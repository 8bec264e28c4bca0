"""A packed frame unpacks to the very frame that was packed: values, dtypes, missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress._packed import pack

texts = st.one_of(st.none(), st.sampled_from(["Yes", "No", "≥75", "<b>x</b>", ""]), st.text())


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b)
    for column in a.columns:  # NaN, None and pd.NA are told apart
        assert [repr(v) for v in a[column]] == [repr(v) for v in b[column]], column


@settings(max_examples=150, deadline=None)
@given(values=st.lists(texts, max_size=30), numbers=st.data())
def test_text_and_numbers_unpack_to_themselves(values: list, numbers: st.DataObject) -> None:
    n = len(values)
    floats = numbers.draw(st.lists(st.floats(allow_nan=True), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "string": pd.array(values, dtype="string"),
            "object_none": pd.Series(values, dtype=object),
            "object_nan": pd.Series([np.nan if v is None else v for v in values], dtype=object),
            "float": pd.Series(floats, dtype="float64"),
            "mixed": pd.Series([1 if v is None else v for v in values], dtype=object),
        },
        index=range(7, 7 + n),
    )
    packed = pack(frame)
    _same(packed.frame(), frame)
    for column in frame.columns:
        pd.testing.assert_series_equal(packed.column(column), frame[column])
    assert len(packed) == n


def test_text_is_stored_compactly() -> None:
    n = 50_000
    frame = pd.DataFrame(
        {
            "patient_id": pd.array([f"RG-{i:07d}" for i in range(n)], dtype="string"),
            "sex": pd.array(["F", "M"] * (n // 2), dtype="string"),
        }
    )
    packed = pack(frame)
    assert isinstance(packed.data["sex"].dtype, pd.CategoricalDtype)
    assert packed.data["patient_id"].dtype == "string[pyarrow]"
    assert packed.data.memory_usage(deep=True).sum() < frame.memory_usage(deep=True).sum() / 4
    _same(packed.frame(), frame)
