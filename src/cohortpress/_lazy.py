"""Names of a package imported from their module when first asked for (PEP 562).

A cached run must not import pandas, NumPy or matplotlib, yet the packages it reads from
(derive, cuts, the tables) also hold the functions that compute with them. Those names are
loaded through the package's ``__getattr__`` on first use; the package's ``TYPE_CHECKING``
imports keep them visible to type checkers and readers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def lazy_names(package: str, modules: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``name`` from ``package.<modules[name]>``."""

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
