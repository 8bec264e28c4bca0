"""Write a synthetic registry extract of the thyroid study, of any size, for ``make bench``.

A registry update is the thyroid study run on many more patients: the same two sheets, the same
headers and the same coding as ``thyroid_sorafenib.xlsx``, written as a folder with one file per
sheet (``patients`` and ``adverse_events``, CSV or Parquet), which is how registries export.
No real patient is in it; every value is drawn from a fixed seed, so a size and a seed always
give the same files.

The distributions follow the cohort of the seed paper at a registry's scale: starts spread over
2008-2021, about one patient in ten stopping within the first month (excluded by the study's
inclusion rule), Weibull times to progression, to stopping and to death whose hazards rise with
the ECOG performance status, age and a low lymphocyte-to-monocyte ratio, loss to follow-up, and
the data cutoff of study.yml. Dates are consistent by construction (no progression after death,
last contact on the day of death for those who died, no adverse event after the last contact).
Optional fields are missing as often as in real extracts (1-8%), and about three adverse-event
rows are written per patient (Poisson), terms weighted as in Table III, grades mostly 1-2.

    python data/make_registry.py 100000 bench/data/registry-100000 --format parquet

With ``--partitioned-by year`` the extract is written as a registry keeps it for the Dask
engine: a ``patients/`` and an ``adverse_events/`` folder of Parquet files, hive-partitioned by
the year of the treatment start (``patients/year=2015/part-0.parquet``), each year in files of
at most ``--rows-per-file`` patients (their adverse events beside them). The rows are the same
as in the single-file layout of the same size and seed, so both layouts give the same study.

    python data/make_registry.py 100000 bench/data/registry-100000-parts --partitioned-by year
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from make_thyroid import (
    AE_HEADERS,
    AE_TERMS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    ONSET_WINDOW,
    PATIENT_HEADERS,
)

SEED = 2021_05_31
CUTOFF = np.datetime64("2021-05-31")  # data_cutoff of reports/thyroid/study.yml
FIRST_START = np.datetime64("2008-01-01")
LAST_START = np.datetime64("2021-03-31")
AE_PER_PATIENT = 3.0
ROWS_PER_FILE = 100_000  # patients per Parquet file of a partitioned extract
MISSING = {  # share of blank cells in optional fields
    "Age (years)": 0.01, "ECOG PS": 0.02, "Anti-Tg antibody": 0.08,
    "Neutrophils (/µl)": 0.03, "Lymphocytes (/µl)": 0.03, "Monocytes (/µl)": 0.03,
    "Platelets (/µl)": 0.03, "Subjective symptoms": 0.02, "Max change in target lesions (%)": 0.05,
}  # fmt: skip


def _weibull(rng: np.random.Generator, median: float, shape: float, lp: np.ndarray) -> np.ndarray:
    """Days to an event with the given median at ``lp = 0`` and hazard ratio ``exp(lp)``."""
    scale = median / np.log(2) ** (1 / shape) * np.exp(-lp / shape)
    return scale * rng.weibull(shape, lp.size)


def _categories(rng: np.random.Generator, n: int, levels: dict[str, float]) -> np.ndarray:
    return rng.choice(np.array(list(levels), dtype=object), n, p=list(levels.values()))


def _counts(
    rng: np.random.Generator, n: int, median: float, sigma: float, bounds: tuple
) -> np.ndarray:
    """Blood counts: log-normal, rounded, kept within the study's plausible range."""
    return np.clip(np.round(median * np.exp(sigma * rng.standard_normal(n))), *bounds)


