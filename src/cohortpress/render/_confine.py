"""The render reads files of the staging folder only, and nothing from the network.

Every path the front matter, its metadata files or ``_quarto.yml`` can name (stylesheets,
bibliographies, templates, header includes, …) must be a relative path to a file or folder
inside the staging folder; symlinks count by their target. Both engines check this before
rendering, so Quarto is held to it too. Inside the document, images and the files raw HTML
loads are checked by ``filters/confine.lua``, which reads the list of the staging folder's
files from :func:`staged_files`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from cohortpress.errors import RenderError

# Quarto and pandoc options that name a file or folder to read.
PATH_KEYS = frozenset({
    "metadata-files", "bibliography", "csl", "css", "reference-doc", "template",
    "template-partials", "include-in-header", "include-before-body", "include-after-body",
    "logo", "resource-path", "filters", "shortcodes", "citation-abbreviations",
    "syntax-definitions", "highlight-style", "abbreviations", "cover-image", "favicon",
})  # fmt: skip
_REMOTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
_BUILT_IN = {"filters": {"quarto", "citeproc"}, "highlight-style": {"pygments", "tango",
             "espresso", "zenburn", "kate", "monochrome", "breezedark", "haddock", "github",
             "arrow", "atom-one", "ayu", "dracula", "gruvbox", "monokai", "nord", "oblivion",
             "printing", "radical", "solarized", "vim-dark", "a11y"}}  # fmt: skip


def check_paths(config: dict[str, Any], source: str, staging: Path) -> None:
    """Every path ``config`` names (at the top level or under ``format: <name>:``) inside
    ``staging``; ``source`` names the file in the message.

    Raises
    ------
    RenderError
        A remote URL, an absolute path, or a path (or symlink) leading outside the folder,
        with the key and the path.
    """
    for key, value in _path_values(config):
        built_in = _BUILT_IN.get(key.rsplit(".", 1)[-1], set())
        for path in _paths(value):
            if path not in built_in:
                confined(path, staging, f"{source}: {key}")


def _path_values(config: dict[str, Any]) -> list[tuple[str, Any]]:
    found = [(key, value) for key, value in config.items() if key in PATH_KEYS]
    formats = config.get("format")
    if isinstance(formats, dict):
        for name, block in formats.items():
            if isinstance(block, dict):
                found += [(f"format.{name}.{k}", v) for k, v in block.items() if k in PATH_KEYS]
    return found


def _paths(value: Any) -> list[str]:
    """The paths in a key's value: one path, a list, or maps naming a ``file`` or ``path``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [path for item in value for path in _paths(item)]
    if isinstance(value, dict):
        return [str(value[k]) for k in ("file", "path") if isinstance(value.get(k), str)]
    return []


def confined(path: str, staging: Path, where: str) -> Path:
    """``path`` resolved inside ``staging``; ``where`` (file and key) starts the message."""
    if _REMOTE.match(path):
        raise RenderError(
            f"{where}: '{path}' is a remote resource; the render loads nothing from the "
            "network, put the file in the study folder"
        )
    if Path(path).is_absolute():
        raise RenderError(
            f"{where}: '{path}' is an absolute path; write it relative to the study folder"
        )
    root = staging.resolve()
    if not (root / path).resolve().is_relative_to(root):
        raise RenderError(f"{where}: '{path}' is outside the study's staging folder")
    return root / path


def staged_files(staging: Path) -> list[str]:
    """The files of the staging folder (relative, with forward slashes) whose real location is
    inside it: a symlink to a file elsewhere is left out."""
    root = staging.resolve()
    files = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.resolve().is_relative_to(root) and path.resolve().is_file():
                files.append(path.relative_to(root).as_posix())
    return sorted(files)


def check_sources(staging: Path, project: dict[str, Any], name: str = "manuscript.qmd") -> None:
    """The paths named by ``_quarto.yml``, the front matter and its metadata files, and the
    files the stylesheets load, all inside ``staging`` (see :func:`check_paths`)."""
    from cohortpress.render._metadata import merged_metadata
    from cohortpress.render._source import read_source

    check_paths(project, "_quarto.yml", staging)
    front_matter = read_source(staging, name).front_matter
    check_paths(front_matter, f"{name} front matter", staging)
    merged = merged_metadata(staging, front_matter, project, name)
    check_paths(merged, f"{name} metadata-files", staging)
    for key, value in _path_values(merged):
        if key.rsplit(".", 1)[-1] == "css":
            for path in _paths(value):
                _check_stylesheet(staging / path, staging, f"{key}: {path}")


_CSS_LOADS = re.compile(r"""url\(\s*["']?(?P<url>[^"')\s]+)|@import\s+["'](?P<import>[^"']+)""")


def _check_stylesheet(path: Path, staging: Path, where: str) -> None:
    """A stylesheet loads no remote resource and no file outside the folder (pandoc would
    leave a remote ``url()`` in the self-contained page)."""
    if not path.is_file():
        return  # named as missing where the file is staged
    css = path.read_text(encoding="utf-8", errors="replace")
    for match in _CSS_LOADS.finditer(css):
        target = match["url"] or match["import"]
        if not target.startswith(("data:", "#")):
            if _REMOTE.match(target) or Path(target).is_absolute():
                confined(target, staging, where)
            confined(os.path.relpath(path.parent / target, staging), staging, where)
