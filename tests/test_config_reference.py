"""The study.yml reference and JSON Schema: current, complete, and true to the example studies."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from examples import EXAMPLE_FOLDERS
from pydantic import BaseModel

from cohortpress.config import StudyConfig
from cohortpress.config_reference import (
    REFERENCE,
    REGENERATE,
    SCHEMA,
    _container_suffix,
    _model_in,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "src/cohortpress/_templates/study.yml"
STUDY_FILES = [*(folder / "study.yml" for folder in EXAMPLE_FOLDERS), TEMPLATE]
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/study.schema.json"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference and schema as the documented command writes them now."""
    folder = tmp_path_factory.mktemp("generated")
    command = [sys.executable, "-m", "cohortpress.config_reference"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("relative", [REFERENCE, SCHEMA], ids=str)
def test_committed_file_is_current(generated: Path, relative: Path) -> None:
    committed = (ROOT / relative).read_text(encoding="utf-8")
    now = (generated / relative).read_text(encoding="utf-8")
    assert committed == now, f"{relative} is out of date: run `{REGENERATE}` (make docs)"


def _models(model: type[BaseModel], path: str = "") -> list[tuple[str, type[BaseModel]]]:
    found = [(path, model)]
    for name, field in model.model_fields.items():
        sub = _model_in(field.annotation)
        if sub is not None:
            found += _models(sub, f"{path}.{name}" if path else name)
    return found


def _documented_keys(model: type[BaseModel], path: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        key = f"{path}.{name}" if path else name
        keys.append(key)
        sub = _model_in(field.annotation)
        if sub is not None:
            keys += _documented_keys(sub, key + _container_suffix(field.annotation))
    return keys


def test_every_field_has_a_description() -> None:
    missing = [
        f"{path or 'top level'}: {name}"
        for path, model in _models(StudyConfig)
        for name, field in model.model_fields.items()
        if not field.exclude and not (field.description or "").strip()
    ]
    assert missing == []


def test_every_key_has_an_entry_in_the_reference() -> None:
    text = (ROOT / REFERENCE).read_text(encoding="utf-8")
    keys = _documented_keys(StudyConfig)
    assert "variables.<name>.synonyms" in keys and "table1[].summary" in keys
    assert [k for k in keys if f"### `{k}`\n" not in text] == []


def test_readme_links_the_reference() -> None:
    assert "(docs/study-yml.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def _as_editors_read(value: object) -> object:
    """YAML 1.2, as editors read it: an unquoted 2021-05-31 is text, not a date."""
    if isinstance(value, dict):
        return {k: _as_editors_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editors_read(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((ROOT / SCHEMA).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("path", STUDY_FILES, ids=lambda p: p.parent.name)
def test_study_files_validate_against_the_schema(
    path: Path, validator: jsonschema.Draft7Validator
) -> None:
    study = _as_editors_read(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert [e.message for e in validator.iter_errors(study)] == []


def test_schema_refuses_what_load_study_refuses(validator) -> None:
    text = (ROOT / "reports/renal/study.yml").read_text(encoding="utf-8")
    study = _as_editors_read(yaml.safe_load(text))
    study["time_units"] = study.pop("time_unit")
    study["statistics"]["ci_transform"] = "loglog"
    study["folder"] = "elsewhere"  # set by cohortpress, never by study.yml
    study["variables"]["crp"]["range"] = [0, "50"]
    errors = {tuple(e.absolute_path): e.message for e in validator.iter_errors(study)}
    assert errors == {
        (): "Additional properties are not allowed ('folder', 'time_units' were unexpected)",
        ("statistics", "ci_transform"): "'loglog' is not valid under any of the given schemas",
        ("variables", "crp", "range"): "[0, '50'] is not valid under any of the given schemas",
    }


@pytest.mark.parametrize("path", STUDY_FILES, ids=lambda p: p.parent.name)
def test_study_files_name_the_schema_for_editors(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE
    study_folder = ROOT / "reports" / "any_study"  # where the line is read from
    target = SCHEMA_LINE.partition("$schema=")[2]
    assert (study_folder / target).resolve() == (ROOT / SCHEMA).resolve()
