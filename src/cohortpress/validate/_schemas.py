"""Find the sheet schemas and complete them with the study's own variables.

The schemas live in the repository's top-level ``schemas/`` folder, where a data manager
finds them; the wheel ships the same files as the ``cohortpress.schemas`` package. An
installed package is used when present, else the folder is loaded by path under the same
package name, so the schema modules import alike in both cases.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pandera.pandas as pa

if TYPE_CHECKING:
    from types import ModuleType

    from cohortpress.config import StudyConfig, Variable

PACKAGE = "cohortpress.schemas"
REPOSITORY_SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def schema_package(folder: Path = REPOSITORY_SCHEMAS) -> ModuleType:
    """The ``cohortpress.schemas`` package: installed package data, else ``folder``."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    if importlib.util.find_spec(PACKAGE) is not None:
        return importlib.import_module(PACKAGE)
    return _load_folder(folder)


def patients_schema(config: StudyConfig) -> pa.DataFrameSchema:
    """The patients schema plus one column per study variable (levels, range, required)."""
    module = importlib.import_module(f"{schema_package().__name__}.patients")
    extra = {name: variable_column(var) for name, var in config.workbook_variables.items()}
    extra |= endpoint_columns(config)
    schema = _response_categories(module.PatientsSchema, config).add_columns(extra)
    if not config.dates_needed:  # every endpoint read from time and status columns
        schema = schema.update_columns(
            {field: {"required": False} for field in _DATES_FOR_ENDPOINTS}
        )
    return schema


# Fields only endpoints derived from dates (and the minimum-treatment rule) need.
_DATES_FOR_ENDPOINTS = ("treatment_start", "last_contact")


def endpoint_columns(config: StudyConfig) -> dict[str, pa.Column]:
    """The time and status column of each endpoint read as recorded: every cell needed."""
    columns: dict[str, pa.Column] = {}
    for endpoint in config.endpoints:
        if endpoint.time is None or endpoint.status is None:
            continue
        name = endpoint.abbreviation or endpoint.kind.upper()
        unit = endpoint.time_unit or config.time_unit
        columns[endpoint.time] = pa.Column(
            "float64",
            [pa.Check.ge(0, error=f"the {name} time cannot be negative")],
            nullable=False,
            required=True,
            title=f"{name} time ({unit})",
            description=f"{name}: time to the event or to censoring, in {unit}, from study.yml",
        )
        columns[endpoint.status] = pa.Column(
            pd.StringDtype(),
            nullable=False,
            required=True,
            title=f"{name} status",
            description=f"{name}: whether the event happened (event or censored), from study.yml",
        )
    return columns


def _response_categories(schema: pa.DataFrameSchema, config: StudyConfig) -> pa.DataFrameSchema:
    """Best response takes the categories of the study's criteria (RECIST 1.1 in the file)."""
    if config.response is None or "best_response" not in schema.columns:
        return schema
    scheme = config.response.scheme
    *first, last = scheme.codes
    codes = f"{', '.join(first)} or {last}" if first else last
    error = f"the best response must be one of {codes} ({scheme.name})"
    check = pa.Check.isin(scheme.codes, error=error)
    return schema.update_column("best_response", checks=[check])


def adverse_events_schema() -> pa.DataFrameSchema:
    """The adverse events schema as written in ``schemas/`` (one object, shared: pandera's
    ``add_columns``, ``update_column`` and the like return changed copies)."""
    module = importlib.import_module(f"{schema_package().__name__}.adverse_events")
    return module.AdverseEventsSchema


def variable_column(variable: Variable) -> pa.Column:
    """A study variable as a schema column: categories by level, numbers by range."""
    label = variable.label
    if variable.levels:
        levels = ", ".join(variable.levels)
        checks = [pa.Check.isin(variable.levels, error=f"{label} must be one of: {levels}")]
        dtype: object = pd.StringDtype()
    elif variable.type == "date":
        checks, dtype = [], "datetime64[ns]"
    else:
        checks = _number_checks(variable)
        dtype = "float64"
    return pa.Column(
        dtype,
        checks,
        nullable=not variable.required,
        required=True,
        title=label,
        description=f"{label}{f' ({variable.unit})' if variable.unit else ''}, from study.yml",
    )


def _number_checks(variable: Variable) -> list[pa.Check]:
    checks = []
    if variable.range:
        low, high = variable.range
        unit = f" {variable.unit}" if variable.unit else ""
        error = f"{variable.label} must be between {number_text(low)} and {number_text(high)}{unit}"
        checks.append(pa.Check.in_range(low, high, error=error))
    if variable.type == "count":
        error = f"{variable.label} must be a whole number"
        checks.append(pa.Check(lambda s: s == s.round(), error=error))
    return checks


def number_text(value: float) -> str:
    """A limit as people write it: 100000, not 1e+05 or 100000.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _load_folder(folder: Path) -> ModuleType:
    init = folder / "__init__.py"
    if not init.is_file():
        raise ImportError(f"the sheet schemas are missing: no {init} and no package {PACKAGE}")
    spec = importlib.util.spec_from_file_location(
        PACKAGE, init, submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    return module
