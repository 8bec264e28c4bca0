"""Compiling the Typst source to PDF with the ``typst`` wheel (no Typst installation needed)."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import TYPE_CHECKING

import typst

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from pathlib import Path


def compile_typst(source: Path, output: Path, root: Path) -> list[str]:
    """Compile ``source`` to ``output``; ``root`` bounds the files it may read (images).

    Returns Typst's warnings as text. The PDF's creation date is today's, so two renders of
    the same day are byte-identical.

    Raises
    ------
    RenderError
        With Typst's message and where in the generated source it arose.
    """
    today = dt.datetime.combine(dt.date.today(), dt.time(), tzinfo=dt.UTC)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", typst.TypstWarning)
        try:
            typst.compile(source, output=output, root=root, timestamp=today)
        except typst.TypstError as exc:
            raise RenderError(
                f"typst could not set the PDF: {exc.message}\n{exc.diagnostic}"
            ) from None
    return [
        str(w.message).splitlines()[0] for w in caught if issubclass(w.category, typst.TypstWarning)
    ]
