"""Tables of the manuscript: one content, styled per format."""

from cohortpress.artefacts.tables._builders import (
    build_tables,
    table_adverse_events,
    table_characteristics,
    table_comparison,
    table_cox,
    table_response,
)
from cohortpress.artefacts.tables._survival import table_survival
from cohortpress.artefacts.tables._table import Spanner, Table

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
