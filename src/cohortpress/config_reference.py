"""The study.yml reference and JSON Schema, generated from the configuration model.

``docs/study-yml.md`` (every key: type, default, allowed values, example, what it changes) and
``schemas/study.schema.json`` (for editors that complete and check keys as one types) are both
written from :class:`~cohortpress.config.StudyConfig`, so they cannot drift from what
``load_study`` accepts. After changing ``config.py``, regenerate them with
``python -m cohortpress.config_reference`` (``make docs``); a test fails until they are current.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
import yaml
from pydantic import BaseModel

from cohortpress.config import StudyConfig

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

REFERENCE = Path("docs/study-yml.md")
SCHEMA = Path("schemas/study.schema.json")
REGENERATE = "python -m cohortpress.config_reference"
SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"

_INTRO = f"""\
<!-- Generated from src/cohortpress/config.py by `{REGENERATE}` (make docs); do not edit. -->
# study.yml reference

`reports/<study>/study.yml` says what cohortpress analyses for one study. Every key it accepts
is listed below: its type, its default, the values it allows, an example, and what it changes in
the manuscript. A key that is not listed here is an error that names it, and so is a value the
key does not allow.

Editors with a YAML language server (VS Code with the YAML extension, Neovim, JetBrains IDEs)
complete and check the keys as you type when the file starts with

```yaml
# yaml-language-server: $schema=../../schemas/study.schema.json
```

as the example studies and `cohortpress new` do; the schema is generated with this page.

