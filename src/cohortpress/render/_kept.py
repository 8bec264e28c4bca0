"""Rendered documents kept between runs: a document whose staged input is, byte for byte, that
of an earlier run is not rendered again.

A text edit of ``manuscript.qmd`` changes neither the supplement nor the data report, yet
rendering them again (five pandoc runs and a typst compile for three formats) was most of a
cached run's rendering. The embedded engine's output is a function of what was staged for it
and of the tools, so each document's outputs (and pandoc's warnings) are kept under a
SHA-256 over:

- every file of the staging folder (its relative path and bytes), except the other
  documents' own sources (``<other>.qmd``, ``_render/<other>.*``) — unless this document's
  pandoc input names one of them;
- the document, its formats and the environment the Lua filters read;
- cohortpress's code (its filters, templates and resources are files of the package), the
  Python version and every installed distribution (pandoc and typst come from wheels), the
  pandoc binary's size and modification time;
- today's date (the PDF's creation date), the environment variables pandoc, Lua and typst
  read, and, for a PDF, the fonts typst can find on the system.

So an entry can only be found by a render that would write the same bytes; anything else
renders and stores a new entry. Entries live beside the build cache's, are written whole (a
temporary file renamed into place) under the study's lock, and only the newest :data:`KEEP`
are kept. An entry that cannot be read is a miss. ``read=False`` (``--no-cache``) renders
every document and replaces its entry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import pickle
import platform
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cohortpress.cache._files import modified, write_atomically
from cohortpress.render._confine import staged_files
from cohortpress.render._embedded import BUILD, CITEPROC_CACHE, CITEPROC_READ

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cohortpress.render._embedded import EmbeddedJob

FORMAT = 1  # of the entries: raised when what they hold changes
KEEP = 12  # entries: the three documents of the last few distinct renders
SUFFIX = ".rendered"
CONVERTED = ".csljson"  # a bibliography as pandoc converted it (``_bibliography``)
KEEP_CONVERTED = 8
CITEPROC = ".citeproc"  # citeproc's result for a document's citations (filters/references.lua)
KEEP_CITEPROC = 8
_ENVIRONMENT = ("PANDOC", "LUA_", "TYPST", "SOURCE_DATE_EPOCH", "XDG_DATA", "HOME")
_FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts")


@dataclass(frozen=True)
class Rendered:
    """What rendering one document wrote (by path relative to the staging folder, in the
    order of its formats) and the notes it gave."""

    outputs: tuple[tuple[str, str, bytes], ...]  # format, path, content
    notes: tuple[str, ...]


@dataclass(frozen=True)
class KeptRenders:
    """The folder of kept renders, and whether this run may take from it."""

    folder: Path
    read: bool = True

    def keys(self, jobs: Iterable[EmbeddedJob]) -> list[str]:
        """One key per job, computed before any of them writes: every job of one staging
        folder sees the same files."""
        jobs = list(jobs)
        staging = jobs[0].staging if jobs else Path()
        digests = _digests(staging)
        shared = _shared_parts()
        stems = {job.stem for job in jobs}
        return [_key(job, digests, stems - {job.stem}, shared) for job in jobs]

    def load(self, key: str) -> Rendered | None:
        """The kept render of ``key``, or None: not there, not to be read, or unreadable."""
        if not self.read:
            return None
        path = self.folder / f"{key}{SUFFIX}"
        try:
            rendered = pickle.loads(path.read_bytes())  # noqa: S301 - our own cache folder
            if not isinstance(rendered, Rendered) or not all(
                _inside(name) for _, name, _ in rendered.outputs
            ):
                return None
        except Exception:  # noqa: BLE001 - whatever a damaged or foreign entry raises: a miss
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used last: kept longest
        return rendered

    def save(self, key: str, rendered: Rendered) -> None:
        """Keep ``rendered`` under ``key``; a folder that cannot be written is left as it is
        (it only saves time)."""
        with contextlib.suppress(OSError):
            self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the study's
            self.folder.mkdir(exist_ok=True, mode=0o700)
            content = pickle.dumps(rendered, protocol=pickle.HIGHEST_PROTOCOL)
            write_atomically(self.folder / f"{key}{SUFFIX}", content)
            self.prune()

    def filter_caches(self) -> dict[str, str]:
        """The environment that tells the Lua filters where to keep what they computed
        (``filters/references.lua``: citeproc's result), and whether they may take from it."""
        with contextlib.suppress(OSError):
            self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the study's
            self.folder.mkdir(exist_ok=True, mode=0o700)
        return {
            CITEPROC_CACHE: str(self.folder.resolve()),
            CITEPROC_READ: "1" if self.read else "0",
        }

    def prune(self, keep: int = KEEP, suffix: str = SUFFIX) -> None:
        """Remove all but the ``keep`` newest entries (and what a killed run left)."""
        entries = sorted(self.folder.glob(f"*{suffix}"), key=modified, reverse=True)
        for stale in entries[keep:] + list(self.folder.glob(".*.tmp")):
            with contextlib.suppress(OSError):
                stale.unlink()

    def converted(self, reader: str, content: bytes) -> str | None:
        """A bibliography's CSL JSON as this pandoc converted the same bytes before, or None."""
        if not self.read:
            return None
        try:
            text = (self.folder / _converted_name(reader, content)).read_text(encoding="utf-8")
            json.loads(text or "[]")  # damaged: converted anew
        except (OSError, ValueError):
            return None
        return text

    def keep_converted(self, reader: str, content: bytes, text: str) -> None:
        """Keep what pandoc made of a bibliography's bytes."""
        with contextlib.suppress(OSError):
            self.folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the study's
            self.folder.mkdir(exist_ok=True, mode=0o700)
            path = self.folder / _converted_name(reader, content)
            write_atomically(path, text.encode("utf-8"))
            self.prune(KEEP_CONVERTED, CONVERTED)


def _converted_name(reader: str, content: bytes) -> str:
    """Named by the bytes, the reader and the pandoc binary that converts them."""
    from cohortpress.render._pandoc import pandoc_path

    pandoc = pandoc_path().stat()
    parts = [reader, hashlib.sha256(content).hexdigest(), str(pandoc_path()), pandoc.st_size,
             pandoc.st_mtime_ns]  # fmt: skip
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest() + CONVERTED


def restore(staging: Path, rendered: Rendered) -> dict[str, Path]:
    """Write a kept render's outputs into ``staging``; return them by format."""
    outputs: dict[str, Path] = {}
    for fmt, name, content in rendered.outputs:
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        outputs[fmt] = path
    return outputs


def kept(staging: Path, outputs: dict[str, Path], notes: list[str]) -> Rendered:
    """What to keep of a render that wrote ``outputs`` inside ``staging``."""
    return Rendered(
        tuple(
            (fmt, path.relative_to(staging).as_posix(), path.read_bytes())
            for fmt, path in outputs.items()
        ),
        tuple(notes),
    )


def _key(
    job: EmbeddedJob, digests: dict[str, str], others: set[str], shared: dict[str, object]
) -> str:
    named = _named_by(job, [n for n in digests if _belongs_to(n, others)])
    files = {
        name: digest
        for name, digest in digests.items()
        if not _belongs_to(name, others) or name in named
    }
    parts = {
        **shared,
        "document": job.stem,
        "formats": list(job.formats),
        "filter_environment": job.env,
        "fonts": _fonts() if "pdf" in job.formats else [],
        "files": files,
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _shared_parts() -> dict[str, object]:
    """What every document's key holds: the software, the day and the environment."""
    from cohortpress.cache._key import code_digest, libraries
    from cohortpress.render._pandoc import pandoc_path

    pandoc = pandoc_path().stat()
    return {
        "format": FORMAT,
        "code": code_digest(),
        "python": sys.version,
        "machine": [sys.platform, platform.machine()],
        "libraries": libraries(),
        "pandoc": [str(pandoc_path()), pandoc.st_size, pandoc.st_mtime_ns],
        "today": dt.date.today().isoformat(),
        "environment": {k: v for k, v in os.environ.items() if k.startswith(_ENVIRONMENT)},
    }


def _belongs_to(name: str, others: set[str]) -> bool:
    """Whether ``name`` is another document's own source or pandoc input."""
    path = PurePosixPath(name)
    if len(path.parts) == 1:
        return path.suffix == ".qmd" and path.stem in others
    return path.parts[0] == BUILD and path.name.split(".", 1)[0] in others


def _named_by(job: EmbeddedJob, names: list[str]) -> set[str]:
    """Those of ``names`` (other documents' files) that this document's pandoc input names:
    normally none, but then they are read and count."""
    build = job.staging / BUILD
    text = "\n".join(
        (build / f"{job.stem}{suffix}").read_text(encoding="utf-8", errors="replace")
        for suffix in (".md", ".metadata.yaml")
        if (build / f"{job.stem}{suffix}").is_file()
    )
    return {name for name in names if PurePosixPath(name).name in text}


def _digests(staging: Path) -> dict[str, str]:
    """SHA-256 of every file of the staging folder, by relative path."""
    digests = {}
    for name in staged_files(staging):
        digests[name] = hashlib.sha256((staging / name).read_bytes()).hexdigest()
    return digests


def _fonts() -> list[list[object]]:
    """The font files typst may find on the system, with their size and modification time: an
    installed or replaced font may change a PDF."""
    found: list[list[object]] = []
    folders = [Path(f).expanduser() for f in _FONT_FOLDERS]
    folders += [Path(p) for p in os.environ.get("TYPST_FONT_PATHS", "").split(os.pathsep) if p]
    for folder in folders:
        for base, _, names in os.walk(folder):
            for name in sorted(names):
                with contextlib.suppress(OSError):
                    stat = (Path(base) / name).stat()
                    found.append([str(Path(base) / name), stat.st_size, stat.st_mtime_ns])
    return sorted(found, key=lambda item: str(item[0]))


def _inside(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts
