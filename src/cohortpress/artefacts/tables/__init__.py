"""Tables of the manuscript: one content, styled per format.

A :class:`Table` imports no data-frame library: a run that takes its tables from the build
cache unpickles them without pandas. The builders (with pandas) are imported when one of their
names is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cohortpress._lazy import lazy_names
from cohortpress.artefacts.tables._table import Spanner, Table

if TYPE_CHECKING:
    from cohortpress.artefacts.tables._builders import (
        build_tables,
        table_adverse_events,
        table_characteristics,
        table_comparison,
        table_cox,
        table_response,
    )
    from cohortpress.artefacts.tables._survival import table_survival

__all__ = [
    "Spanner",
    "Table",
    "build_tables",
    "table_adverse_events",
    "table_characteristics",
    "table_comparison",
    "table_cox",
    "table_response",
    "table_survival",
]

_BUILDERS = {
    "build_tables": "_builders",
    "table_adverse_events": "_builders",
    "table_characteristics": "_builders",
    "table_comparison": "_builders",
    "table_cox": "_builders",
    "table_response": "_builders",
    "table_survival": "_survival",
}

__getattr__ = lazy_names(__name__, _BUILDERS)  # the builders, with pandas
