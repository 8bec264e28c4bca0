"""``cohortpress preview``: rebuild a study's HTML whenever its files change and show it live.

The builds run in the caller's thread (so Ctrl-C stops a build as it stops ``report``), one at
a time: the watched files are polled, a change is built once they have been still for a moment,
and a change made during a build is built right after it. A local server on 127.0.0.1 serves
the latest build from ``_output/.preview/`` (never ``_output/<study>``); its pages reload when
a newer build has finished, showing the manuscript or, when the build failed, what stopped it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.errors import StudyConfigError
from cohortpress.preview._builds import Build, Latest, build_once
from cohortpress.preview._server import LOOPBACK, START_PAGE, PreviewServer
from cohortpress.preview._watch import Fingerprint, Sources

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LOOPBACK", "Build", "Preview"]

PREVIEW_FOLDER = ".preview"  # under the project's _output/


class Preview:
    """A study's preview: its server (started by :meth:`serve`) and its watch-and-build loop."""

    def __init__(
        self,
        study: Path | str,
        *,
        data: Path | None = None,
        port: int = 0,
        engine: str = "auto",
        poll_seconds: float = 0.1,  # a dozen stat calls: waiting is what the author sees
        settle_seconds: float = 0.15,  # an editor's save is written within milliseconds
    ) -> None:
        from cohortpress.pipeline import find_project_root
        from cohortpress.publish import check_root

        self.study = Path(study)
        if not self.study.is_dir():
            raise StudyConfigError(f"{self.study}: no such study folder")
        root = find_project_root(self.study)
        self.output_root = root / "_output" / PREVIEW_FOLDER
        check_root(self.output_root, self.study, default=False)
        self.data = data
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.settle_seconds = settle_seconds
        self.sources = Sources(self.study, root, data)
        self.latest = Latest()
        self.server = PreviewServer(LOOPBACK, port, self.latest, self.study.resolve().name)
        self._serving: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The manuscript's address."""
        return self.server.url + START_PAGE

    def serve(self) -> threading.Thread:
        """Start answering requests in a background thread."""
        thread = threading.Thread(target=self.server.serve_forever, name="preview", daemon=True)
        thread.start()
        self._serving = thread
        return thread

    def build(self) -> Build:
        """Build the study once now."""
        return build_once(
            self.latest, self.study, data=self.data, engine=self.engine,
            output_root=self.output_root,
        )  # fmt: skip

    def watch(self, on_build: Callable[[Build], None], stop: threading.Event | None = None) -> None:
        """Build now, then again after every change, until ``stop`` is set (or Ctrl-C)."""
        stop = stop or threading.Event()
        seen: Fingerprint | None = None
        while not stop.is_set():
            now = self.sources.fingerprint()
            if now == seen:
                stop.wait(self.poll_seconds)
                continue
            settled = self._settle(now, stop)
            if settled is None:
                return
            seen = settled  # taken before the build: a change made during it is built next
            on_build(self.build())

    def close(self) -> None:
        """Stop the server and release its port."""
        if self._serving is not None:  # shutdown() waits for serve_forever() to return
            self.server.shutdown()
            self._serving = None
        self.server.server_close()

    def _settle(self, now: Fingerprint, stop: threading.Event) -> Fingerprint | None:
        """The fingerprint once the files have stopped changing (a save in several writes);
        None when stopped meanwhile."""
        while not stop.wait(self.settle_seconds):
            again = self.sources.fingerprint()
            if again == now:
                return now
            now = again
        return None
