"""``cohortpress preview``: a local server showing the latest build, rebuilt on every change.

The live tests run the real command on a copy of the small project and poll the page (with a
generous limit, never a timing assertion); the server tests serve a folder of files directly.
"""

from __future__ import annotations

import contextlib
import html.parser
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from small_project import ROOT, make_project

from cohortpress.errors import PreviewPortError, Problem
from cohortpress.preview import Preview
from cohortpress.preview._builds import Latest
from cohortpress.preview._pages import VERSION_PATH, error_page, inject, refresh_snippet
from cohortpress.preview._server import PreviewServer
from cohortpress.preview._watch import Sources
from cohortpress.render._embed import PAGE_POLICY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

PATIENCE = 300.0  # seconds a build may take on a busy machine before a test gives up
SNIPPET_MARK = "cohortpress-preview"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError):
        return 0, ""


def _raw(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (urllib would not send ``..`` untouched)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{port}")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.3)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """The small project, reading its own copy of the workbook (which the tests break)."""
    folder = make_project(tmp_path / "project")
    shutil.copy(ROOT / "data/thyroid_sorafenib.xlsx", folder / "cohort.xlsx")
    path = folder / "study.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["data"] = "cohort.xlsx"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def _misspell_sex(workbook: Path, row: int) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["patients"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(row=row, column=headers["Sex"], value="Femal<b>")
    book.save(workbook)


@contextlib.contextmanager
def _running(study: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, "-m", "cohortpress", "preview", str(study)]
    command += ["--port", str(port), "--no-browser"]
    env = {**os.environ, "BROWSER": "false"}  # were a browser ever asked for, open none
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
        if process.poll() is None:
            process.kill()
            process.wait()


def _version(base: str) -> int:
    status, text = _get(base + VERSION_PATH)
    return int(text) if status == 200 else -1


def test_preview_follows_edits_and_shows_what_stops_a_build(study: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _running(study, port) as process:
        _wait_for("the first build", lambda: _version(base) >= 1)
        status, page = _get(base + "/")  # redirected to the manuscript
        assert status == 200
        assert "We evaluated 26 patients" in page
        assert SNIPPET_MARK in page and VERSION_PATH in page
        assert 'href="/data_report.html"' in page  # the banner links the other documents
        published = study.parents[1] / "_output" / ".preview" / "thyroid"
        assert "We evaluated 26 patients" in (published / "manuscript.html").read_text("utf-8")
        for document in published.glob("*.html"):
            assert SNIPPET_MARK not in document.read_text(encoding="utf-8"), document.name
        assert not (study.parents[1] / "_output" / "thyroid").exists()  # report's output

        # An edit of the manuscript is built and served under a new version.
        built = _version(base)
        manuscript = study / "manuscript.qmd"
        text = manuscript.read_text(encoding="utf-8")
        manuscript.write_text(text.replace("We evaluated", "In all we evaluated"), "utf-8")
        _wait_for("the edited manuscript", lambda: _version(base) > built)
        _wait_for(
            "the edited text",
            lambda: "In all we evaluated 26" in _get(base + "/manuscript.html")[1],
        )

        # Invalid data: the page names the sheet, row, column and value, escaped.
        workbook = study / "cohort.xlsx"
        good = workbook.read_bytes()
        _misspell_sex(workbook, row=5)
        _wait_for("the error page", lambda: "not built" in _get(base + "/manuscript.html")[1])
        _status, page = _get(base + "/manuscript.html")
        assert "Femal&lt;b&gt;" in page and "Femal<b>" not in page
        assert "<td>patients</td><td>5</td><td>Sex</td>" in page
        assert SNIPPET_MARK in page  # it reloads by itself once fixed
        assert _get(base + "/figures/survival.svg")[0] == 200  # the last good build stays

        workbook.write_bytes(good)
        _wait_for(
            "the manuscript again",
            lambda: "In all we evaluated" in _get(base + "/manuscript.html")[1],
        )
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "Not built" in err and "Preview stopped." in err


def test_a_change_during_a_build_is_built_after_it(study: Path) -> None:
    """One build at a time; what changed while it ran is built right after (not lost)."""
    preview = Preview(study, poll_seconds=0.1, settle_seconds=0.1)
    manuscript = study / "manuscript.qmd"
    builds: list[str] = []
    stop = threading.Event()
    build = preview.build

    def build_while_editing():
        if not builds:  # the first build starts, then the author saves an edit
            text = manuscript.read_text(encoding="utf-8")
            manuscript.write_text(text.replace("We evaluated", "We followed"), "utf-8")
        return build()

    def finished(done) -> None:
        assert done.ok, done.message
        builds.append((done.folder / "manuscript.html").read_text(encoding="utf-8"))
        if len(builds) == 2:
            stop.set()

    preview.build = build_while_editing  # type: ignore[method-assign]
    watchdog = threading.Timer(PATIENCE, stop.set)
    watchdog.start()
    try:
        preview.watch(finished, stop)
    finally:
        watchdog.cancel()
        preview.close()
    assert len(builds) == 2
    assert "We followed 26 patients" in builds[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PreviewServer, Path]]:
    """A server showing a folder of published files, without building anything."""
    folder = tmp_path / "published" / "thyroid"
    (folder / "figures").mkdir(parents=True)
    (folder / "manuscript.html").write_text("<html><body><p>Text</p></body></html>", "utf-8")
    (folder / "figures" / "km.svg").write_text("<svg/>", "utf-8")
    (tmp_path / "secret.txt").write_text("not for the browser", "utf-8")
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    latest = Latest()
    latest.finish(folder)
    server = PreviewServer("127.0.0.1", 0, latest, "thyroid")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, folder
    finally:
        server.shutdown()
        server.server_close()


def test_server_serves_the_build_with_the_refresh_script(
    served: tuple[PreviewServer, Path],
) -> None:
    server, folder = served
    assert server.server_address[0] == "127.0.0.1"
    status, body = _raw(server.port, "/manuscript.html")
    assert status == 200
    assert body.index(SNIPPET_MARK.encode()) < body.index(b"</body>")
    assert SNIPPET_MARK not in (folder / "manuscript.html").read_text(encoding="utf-8")
    assert _raw(server.port, "/figures/km.svg") == (200, b"<svg/>")  # not HTML: as it is
    assert _raw(server.port, VERSION_PATH) == (200, b"1")


def test_the_page_s_policy_is_the_published_one_with_the_refresh_script_allowed(
    served: tuple[PreviewServer, Path],
) -> None:
    """A published page declares that it loads nothing and runs no script; the preview
    serves it with the same policy as a header, allowing only its refresh script (by a nonce
    new for each answer) and its polling of this server."""
    server, folder = served
    policy = f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}" />'
    (folder / "manuscript.html").write_text(
        f"<html><head>{policy}</head><body><p>Text</p></body></html>", "utf-8"
    )
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/manuscript.html")
        answer = connection.getresponse()
        header, body = answer.getheader("Content-Security-Policy") or "", answer.read()
    finally:
        connection.close()
    assert b"Content-Security-Policy" not in body
    nonce = re.search(r"script-src 'nonce-([\w-]+)'", header)
    assert nonce is not None and header.startswith(PAGE_POLICY)
    assert f'<script nonce="{nonce[1]}">'.encode() in body
    assert "connect-src 'self'" in header


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/figures/../../secret.txt",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fsecret.txt",
        "/%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/link.txt",  # a link out of the published folder
        "/figures",
    ],
)
def test_server_serves_nothing_outside_the_build(
    served: tuple[PreviewServer, Path], path: str
) -> None:
    server, _folder = served
    status, body = _raw(server.port, path)
    assert status == 404
    assert b"not for the browser" not in body and b"root:" not in body


def test_server_refuses_other_hosts(served: tuple[PreviewServer, Path]) -> None:
    """A web page that points its own name at 127.0.0.1 does not get to read the study."""
    server, _folder = served
    assert _raw(server.port, "/manuscript.html", host=f"evil.example:{server.port}")[0] == 403
    assert _raw(server.port, "/manuscript.html", host=f"localhost:{server.port}")[0] == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.168.1.10", "localhost"])
def test_server_binds_127_0_0_1_only(host: str) -> None:
    with pytest.raises(ValueError, match="127.0.0.1 only"):
        PreviewServer(host, 0, Latest(), "thyroid")


def test_port_in_use_is_a_plain_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PreviewPortError, match=f"--port {port}"):
            PreviewServer("127.0.0.1", port, Latest(), "thyroid")
        study = make_project(tmp_path / "project")
        command = [sys.executable, "-m", "cohortpress", "preview", str(study)]
        done = subprocess.run(
            [*command, "--port", str(port), "--no-browser"],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"--port {port}" in done.stderr and "Traceback" not in done.stderr


def test_missing_study_folder_stops_at_once(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "cohortpress", "preview", str(tmp_path / "nowhere")]
    done = subprocess.run(
        [*command, "--no-browser"], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 2
    assert "no such study folder" in done.stderr and "Traceback" not in done.stderr


def test_sources_follow_the_workbook_study_yml_names(study: Path) -> None:
    sources = Sources(study, study.parents[1])
    watched = sources.paths()
    assert (study / "cohort.xlsx").resolve() in watched
    assert study.parents[1] / "_quarto.yml" in watched
    before = sources.fingerprint()
    (study / "references.bib").write_text("@misc{a, title={A}}\n", encoding="utf-8")
    assert sources.fingerprint() != before  # a new bibliography is a change
    other = study / "next.xlsx"
    shutil.copy(study / "cohort.xlsx", other)
    path = study / "study.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("cohort.xlsx", "next.xlsx"), "utf-8")
    assert other.resolve() in sources.paths()
    path.write_text("data: [unclosed\n", encoding="utf-8")  # invalid: keep the last workbook
    assert other.resolve() in sources.paths()


class _Text(html.parser.HTMLParser):
    """The text of each ``<p class="message">`` and ``<td>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in = tag == "td" or (tag == "p" and ("class", "message") in attrs)
        if self._in:
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.found[-1] += data


@given(message=st.text(), value=st.text(), column=st.text())
def test_error_page_shows_any_text_as_text(message: str, value: str, column: str) -> None:
    problem = Problem(sheet="patients", row=5, column=column, value=value, rule="a rule")
    parser = _Text()
    parser.feed(error_page("thyroid", message, [problem]).decode("utf-8"))
    normalised = message.replace("\r\n", "\n").replace("\r", "\n")
    assert parser.found[0].replace("\r\n", "\n").replace("\r", "\n") == normalised
    assert parser.found[1:] == ["error", "patients", "5", column, value, "a rule"]


@given(before=st.text(), after=st.text())
def test_injection_only_adds_the_snippet(before: str, after: str) -> None:
    page = f"{before}</BODY >{after}".encode()
    snippet = refresh_snippet(7, ["manuscript.html"])
    served = inject(page, snippet)
    assert served.replace(snippet.encode(), b"", 1) == page
    rest = served[served.index(snippet.encode()) + len(snippet.encode()) :]
    end = re.match(rb"</body\s*>", rest, re.IGNORECASE)  # right before the last </body>
    assert end is not None
    assert not re.search(rb"</body\s*>", rest[end.end() :], re.IGNORECASE)


def test_a_preview_is_not_a_release(study: Path) -> None:
    """A preview build archives no data cut and writes no update report, even when the data
    cutoff moves on (where ``report`` would archive a second cut and compare the two)."""
    preview = Preview(study)
    try:
        first = preview.build()
        assert first.ok, first.message
        path = study / "study.yml"
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        config["data_cutoff"] = "2021-06-30"
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
        second = preview.build()
        assert second.ok, second.message
    finally:
        preview.close()
    assert second.folder is not None
    published = sorted(p.name for p in second.folder.iterdir())
    assert "manuscript.html" in published
    assert "cuts" not in published and "update_report.html" not in published
    output = study.parents[1] / "_output"
    assert not [p for p in output.rglob("cuts") if p.is_dir()]  # nowhere under _output
