"""The YAML a run writes (``dump_yaml``) reads back as what was written, whichever emitter wrote
it, and is the Python emitter's text for ordinary metadata."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress._yaml import dump_json, dump_yaml, load_yaml

_TEXT = st.text(max_size=80)  # any code point, lone surrogates included
_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _TEXT)
_TREE = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def _read(text: str) -> Any:
    """As the Python loader reads it (libyaml's reads what it writes)."""
    return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the safe loader


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=10), _TREE, max_size=5), st.sampled_from([None, 1000]))
def test_written_yaml_reads_back_as_the_data(data: dict[str, Any], width: int | None) -> None:
    assert _read(dump_yaml(data, width=width)) == data


def test_ordinary_metadata_is_written_as_the_python_emitter_writes_it() -> None:
    data = {
        "title": "Sorafenib in radioiodine-refractory thyroid cancer: a cohort — 26 patients",
        "author": [{"name": "Ana Ñúñez", "affiliations": ["Hôpital X, Paris"]}],
        "results": {"os": {"median": "25.1 months (95% CI 14.0–NA)", "n": 26}, "p": 0.03},
        "date": "2021-06-30",
        "lang": "en-GB",
        "long": "word " * 60,
    }
    for width in (None, 1000):
        python = yaml.dump(
            data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False,
            **({} if width is None else {"width": width}),
        )  # fmt: skip
        assert dump_yaml(data, width=width) == python
    assert load_yaml(dump_yaml(data), "test") == data


def test_text_libyaml_cannot_write_is_written_by_the_python_emitter() -> None:
    data = {"title": "\ud800"}  # a lone surrogate: libyaml refuses to encode it
    assert dump_yaml(data) == yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# The generated metadata (``_generated/results.yml``) is written as JSON and read by the JSON
# parser: what it reads must be what YAML reads from the same text (Quarto and pandoc read the
# file as YAML). Text leaves (the file holds only text), any code point but lone surrogates
# (which no UTF-8 file holds).
_UTF8_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_TEXT_TREE = st.recursive(
    _UTF8_TEXT,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_UTF8_TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_UTF8_TEXT, _TEXT_TREE, max_size=5))
def test_json_metadata_reads_as_yaml_reads_it(data: dict[str, Any]) -> None:
    from cohortpress._yaml import _json_value

    text = dump_json(data)
    assert _json_value(text) == data  # taken by the JSON parser
    assert load_yaml(text, "results.yml") == _read(text) == data


@pytest.mark.parametrize(
    "text", ['{"a": 1e3}', '{"a": 1.5E-2}', '{"a": NaN}', '{"a": Infinity}', "[1, 2]", "{a: 1}"]
)
def test_json_that_yaml_reads_otherwise_is_read_as_yaml(text: str) -> None:
    """YAML 1.1 reads an exponent without a dot, NaN and Infinity as text; a list or a flow
    mapping that is not JSON is YAML's to read."""
    assert load_yaml(text, "x.yml") == _read(text)
