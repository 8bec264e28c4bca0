"""What a build-cache entry keeps of the analysis, and the pandas-free stand-ins it uses.

A cached run unpickles the results and the tables without pandas or NumPy
(``test_cached_imports.py`` checks that of whole runs); here, that what it unpickles is what
the documents read: the same numbers, the same table cells, and a loud error where a frame
was left out.
"""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest
from examples import ROOT
from hypothesis import given
from hypothesis import strategies as st

from cohortpress.analyse import analyse
from cohortpress.analyse._results import Concordance, KMEstimate
from cohortpress.artefacts.tables import Table, build_tables
from cohortpress.cache._analysis import NOT_KEPT, dump_analysis, load_analysis
from cohortpress.config import load_study
from cohortpress.derive import derive_cohort
from cohortpress.derive._formula import _ARITHMETIC, _COMPARISONS, FUNCTIONS
from cohortpress.formula_syntax import ARITHMETIC, ARITY, COMPARISONS
from cohortpress.intake import read_workbook


@pytest.fixture(scope="module")
def analysed() -> tuple:
    config = load_study(ROOT / "reports/thyroid")
    workbook = read_workbook(config.data_path, config)
    results = analyse(derive_cohort(workbook.patients, workbook.adverse_events, config), config)
    return config, results


def _walk(node: object, path: str = "results") -> list[tuple[str, object]]:
    """Every (path, value) under a results object: dataclass fields, tuples, lists, dicts."""
    found = [(path, node)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            found += _walk(getattr(node, f.name), f"{path}.{f.name}")
    elif isinstance(node, tuple | list):
        for i, item in enumerate(node):
            found += _walk(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            found += _walk(item, f"{path}[{key!r}]")
    return found


def test_the_kept_results_are_the_results_without_step_tables(analysed: tuple) -> None:
    _, results = analysed
    kept, floats = load_analysis(dump_analysis(results, ()))  # type: ignore[arg-type]
    assert floats == ()
    before, after = _walk(results), _walk(kept)
    assert [path for path, _ in before] == [path for path, _ in after]
    tables = [p for p, v in before if isinstance(v, pd.DataFrame)]
    assert tables and all(p.endswith(".table") for p in tables)  # only the KM step tables
    concordances = 0
    for (path, value), (_, back) in zip(before, after, strict=True):
        if isinstance(value, pd.DataFrame):
            assert back is NOT_KEPT, path
        elif isinstance(value, Concordance):
            assert back == value, path
            concordances += 1
        elif not dataclasses.is_dataclass(value) and not isinstance(value, tuple | list | dict):
            assert back == value or (back != back and value != value), path  # NaN is NaN
    assert concordances  # the thyroid study's Cox models have one each


def test_a_step_table_left_out_says_so_where_it_is_used(analysed: tuple) -> None:
    _, results = analysed
    kept, _ = load_analysis(dump_analysis(results, ()))  # type: ignore[arg-type]
    estimate = kept.endpoints[0].overall
    assert isinstance(estimate, KMEstimate)
    with pytest.raises(RuntimeError, match="not kept by the build cache"):
        estimate.table["time"]
    with pytest.raises(RuntimeError, match="not kept by the build cache"):
        len(estimate.table)
    with pytest.raises(RuntimeError, match="not kept by the build cache"):
        estimate.table.loc  # noqa: B018 - the use is the test
    assert pickle.loads(pickle.dumps(estimate)).table is NOT_KEPT


def test_the_formula_syntax_and_its_evaluation_know_the_same_language() -> None:
    assert set(FUNCTIONS) == set(ARITY)
    assert {name: arity for name, (_, *arity) in FUNCTIONS.items()} == {
        name: list(arity) for name, arity in ARITY.items()
    }
    assert set(_ARITHMETIC) == set(ARITHMETIC)
    assert set(_COMPARISONS) == set(COMPARISONS)


def test_the_manuscript_tables_are_kept_as_their_cells(analysed: tuple) -> None:
    config, results = analysed
    for table in build_tables(results, config):
        back = pickle.loads(pickle.dumps(table))
        assert "_cells" in back.__dict__, table.id  # no frame was pickled
        _same_frame(back.frame, table.frame)
        assert back.caption == table.caption and back.notes == table.notes


def _same_frame(back: pd.DataFrame, frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        back, frame, check_exact=True, check_index_type=True, check_column_type=True
    )
    assert type(back.index) is type(frame.index)
    assert back.columns.equals(frame.columns)


TEXT = st.text(max_size=8)


@given(
    columns=st.lists(TEXT, min_size=1, max_size=4, unique=True),
    data=st.data(),
)
def test_a_table_of_text_comes_back_as_it_was(columns: list[str], data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.tuples(*[TEXT for _ in columns]), max_size=5))
    frame = pd.DataFrame(rows, columns=pd.Index(columns, dtype=object), dtype=object)
    back = pickle.loads(pickle.dumps(Table("t", "A caption", frame)))
    _same_frame(back.frame, frame)
    assert pickle.loads(pickle.dumps(back)).frame.equals(frame)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"n": [1, 2]}),  # numbers
        pd.DataFrame({"a": ["x", None]}, dtype=object),  # a missing cell
        pd.DataFrame({"a": ["x", "y"]}, index=[3, 4]),  # rows not numbered from 0
        pd.DataFrame({"a": ["x"]}, dtype="string"),  # pandas' string type
    ],
    ids=["numbers", "missing", "index", "string"],
)
def test_a_table_not_only_of_text_keeps_its_frame(frame: pd.DataFrame) -> None:
    back = pickle.loads(pickle.dumps(Table("t", "A caption", frame)))
    assert "_cells" not in back.__dict__
    _same_frame(back.frame, frame)
