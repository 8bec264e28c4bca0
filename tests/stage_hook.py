"""A stage hook for tests: records which stages of the pipeline a run went through."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


class Stages:
    """A stage hook that remembers the stages of the last run."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.seen.append(name)
        yield
