"""The embedded engine: pandoc for HTML and DOCX, pandoc's Typst writer plus the typst compiler
for the PDF, all from PyPI wheels.

Each format runs the same Lua filters in the same order (raw HTML, confinement,
cross-references, citations, then the format's own shaping), so every format numbers and
captions alike. pandoc runs with ``--sandbox``: see ``_confine.py`` and ``filters/confine.lua``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import yaml

from cohortpress.errors import RenderError
from cohortpress.render._confine import staged_files
from cohortpress.render._document import prepare_document
from cohortpress.render._docx_header import fill_running_title
from cohortpress.render._docx_rules import apply_booktabs_rules
from cohortpress.render._pandoc import run_pandoc
from cohortpress.render._resources import STAGED, lua_filter, resource, template
from cohortpress.render._source import locate
from cohortpress.render._staging import stage_named_files
from cohortpress.render._typst import compile_typst

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any

    from cohortpress.render._options import RenderOptions

BUILD = "_render"  # intermediate files, inside the staging folder
_LINKS = {"pdf": ("manuscript.pdf", "PDF"), "docx": ("manuscript.docx", "Word")}


def render_embedded(
    staging: Path, formats: Sequence[str], project: dict[str, Any], project_root: Path
) -> tuple[dict[str, Path], list[str]]:
    """Render ``staging/manuscript.qmd`` to each format; return outputs and notes."""
    document = prepare_document(staging, project)
    options = document.options
    stage_named_files(staging, project_root, options)
    build = staging / BUILD
    build.mkdir(exist_ok=True)
    (build / "manuscript.md").write_text(document.markdown, encoding="utf-8")
    metadata = document.metadata | _format_links(formats, options)
    (build / "metadata.yaml").write_text(
        yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    notes = [f"not used by the embedded engine: {key}" for key in options.ignored]
    # The formats are written side by side: the work is in pandoc's processes and in typst
    # (which releases the GIL), and each format writes only its own files (html, docx, and
    # pdf with its _render/manuscript.typ). Results are taken in the order asked, so the
    # outputs, the notes and the error raised (the first format's that failed) are those of
    # writing them one after the other.
    env = {"COHORTPRESS_FILES": "\n".join(staged_files(staging))}  # for filters/confine.lua
    with ThreadPoolExecutor(max_workers=len(formats) or 1) as pool:
        written = [pool.submit(_WRITERS[fmt], staging, options, env) for fmt in formats]
    outputs: dict[str, Path] = {}
    for fmt, future in zip(formats, written, strict=True):
        try:
            outputs[fmt], warnings = future.result()
        except RenderError as exc:
            raise RenderError(locate(str(exc), document.lines)) from None
        notes += warnings
    return outputs, list(dict.fromkeys(notes))  # each format repeats pandoc's warnings


def _format_links(formats: Sequence[str], options: RenderOptions) -> dict[str, Any]:
    if not options.html.format_links:
        return {}
    links = [{"href": _LINKS[f][0], "text": _LINKS[f][1]} for f in formats if f in _LINKS]
    return {"format-links": links} if links else {}


def _common_args(fmt: str, options: RenderOptions) -> list[str]:
    args = [f"{BUILD}/manuscript.md", "--from=markdown", f"--metadata-file={BUILD}/metadata.yaml"]
    args += ["--wrap=none", "--sandbox"]  # pandoc reads only the files named here
    args += ["--resource-path=.", f"--lua-filter={lua_filter('raw_html')}"]
    args += [f"--lua-filter={lua_filter('confine')}", f"--lua-filter={lua_filter('crossref')}"]
    if options.bibliography:
        args.append("--citeproc")
    if options.floats_after_references:  # after citeproc, which fills the #refs div
        args.append(f"--lua-filter={lua_filter('floats')}")
    if fmt != "html":
        args.append(f"--lua-filter={lua_filter(fmt)}")
    return args


def _toc_args(toc: bool, title: str | None, depth: int) -> list[str]:
    if not toc:
        return []
    return ["--toc", f"--toc-depth={depth}"] + ([f"--metadata=toc-title:{title}"] if title else [])


def _write_html(
    staging: Path, options: RenderOptions, env: dict[str, str]
) -> tuple[Path, list[str]]:
    html = options.html
    css = list(html.css) or [f"{STAGED}/manuscript.css"]  # confine.lua loads them
    args = _common_args("html", options) + ["--to=html5", "--standalone", "--embed-resources"]
    args += [f"--template={template('manuscript.html')}", "--mathml", "--section-divs"]
    args += [f"--css={path}" for path in css] + _toc_args(html.toc, html.toc_title, html.toc_depth)
    warnings = run_pandoc([*args, "--output=manuscript.html"], cwd=staging, env=env)
    return staging / "manuscript.html", warnings


def _write_docx(
    staging: Path, options: RenderOptions, env: dict[str, str]
) -> tuple[Path, list[str]]:
    docx = options.docx
    reference = staging / docx.reference_doc if docx.reference_doc else resource("reference.docx")
    args = _common_args("docx", options) + ["--to=docx", f"--reference-doc={reference}"]
    args += ["--table-caption-position=above", "--figure-caption-position=below"]
    args += _toc_args(docx.toc, docx.toc_title, docx.toc_depth)
    warnings = run_pandoc([*args, "--output=manuscript.docx"], cwd=staging, env=env)
    apply_booktabs_rules(staging / "manuscript.docx")
    fill_running_title(staging / "manuscript.docx")
    return staging / "manuscript.docx", warnings


def _write_pdf(
    staging: Path, options: RenderOptions, env: dict[str, str]
) -> tuple[Path, list[str]]:
    typ = options.typst
    args = _common_args("typst", options) + ["--to=typst", "--standalone"]
    args += [f"--template={template('manuscript.typ')}", f"--metadata=papersize:{typ.papersize}"]
    args += [f"--metadata=fontsize:{typ.fontsize}"]
    args += [f"--metadata=mainfont:{typ.mainfont}"] if typ.mainfont else []
    args += [f"--include-in-header={path}" for path in typ.include_in_header]
    args += _toc_args(typ.toc, typ.toc_title, typ.toc_depth)
    warnings = run_pandoc([*args, f"--output={BUILD}/manuscript.typ"], cwd=staging, env=env)
    warnings += compile_typst(
        staging / BUILD / "manuscript.typ", staging / "manuscript.pdf", staging
    )
    return staging / "manuscript.pdf", warnings


_WRITERS = {"html": _write_html, "docx": _write_docx, "pdf": _write_pdf}
