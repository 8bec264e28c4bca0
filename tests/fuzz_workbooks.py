"""Damaged workbooks of every kind, read as intake reads them: any outcome but a workbook or a
clear refusal is a finding.

Each round takes a workbook the tests hold (.xlsx written by LibreOffice, .xls, .ods, .xlsb)
and damages it as a disk, a mail gateway or a forger might: numbers in its XML replaced by
ones at and past the format's bounds, bytes of its binary records overwritten. A child process
held to 3 GiB of address space reads each (a file that asks the spreadsheet reader for more is
a finding, not a frozen machine) and says how it ended: read, refused (``UnreadableInputError``),
or anything else, which is printed with the file kept for a test. Not part of ``make test``
(minutes, and random); run it after changing intake:

    .venv/bin/python tests/fuzz_workbooks.py --rounds 200 --seed 1
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "spreadsheets"
BOUNDS = [0, 1, 255, 256, 1_023, 16_384, 65_535, 65_536, 1_048_576, 4_000_000_000, 99_999_999_999]
READ = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from pathlib import Path
from cohortpress.config import load_study
from cohortpress.errors import UnreadableInputError
from cohortpress.intake import read_workbook
try:
    read_workbook(Path(sys.argv[1]), load_study(Path("reports/thyroid")))
except UnreadableInputError:
    print("refused")
else:
    print("read")
"""


def _xml_numbers(data: bytes, rng: random.Random) -> bytes:
    """Up to three of the part's numbers replaced by numbers at and past the formats' bounds."""
    for _ in range(rng.randint(1, 3)):
        found = list(re.finditer(rb"\d+", data))
        if not found:
            break
        number = rng.choice(found)
        data = data[: number.start()] + str(rng.choice(BOUNDS)).encode() + data[number.end() :]
    return data


def _bytes(data: bytes, rng: random.Random, start: int = 0) -> bytes:
    """Up to four runs of bytes from ``start`` on overwritten."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(start, len(out))
        run = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
        out[at : at + len(run)] = run
    return bytes(out)


def _damaged_zip(source: Path, target: Path, rng: random.Random, binary: bool) -> None:
    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    suffix = ".bin" if binary else ".xml"
    name = rng.choice([part for part in parts if part.endswith(suffix)])
    parts[name] = _bytes(parts[name], rng) if binary else _xml_numbers(parts[name], rng)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)


def _sources(folder: Path) -> dict[str, Path]:
    """The workbooks damaged: the fixtures, and an .xlsb the tests' writer makes."""
    sys.path.insert(0, str(ROOT / "tests"))
    from defects import valid_book
    from xlsb import write_book_xlsb

    xlsx = folder / "messy.xlsx"
    command = ["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(folder)]
    if shutil.which("soffice"):  # LibreOffice's .xlsx: shared strings, styles as Excel's
        subprocess.run([*command, str(FIXTURES / "messy.ods")], check=True, capture_output=True)
    sources = {".xls": FIXTURES / "messy.xls", ".ods": FIXTURES / "messy.ods"}
    sources[".xlsb"] = write_book_xlsb(valid_book(), folder / "messy.xlsb")
    if xlsx.exists():
        sources[".xlsx"] = xlsx
    return sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="workbooks per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"), help="findings kept")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    findings = 0
    with tempfile.TemporaryDirectory() as folder:
        for suffix, source in _sources(Path(folder)).items():
            outcomes: dict[str, int] = {}
            for round_ in range(args.rounds):
                target = Path(folder) / f"damaged-{round_}{suffix}"
                if suffix == ".xls":  # past the compound file's header
                    target.write_bytes(_bytes(source.read_bytes(), rng, start=512))
                else:
                    _damaged_zip(source, target, rng, binary=suffix == ".xlsb")
                done = subprocess.run(
                    [sys.executable, "-c", READ, str(target)], cwd=ROOT, capture_output=True,
                    text=True, check=False, env={"RUST_BACKTRACE": "0", "PATH": "/usr/bin:/bin"},
                )  # fmt: skip
                outcome = done.stdout.strip() or f"exit {done.returncode}"
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if outcome not in ("read", "refused"):
                    findings += 1
                    args.keep.mkdir(exist_ok=True)
                    kept = args.keep / f"seed{args.seed}-{target.name}"
                    shutil.copy(target, kept)
                    last = (done.stderr.strip().splitlines() or ["(nothing)"])[-1]
                    print(f"{kept}: {outcome}: {last[:200]}")
            print(f"{suffix}: {outcomes}")
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
