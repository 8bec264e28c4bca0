"""The analysis as a cache entry keeps it: what the documents read, unpickled without pandas.

A cached run writes the documents from the results and the floats, and takes the tables and
figures as files from the entry. The Kaplan–Meier step tables of the results (data frames) are
read by the figures stage alone, so the entry leaves them out: each becomes :data:`NOT_KEPT`,
which fails loudly where it is used. The manuscript tables keep their
cells as plain strings (see ``Table.__getstate__``). Unpickling the analysis therefore imports
neither pandas nor NumPy, which were a third of a cached run's time.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from typing import TYPE_CHECKING, Any, NoReturn, cast

from cohortpress.analyse._results import KMEstimate

if TYPE_CHECKING:
    import pandas as pd

    from cohortpress.analyse import StudyResults
    from cohortpress.artefacts import Floats


class NotKept:
    """A Kaplan–Meier step table the cache entry left out: using it is an error, not a guess."""

    def _fail(self) -> NoReturn:
        raise RuntimeError(
            "a Kaplan–Meier step table is not kept by the build cache (only the figures read "
            "it, and a cached run takes them from the entry): run with --no-cache"
        )

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):  # copy, pickle and hasattr ask for protocols
            raise AttributeError(name)
        self._fail()

    def __getitem__(self, key: object) -> NoReturn:
        self._fail()

    def __len__(self) -> int:
        self._fail()

    def __reduce__(self) -> str:
        return "NOT_KEPT"


NOT_KEPT = NotKept()


def dump_analysis(results: StudyResults, floats: Floats) -> bytes:
    """Pickle the analysis for an entry, each Kaplan–Meier estimate without its step table."""
    stream = io.BytesIO()
    _Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump((results, floats))
    return stream.getvalue()


def load_analysis(pickled: bytes) -> tuple[StudyResults, Floats]:
    results, floats = pickle.loads(pickled)  # noqa: S301 - our own cache folder
    return results, floats


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: object) -> Any:  # noqa: ANN401 - pickle's protocol
        if type(obj) is KMEstimate:
            kept = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
            del kept["table"]
            return _without_table, (kept,)
        return NotImplemented


def _without_table(kept: dict[str, Any]) -> KMEstimate:
    return KMEstimate(table=cast("pd.DataFrame", NOT_KEPT), **kept)
