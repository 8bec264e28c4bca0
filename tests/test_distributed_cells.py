"""Counts of a packed partition from its codes are those of pandas' grouping of its values.

Plain pandas, no cluster: the summary of a partition counted from the codes of its packed
categoricals and floats (``_cells``) equals, frame by frame, values, dtypes and row order,
the summary grouped from the unpacked values — blanks in text and numbers, a -0.0 time, an
object column (grouped as before), empty partitions and single rows included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress._packed import pack
from cohortpress.analyse.distributed._summary import Plan, _summarised, summarise_partition

PLAN = Plan(
    counts=(("arm",), ("arm", "age"), ("age",), ("arm", "note"), ("stage", "arm"), ("ratio",)),
    survival=(
        ("os_time", "os_event", None),
        ("os_time", "os_event", "arm"),
        ("os_time", "os_event", "stage"),
        ("pfs_time", "pfs_event", "note"),
    ),
    maxima=("os_time",),
)


def frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "arm": pd.Series(rng.choice(["b", "a", "C", "é"], n), dtype="string"),
        "stage": pd.Series(rng.choice(["II", "I", "IV"], n), dtype="string"),
        "note": pd.Series(rng.choice(["x", "y"], n), dtype=object),
        "age": rng.choice([40.0, 55.5, 70.0, 81.0], n),
        "ratio": rng.normal(3, 1, n).round(1),
        "os_time": np.ceil(rng.exponential(20, n)),
        "os_event": rng.integers(0, 2, n),
        "pfs_time": rng.exponential(10, n).round(),
        "pfs_event": rng.integers(0, 2, n).astype(float),
    })  # fmt: skip
    for column in ("arm", "stage", "age", "ratio", "os_time", "pfs_event"):
        d.loc[rng.random(n) < 0.1, column] = None
    d.loc[d["os_time"] == 0, "os_time"] = -0.0
    return d


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 120))
def test_counts_from_codes_are_the_grouped_counts(seed: int, n: int) -> None:
    data = frame(seed, n)
    want = summarise_partition(data, PLAN)
    got = _summarised(pack(data).data, PLAN, dict(data.dtypes))
    assert got.rows == want.rows
    assert got.maxima.keys() == want.maxima.keys()
    np.testing.assert_array_equal(list(got.maxima.values()), list(want.maxima.values()))
    for mine, theirs in ((got.counts, want.counts), (got.survival, want.survival)):
        assert mine.keys() == theirs.keys()
        for key in theirs:
            pd.testing.assert_frame_equal(mine[key], theirs[key], check_exact=True)
