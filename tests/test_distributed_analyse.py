"""``analyse_partitioned`` on a real Dask cluster gives the StudyResults of ``analyse``.

Three studies, each derived in memory by ``derive_cohort`` and then split into partitions
(``dd.from_pandas``) as a ``PartitionedCohort``: the thyroid study on a synthetic registry
extract of 20,000 patients, the renal study on its shipped workbook (few patients, many
ties, response, waterfall, dose reduction, adverse events) and the HCC test study
(categorical factors of three levels and more, ``by`` curves with landmarks, mRECIST). Every
field of the two StudyResults is compared: integers and strings exactly, floats relative
1e-9, NaN equal to NaN.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from same_results import differences

from cohortpress.analyse import analyse
from cohortpress.analyse._summaries import response_settings
from cohortpress.analyse.distributed import analyse_partitioned
from cohortpress.analyse.distributed._adverse import add_events, count_events
from cohortpress.analyse.distributed._analyse import _coded, _needed, _plan
from cohortpress.analyse.distributed._endpoints import codings
from cohortpress.analyse.distributed._summary import combine, summarise_partition
from cohortpress.config import StudyConfig
from cohortpress.derive import Cohort, PartitionedCohort, derive_cohort
from cohortpress.errors import InputDataError, StudyConfigError
from cohortpress.pipeline import check_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))
from make_registry import write_registry  # noqa: E402

PATIENTS = 20_000
PARTITIONS = 8


def _derived(study: Path, data: Path | None = None) -> tuple[object, Cohort]:
    config, workbook, report = check_workbook(study, data)
    assert report.ok
    return config, derive_cohort(workbook.patients, workbook.adverse_events, config)


def _partitioned(cohort: Cohort, partitions: int) -> PartitionedCohort:
    """The same patients (and adverse events) as a Dask cohort of ``partitions`` parts."""
    events = cohort.adverse_events
    return PartitionedCohort(
        patients=dd.from_pandas(cohort.patients, npartitions=partitions, sort=False),
        adverse_events=None if events is None else dd.from_pandas(events, npartitions=3),
        flow=cohort.flow,
        time_unit=cohort.time_unit,
        censored_at_cutoff=cohort.censored_at_cutoff,
        dated=cohort.dated,
    )


@pytest.fixture(scope="module")
def thyroid(tmp_path_factory: pytest.TempPathFactory):
    registry = write_registry(PATIENTS, tmp_path_factory.mktemp("registry"))
    return _derived(ROOT / "reports" / "thyroid", registry)


def test_thyroid_registry_equals_in_memory(client, thyroid) -> None:
    config, cohort = thyroid
    assert len(cohort.patients) > 15_000
    got = analyse_partitioned(_partitioned(cohort, PARTITIONS), config)
    assert differences(got, analyse(cohort, config)) == []
    assert got.comparison is not None and got.adverse_events is not None


@pytest.mark.parametrize(
    ("study", "partitions"),
    [(ROOT / "reports" / "renal", 4), (ROOT / "tests" / "studies" / "hcc_score", 5)],
)
def test_workbook_studies_equal_in_memory(client, study: Path, partitions: int) -> None:
    config, cohort = _derived(study)
    got = analyse_partitioned(_partitioned(cohort, partitions), config)
    assert differences(got, analyse(cohort, config)) == []
    assert got.response is not None and got.waterfall is not None


def test_a_bad_time_is_a_located_error(client) -> None:
    config, cohort = _derived(ROOT / "reports" / "renal")
    patients = cohort.patients.copy()
    patients.loc[patients.index[5], "os_time"] = -1.0
    broken = Cohort(patients, cohort.adverse_events, cohort.flow, cohort.time_unit, 0)
    with pytest.raises(InputDataError) as raised:
        analyse_partitioned(_partitioned(broken, 3), config)
    (problem,) = raised.value.problems
    assert (problem.column, problem.value) == ("os_time", "-1.0")
    assert "survival time must be a number >= 0" in problem.rule


@pytest.fixture(scope="module")
def renal_prepared():
    """The renal patients as the counting pass sees them (needed columns, covariates coded)."""
    config, cohort = _derived(ROOT / "reports" / "renal")
    columns = list(cohort.patients.columns)
    coded = codings(config)
    plan = _plan(_partitioned(cohort, 1), config, columns, response_settings(config, columns))
    prepared = _coded(cohort.patients, _needed(plan, coded, config, columns), coded)
    return cohort, plan, prepared


@settings(max_examples=12, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=42), max_size=6))
def test_summaries_of_parts_add_up_to_the_whole(renal_prepared, cuts: list[int]) -> None:
    """The counting pass's partition function over any split (empty parts included) gives,
    combined, the summary of all the patients; likewise the adverse events by patient."""
    cohort, plan, prepared = renal_prepared
    bounds = [0, *sorted(cuts), len(prepared)]
    parts = [prepared.iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    whole = summarise_partition(prepared, plan)
    split = combine([summarise_partition(p, plan) for p in parts])
    assert differences(split, whole, rel=0.0) == []
    events = cohort.adverse_events
    by_patient = [events[events["patient_id"].isin(ids)] for ids in _ids(cohort.patients, bounds)]
    assert (
        differences(
            add_events([count_events(p, 3) for p in by_patient]), count_events(events, 3), rel=0.0
        )
        == []
    )


def _ids(data: pd.DataFrame, bounds: list[int]) -> list[pd.Series]:
    return [data["patient_id"].iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _blank(column: str) -> tuple[StudyConfig, Cohort]:
    """The thyroid study derived from its workbook with ``column`` blank for every patient."""
    config, workbook, report = check_workbook(ROOT / "reports" / "thyroid")
    assert report.ok and isinstance(config, StudyConfig)
    patients = workbook.patients.copy()
    patients[column] = patients[column].mask(patients[column].notna())  # all missing, same dtype
    return config, derive_cohort(patients, workbook.adverse_events, config)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"compare_by": "histology"},
            "study.yml: compare_by: no analysed patient has a value in 'Histology', so there "
            "are no groups; record it, or remove `compare_by`",
        ),
        (
            {"by": ("ecog", "histology")},
            "study.yml: endpoints[1].by: no analysed patient has a value in 'Histology', so "
            "there are no groups; record it, or leave 'histology' out of it",
        ),
    ],
)
def test_grouping_by_a_factor_nobody_has_is_a_study_yml_error(
    request: pytest.FixtureRequest, engine: str, change: dict[str, object], message: str
) -> None:
    """A factor whose column is blank for every analysed patient has no group: both stopped
    the run as a bug (IndexError; figure_km needing an estimate), found by the property tests."""
    config, blank = _blank("histology")
    if "by" in change:
        os_ = config.endpoints[1].model_copy(update=change)
        config = config.model_copy(update={"endpoints": (config.endpoints[0], os_)})
    else:
        config = config.model_copy(update=change)
    with pytest.raises(StudyConfigError) as raised:
        if engine == "pandas":
            analyse(blank, config)
        else:
            request.getfixturevalue("client")
            analyse_partitioned(_partitioned(blank, 3), config)
    assert str(raised.value) == message


def test_default_curves_by_a_marker_nobody_has_say_where_they_come_from() -> None:
    config, blank = _blank("lymphocytes")
    with pytest.raises(StudyConfigError) as raised:
        analyse(blank, config)
    assert str(raised.value) == (
        "study.yml: endpoints[0] (curves by the markers among `cox.covariates`): no analysed "
        "patient has the values marker 'ALC' is computed from (lymphocytes), so there are no "
        "groups; record it, or list under `endpoints[0].by` the factors to draw"
    )


def test_compare_by_a_table_i_variable_equals_in_memory(client) -> None:
    """Grouping Table I by one of its own rows (histology) counts that column with itself:
    the Dask engine stopped with "cannot insert histology, already exists"."""
    config, cohort = _derived(ROOT / "reports" / "thyroid")
    assert isinstance(config, StudyConfig)
    config = config.model_copy(update={"compare_by": "histology"})
    got = analyse_partitioned(_partitioned(cohort, 3), config)
    assert differences(got, analyse(cohort, config)) == []
    assert got.comparison is not None and got.comparison.sizes == (21, 4, 1)
