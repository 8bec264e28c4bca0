"""Publishing a study's output: a checked output folder, a lock per study, an atomic swap.

An output root (``_output/`` unless ``--output`` names another) looks like this::

    .cohortpress-output                  marker: cohortpress made this folder
    <study> -> .versions/<study>/<id>    what readers open: a symbolic link
    .versions/<study>/<id>/              one complete published output
    .staging/<study>/<run>/              the working folder of a run
    .locks/<study>                       the study's lock
    .keys/<study>                        the study's key for the patient hashes of its cuts
    .cache/<study>/<key>.pickle          the build cache: analysis, tables and figures

A run holds its study's lock (``fcntl.flock``) from its first write in the root to its last; a
second run of the same study into the same root stops at once with :class:`OutputBusyError`
(exit 5) rather than queue behind it, so nobody waits on a run they did not know about and the
output is never a mix of two runs. The new output is assembled in the run's folder, moved into
``.versions/`` by one rename and published by replacing the link with ``os.replace``, which is
atomic: at every instant ``<study>`` is the complete previous output or the complete new one.
What a killed run leaves (its working folder, a version it had no time to publish) is removed by
the next run of the study, under the lock; the lock itself dies with the process that held it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.errors import (
    OutputBusyError,
    OutputFolderError,
    OutputWriteError,
    RenderError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

MARKER = ".cohortpress-output"
VERSIONS = ".versions"
STAGING = ".staging"
LOCKS = ".locks"
KEYS = ".keys"  # each study's key for the patient hashes of its data cuts (cuts/_snapshot.py)
CACHE = ".cache"  # each study's build cache (cohortpress/cache)
SOURCES = ".sources"  # each study's folder, relative to its project: whose outputs these are
_MARKER_TEXT = (
    "This folder holds manuscripts published by cohortpress. Each <study> entry is a link into\n"
    ".versions/ that cohortpress replaces on every run: keep no other files here.\n"
)
# What earlier versions of cohortpress published into a real _output/<study>/ folder.
_EARLIER_OUTPUT = {
    "manuscript.html",
    "manuscript.pdf",
    "manuscript.docx",
    "results.json",
    "supplementary.xlsx",
    "figures",
}
# Errors that mean "this folder cannot take the output": a full or read-only disk wherever in
# the run it surfaces (a write often does not know its file name), a refused permission or a
# file in the way of a folder when it concerns a path in the output folder.
_CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}
_CANNOT_WRITE_THERE = {errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR, errno.EEXIST}


def check_root(root: Path, study_folder: Path, *, default: bool) -> None:
    """Refuse an output root that is, or holds, something cohortpress did not make.

    The default ``<project>/_output`` is accepted without its marker: earlier versions of
    cohortpress made it without one, and it holds only study outputs. Not so a ``_output``
    that is a link: it may point anywhere (a study folder that ships its own ``_quarto.yml``
    is a project of its own, with whatever ``_output`` it brings), and the folder it points to
    is refused as any other, unless it is empty or cohortpress made it, since publishing
    replaces and tidies what it finds there.
    """
    if study_folder.resolve().name.startswith("."):  # .versions, .keys, .cache, … are ours
        raise OutputFolderError(
            f"{study_folder}: a study folder's name may not start with '.': its output would "
            f"be _output/{study_folder.resolve().name}, and the folders there whose names do "
            "are cohortpress's own (the published versions, the studies' keys, the build "
            "cache); rename the study folder"
        )
    if default and root.is_symlink():
        default = False
    given, root = root, root.resolve()
    study_folder = study_folder.resolve()
    if root == study_folder:
        _refuse(given, "it is the study folder")
    if root in study_folder.parents:
        _refuse(given, f"it holds the study folder {study_folder.name}")
    if root.exists() and not root.is_dir():
        _refuse(given, "it is a file, not a folder")
    if not root.is_dir() or (root / MARKER).is_file():
        return
    if (root / "study.yml").exists() or any(root.glob("*/study.yml")):
        _refuse(given, "it is or holds a study folder (study.yml)")
    if (root / "_quarto.yml").exists():
        _refuse(given, "it is a project folder (_quarto.yml)")
    if not default and any(root.iterdir()):
        _refuse(given, "it is not empty and was not made by cohortpress")


def _refuse(given: Path, reason: str) -> None:
    if given.name == "_output" and given.is_symlink():
        raise OutputFolderError(
            f"{given}: refused, a link to {given.resolve()}, which {reason.removeprefix('it ')}; "
            "make _output a folder of the project, or point it at a new or empty folder"
        )
    raise OutputFolderError(
        f"--output {given}: refused, {reason}; choose a new or empty folder, or leave --output "
        "out to use _output"
    )


@dataclass(frozen=True)
class Slot:
    """A run's place in an output root: its working folder, and the way to publish from it."""

    root: Path
    study: str
    run: Path
    source: str | None = None  # the study folder, recorded as the outputs' once published

    @property
    def staging(self) -> Path:
        """Where the run writes its sources, artefacts and rendered documents."""
        return self.run / "staging"

    def publish(self, paths: Iterable[Path]) -> Path:
        """Move ``paths`` into a new version and point ``<root>/<study>`` at it in one step."""
        assembled = self.run / "publish"
        assembled.mkdir()
        for path in paths:
            if path.exists():
                path.rename(assembled / path.name)
        versions = self.root / VERSIONS / self.study
        versions.mkdir(parents=True, exist_ok=True)
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        assembled.rename(versions / version)
        entry = self.root / self.study
        if self.source is not None:
            _record_source(self.root, self.study, self.source)
        _point(entry, Path(VERSIONS) / self.study / version, self.run)
        _remove_unpublished(versions, entry)
        return entry


