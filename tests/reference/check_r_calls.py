"""Run the R call named in each results.json method and compare it with the entry's value.

By hand, from the repository root (needs R with survival; the tests do not):

    PYTHONPATH=src python tests/reference/check_r_calls.py

Registers, as the report does, Cox models (a factor of four levels, a binary covariate and a
continuous one per 10 units), a log-rank test with numbers at risk by cell type, on the
veteran data of data/veteran.csv, whose columns carry the names the calls use; then evaluates
every ``R: ...`` call in R and prints each key that R does not reproduce to 1e-9. Exit code 1
if any.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cohortpress.analyse._cox import CoxCovariate, cox_fit
from cohortpress.analyse._km import km_estimate, risk_table
from cohortpress.analyse._logrank import logrank_test
from cohortpress.analyse._study import GroupedSurvival
from cohortpress.present.numbers import Numbers, _cox, _grouped

DATA = Path(__file__).parent / "data" / "veteran.csv"


def registry() -> Numbers:
    d = pd.read_csv(DATA)
    d["trt"] = d["trt"].astype(str)
    levels = ("squamous", "smallcell", "adeno", "large")
    cell = CoxCovariate("celltype", "celltype", "categorical", "Cell type", levels, "squamous")
    karno = CoxCovariate("karno", "karno", "continuous", "Karnofsky score", per=10)
    trt = CoxCovariate("trt", "trt", "categorical", "Treatment", ("1", "2"), "1")
    numbers = Numbers()
    for ties in ("efron", "breslow"):
        _cox(
            numbers,
            f"{ties}.model",
            cox_fit(d, "time", "status", [trt, cell, karno], ties=ties),
            "threshold",
        )
    groups = tuple(sorted(levels))
    estimates = tuple(
        km_estimate(d.time[d.celltype == g], d.status[d.celltype == g], label=g) for g in groups
    )
    by = GroupedSurvival(
        "celltype", "Cell type", groups, estimates,
        risk_table(estimates, (0.0, 100.0, 250.0, 500.0)),
        logrank_test(d.time, d.status, d.celltype), cox_fit(d, "time", "status", [cell]),
    )  # fmt: skip
    _grouped(numbers, "by", by, "days", "threshold")
    return numbers


def r_script(numbers: Numbers) -> tuple[str, int]:
    lines = [
        "suppressPackageStartupMessages(library(survival))",
        f"veteran <- read.csv({json.dumps(str(DATA))}); veteran$trt <- as.character(veteran$trt)",
        "attach(veteran)",
    ]
    count = 0
    for key, entry in numbers._entries.items():  # noqa: SLF001 (a checking tool)
        method = entry.method or ""
        if "R: " not in method or entry.value is None:
            continue
        call = method.split("R: ", 1)[1]
        if ", chisq = " in call:  # a factor's p: pchisq(chisq, ...), chisq = <its statistic>
            expression, statistic = call.split(", chisq = ")
            call = f"chisq <- {{{statistic}}}; {expression}"
        values = entry.value if isinstance(entry.value, list) else [entry.value]
        expected = ", ".join("NA" if v is None else repr(float(v)) for v in values)
        lines.append(
            f"v <- as.numeric(unlist({{ {call} }})); "
            f"if (!isTRUE(all.equal(unname(v), c({expected}), tolerance = 1e-9))) "
            f"cat({json.dumps(key)}, v, 'vs', c({expected}), '\\n')"
        )
        count += 1
    return "\n".join(lines) + "\n", count


def main() -> int:
    script, count = r_script(registry())
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(script)
    done = subprocess.run(["Rscript", f.name], capture_output=True, text=True, check=False)
    Path(f.name).unlink()
    failed = done.stdout.strip()
    if done.returncode or failed:
        print(failed or done.stderr, file=sys.stderr)
        return 1
    print(f"all {count} R calls give the registry's values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
