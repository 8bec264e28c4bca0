"""One preview build, and the latest finished one shared by the builder and the server.

A build publishes HTML only into the preview's own output root, never ``_output/<study>``,
and archives no data cut (nor compares with one): a preview is not a release.
Whatever stops it (invalid data, study.yml, rendering, a bug) becomes a page naming it; the
last good output stays published there, so its figures still load.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cohortpress.errors import CohortpressError, InputDataError
from cohortpress.preview._pages import error_page

if TYPE_CHECKING:
    from pathlib import Path

    from cohortpress.errors import Problem


@dataclass(frozen=True)
class Build:
    """A finished build: ``page`` is the error page when it failed, else None."""

    version: int
    folder: Path | None  # the preview's published study folder, None before any success
    page: bytes | None = None
    message: str | None = None  # what stopped it, for the terminal
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.page is None and self.folder is not None


class Latest:
    """The latest finished build; each one gets the next version number, which the pages poll."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._build = Build(version=0, folder=None)

    def get(self) -> Build:
        with self._lock:
            return self._build

    def finish(
        self,
        folder: Path | None,
        *,
        page: bytes | None = None,
        message: str | None = None,
        problems: tuple[Problem, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Build:
        """Record a finished build; a failed one keeps the last good ``folder``."""
        with self._lock:
            previous = self._build
            self._build = Build(
                previous.version + 1, folder or previous.folder, page, message, problems, notes
            )
            return self._build


def build_once(
    latest: Latest, study: Path, *, data: Path | None, engine: str, output_root: Path
) -> Build:
    """Build ``study`` as HTML into ``output_root`` and record the outcome in ``latest``."""
    from cohortpress.pipeline import build_report

    name = study.resolve().name
    try:
        built = build_report(
            study, data=data, formats=("html",), engine=engine, output_root=output_root,
            archive=False,  # a preview is not a release: no data cut, no update report
        )  # fmt: skip
    except InputDataError as exc:
        problems = tuple(exc.problems)
        page = error_page(name, str(exc), problems)
        return latest.finish(None, page=page, message=str(exc), problems=problems)
    except CohortpressError as exc:
        return latest.finish(None, page=error_page(name, str(exc)), message=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug: told on the page, the preview goes on
        from cohortpress.cli import bug_message

        message = bug_message(exc)
        return latest.finish(None, page=error_page(name, message), message=message)
    return latest.finish(built.folder, notes=built.notes)