@contextlib.contextmanager
def open_slot(
    root: Path, study: str, *, default: bool, source: str | None = None
) -> Iterator[Slot]:
    """Lock ``study`` in ``root`` (made and marked if new), tidy up after dead runs, yield a slot.

    ``source`` names the study folder (relative to its project): the outputs of ``study``, its
    data cuts and their key are one study folder's, and another folder of the same name (a
    link to it, another project's) is refused instead of replacing them
    (:func:`_check_source`).

    An ``OSError`` that means the root cannot be written (read-only, full, no permission)
    becomes :class:`OutputWriteError`, whichever step of the run raised it.
    """
    with writable(root):
        root.mkdir(parents=True, exist_ok=True)
        marker = root / MARKER
        if not marker.is_file():
            marker.write_text(_MARKER_TEXT, encoding="utf-8")
        root = root.resolve()
        with _locked(root, study):
            if source is not None:
                _check_source(root, study, source)
            _check_entry(root / study, study, default=default)
            _tidy(root, study, default=default)
            runs = root / STAGING / study
            runs.mkdir(parents=True, exist_ok=True)
            run = Path(tempfile.mkdtemp(dir=runs))
            try:
                yield Slot(root, study, run, source)
            except RenderError:
                # The renderers report a full disk in their own words; say it in ours.
                if _no_space(run):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from None
                raise
            finally:
                shutil.rmtree(run, ignore_errors=True)
                with contextlib.suppress(OSError):  # the study's folder of runs, now empty
                    runs.rmdir()


@contextlib.contextmanager
def writable(root: Path) -> Iterator[None]:
    """Turn an ``OSError`` about the output folder into a one-line :class:`OutputWriteError`."""
    try:
        yield
    except OSError as exc:
        there = exc.errno in _CANNOT_WRITE_THERE and _inside(exc.filename, root)
        if exc.errno not in _CANNOT_WRITE and not there:
            raise
        where = f" ({os.fsdecode(exc.filename)})" if exc.filename else ""
        reason = exc.strerror or str(exc)
        raise OutputWriteError(f"cannot write the output folder {root}: {reason}{where}") from None


def _no_space(folder: Path) -> bool:
    """Whether the disk holding ``folder`` is (nearly) full: less than 1 MiB left."""
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize < 1 << 20


