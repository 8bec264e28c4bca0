"""The build cache's key: one SHA-256 over everything the cached stages read.

The cached stages (read, validate, derive, analyse, tables, figures) depend on the extract's
bytes, study.yml, the figure size and dpi of ``_quarto.yml`` (or of the profile merged over it),
where the study and the extract are (provenance names the files relative to the study), and the
code and libraries that compute and draw. The author's text (manuscript.qmd, supplement.qmd,
references) is not in the key: what depends on it is rebuilt on every run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import cohortpress
from cohortpress.provenance import sha256

if TYPE_CHECKING:
    from cohortpress.artefacts import FigureSize
    from cohortpress.config import StudyConfig
    from cohortpress.provenance import InputFile

FORMAT = 2  # of the cache entries: raised when Entry changes


def cache_key(
    config: StudyConfig,
    data: Path,
    inputs: tuple[InputFile, ...],
    study_yml: str,
    figure_size: FigureSize,
) -> str:
    """The entry's name: hex SHA-256 over the parts below, written as canonical JSON."""
    parts = {
        "format": FORMAT,
        "code": code_digest(),
        "python": sys.version,
        "machine": [sys.platform, platform.machine()],
        "libraries": libraries(),
        "study": str(config.folder.resolve()),
        "study_yml": study_yml,
        "data": str(data.resolve()),
        "inputs": [[i.name, i.sha256, i.size] for i in inputs],
        "figure": [figure_size.width, figure_size.height, figure_size.dpi],
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def code_digest() -> str:
    """SHA-256 over cohortpress's own files (and the repository's sheet schemas): a version
    number alone would not change while the code is being edited."""
    package = Path(cohortpress.__file__).resolve().parent
    folders = [package, package.parents[1] / "schemas"]  # src layout: <repo>/schemas
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(sha256(path).encode())
    return digest.hexdigest()


@functools.cache
def libraries() -> list[list[str]]:
    """Name and version of every installed distribution: any of them may change a number or
    a pixel (NumPy, SciPy, pandas, matplotlib and what they load).

    Read from the names of the ``<name>-<version>.dist-info`` (or ``.egg-info``) folders on
    the import path, which installers name so: parsing every distribution's metadata file
    (``importlib.metadata``) took 0.3 s of each run."""
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = [path.name for path in Path(entry or ".").iterdir()]
        except OSError:  # a zip file, or gone
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info"):
                found.add(stem)
    return [[stem] for stem in sorted(found)]
