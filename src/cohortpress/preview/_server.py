"""The preview's HTTP server: 127.0.0.1 only, the latest build's files, nothing outside them.

HTML pages get the refresh snippet as they are served; the published files are never changed.
Requests whose ``Host`` is not this server (a web page rebinding its own name to 127.0.0.1)
are refused, so only the user's own browser reads the study.
"""

from __future__ import annotations

import mimetypes
import secrets
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from cohortpress.errors import PreviewPortError
from cohortpress.preview._pages import (
    DOCUMENTS,
    VERSION_PATH,
    building_page,
    inject,
    not_found_page,
    refresh_snippet,
    without_policy,
)
from cohortpress.render._embed import PAGE_POLICY

if TYPE_CHECKING:
    from cohortpress.preview._builds import Build, Latest

LOOPBACK = "127.0.0.1"
START_PAGE = "manuscript.html"


class PreviewServer(ThreadingHTTPServer):
    """Serves ``latest``'s study folder on ``127.0.0.1:port`` (port 0: a free one)."""

    daemon_threads = True

    def __init__(self, host: str, port: int, latest: Latest, study: str) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the preview serves {LOOPBACK} only, not {host!r}")
        self.latest = latest
        self.study = study
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise PreviewPortError(
                f"--port {port}: cannot serve on {LOOPBACK}:{port} ({reason}); choose another "
                "port, or leave --port out for a free one"
            ) from None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer  # pyright: ignore[reportIncompatibleVariableOverride]

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal shows the builds, not every request."""

    def _answer(self, *, send_body: bool) -> None:
        if not self._from_this_host():
            self._send(HTTPStatus.FORBIDDEN, b"Forbidden\n", "text/plain", send_body)
            return
        path = urlsplit(self.path).path
        if path == VERSION_PATH:
            version = str(self.server.latest.get().version).encode()
            self._send(HTTPStatus.OK, version, "text/plain", send_body)
            return
        if path == "/":
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", "/" + START_PAGE)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        build = self.server.latest.get()
        relative = _relative(path)
        if relative is None:
            self._send(HTTPStatus.NOT_FOUND, not_found_page(path), "text/html", send_body)
            return
        is_html = relative.suffix.lower() in (".html", ".htm")
        if is_html and build.page is not None:  # the latest build failed
            self._send_html(HTTPStatus.OK, build.page, build, send_body)
            return
        if is_html and build.folder is None:  # the first build is running
            self._send_html(HTTPStatus.OK, building_page(self.server.study), build, send_body)
            return
        file = _inside(build.folder, relative) if build.folder else None
        if file is None:
            self._send(HTTPStatus.NOT_FOUND, not_found_page(path), "text/html", send_body)
        elif is_html:
            self._send_html(HTTPStatus.OK, file.read_bytes(), build, send_body)
        else:
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self._send(HTTPStatus.OK, file.read_bytes(), kind, send_body)

    def _from_this_host(self) -> bool:
        host = self.headers.get("Host")
        port = self.server.port
        return host is None or host.lower() in {f"{LOOPBACK}:{port}", f"localhost:{port}"}

    def _send_html(self, status: HTTPStatus, page: bytes, build: Build, send_body: bool) -> None:
        folder = build.folder
        shown = [name for name, _ in DOCUMENTS if folder and (folder / name).is_file()]
        nonce = secrets.token_urlsafe(16)
        page = inject(without_policy(page), refresh_snippet(build.version, shown, nonce))
        # The page's own policy, but for the refresh script and its polling of this server.
        policy = f"{PAGE_POLICY}; script-src 'nonce-{nonce}'; connect-src 'self'"
        self._send(status, page, "text/html", send_body, policy=policy)

    def _send(
        self, status: HTTPStatus, body: bytes, kind: str, send_body: bool, policy: str = ""
    ) -> None:
        self.send_response(status)
        if policy:
            self.send_header("Content-Security-Policy", policy)
        charset = "; charset=utf-8" if kind.startswith("text/") or kind.endswith("json") else ""
        self.send_header("Content-Type", kind + charset)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def _relative(path: str) -> Path | None:
    """The URL path as a path inside the study folder; None for anything that could leave it."""
    parts = unquote(path).split("/")[1:]
    if not parts or any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
        return None
    return Path(*parts)


def _inside(folder: Path, relative: Path) -> Path | None:
    """``folder / relative`` if it is a file that resolves inside ``folder``, else None."""
    root = folder.resolve()
    file = (root / relative).resolve()
    return file if file.is_relative_to(root) and file.is_file() else None
