"""The embedded engine: pandoc for HTML and DOCX, pandoc's Typst writer plus the typst compiler
for the PDF, all from PyPI wheels.

Each format runs the same Lua filters in the same order (raw HTML, confinement,
cross-references, citations, then the format's own shaping), so every format numbers and
captions alike. pandoc runs with ``--sandbox``: see ``_confine.py`` and ``filters/confine.lua``.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cohortpress._yaml import dump_yaml
from cohortpress.errors import RenderError
from cohortpress.render._bibliography import missing_citations
from cohortpress.render._confine import staged_files
from cohortpress.render._document import PreparedDocument, prepare_document
from cohortpress.render._embed import PAGE_POLICY, embed_resources
from cohortpress.render._landscape import landscape_tables, mark_landscape
from cohortpress.render._pandoc import run_pandoc
from cohortpress.render._resources import STAGED, lua_filter, resource, template
from cohortpress.render._source import locate
from cohortpress.render._staging import stage_named_files
from cohortpress.render._typst import compile_typst

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence
    from concurrent.futures import Future
    from pathlib import Path
    from typing import Any

    from cohortpress.render._options import RenderOptions
    from cohortpress.render._source import SourceLine

BUILD = "_render"  # intermediate files, inside the staging folder
# Where references.lua keeps citeproc's results, and whether it may take them (see _kept.py)
CITEPROC_CACHE, CITEPROC_READ = "COHORTPRESS_CITEPROC", "COHORTPRESS_CITEPROC_READ"
_LINKS = {"pdf": "PDF", "docx": "Word"}


def render_embedded(
    staging: Path,
    formats: Sequence[str],
    project: dict[str, Any],
    project_root: Path,
    stem: str = "manuscript",
) -> tuple[dict[str, Path], list[str]]:
    """Render ``staging/<stem>.qmd`` to each format; return outputs and notes."""
    job = stage_embedded(staging, formats, project, project_root, stem)
    return job.listing(staged_files(staging)).write()


@dataclass(frozen=True)
class EmbeddedJob:
    """A document staged for the embedded engine: its pandoc input is written to
    ``_render/<stem>.*`` and nothing shared in the staging folder is written any more, so
    several documents' jobs can :meth:`write` side by side, once :meth:`listing` told them the
    files they may read."""

    staging: Path
    formats: tuple[str, ...]
    stem: str
    document: PreparedDocument
    notes: tuple[str, ...]
    turned: frozenset[str]  # the tables that turn landscape, in every format
    files: tuple[str, ...] | None = None  # what the document may read; None until listed
    # Where the filters keep what they computed for an earlier run (references.lua, citeproc's
    # result): it saves time and never changes an output, so unlike ``env`` no key holds it.
    caches: tuple[tuple[str, str], ...] = ()

    def listing(self, files: Sequence[str]) -> EmbeddedJob:
        """This job, reading ``files`` of the staging folder (:func:`~._confine.staged_files`,
        listed once every file is written: the figures may be drawn after staging)."""
        return replace(self, files=tuple(files))

    @property
    def env(self) -> dict[str, str]:
        """What the filters read: the files the document may read (``filters/confine.lua``)."""
        if self.files is None:
            raise RuntimeError(f"{self.stem}: written before its files were listed")
        return {"COHORTPRESS_FILES": "\n".join(self.files)}

    @property
    def run_env(self) -> dict[str, str]:
        """What pandoc runs with: :attr:`env` and where the filters keep their results."""
        return {**self.env, **dict(self.caches)}

    def start_ahead(self, pool: ThreadPoolExecutor, folder: Path) -> dict[str, PandocPass]:
        """Start, on ``pool``, the pandoc passes of this job that read no figure (HTML's, and
        the Typst source of the PDF), writing into ``folder`` (outside the staging folder, so
        nothing the render's keys read changes); by format. The job must be listed with the
        files it will read once the figures are drawn.

        Where citeproc's result is kept (``references.lua``), the PDF's pass starts once the
        page's has ended and takes the citations it kept, instead of running citeproc beside
        it (a tenth of a second of CPU, while the figures are drawn)."""
        env = self.run_env
        passes: dict[str, PandocPass] = {}
        for fmt in (f for f in _AHEAD if f in self.formats):  # the page's pass first
            output = folder / f"{self.stem}.{_AHEAD[fmt]}"
            args = [*_PANDOC_ARGS[fmt](self), f"--output={output}"]
            page = passes.get("html") if fmt == "pdf" and self._keeps_citations else None
            started = pool.submit(_run_after, page and page.warnings, args, self.staging, env)
            passes[fmt] = PandocPass(output, started)
        return passes

    @property
    def _keeps_citations(self) -> bool:
        """Whether citeproc's result, if the document cites, is kept for its other passes."""
        caches = dict(self.caches)
        kept = bool(caches.get(CITEPROC_CACHE)) and caches.get(CITEPROC_READ) != "0"
        return kept and bool(self.document.options.bibliography)

    def write(
        self, ahead: Mapping[str, PandocPass] | None = None, behind: Collection[str] = ()
    ) -> tuple[dict[str, Path], list[str]]:
        """Write every format; return outputs and notes. ``ahead``: the pandoc passes
        :meth:`start_ahead` started, by format, taken instead of running them again;
        ``behind``: the formats whose pandoc and typst run at a lower priority, behind the
        render's longest pass (see ``StagedDocuments.write``)."""
        env = self.run_env  # listed first: a job not listed fails here, before any pandoc runs
        notes = list(self.notes)
        ahead = ahead or {}
        # The formats are written side by side: the work is in pandoc's processes and in
        # typst (which releases the GIL), and each format writes only its own files (html with
        # its _render/<stem>.html, docx, and pdf with its _render/<stem>.typ). Results are
        # taken in the order asked, so the outputs, the notes and the error raised (the first
        # format's that failed) are those of writing them one after the other.
        with ThreadPoolExecutor(max_workers=len(self.formats) or 1) as pool:
            written = [
                pool.submit(_WRITERS[fmt], self, env, ahead.get(fmt), fmt in behind)
                for fmt in self.formats
            ]
        outputs: dict[str, Path] = {}
        for fmt, future in zip(self.formats, written, strict=True):
            try:
                outputs[fmt], warnings = future.result()
            except RenderError as exc:
                raise RenderError(locate(str(exc), self.document.lines)) from None
            notes += warnings
        _check_citations(notes, self.document.options, self.document.lines)
        return outputs, list(dict.fromkeys(notes))  # each format repeats pandoc's warnings


def _run_after(
    first: Future[list[str]] | None, args: list[str], cwd: Path, env: dict[str, str]
) -> list[str]:
    """:func:`run_pandoc`, once ``first`` is done (its outcome is its own pass's to report)."""
    if first is not None:
        wait([first])
    return run_pandoc(args, cwd, env)


@dataclass(frozen=True)
class PandocPass:
    """A format's pandoc pass started ahead (:meth:`EmbeddedJob.start_ahead`): where pandoc
    writes, and its warnings (or its error) once done."""

    output: Path
    warnings: Future[list[str]]


def stage_embedded(
    staging: Path,
    formats: Sequence[str],
    project: dict[str, Any],
    project_root: Path,
    stem: str = "manuscript",
    caches: Mapping[str, str] | None = None,
) -> EmbeddedJob:
    """Prepare ``staging/<stem>.qmd`` and write pandoc's input for it, ready to be listed
    and written; ``caches``: see :attr:`EmbeddedJob.caches`."""
    document = prepare_document(staging, project, f"{stem}.qmd")
    options = document.options
    stage_named_files(staging, project_root, options)
    build = staging / BUILD
    build.mkdir(exist_ok=True)
    markdown = mark_landscape(document.markdown)  # which tables turn: one decision for all
    (build / f"{stem}.md").write_text(markdown, encoding="utf-8")
    turned = landscape_tables(markdown)
    metadata = document.metadata | _format_links(formats, options, stem)
    (build / f"{stem}.metadata.yaml").write_text(dump_yaml(metadata), encoding="utf-8")
    notes = tuple(f"not used by the embedded engine: {key}" for key in options.ignored)
    kept = tuple(sorted((caches or {}).items()))
    return EmbeddedJob(staging, tuple(formats), stem, document, notes, turned, caches=kept)


def _check_citations(
    notes: list[str], options: RenderOptions, lines: tuple[SourceLine, ...]
) -> None:
    """A citation of a key no bibliography defines stops the render: the manuscript would
    print "(key?)" where a reference number belongs."""
    missing = list(dict.fromkeys(missing_citations(notes)))
    if missing:
        keys = ", ".join(f"@{key}" for key in missing)
        raise RenderError(
            locate(
                f"{keys}: cited, but defined in none of the bibliographies "
                f"({', '.join(options.bibliography)}); add the reference to your "
                "references.bib or correct the key",
                lines,
            )
        )


def _format_links(formats: Sequence[str], options: RenderOptions, stem: str) -> dict[str, Any]:
    if not options.html.format_links:
        return {}
    links = [{"href": f"{stem}.{f}", "text": _LINKS[f]} for f in formats if f in _LINKS]
    return {"format-links": links} if links else {}


def _common_args(fmt: str, stem: str, options: RenderOptions) -> list[str]:
    metadata = f"--metadata-file={BUILD}/{stem}.metadata.yaml"
    args = [f"{BUILD}/{stem}.md", "--from=markdown", metadata]
    args += ["--wrap=none", "--sandbox"]  # pandoc reads only the files named here
    args += ["--resource-path=.", f"--lua-filter={lua_filter('raw_html')}"]
    if fmt in ("html", "typst"):  # the figures' SVG, checked by confine.lua
        args.append(f"--lua-filter={lua_filter('vector')}")
    args += [f"--lua-filter={lua_filter('confine')}", f"--lua-filter={lua_filter('crossref')}"]
    if options.bibliography:
        args.append(f"--lua-filter={lua_filter('references')}")  # runs citeproc if it cites
    if options.floats_after_references:  # after citeproc, which fills the #refs div
        args.append(f"--lua-filter={lua_filter('floats')}")
    if fmt != "html" and not options.floats_after_references:  # the moved floats stay apart
        args.append(f"--lua-filter={lua_filter('landscape')}")
    if fmt != "html":
        args.append(f"--lua-filter={lua_filter(fmt)}")
    return args


def _toc_args(toc: bool, title: str | None, depth: int) -> list[str]:
    if not toc:
        return []
    return ["--toc", f"--toc-depth={depth}"] + ([f"--metadata=toc-title:{title}"] if title else [])


def _html_args(job: EmbeddedJob) -> list[str]:
    """pandoc's arguments for the HTML page, but its output."""
    html = job.document.options.html
    css = list(html.css) or [f"{STAGED}/manuscript.css"]  # confine.lua checks them
    args = _common_args("html", job.stem, job.document.options) + ["--to=html5", "--standalone"]
    args += [f"--template={template('manuscript.html')}", "--mathml", "--section-divs"]
    args.append(f"--variable=content-policy:{PAGE_POLICY}")
    args += [f"--css={path}" for path in css]
    return args + _toc_args(html.toc, html.toc_title, html.toc_depth)


def _typst_args(job: EmbeddedJob) -> list[str]:
    """pandoc's arguments for the PDF's Typst source, but its output."""
    typ = job.document.options.typst
    # citeproc has run (references.lua): the citations are written as it formatted them, not
    # as Typst's own (pandoc turns them off itself only for --citeproc)
    args = _common_args("typst", job.stem, job.document.options)
    args += ["--to=typst-citations", "--standalone"]
    # The page's settings are the template's variables, not metadata: the metadata is what
    # references.lua keys citeproc's result by, which every format then shares.
    args += [f"--template={template('manuscript.typ')}", f"--variable=papersize:{typ.papersize}"]
    args += [f"--variable=fontsize:{typ.fontsize}"]
    args += [f"--variable=mainfont:{typ.mainfont}"] if typ.mainfont else []
    args += [f"--include-in-header={path}" for path in typ.include_in_header]
    return args + _toc_args(typ.toc, typ.toc_title, typ.toc_depth)


# The formats whose pandoc pass reads no figure, with its output's suffix in _render/: the
# HTML page embeds the figures after pandoc (_embed.py), and typst reads them when compiling.
_AHEAD = {"html": "html", "pdf": "typ"}
_PANDOC_ARGS: dict[str, Callable[[EmbeddedJob], list[str]]] = {
    "html": _html_args,
    "pdf": _typst_args,
}


def _pandoc_pass(
    job: EmbeddedJob, fmt: str, env: dict[str, str], ahead: PandocPass | None, behind: bool
) -> tuple[Path, list[str]]:
    """Run ``fmt``'s pandoc pass into ``_render/<stem>.<suffix>``, or take the one run ahead
    (its output moved there, its error raised here); the output and pandoc's warnings."""
    output = job.staging / BUILD / f"{job.stem}.{_AHEAD[fmt]}"
    if ahead is None:
        args = [*_PANDOC_ARGS[fmt](job), f"--output={BUILD}/{output.name}"]
        return output, run_pandoc(args, cwd=job.staging, env=env, behind=behind)
    warnings = ahead.warnings.result()
    shutil.move(ahead.output, output)
    return output, warnings


def _write_html(
    job: EmbeddedJob, env: dict[str, str], ahead: PandocPass | None = None, behind: bool = False
) -> tuple[Path, list[str]]:
    page, warnings = _pandoc_pass(job, "html", env, ahead, behind)
    # The page made self-contained here rather than by pandoc's --embed-resources: see _embed.
    output = job.staging / f"{job.stem}.html"
    text = page.read_text(encoding="utf-8")
    output.write_text(embed_resources(text, job.staging, job.files or ()), encoding="utf-8")
    return output, warnings


def _write_docx(
    job: EmbeddedJob, env: dict[str, str], ahead: PandocPass | None = None, behind: bool = False
) -> tuple[Path, list[str]]:
    assert ahead is None  # pandoc reads the figures into the document
    staging, stem, options = job.staging, job.stem, job.document.options
    docx = options.docx
    reference = staging / docx.reference_doc if docx.reference_doc else resource("reference.docx")
    args = _common_args("docx", stem, options) + ["--to=docx", f"--reference-doc={reference}"]
    args += ["--table-caption-position=above", "--figure-caption-position=below"]
    args += _toc_args(docx.toc, docx.toc_title, docx.toc_depth)
    warnings = run_pandoc([*args, f"--output={stem}.docx"], cwd=staging, env=env, behind=behind)
    # Imported here: an HTML run has no use for them (xml.sax.saxutils alone brings urllib,
    # http.client and ssl), and a text edit's HTML run is mostly imports.
    from cohortpress.render._docx_header import fill_running_title
    from cohortpress.render._docx_pages import fit_pages
    from cohortpress.render._docx_rules import rule_headers
    from cohortpress.render._docx_widths import table_widths
    from cohortpress.render._docx_xml import edit_document

    # booktabs rules, table widths, floats kept whole: one read and one write of the package
    edit_document(staging / f"{stem}.docx", rule_headers, table_widths(job.turned), fit_pages)
    fill_running_title(staging / f"{stem}.docx")
    return staging / f"{stem}.docx", warnings


def _write_pdf(
    job: EmbeddedJob, env: dict[str, str], ahead: PandocPass | None = None, behind: bool = False
) -> tuple[Path, list[str]]:
    source, warnings = _pandoc_pass(job, "pdf", env, ahead, behind)
    pdf = job.staging / f"{job.stem}.pdf"
    warnings = [*warnings, *compile_typst(source, pdf, job.staging, behind=behind)]
    return job.staging / f"{job.stem}.pdf", warnings


_WRITERS = {"html": _write_html, "docx": _write_docx, "pdf": _write_pdf}
