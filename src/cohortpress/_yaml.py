"""YAML as Quarto reads it, with bounded cost: the one safe loader for every YAML file read,
and the one writer (:func:`dump_yaml`) of the YAML a run writes.

Dates stay text, so ``date: 2021-06-30`` reaches the page as written. A document is refused
before it is parsed when it is larger than :data:`MAX_YAML_BYTES`, and before it is built into
Python objects when its aliases would expand it beyond :data:`MAX_YAML_NODES` values (the
"billion laughs" document: a few hundred bytes that stand for a billion strings).

A run reads the same documents many times (``_generated/results.yml`` once per document and
format step), so what a text parses to is remembered, keyed by the text itself: the same text
always gives the same value, so a remembered value is never stale. Callers get a copy of their
own. A mapping written as JSON (as the run writes ``_generated/results.yml``: :func:`dump_json`)
is read by Python's JSON parser, which reads it as YAML does.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from typing import TYPE_CHECKING, Any

import yaml

from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from yaml.nodes import Node

MAX_YAML_BYTES = 1_000_000  # a study.yml or a front matter is a few kilobytes
MAX_YAML_NODES = 100_000  # keys and values, each alias counted as everything it stands for
_REMEMBERED = 16  # distinct texts kept: a study's YAML files and front matters
_parsed: dict[tuple[str, bool], Any] = {}
_parsed_lock = threading.Lock()


class _TextDatesLoader(yaml.SafeLoader):
    """A safe loader without the timestamp resolver (YAML 1.1 would turn dates into objects)."""


_TEXT_DATES = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TextDatesLoader.yaml_implicit_resolvers = _TEXT_DATES


def _checked_timestamp(loader: yaml.SafeLoader, node: Node) -> Any:
    """A YAML 1.1 date as :class:`datetime.date`; an impossible one (``2024-06-31``) is an
    error at its line, as any other value YAML cannot read, not an error of no place."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a date ({exc})", node.start_mark
        ) from None


class _DatesLoader(yaml.SafeLoader):
    """The safe loader, its impossible dates reported where they are."""


_DatesLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)
# libyaml's parser, where PyYAML was built with it, reads a document about ten times faster
# (``_generated/results.yml`` is read on every run); the same resolvers and constructors make
# the same values of it. Its error messages are worded differently, so a document it refuses
# is read again by the Python parser for the message.
_FAST: dict[bool, type] = {}
if yaml.__with_libyaml__:

    class _FastTextDatesLoader(yaml.CSafeLoader):
        """:class:`_TextDatesLoader` on libyaml's parser."""

    class _FastDatesLoader(yaml.CSafeLoader):
        """:class:`_DatesLoader` on libyaml's parser."""

    _FastTextDatesLoader.yaml_implicit_resolvers = _TEXT_DATES
    _FastDatesLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)
    _FAST = {True: _FastTextDatesLoader, False: _FastDatesLoader}
_FAST_DUMPER: type | None = yaml.CSafeDumper if yaml.__with_libyaml__ else None  # dump_yaml


def load_yaml(text: str, source: str, *, text_dates: bool = True) -> Any:
    """Parse YAML text; ``source`` names the file in the error message.

    ``text_dates=False`` keeps YAML 1.1 dates as :class:`datetime.date` (study.yml's
    ``data_cutoff``).

    Raises
    ------
    StudyConfigError
        When the document exceeds the size or alias-expansion limits (exit code 2).
    ValueError
        With the file, line and YAML's own complaint, for the caller to wrap in its error type.
    """
    if len(text) > MAX_YAML_BYTES:
        raise StudyConfigError(
            f"{source}: {len(text):,} characters of YAML, more than the {MAX_YAML_BYTES:,} "
            "this tool reads"
        )
    key = (text, text_dates)
    with _parsed_lock:
        known = key in _parsed
        value = _parsed.get(key)
    if not known:
        value = _parse(text, source, text_dates=text_dates)
        with _parsed_lock:
            while len(_parsed) >= _REMEMBERED:
                del _parsed[next(iter(_parsed))]  # the oldest first
            _parsed[key] = value
    return _copied(value)  # the caller may change it