def patients_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The patients sheet, one row per screened patient, with the thyroid workbook's headers."""
    sex = _categories(rng, n, {"F": 0.6, "M": 0.4})
    age = np.clip(np.round(rng.normal(68, 10, n)), 20, 95)
    ecog = _categories(rng, n, {"0": 0.55, "1": 0.35, "2": 0.08, "3": 0.02}).astype(int)
    neutrophils = _counts(rng, n, 3800, 0.35, (300, 30000))
    lymphocytes = _counts(rng, n, 1450, 0.40, (100, 10000))
    monocytes = _counts(rng, n, 330, 0.35, (20, 3000))
    platelets = _counts(rng, n, 220000, 0.30, (10000, 1000000))
    low_lmr = lymphocytes / monocytes < 4

    span = int((LAST_START - FIRST_START) / np.timedelta64(1, "D"))
    start = FIRST_START + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    to_cutoff = (CUTOFF - start).astype(float)
    lp = 0.45 * ecog + 0.02 * (age - 68) + 0.5 * low_lmr
    death = _weibull(rng, 2000, 1.1, lp)
    progression = _weibull(rng, 700, 1.0, 0.6 * lp)
    lost = rng.exponential(6000, n)
    follow = np.minimum.reduce([death, lost, to_cutoff])
    died = death <= follow
    progressed = progression < follow

    # Stopping: soon after progression, or for toxicity, a decision, or death, whichever first.
    early = rng.random(n) < 0.10  # stopped within the first month: excluded from the analysis
    toxicity = np.where(early, rng.uniform(3, 29, n), rng.exponential(2500, n))
    decision = rng.exponential(9000, n)
    after_progression = np.where(progressed, progression + rng.uniform(0, 14, n), np.inf)
    stop = np.minimum.reduce([after_progression, toxicity, decision, death])
    stopped = stop <= follow
    reason = np.select(
        [stop == after_progression, stop == toxicity, stop == death],
        ["Progression", "Adverse event", "Death"],
        default=_categories(
            rng, n, {"Patient decision": 0.5, "Physician decision": 0.4, "Other": 0.1}
        ),
    )
    reason = np.where(stopped, reason, None)

    response = np.select(
        [early, progressed & (progression < 60)],
        ["NE", "PD"],
        default=_categories(rng, n, {"CR": 0.01, "PR": 0.17, "SD": 0.72, "PD": 0.10}),
    )
    change = np.select(
        [response == "CR", response == "PR", response == "SD", response == "PD"],
        [-100, rng.uniform(-80, -30, n), rng.uniform(-29, 19, n), rng.uniform(20, 60, n)],
        default=np.nan,
    ).round(1)

    def on_day(days: np.ndarray, keep: np.ndarray) -> pd.Series:
        dates = start + np.floor(np.where(keep, days, 0)).astype("timedelta64[D]")
        return pd.Series(dates).where(keep)

    family = rng.choice(np.array(FAMILY_NAMES, dtype=object), n)
    given = np.where(
        sex == "M",
        rng.choice(np.array(GIVEN_NAMES["M"], dtype=object), n),
        rng.choice(np.array(GIVEN_NAMES["F"], dtype=object), n),
    )
    columns = dict.fromkeys(PATIENT_HEADERS)
    columns.update({
        "Patient ID": [f"RG-{i:07d}" for i in range(1, n + 1)],
        "Name": family + " " + given,
        "Age (years)": age,
        "Sex": sex,
        "Sorafenib start": pd.Series(start),
        "Sorafenib stop": on_day(stop, stopped),
        "Reason for stopping": reason,
        "Progression date": on_day(progression, progressed),
        "Date of death": on_day(death, died),
        "Last visit": on_day(follow, np.ones(n, dtype=bool)),
        "Best response (RECIST)": response,
        "Max change in target lesions (%)": change,
        "ECOG PS": ecog.astype(float),
        "Diagnosis": _categories(rng, n, {"Locally advanced": 0.25, "Recurrence": 0.75}),
        "Histology": _categories(
            rng, n, {"Papillary": 0.75, "Follicular": 0.18, "Poorly differentiated": 0.07}
        ),
        "Bone metastasis": _categories(rng, n, {"Yes": 0.35, "No": 0.65}),
        "Lung metastasis": _categories(rng, n, {"Yes": 0.85, "No": 0.15}),
        "Lymph node metastasis": _categories(rng, n, {"Yes": 0.6, "No": 0.4}),
        "Subjective symptoms": _categories(rng, n, {"Yes": 0.35, "No": 0.65}),
        "Anti-Tg antibody": _categories(rng, n, {"Positive": 0.2, "Negative": 0.8}),
        "Neutrophils (/µl)": neutrophils,
        "Lymphocytes (/µl)": lymphocytes,
        "Monocytes (/µl)": monocytes,
        "Platelets (/µl)": platelets,
    })  # fmt: skip
    frame = pd.DataFrame(columns)
    for header, share in MISSING.items():
        frame[header] = frame[header].where(rng.random(n) >= share)
    # Whole numbers stay whole: nullable integers, not floats with a ".0" in the CSV.
    for header in ("Age (years)", "ECOG PS", *(h for h in PATIENT_HEADERS if "/µl" in h)):
        frame[header] = frame[header].astype("Int64")
    return frame


