"""The bibliographies a manuscript cites from: cohortpress's methods references and the author's.

The generated Methods cite the methods they used (``[@kaplan1958]``, ``[@efron1977]``, …) from
``resources/methods.bib``, which every render is given. The author's own references come from
``bibliography:`` (in ``_quarto.yml``, the front matter's metadata files or the front matter,
concatenated as Quarto concatenates lists across these layers), or, when none is named, from
the study's ``references.bib``. A key that two of these files define with different content
stops the render, naming the key and both files: citeproc would otherwise print one of the two
silently. The citation style is ``resources/vancouver.csl`` unless ``csl:`` names another.

Both engines read the result from the staging folder's ``_quarto.yml``, rewritten here with the
bibliography list and style in force (Quarto merges the front matter's ``bibliography`` into
that list; the embedded engine does the same in :func:`merged_metadata`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
from typing import TYPE_CHECKING, Any

from cohortpress._yaml import dump_yaml
from cohortpress.errors import RenderError
from cohortpress.render._metadata import bibliography_layers, read_yaml_file
from cohortpress.render._options import QUARTO_FILE, RenderOptions
from cohortpress.render._pandoc import RUNTIME, heap_exhausted, pandoc_path
from cohortpress.render._resources import STAGED, resource
from cohortpress.render._source import MANUSCRIPT, read_source
from cohortpress.render._staging import stage_named_files

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from cohortpress.render._kept import KeptRenders

METHODS_BIB = f"{STAGED}/methods.bib"
DEFAULT_CSL = f"{STAGED}/vancouver.csl"
AUTHOR_BIB = "references.bib"
_READERS = {".bib": "biblatex", ".bibtex": "bibtex", ".ris": "ris", ".xml": "endnotexml"}
_NOT_FOUND = re.compile(r"Citeproc: citation (?P<key>\S+) not found")
_converted: dict[tuple[str, str], str] = {}  # (reader, SHA-256 of the file) -> CSL JSON
_converted_lock = threading.Lock()
_converting: dict[tuple[str, str], _Conversion] = {}  # started by convert_ahead, not taken
_REMEMBERED = 8


def stage_citations(
    staging: Path,
    project: dict[str, Any],
    project_root: Path,
    name: str = MANUSCRIPT,
    kept: KeptRenders | None = None,
) -> dict[str, Any]:
    """The project configuration with the bibliographies and citation style in force, also
    written to the staging folder's ``_quarto.yml`` for Quarto. Bibliographies and a style the
    project names are copied from ``project_root`` when the staging folder lacks them.

    Raises
    ------
    RenderError
        A bibliography cannot be read, or two bibliographies define a key differently.
    """
    named = bibliography_layers(staging, read_source(staging, name).front_matter, project)
    author = named or ([AUTHOR_BIB] if (staging / AUTHOR_BIB).is_file() else [])
    csl = project.get("csl")
    named_files = RenderOptions(
        bibliography=tuple(author), csl=csl if isinstance(csl, str) else None
    )
    stage_named_files(staging, project_root, named_files)
    check_keys(staging, [METHODS_BIB, *author], kept)
    own = bibliography_layers(staging, {}, project, files=False)  # _quarto.yml's own list
    staged = dict(project)
    staged["bibliography"] = list(dict.fromkeys([METHODS_BIB, *own, *([] if named else author)]))
    staged.setdefault("csl", DEFAULT_CSL)
    text = dump_yaml(staged)
    (staging / QUARTO_FILE).write_text(text, encoding="utf-8")
    return staged


def check_keys(staging: Path, files: list[str], kept: KeptRenders | None = None) -> None:
    """Every key defined once, or with the same content wherever it is defined again
    (``kept``: where pandoc's conversions of the files are kept between runs)."""
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in files:
        for entry in read_entries(staging, name, kept):
            key = str(entry.get("id"))
            first = seen.setdefault(key, (name, entry))
            if first[1] != entry:
                raise RenderError(
                    f"the reference key '{key}' is defined differently in {_label(first[0])} "
                    f"and in {_label(name)}; delete one of the two entries (cite cohortpress's "
                    "by its key), or give yours another key"
                )


def _label(name: str) -> str:
    if name == METHODS_BIB:
        return f"{name} (cohortpress's methods references)"
    return name


def read_entries(staging: Path, name: str, kept: KeptRenders | None = None) -> list[dict[str, Any]]:
    """A bibliography file's entries as CSL JSON items, as citeproc reads them."""
    path = staging / name
    if not path.is_file():
        raise RenderError(f"bibliography: the file {name} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".json":
        items = _json_items(path, name)
    elif suffix in (".yaml", ".yml"):
        items = read_yaml_file(path, name).get("references", [])
    elif suffix in _READERS:
        items = _pandoc_items(staging, name, _READERS[suffix], kept)
    else:
        known = ", ".join(sorted([*_READERS, ".json", ".yaml"]))
        raise RenderError(f"bibliography: {name} is in no format citeproc reads ({known})")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RenderError(f"bibliography: {name} holds no list of references")
    return items


def _json_items(path: Path, name: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RenderError(f"bibliography: {name} is not valid CSL JSON ({exc})") from None


def _pandoc_items(staging: Path, name: str, reader: str, kept: KeptRenders | None = None) -> Any:
    """The file's entries as pandoc reads them. Every document of a run reads the same
    bibliographies: what pandoc made of a file's bytes is remembered for the process, and in
    ``kept`` between runs, keyed by those bytes (so never stale)."""
    content = (staging / name).read_bytes()
    key = (reader, hashlib.sha256(content).hexdigest())
    with _converted_lock:
        text, ahead = _converted.get(key), _converting.pop(key, None)
    converted = False
    if text is None and ahead is not None:  # started by convert_ahead
        text = ahead.text()
        converted = text is not None
    if text is None and kept is not None:
        text = kept.converted(reader, content)
    if text is None:
        text, converted = _Conversion(staging, name, reader).result(), True
    if converted and kept is not None:
        kept.keep_converted(reader, content, text)
    with _converted_lock:
        if key not in _converted:
            while len(_converted) >= _REMEMBERED:  # a preview runs for hours: the oldest go
                del _converted[next(iter(_converted))]
            _converted[key] = text
    return json.loads(text) if text.strip() else []


class _Conversion:
    """pandoc converting a bibliography to CSL JSON, started and not yet waited for.

    Its output goes to files, not pipes: a process the run forks meanwhile (the figures'
    drawer) would inherit a pipe's end, and pandoc's output would not end before it did."""

    def __init__(self, folder: Path, name: str, reader: str) -> None:
        self.name = name
        self.owner = os.getpid()  # a process forked meanwhile cannot wait for it
        # open until result() has read them (or the process that started them ends)
        self._output = tempfile.TemporaryFile()  # noqa: SIM115
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        command = [str(pandoc_path()), *RUNTIME, name, f"--from={reader}", "--to=csljson"]
        command.append("--sandbox")
        try:
            self._process = subprocess.Popen(  # noqa: S603 - pandoc's path and our arguments
                command, cwd=folder, stdin=subprocess.DEVNULL, stdout=self._output,
                stderr=self._errors,
            )  # fmt: skip
        except BaseException:
            self._close()
            raise

    def text(self) -> str | None:
        """The CSL JSON, or None where pandoc failed (or in another process than the one
        that started it): the file is converted again, and its error reported then."""
        if self.owner != os.getpid():
            return None
        try:
            return self.result()
        except (RenderError, OSError, UnicodeDecodeError):
            return None

    def result(self) -> str:
        """The CSL JSON.

        Raises
        ------
        RenderError
            pandoc cannot read the file.
        """
        try:
            code = self._process.wait()
            self._output.seek(0)
            self._errors.seek(0)
            text = self._output.read().decode("utf-8")
            errors = self._errors.read().decode("utf-8", "replace")
        finally:
            self._close()
        if code != 0:
            message = heap_exhausted(errors) or "\n".join(errors.strip().splitlines()[:5])
            raise RenderError(f"bibliography: {self.name} cannot be read:\n{message}")
        return text

    def _close(self) -> None:
        self._output.close()
        self._errors.close()


def convert_study_ahead(
    study: Path, project_root: Path, options: RenderOptions, kept: KeptRenders | None = None
) -> None:
    """:func:`convert_ahead` for the bibliographies a render of ``study`` is likely to read:
    cohortpress's methods references, the study's ``references.bib``, and those
    ``_quarto.yml`` names (found in the study folder, else the project's). A file the render
    does not read costs a conversion; one it reads and was not guessed is converted then."""
    named = [study / name if (study / name).is_file() else project_root / name
             for name in options.bibliography]  # fmt: skip
    convert_ahead([resource("methods.bib"), study / AUTHOR_BIB, *named], kept)


def convert_ahead(paths: Iterable[Path], kept: KeptRenders | None = None) -> None:
    """Start pandoc converting the bibliographies at ``paths`` (those in a format it
    converts), for :func:`read_entries` to take by their bytes when the documents are staged:
    a first run's documents waited for pandoc there (0.06 s at paper size), while the run's
    imports and analysis leave time for it. Nothing waits here and nothing is written: the
    render keeps the conversions it takes, under the study's lock. A file whose conversion
    is ``kept`` from an earlier run is not converted. A file pandoc cannot convert is
    converted again when staged, and reported there."""
    for path in paths:
        reader = _READERS.get(path.suffix.lower())
        if reader is None:
            continue
        try:
            content = path.read_bytes()
        except OSError:
            continue
        key = (reader, hashlib.sha256(content).hexdigest())
        with _converted_lock:
            if key in _converted or key in _converting:
                continue
        if kept is not None and kept.converted(reader, content) is not None:
            continue
        try:
            started = _Conversion(path.parent, path.name, reader)
        except OSError:
            continue
        with _converted_lock:
            _converting[key] = started


def missing_citations(warnings: list[str]) -> list[str]:
    """The citation keys pandoc's citeproc found in no bibliography."""
    return [m["key"] for line in warnings if (m := _NOT_FOUND.search(line))]