def _inside(filename: object, root: Path) -> bool:
    if not isinstance(filename, str | bytes | os.PathLike):
        return False
    path, root = Path(os.fsdecode(filename)).resolve(), root.resolve()
    return path == root or root in path.parents


def _check_source(root: Path, study: str, source: str) -> None:
    """Refuse a run of another study folder than the one ``study``'s outputs are of: its
    report would replace them, and an update report would compare its cohort with theirs under
    the same key. Outputs without a record (earlier versions) are taken as the run's, and
    recorded once it publishes (:func:`_record_source`)."""
    path = root / SOURCES / study
    recorded = path.read_text(encoding="utf-8").strip() if path.is_file() else None
    if recorded is not None and recorded != source:
        raise OutputFolderError(
            f"{root / study}: the outputs of the study folder {recorded}, not {source}, which "
            f"has the same name; give this study folder another name or --output (if the study "
            f"folder was moved here, delete {path})"
        )


def _record_source(root: Path, study: str, source: str) -> None:
    """Note whose outputs ``study``'s are, when its first report is published."""
    path = root / SOURCES / study
    if not path.is_file():
        path.parent.mkdir(exist_ok=True)
        path.write_text(source + "\n", encoding="utf-8")


@contextlib.contextmanager
def _locked(root: Path, study: str) -> Iterator[None]:
    """Hold the study's lock, or stop at once if another run holds it."""
    locks = root / LOCKS
    locks.mkdir(exist_ok=True)
    fd = os.open(locks / study, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            by = f" (process {holder})" if holder.isdigit() else ""
            raise OutputBusyError(
                f"another run{by} is publishing {study} to {root}; wait for it to finish or "
                "use another --output"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; so does the death of the process


def _check_entry(entry: Path, study: str, *, default: bool) -> None:
    """Refuse to replace a ``<root>/<study>`` that cohortpress did not publish."""
    if entry.is_symlink():
        if entry.readlink().parent == Path(VERSIONS) / study:
            return
    elif not entry.exists() or (default and _published_earlier(entry)):
        return
    raise OutputFolderError(
        f"{entry} was not published by cohortpress; move it away or choose another --output"
    )


def _published_earlier(folder: Path) -> bool:
    """A real folder as earlier versions published it: only their output files."""
    return folder.is_dir() and all(p.name in _EARLIER_OUTPUT for p in folder.iterdir())


def _tidy(root: Path, study: str, *, default: bool) -> None:
    """Remove what dead runs of ``study`` left; only call with the study's lock held."""
    for stale in (root / STAGING / study).glob("*"):
        shutil.rmtree(stale, ignore_errors=True)
    _remove_unpublished(root / VERSIONS / study, root / study)
    if default:  # the staging folders earlier versions left next to the outputs
        debris = re.compile(rf"\.{re.escape(study)}(\.new|\.old|-[a-z0-9_]{{8}})")
        for path in root.iterdir():
            if debris.fullmatch(path.name) and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)


def _remove_unpublished(versions: Path, entry: Path) -> None:
    """Remove every version of the study but the one ``entry`` points at."""
    current = entry.readlink().name if entry.is_symlink() else None
    if versions.is_dir():
        for version in versions.iterdir():
            if version.name != current:
                shutil.rmtree(version, ignore_errors=True)


def _point(entry: Path, target: Path, run: Path) -> None:
    """Make ``entry`` a link to ``target`` in one atomic step."""
    link = run / "link"
    link.symlink_to(target)
    if entry.is_symlink() or not entry.exists():
        link.replace(entry)
        return
    # A real folder published by an earlier version: swap it with the link in one step
    # where the system can, else move it aside first (the only moment without an output).
    # Either way the earlier folder ends up in the run's folder, which is removed at the end.
    if not _exchange(link, entry):
        entry.rename(run / "earlier")
        link.replace(entry)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if sys.platform != "linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), os.fsdecode(b))