def adverse_events_frame(rng: np.random.Generator, patients: pd.DataFrame) -> pd.DataFrame:
    """About three rows per patient, each within the patient's time on record."""
    n = len(patients)
    per_patient = rng.poisson(AE_PER_PATIENT, n)
    rows = np.repeat(np.arange(n), per_patient)
    terms = np.array([t[0] for t in AE_TERMS], dtype=object)
    weights = np.array([sum(t[1:]) for t in AE_TERMS], dtype=float)
    term = rng.choice(terms, rows.size, p=weights / weights.sum())
    grade = rng.choice([1, 2, 3, 4], rows.size, p=[0.55, 0.33, 0.11, 0.01])
    window = np.array([ONSET_WINDOW[t] for t in terms])
    index = pd.Index(terms).get_indexer(term)
    onset_day = rng.uniform(window[index, 0], window[index, 1])
    start = patients["Sorafenib start"].to_numpy()[rows]
    last = patients["Last visit"].to_numpy()[rows]
    onset = start + np.floor(onset_day).astype("timedelta64[D]")
    onset = np.minimum(onset, last)
    return pd.DataFrame({
        AE_HEADERS[0]: patients["Patient ID"].to_numpy()[rows],
        AE_HEADERS[1]: term,
        AE_HEADERS[2]: grade,
        AE_HEADERS[3]: onset,
    })  # fmt: skip


def write_registry(
    n: int,
    folder: Path,
    fmt: str = "parquet",
    seed: int = SEED,
    *,
    partitioned_by: str | None = None,
    rows_per_file: int = ROWS_PER_FILE,
) -> Path:
    """Write ``folder/patients.<fmt>`` and ``folder/adverse_events.<fmt>`` (or, partitioned,
    the ``patients/`` and ``adverse_events/`` folders); return the folder."""
    rng = np.random.default_rng([seed, n])
    patients = patients_frame(rng, n)
    events = adverse_events_frame(rng, patients)
    folder.mkdir(parents=True, exist_ok=True)
    if partitioned_by is not None:
        write_partitioned(patients, events, folder, rows_per_file)
        return folder
    for name, frame in (("patients", patients), ("adverse_events", events)):
        if fmt == "parquet":
            _stored(frame).to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


def write_partitioned(
    patients: pd.DataFrame, events: pd.DataFrame, folder: Path, rows_per_file: int
) -> None:
    """Hive partitions by the year of the treatment start, files of at most ``rows_per_file``
    patients; each file of adverse events holds the events of one file of patients."""
    year = patients["Sorafenib start"].dt.year
    patients, events = _stored(patients), _stored(events)
    for value, rows in patients.groupby(year, sort=True):
        for number, first in enumerate(range(0, len(rows), rows_per_file)):
            chunk = rows.iloc[first : first + rows_per_file]
            mine = events[events[AE_HEADERS[0]].isin(chunk["Patient ID"])]
            for name, frame in (("patients", chunk), ("adverse_events", mine)):
                part = folder / name / f"year={value}"
                part.mkdir(parents=True, exist_ok=True)
                frame.to_parquet(part / f"part-{number}.parquet", index=False)


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as Parquet dates (no time of day), as a registry exports them."""
    dates = frame.select_dtypes("datetime").columns
    return frame.astype({c: "date32[pyarrow]" for c in dates})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patients", type=int, help="number of screened patients")
    parser.add_argument("folder", type=Path, help="where to write the files")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--partitioned-by",
        choices=("year",),
        help="write patients/ and adverse_events/ folders of Parquet files, hive-partitioned "
        "by the year of the treatment start (the Dask engine's layout)",
    )
    parser.add_argument(
        "--rows-per-file",
        type=int,
        default=ROWS_PER_FILE,
        help="patients per Parquet file when partitioned (default: %(default)s)",
    )
    args = parser.parse_args()
    if args.partitioned_by and args.format != "parquet":
        parser.error("--partitioned-by writes Parquet files; leave out --format csv")
    if args.rows_per_file < 1:
        parser.error("--rows-per-file: at least 1")
    started = dt.datetime.now()
    folder = write_registry(
        args.patients, args.folder, args.format, args.seed,
        partitioned_by=args.partitioned_by, rows_per_file=args.rows_per_file,
    )  # fmt: skip
    seconds = (dt.datetime.now() - started).total_seconds()
    print(f"wrote {folder} ({args.patients:,} patients, {args.format}, {seconds:.1f} s)")


if __name__ == "__main__":
    main()
