"""Statistics of an extract too large for one process, on a Dask cluster (issue 15).

The workers reduce their partitions to exact sufficient statistics; the client sums them and
hands the sums to the in-memory estimators, so the numbers equal the in-memory path's:

- Kaplan–Meier, numbers at risk, log-rank (k groups) and reverse-KM follow-up from the events
  and censorings at each distinct (group, time): ``survival_counts`` -> ``SurvivalCounts``;
- Table I from value counts: the levels of a categorical column, and for a continuous column
  the median, quartiles (R type 7) and range read exactly from its distinct values with their
  counts, the mean and SD from exact sums: ``category_counts``, ``continuous_distribution``;
- the Cox model, Efron or Breslow, with every field of ``cox_fit``'s result (tests, notes,
  concordance): ``cox_fit_partitioned``, R's Newton–Raphson with one map-reduce per step of
  the sums per distinct time, which give the risk sets across partitions by reverse
  cumulative sums on the client (float results equal to rounding, not bit for bit);
- the whole ``StudyResults`` of a partitioned cohort (``analyse_partitioned``): every count in
  one pass over the persisted partitions, fed to the in-memory estimators (``_analyse`` says
  which passes it makes and what the client holds).

Not yet here (later slices of the issue): validation and derivation on the workers (this
slice takes the derived time, event, group and covariate columns as given), figures and the
report.
"""

from __future__ import annotations

try:
    import dask.dataframe  # noqa: F401
    import distributed  # noqa: F401
except ImportError as missing:  # the optional extra is not installed
    raise ImportError(
        "the distributed statistics need Dask: pip install 'cohortpress[dask]'"
    ) from missing

from cohortpress.analyse.distributed._analyse import analyse_partitioned
from cohortpress.analyse.distributed._cox import cox_fit_partitioned
from cohortpress.analyse.distributed._extract import read_extract
from cohortpress.analyse.distributed._survival import SurvivalCounts, survival_counts
from cohortpress.analyse.distributed._table1 import category_counts, continuous_distribution

__all__ = [
    "SurvivalCounts",
    "analyse_partitioned",
    "category_counts",
    "continuous_distribution",
    "cox_fit_partitioned",
    "read_extract",
    "survival_counts",
]
