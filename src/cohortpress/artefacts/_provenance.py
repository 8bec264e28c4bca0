"""The run's provenance in the numbers registry (results.json ``provenance``) and in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress.present import format as fmt

if TYPE_CHECKING:
    from cohortpress.present.numbers import Numbers
    from cohortpress.provenance import Provenance


def add_provenance(numbers: Numbers, record: Provenance, software: dict[str, str]) -> None:
    """``provenance.*``: cutoff, input files with SHA-256, rows per sheet, study.yml hash,
    cohortpress and library versions, the statistical conventions in force."""
    cutoff = record.data_cutoff
    numbers.add("provenance.data_cutoff", cutoff.isoformat(), fmt.date(cutoff))
    keys = numbers.label_keys("provenance.inputs", (f.name for f in record.inputs))
    for f in record.inputs:
        key = f"provenance.inputs.{keys[f.name]}"
        numbers.add(f"{key}.name", f.name, f.name)
        numbers.add(f"{key}.sha256", f.sha256, f.sha256, method="SHA-256 of the file's bytes")
        numbers.add(f"{key}.bytes", f.size, fmt.integer(f.size), "bytes")
    keys = numbers.label_keys("provenance.rows", record.rows)
    for sheet, rows in record.rows.items():
        numbers.add(f"provenance.rows.{keys[sheet]}", rows, fmt.integer(rows), "rows read")
    numbers.add("provenance.study_yml.sha256", record.study_yml_sha256, record.study_yml_sha256,
                method="SHA-256 of study.yml")  # fmt: skip
    numbers.add("provenance.cohortpress", record.version, record.version)
    for name, version in software.items():
        numbers.add(f"provenance.software.{name.lower()}", version, version)
    for name, value in record.conventions.items():
        numbers.add(f"provenance.conventions.{name}", value, _convention_text(name, value))


def _convention_text(name: str, value: str | float | int | None) -> str:
    if value is None:
        return "none"
    if name == "conf_level" and isinstance(value, float):
        return fmt.level(value)
    return fmt.plain(value) if isinstance(value, float) else str(value)


def data_statement(numbers: Numbers, record: Provenance) -> str:
    """One sentence for the manuscript: which extract, cut off when (the software has its own
    sentence in the Methods)."""
    files = ", ".join(f"{f.name} (SHA-256 {f.sha256[:12]}…)" for f in record.inputs[:3])
    more = f" and {len(record.inputs) - 3:,} more files" if len(record.inputs) > 3 else ""
    return (
        f"The analysis used the data extract {files}{more}, with data cut off on "
        f"{numbers.text('provenance.data_cutoff')}."
    )
