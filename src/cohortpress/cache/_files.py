"""Writing and dating the files of the build cache and the kept renders."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: bytes) -> None:
    """Readers see the old entry or the whole new one, never a part."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content)
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def modified(path: Path) -> float:
    """When ``path`` was last written, or 0 for a file removed meanwhile (pruning sorts by it)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
