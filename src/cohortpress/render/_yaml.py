"""YAML as Quarto reads it: dates stay text, so ``date: 2021-06-30`` reaches the page as written."""

from __future__ import annotations

from typing import Any

import yaml


class _TextDatesLoader(yaml.SafeLoader):
    """A safe loader without the timestamp resolver (YAML 1.1 would turn dates into objects)."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, source: str) -> Any:
    """Parse YAML text; ``source`` names the file in the error message.

    Raises
    ------
    ValueError
        With the file, line and YAML's own complaint, for the caller to wrap in its error type.
    """
    try:
        return yaml.load(text, Loader=_TextDatesLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(f"{source}{where}: not valid YAML ({problem})") from None


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merged key by key, ``override`` winning, as Quarto merges metadata layers."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
