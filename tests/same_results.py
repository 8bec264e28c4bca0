"""Recursive comparison of analysis results (their dataclasses compare by identity).

``differences(a, b)`` walks dataclasses, tuples, lists, dicts and DataFrames and lists every
place where the two differ: floats relative ``rel`` apart (NaN equals NaN), anything else
unequal. An empty list means the results are the same.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Integral, Real

import numpy as np
import pandas as pd


def differences(a: object, b: object, *, rel: float = 1e-9, path: str = "results") -> list[str]:
    """Where ``a`` and ``b`` differ, one line per difference, each naming the field's path."""
    if a is pd.NA or b is pd.NA:
        return [] if a is b else [f"{path}: {a!r} vs {b!r}"]
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            return [f"{path}: {type(a).__name__} vs {type(b).__name__}"]
        out: list[str] = []
        for field in dataclasses.fields(a):
            out += differences(
                getattr(a, field.name), getattr(b, field.name), rel=rel, path=f"{path}.{field.name}"
            )
        return out
    if isinstance(a, pd.DataFrame):
        if not isinstance(b, pd.DataFrame):
            return [f"{path}: DataFrame vs {type(b).__name__}"]
        if list(a.columns) != list(b.columns) or a.shape != b.shape:
            return [
                f"{path}: columns/shape {list(a.columns)} {a.shape} vs {list(b.columns)} {b.shape}"
            ]
        out = differences(a.index.tolist(), b.index.tolist(), rel=rel, path=f"{path}.index")
        for column in a.columns:
            out += differences(
                a[column].tolist(), b[column].tolist(), rel=rel, path=f"{path}[{column}]"
            )
        return out
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            return [f"{path}: keys {list(a)} vs {list(b) if isinstance(b, dict) else b!r}"]
        out = []
        for key in a:
            out += differences(a[key], b[key], rel=rel, path=f"{path}[{key!r}]")
        return out
    if isinstance(a, tuple | list):
        if not isinstance(b, tuple | list) or type(a) is not type(b) or len(a) != len(b):
            return [f"{path}: {_short(a)} vs {_short(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += differences(x, y, rel=rel, path=f"{path}[{i}]")
            if len(out) > 20:
                return [*out, f"{path}: ..."]
        return out
    if isinstance(a, bool | np.bool_) or isinstance(b, bool | np.bool_):
        return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]
    if isinstance(a, Integral) and isinstance(b, Integral):
        return [] if int(a) == int(b) else [f"{path}: {a!r} vs {b!r}"]
    if isinstance(a, Real) and isinstance(b, Real):
        x, y = float(a), float(b)
        if math.isnan(x) and math.isnan(y):
            return []
        if x == y or math.isclose(x, y, rel_tol=rel, abs_tol=0.0):
            return []
        return [f"{path}: {x!r} vs {y!r}"]
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