def _copied(value: Any) -> Any:
    """A parsed document copied as deep as it can be changed: its mappings, lists and sets
    (the scalars YAML makes are immutable). Half the time of ``copy.deepcopy``, which
    copied ``_generated/results.yml`` a dozen times a run; a value aliased twice in the
    document is copied twice, as no caller compares identities."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, set):
        return set(value)  # of hashable, immutable scalars
    return value


def _parse(text: str, source: str, *, text_dates: bool) -> Any:
    """What :func:`load_yaml` returns, parsed anew; the same errors."""
    as_json = _json_value(text)
    if as_json is not None:
        return as_json
    fast = _FAST.get(text_dates)
    if fast is not None:
        with contextlib.suppress(ValueError):  # refused: the Python parser words it
            return _construct(fast(text), source)
    try:
        loader = (_TextDatesLoader if text_dates else _DatesLoader)(text)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses, found as it is read
        raise ValueError(
            f"{source}, character {exc.position + 1}: not valid YAML (the character "
            f"#x{exc.character:04x} is not allowed; delete it)"
        ) from None
    return _construct(loader, source)


class _NotAlike(ValueError):
    """A JSON number or constant that YAML 1.1 reads otherwise ("1e3" is text to it)."""


def _not_alike(_: str) -> Any:
    raise _NotAlike


def _json_value(text: str) -> dict[str, Any] | None:
    """The value of a mapping written as JSON, which YAML reads alike (JSON is YAML's flow
    style), in a hundredth of the time: ``_generated/results.yml`` is written so, and took
    25 ms of libyaml and PyYAML's constructors on every run. None for any other text, and for
    JSON whose numbers YAML 1.1 could read otherwise (an exponent, NaN): YAML parses those."""
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text, parse_float=_check_float, parse_constant=_not_alike)
    except ValueError:  # not JSON, or not read alike (_NotAlike): YAML decides
        return None
    return value if isinstance(value, dict) else None


def _check_float(literal: str) -> float:
    if "e" in literal.casefold():
        raise _NotAlike
    return float(literal)


def _construct(loader: Any, source: str) -> Any:
    """The document's value, after checking its expanded size; errors as :func:`load_yaml`."""
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expanded_size(node, source)
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValueError(f"{source}{where}: not valid YAML ({problem})") from None
    except RecursionError:
        raise StudyConfigError(f"{source}: YAML nested too deeply to read") from None
    finally:
        loader.dispose()


def _check_expanded_size(root: Node, source: str) -> None:
    """Refuse a document whose aliases stand for more than :data:`MAX_YAML_NODES` values.

    Each node's expanded size is counted once (an alias is the same node object as its
    anchor), so the check costs one pass over the document as written.
    """
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once instead of looping
        total = 1 + sum(size(child) for child in _children(node))
        sizes[id(node)] = total
        return total

    total = size(root)
    if total > MAX_YAML_NODES:
        raise StudyConfigError(
            f"{source}: the YAML's anchors and aliases expand to {total:,} values, more than "
            f"the {MAX_YAML_NODES:,} this tool reads"
        )


def _children(node: Node) -> list[Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def dump_yaml(data: Any, *, width: int | None = None) -> str:
    """``yaml.safe_dump(data, allow_unicode=True, sort_keys=False)`` (lines folded at
    ``width`` characters where given), written by libyaml's emitter where PyYAML was built with
    it: a run writes its generated metadata and front matters a dozen times, and the Python
    emitter took a tenth of a paper-size run's own time. Both emitters write YAML that reads
    back as ``data``; their bytes differ only for unusual text (an empty key, a carriage
    return, a character outside the Basic Multilingual Plane, which libyaml escapes). Text
    libyaml cannot write (a lone surrogate, from no file read as UTF-8) is written by the
    Python emitter, as before."""
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False}
    if width is not None:
        options["width"] = width
    if _FAST_DUMPER is not None:
        with contextlib.suppress(UnicodeError, yaml.YAMLError):
            return yaml.dump(data, Dumper=_FAST_DUMPER, **options)
    return yaml.dump(data, Dumper=yaml.SafeDumper, **options)


def dump_json(data: dict[str, Any]) -> str:
    """``data`` (a mapping of text, lists and mappings) as JSON, which is YAML: Quarto and
    pandoc read it as metadata like any YAML file, and :func:`load_yaml` reads it back in a
    fraction of YAML's time. One key a line, indented, the text as written but for the few
    characters YAML reads otherwise (:data:`_NOT_YAML_TEXT`)."""
    text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)
    return _NOT_YAML_TEXT.sub(lambda c: f"\\u{ord(c.group()):04x}", text) + "\n"


# Characters JSON writes as they are that YAML refuses (non-printable: DEL, the C1 controls,
# U+FFFE and U+FFFF) or reads as a line break inside quotes (NEL, U+2028, U+2029, folded into
# a space): escaped, as YAML and JSON both read \uXXXX. JSON's structure is ASCII, so every
# one of them is inside a string.
_NOT_YAML_TEXT = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merged key by key, ``override`` winning, as Quarto merges metadata layers."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
