"""Write data.xlsx: a synthetic pancreatic cancer registry extract, seeded, with no dates.

A re-analysis of 120 registry patients treated with gemcitabine plus nab-paclitaxel. The
registry gives survival as recorded times and statuses: overall survival in months with the
vital status as words, progression-free survival in days with a yes/no flag. Headers are the
registry's own words (mapped by ``columns:`` in study.yml); a few cells are missing ("n.k.").

Run from anywhere: ``python tests/studies/registry_times/make_data.py``. It also writes
``data.csv`` with the same cells, which ``expected.R`` reads (R here has no xlsx reader).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261201
N = 120
HERE = Path(__file__).resolve().parent
STAGES = ("Locally advanced", "Metastatic", "Recurrent")


def registry(seed: int = SEED, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stage = rng.choice(STAGES, size=n, p=[0.35, 0.45, 0.2])
    hazard = np.select([stage == "Metastatic", stage == "Recurrent"], [1.8, 1.3], 1.0)
    sex = rng.choice(["M", "F"], size=n, p=[0.55, 0.45])
    age = np.round(rng.normal(67, 8, size=n)).clip(38, 88)
    # Progression first, then death after it; both censored by the registry's follow-up.
    pfs_true = rng.exponential(9.0 / hazard)  # months
    os_true = pfs_true + rng.exponential(10.0 / hazard)
    follow = rng.uniform(8, 48, size=n)  # months of follow-up at the registry's cutoff
    os_months = np.round(np.minimum(os_true, follow), 1)
    dead = os_true <= follow
    pfs_days = np.round(np.minimum(pfs_true, follow) * 30.4375).astype(int)
    progressed = pfs_true <= follow
    best = np.where(
        rng.uniform(size=n) < 0.3, "PR", np.where(rng.uniform(size=n) < 0.6, "SD", "PD")
    )
    best = np.where(rng.uniform(size=n) < 0.03, "CR", best)
    frame = pd.DataFrame(
        {
            "Registry No.": [f"PC-{i:04d}" for i in range(1, n + 1)],
            "Age (y)": age.astype(object),
            "Gender": sex,
            "Disease status at start": stage.astype(object),
            "Best overall response": best,
            "Survival (months)": os_months,
            "Vital status": np.where(dead, "Dead", "Alive").astype(object),
            "PFS (days)": pfs_days,
            "Progressed or died": np.where(progressed, "yes", "no").astype(object),
        }
    )
    # Registry gaps: some ages and disease statuses not known, one death spelt otherwise.
    frame.loc[rng.choice(n, size=5, replace=False), "Age (y)"] = "n.k."
    frame.loc[rng.choice(n, size=4, replace=False), "Disease status at start"] = "n.k."
    deceased = frame.index[frame["Vital status"] == "Dead"][:3]
    frame.loc[deceased, "Vital status"] = "Deceased"
    return frame


def main() -> None:
    frame = registry()
    frame.to_excel(HERE / "data.xlsx", sheet_name="Registry extract", index=False)
    frame.to_csv(HERE / "data.csv", index=False)  # the same cells, for expected.R


if __name__ == "__main__":
    main()
