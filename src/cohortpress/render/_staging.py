"""The staging folder made renderable: project configuration and resources copied in.

Both engines render inside the staging folder, which becomes a one-document Quarto project:
``_quarto.yml`` (and ``_variables.yml``) from the project root, cohortpress's stylesheet and
reference document under ``_resources/``, any file ``_quarto.yml`` names (reference-doc,
css, csl, bibliography) that lives in the project root, and the study folder's own files the
manuscript reads (:func:`study_files`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cohortpress.artefacts import FIGURES
from cohortpress.errors import RenderError, StudyConfigError
from cohortpress.render._document import VARIABLES
from cohortpress.render._options import QUARTO_FILE, profile_file
from cohortpress.render._resources import STAGED, STAGED_FILES, resource

if TYPE_CHECKING:
    from cohortpress.render._options import RenderOptions

STUDY_PATTERNS = ("*.bib", "*.csl")  # the author's references and citation style
# Not SVG: pandoc writes an SVG into the DOCX without the PNG that older Word and LibreOffice
# need, so a co-author sees an empty frame (filters/confine.lua says so).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif"})


def stage_project(staging: Path, project_root: Path, profile: str | None = None) -> None:
    """Copy the project's configuration (with the profile's file, for Quarto) and
    cohortpress's resources into ``staging``."""
    if not staging.is_dir():
        raise RenderError(f"the staging folder {staging} does not exist")
    profiles = [profile_file(profile)] if profile else []
    for name in (QUARTO_FILE, VARIABLES, *profiles):
        if (project_root / name).is_file():
            shutil.copy2(project_root / name, staging / name)
    (staging / STAGED).mkdir(exist_ok=True)
    for name in STAGED_FILES:
        shutil.copy2(resource(name), staging / STAGED / name)


# What each key of the options may name: a file of that kind, by its suffix. A stylesheet or a
# Typst header is published whole (in the page, in the PDF), so a key naming any other file
# (a data extract, a study's pseudonymisation key) would publish it.
NAMED_SUFFIXES: dict[str, tuple[str, ...] | None] = {
    "format.html.css": (".css",),
    "bibliography": None,  # any: citeproc reads only its formats, and says which it does not
    "format.docx.reference-doc": (".docx",),
    "csl": (".csl",),
    "format.typst.include-in-header": (".typ",),
}


def named_files(options: RenderOptions) -> list[tuple[str, str]]:
    """(key, path) of every file the options name, relative to the staging folder."""
    named = [("format.html.css", css) for css in options.html.css]
    named += [("bibliography", bib) for bib in options.bibliography]
    if options.docx.reference_doc:
        named.append(("format.docx.reference-doc", options.docx.reference_doc))
    if options.csl:
        named.append(("csl", options.csl))
    named += [("format.typst.include-in-header", path) for path in options.typst.include_in_header]
    return named


def stage_named_files(staging: Path, project_root: Path, options: RenderOptions) -> None:
    """Files named in the options, copied from the project root when the staging folder lacks
    them; a file found in neither place is an error naming the key."""
    for key, name in named_files(options):
        _check_named(key, name)
        target = staging / name
        if target.is_file():
            continue
        source = project_root / name
        if not source.is_file():
            raise RenderError(f"{key}: the file {name} does not exist (looked in {project_root})")
        if not source.resolve().is_relative_to(project_root.resolve()):
            raise RenderError(f"{key}: '{name}' is a link to a file outside {project_root}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _check_named(key: str, name: str) -> None:
    """A named file must be of the key's kind and in no hidden folder (``.keys/``, ``.git/``):
    what it holds is published.

    Raises
    ------
    RenderError
        It is not.
    """
    suffixes = NAMED_SUFFIXES[key]
    if suffixes is not None and Path(name).suffix.lower() not in suffixes:
        raise RenderError(
            f"{key}: '{name}' is not a {' or '.join(suffixes)} file; only such a file can be "
            "named here (its content is published with the document)"
        )
    if any(part.startswith(".") and part not in (".", "..") for part in Path(name).parts):
        raise RenderError(f"{key}: '{name}' is in a hidden folder; move the file out of it")


def study_files(study: Path) -> list[Path]:
    """The study folder's files a render reads besides its manuscript, supplement and
    workbook, relative to it: the references and citation style beside ``manuscript.qmd``, and
    the author's images there or in its subfolders (``![Patient flow](images/flow.png)``), not
    in hidden folders or those starting with "_"."""
    found = [p.relative_to(study) for glob in STUDY_PATTERNS for p in sorted(study.glob(glob))]
    for folder, subfolders, names in os.walk(study):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith((".", "_")))
        found += [
            (Path(folder) / name).relative_to(study)
            for name in sorted(names)
            if Path(name).suffix.lower() in IMAGE_SUFFIXES
        ]
    return found


def stage_study_files(study: Path, staging: Path) -> None:
    """Copy :func:`study_files` into ``staging``, at the same relative paths.

    Raises
    ------
    RenderError
        A file is a link to one outside the study folder.
    StudyConfigError
        An image is in the study's ``figures/`` folder, which is cohortpress's: its figures
        would be published beside it, or replace it.
    """
    for name in study_files(study):
        source = study / name
        if name.parts[0] == FIGURES and len(name.parts) > 1:
            raise StudyConfigError(
                f"{source}: {FIGURES}/ is where cohortpress writes the study's figures; keep "
                "your own images in another folder (images/, say) and write that path in the "
                "manuscript"
            )
        copy_from_study(study, name, staging)


def copy_from_study(study: Path, name: Path | str, staging: Path) -> None:
    """Copy the study folder's file ``name`` to the same place in ``staging``: a file there,
    never one a link in it points to outside it (its text would be published).

    Raises
    ------
    RenderError
        The file is a link to one outside the study folder.
    """
    source = study / name
    if not source.resolve().is_relative_to(study.resolve()):
        raise RenderError(f"{source}: a link to a file outside the study folder")
    target = staging / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
