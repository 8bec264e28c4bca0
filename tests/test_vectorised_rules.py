"""Rules computed column-wide give what their plain per-row (or per-value) form gives."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress._folding import fold
from cohortpress._packed import pack
from cohortpress.derive._endpoints import _earliest, _latest
from cohortpress.validate._closest import ClosestText
from cohortpress.validate._cross_sheet import _suggestions
from cohortpress.validate._identifiers import IdentifierFinder, term_words

DATES = ["a", "b", "c", "d"]
days = st.one_of(st.none(), st.integers(-30_000, 60_000))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(days, days, days, days), max_size=25), unit=st.sampled_from(["ns", "s"])
)
def test_latest_and_earliest_dates_are_row_max_and_min(rows: list, unit: str) -> None:
    """The integer form's max and min, NaT ignored, are ``max``/``min(axis=1)``."""
    base = pd.Timestamp("1990-01-01")
    frame = pd.DataFrame(
        {
            c: pd.Series(
                [pd.NaT if r[i] is None else base + pd.Timedelta(days=r[i]) for r in rows],
                dtype=f"datetime64[{unit}]",
            )
            for i, c in enumerate(DATES)
        },
        index=range(2, 2 + len(rows)),
    )
    for columns in (DATES, DATES[:2], DATES[:1]):
        pd.testing.assert_series_equal(_latest(frame, columns), frame[columns].max(axis=1))
        pd.testing.assert_series_equal(_earliest(frame, columns), frame[columns].min(axis=1))


def test_dates_of_mixed_kinds_take_the_frame_reduction() -> None:
    frame = pd.DataFrame(
        {
            "a": pd.to_datetime(["2020-01-01", None]),
            "b": pd.to_datetime(["2021-01-01", "2019-01-01"]).as_unit("s"),
        }
    )
    pd.testing.assert_series_equal(_latest(frame, ["a", "b"]), frame[["a", "b"]].max(axis=1))
    pd.testing.assert_series_equal(_earliest(frame, ["a", "b"]), frame[["a", "b"]].min(axis=1))


levels = st.one_of(st.none(), st.sampled_from(["Yes", "No", "b", "B", "ä", "", "10", "9"]))


@settings(max_examples=150, deadline=None)
@given(values=st.lists(levels, max_size=30))
def test_packed_categorical_is_astype_category(values: list) -> None:
    """Analysis reads packed columns as stored: the categorical is the one astype makes."""
    for series in (pd.Series(values, dtype="string"), pd.Series(values, dtype=object)):
        packed = pack(pd.DataFrame({"x": series})).data["x"]
        if not isinstance(packed.dtype, pd.CategoricalDtype):
            continue
        expected = series.astype("category").rename("x")
        pd.testing.assert_series_equal(packed, expected)
        assert packed.dtype == expected.dtype
        assert packed.cat.categories.dtype == expected.cat.categories.dtype
        assert np.array_equal(packed.cat.codes.to_numpy(), expected.cat.codes.to_numpy())


ids = st.from_regex(r"[A-Za-z]{1,3}[-.]?[0-9]{1,4}(-[a-z])?", fullmatch=True)
words = st.sampled_from(["Rash", "fatigue", "call", "on", "Hand-foot", "ß", "İ", "ǅ", "–", ","])


@settings(max_examples=200, deadline=None)
@given(
    patient_ids=st.lists(ids, max_size=12),
    names=st.lists(st.text(max_size=12), max_size=6),
    terms=st.lists(
        st.lists(st.one_of(words, ids, st.text(max_size=8)), max_size=5).map(" ".join),
        max_size=8,
    ),
)
def test_finder_for_the_terms_finds_what_the_full_index_finds(
    patient_ids: list[str], names: list[str], terms: list[str]
) -> None:
    """Indexing only the IDs and names equal to a word of the terms finds the same hits."""
    patients = pd.DataFrame({"patient_id": pd.array(patient_ids, dtype="string")})
    identifiers = pd.DataFrame({"Name": pd.Series(names, dtype=object)})
    full = IdentifierFinder(patients, identifiers)
    some = IdentifierFinder(patients, identifiers, among=term_words(terms))
    for term in terms:
        assert some.hits(term) == full.hits(term), term


short_ids = st.text(alphabet="RG-0159aé\x00 ", max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    known=st.lists(short_ids, max_size=30),
    word=short_ids,
    cutoff=st.sampled_from([0.0, 0.3, 0.6, 0.75, 1.0]),
)
def test_closest_text_is_difflibs_closest_match(known: list[str], word: str, cutoff: float) -> None:
    """The bound computed on character arrays prunes nothing difflib would pick."""
    expected = difflib.get_close_matches(word, known, n=1, cutoff=cutoff)
    assert ClosestText(known).closest(word, cutoff) == (expected[0] if expected else None)


def test_unknown_ids_get_difflibs_suggestion() -> None:
    known = pd.Series([f"RG-{i:07d}" for i in range(2000)] + ["rg-0000007 "], dtype="string")
    unknown = ["RG-9999999", "rg-0000004", "RG-0000007", "XX", "RG-00000１２"]
    folded = {fold(pid): pid for pid in sorted(set(known.astype(str)))}
    expected = {}
    for pid in unknown:
        close = folded.get(fold(pid))
        if close is None:
            matches = difflib.get_close_matches(pid, sorted(set(known)), n=1, cutoff=0.6)
            close = matches[0] if matches else None
        if close is not None:
            expected[pid] = f"did you mean '{close}'?"
    assert _suggestions(unknown, known) == expected