Paths below are written as in the file: `treatment.drug` is `drug:` under `treatment:`;
`endpoints[]` is an item of the `endpoints:` list; `variables.<name>` is the entry you name under
`variables:`.
"""


def json_schema() -> dict[str, Any]:
    """The JSON Schema of study.yml: the model's, without the fields study.yml cannot set.

    Written in draft 7, the newest draft YAML language servers check in full (pydantic writes
    2020-12, whose ``prefixItems`` they do not read).
    """
    schema = StudyConfig.model_json_schema(ref_template="#/definitions/{model}")
    for name, field in StudyConfig.model_fields.items():
        if field.exclude:
            schema["properties"].pop(name, None)
    header = {
        "$schema": SCHEMA_DIALECT,
        "title": "cohortpress study.yml",
        "description": "What cohortpress analyses for one study; see docs/study-yml.md.",
    }
    body = {k: v for k, v in schema.items() if k not in ("title", "description")}
    body["definitions"] = body.pop("$defs")
    return header | _draft7(body)


def _draft7(node: Any) -> Any:
    """Fixed-length lists (``range: [0, 100]``) in draft 7's words: ``items`` as a list."""
    if isinstance(node, list):
        return [_draft7(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {("items" if k == "prefixItems" else k): _draft7(v) for k, v in node.items()}


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def reference_markdown() -> str:
    """The Markdown reference: one section per part of the file, one entry per key."""
    sections: list[str] = []
    _document(StudyConfig, "", "Top-level keys", sections)
    return _INTRO + "\n" + "\n".join(sections)


def _document(model: type[BaseModel], path: str, title: str, sections: list[str]) -> None:
    """Append the section of ``model`` at ``path``, then those of the parts it holds."""
    lines = [f"## {title}", "", _docstring(model), ""]
    nested: list[tuple[type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        key = f"{path}.{name}" if path else name
        sub = _model_in(field.annotation)
        sub_path = None
        if sub is not None:
            sub_path = key + _container_suffix(field.annotation)
            nested.append((sub, sub_path))
        lines += _entry(key, name, field, sub_path)
    sections.append("\n".join(lines))
    for sub, sub_path in nested:
        _document(sub, sub_path, f"Under `{sub_path}`", sections)


def _entry(key: str, name: str, field: FieldInfo, sub_path: str | None) -> list[str]:
    """The heading, the facts line and the description of one key."""
    if not field.description:
        raise ValueError(f"{key}: the field has no description in config.py")
    facts = [_type_words(field.annotation, sub_path), _default_words(field)]
    facts += _constraint_words(field.metadata)
    example = _example(name, field)
    if example is None and sub_path is None:
        raise ValueError(f"{key}: give the field an example in config.py")
    if example is not None:
        facts.append(f"example: `{example}`")
    return [f"### `{key}`", "", " · ".join(facts), "", field.description, ""]


def _docstring(model: type[BaseModel]) -> str:
    text = (model.__doc__ or "").strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _strip(annotation: Any) -> Any:
    """The type beneath ``Annotated[...]`` (a date format is text)."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _without_none(annotation: Any) -> Any:
    annotation = _strip(annotation)
    if _is_union(annotation):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The sub-model a field holds, directly, in a list or as mapping values."""
    annotation = _without_none(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (tuple, dict):
        return _model_in(get_args(annotation)[-1 if get_origin(annotation) is dict else 0])
    return None


def _container_suffix(annotation: Any) -> str:
    origin = get_origin(_without_none(annotation))
    return {tuple: "[]", dict: ".<name>"}.get(origin, "")


_SCALARS = {
    str: "text",
    float: "number",
    int: "whole number",
    bool: "true or false",
    dt.date: "date (YYYY-MM-DD)",
    Path: "path",
}


def _type_words(annotation: Any, sub_path: str | None = None) -> str:
    """The type as a reader says it: 'list of text', 'one of `a`, `b`', 'see `response`'."""
    annotation = _strip(annotation)
    if _is_union(annotation):
        args = [a for a in get_args(annotation) if a is not type(None)]
        words = _type_words(args[0], sub_path)
        return f"{words}, or `null`" if len(args) < len(get_args(annotation)) else words
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"the keys [under `{sub_path}`](#{_anchor(f'under {sub_path}')})"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return "list of " + _type_words(args[0], sub_path)
    if origin is tuple:
        return "pair of " + _type_words(args[0], sub_path) + "s" * (args[0] is not str)
    if origin is dict:
        keys, values = _strip(args[0]), _type_words(args[1], sub_path)
        if get_origin(keys) is Literal:
            return "mapping of " + " / ".join(f"`{k}`" for k in get_args(keys)) + f" to {values}"
        names = "your names" if _model_in(args[1]) else "text"
        return f"mapping of {names} to {values}"
    return _SCALARS.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _anchor(path: str) -> str:
    """GitHub's heading anchor for a section titled with ``path`` in backticks."""
    return "".join(c for c in path.lower() if c.isalnum() or c in "-_ ").replace(" ", "-")


def _default_words(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "default: not set"
    if isinstance(value, BaseModel):
        return "default: the defaults of its keys"
    if value in ((), {}):
        return "default: none"
    return f"default: `{_flow_yaml(_plain(value))}`"


_BOUNDS = (
    (at.Gt, "gt", "above"),
    (at.Ge, "ge", "at least"),
    (at.Lt, "lt", "below"),
    (at.Le, "le", "at most"),
)


def _constraint_words(metadata: list[Any]) -> list[str]:
    words = []
    for item in metadata:
        for kind, attribute, text in _BOUNDS:
            if isinstance(item, kind):
                words.append(f"{text} {getattr(item, attribute)}")
    return words


def _example(name: str, field: FieldInfo) -> str | None:
    """``key: value`` in YAML: the field's first example, or another allowed value."""
    if field.examples:
        value = field.examples[0]
    else:
        value = _other_value(field)
        if value is None:
            return None
    if _strip(field.annotation) is dt.date:
        return f"{name}: {value}"
    return f"{name}: {_flow_yaml(value)}"


def _other_value(field: FieldInfo) -> Any:
    """For a choice or a switch without an example: the value that is not the default."""
    annotation = _without_none(field.annotation)
    if annotation is bool:
        return not field.default
    if get_origin(annotation) is Literal:
        return next((v for v in get_args(annotation) if v != field.default), None)
    return None


def _plain(value: Any) -> Any:
    """Tuples, paths and dates as the lists and text YAML shows."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path | dt.date):
        return str(value)
    return value


def _flow_yaml(value: Any) -> str:
    """One line of YAML, as written in study.yml (``{value: 1, unit: months}``)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=math.inf
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


def write(root: Path) -> list[Path]:
    """Write the reference and the schema under the project folder ``root``; those that changed."""
    changed = []
    for relative, text in ((REFERENCE, reference_markdown()), (SCHEMA, schema_text())):
        path = root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in write(Path.cwd()):
        print(f"wrote {path}")
