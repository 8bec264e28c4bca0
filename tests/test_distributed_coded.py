"""A derived piece's analysed columns, coded on a worker without unpacking the piece, are
those coded from the unpacked piece and packed: the same values, dtypes and categories.

Plain pandas, no cluster: text of few values with blanks as None or NaN, text of many values,
numbers, and every kind of ``Coding`` (copy, groups, cut, float).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress._packed import pack
from cohortpress.analyse._survival import Coding
from cohortpress.analyse.distributed._adverse import _count_packed, count_events
from cohortpress.analyse.distributed._analyse import _coded_packed, _piece_coded
from cohortpress.derive._partitions import DerivedPiece

CODED = {
    "_cov_sex": Coding("sex", "copy"),
    "_cov_stage": Coding("stage", "groups", lookup={"I": "early", "II": "early", "III": "late"}),
    "_cov_age": Coding("age", "cut", cut=75.0, labels=("<75", "≥75")),
    "_cov_count": Coding("count", "float"),
    "_cov_id": Coding("patient_id", "copy"),
    "_cov_group": Coding("group", "copy"),
}


def piece(seed: int, n: int) -> DerivedPiece:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "patient_id": [f"P{i:05d}" for i in rng.permutation(n)],
        "sex": pd.Series(rng.choice(["F", "M"], n), dtype=object),
        "stage": pd.Series(rng.choice(["I", "II", "III", "IV"], n), dtype=object),
        "group": pd.Series(rng.choice(["High", "Low"], n), dtype="string"),
        "age": rng.normal(65, 12, n).round(),
        "count": rng.integers(0, 9, n),
        "os_time": rng.exponential(300, n),
    }, index=pd.RangeIndex(n) + 7)  # fmt: skip
    blanks = rng.random(n) < 0.1
    frame.loc[blanks, "sex"] = None
    frame.loc[rng.random(n) < 0.1, "stage"] = np.nan
    frame.loc[rng.random(n) < 0.1, "age"] = np.nan
    frame.loc[rng.random(n) < 0.1, "group"] = pd.NA
    return DerivedPiece(pack(frame), (), n, 0, True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60))
def test_coding_a_packed_piece_is_coding_it_unpacked(seed: int, n: int) -> None:
    derived = piece(seed, n)
    needed = ["patient_id", "sex", "group", "age", "os_time"]
    want = _coded_packed(derived.data, needed, CODED)
    got = _piece_coded(derived, needed, CODED)
    pd.testing.assert_frame_equal(got, want, check_exact=True, check_categorical=True)
    for column in got.columns:
        if isinstance(want[column].dtype, pd.CategoricalDtype):
            categories = got[column].cat.categories
            assert categories.equals(want[column].cat.categories)
            assert categories.dtype == want[column].cat.categories.dtype


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), n=st.integers(0, 400), text=st.sampled_from([object, "string"])
)
def test_events_counted_from_a_packed_bucket_are_those_of_the_unpacked(
    seed: int, n: int, text: object
) -> None:
    """A bucket of adverse events counted from its packed patient IDs (categorical or Arrow
    strings) and its three counted columns: the counts of the whole unpacked bucket."""
    rng = np.random.default_rng(seed)
    ids = pd.Series([f"P{i}" for i in rng.integers(0, max(n // 3, 1), n)], dtype=object)
    ids[rng.random(n) < 0.05] = None
    events = pd.DataFrame({
        "patient_id": ids.astype(text),  # pyright: ignore[reportArgumentType, reportCallIssue]
        "term": pd.Series(rng.choice(["Rash", "HFS", "Diarrhoea"], n), dtype=text),  # pyright: ignore[reportArgumentType]
        "grade": rng.integers(1, 5, n),
        "onset_date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
    })  # fmt: skip
    bucket = pack(events)
    want, got = count_events(bucket.frame(), 3), _count_packed(bucket, 3)
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=True)
    assert (got.any_grade, got.severe) == (want.any_grade, want.severe)
