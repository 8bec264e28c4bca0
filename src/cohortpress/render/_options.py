"""The part of ``_quarto.yml`` that cohortpress reads, as one validated, frozen object.

Keys keep Quarto's names and meanings; the embedded engine honours exactly the fields below and
names every other key it meets (``RenderOptions.ignored``), so nothing is dropped silently. A
format option may also sit at the top level, where Quarto applies it to every format.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from cohortpress._yaml import deep_merge, load_yaml
from cohortpress.errors import StudyConfigError

if TYPE_CHECKING:
    from pathlib import Path

QUARTO_FILE = "_quarto.yml"
_BUILT_IN_KINDS = {"fig", "tbl", "lst", "eq", "sec", "thm", "lem", "cor", "prp", "cnj", "def",
                   "exm", "exr", "sol", "rem", "tip", "nte", "wrn", "imp", "cau"}  # fmt: skip


def _as_tuple(value: Any) -> Any:
    """Quarto accepts one path or a list of paths."""
    return (value,) if isinstance(value, str) else value


def _label_style(value: str) -> str:
    """Quarto's numbering styles that the embedded engine writes."""
    if not re.fullmatch(r"arabic|roman( i)?|alpha \S", value):
        raise ValueError("expected arabic, roman, roman i, or alpha followed by the first letter")
    return value


Paths = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
LabelStyle = Annotated[str, AfterValidator(_label_style)]


def _key(default: Any, key: str, **kwargs: Any) -> Any:
    """A field read from, and written back as, its Quarto key (``tbl-title``, ``fig-width``)."""
    return Field(default, validation_alias=key, serialization_alias=key, **kwargs)


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CustomFloat(_Options):
    """A Quarto 1.4 custom cross-reference kind (``crossref: custom:``), numbered on its own:
    the supplement's "Table S1" (key ``supptbl``). Its floats are set as tables, or as figures
    when they hold an image. LaTeX keys are accepted for Quarto and have no use here."""

    kind: Literal["float"] = "float"
    key: str = Field(pattern=r"^[a-z][a-z0-9]*$", description="label prefix: #supptbl-…")
    reference_prefix: str = _key(..., "reference-prefix", description="'Table S' in @supptbl-")
    caption_prefix: str | None = _key(None, "caption-prefix", description="default: reference")
    space_before_numbering: bool = _key(True, "space-before-numbering")
    latex_env: str | None = _key(None, "latex-env")
    latex_list_of_description: str | None = _key(None, "latex-list-of-description")
    latex_list_of_file_extension: str | None = _key(None, "latex-list-of-file-extension")

    @field_validator("key")
    @classmethod
    def _not_built_in(cls, key: str) -> str:
        if key in _BUILT_IN_KINDS:
            raise ValueError(f"'{key}' is a built-in cross-reference kind")
        return key


class CrossrefOptions(_Options):
    """Quarto's ``crossref:`` keys for tables and figures (Quarto's defaults)."""

    tbl_title: str = _key("Table", "tbl-title", description="caption prefix of tables")
    fig_title: str = _key("Figure", "fig-title", description="caption prefix of figures")
    tbl_prefix: str = _key("Table", "tbl-prefix", description="reference prefix, @tbl-")
    fig_prefix: str = _key("Figure", "fig-prefix", description="reference prefix, @fig-")
    tbl_labels: LabelStyle = _key("arabic", "tbl-labels", description="arabic, roman, …")
    fig_labels: LabelStyle = _key("arabic", "fig-labels", description="arabic, roman, …")
    title_delim: str = _key(":", "title-delim", description="after the number: 'Table I.'")
    custom: tuple[CustomFloat, ...] = Field(default=(), description="custom float kinds")


class _FormatOptions(_Options):
    toc: bool = Field(default=False, description="table of contents")
    toc_title: str | None = _key(None, "toc-title")
    toc_depth: int = _key(3, "toc-depth", ge=1, le=6)


class HtmlOptions(_FormatOptions):
    """``format: html:``; the page is always self-contained."""

    css: Paths = Field(default=(), description="stylesheets; cohortpress's own when none")
    embed_resources: bool = _key(True, "embed-resources")
    format_links: bool = _key(True, "format-links", description="link the PDF and DOCX")


class DocxOptions(_FormatOptions):
    """``format: docx:``."""

    reference_doc: str | None = _key(None, "reference-doc", description="Word styles")


class TypstOptions(_FormatOptions):
    """``format: typst:`` (the PDF)."""

    papersize: str = Field(default="a4", pattern=r"^[\w-]+$")
    include_in_header: Paths = _key(
        (), "include-in-header", description="Typst files set after the template's own rules"
    )
    mainfont: str | None = Field(default=None, pattern=r'^[^"\\]+$')
    fontsize: str = Field(default="10pt", pattern=r"^\d+(\.\d+)?(pt|mm|cm|in|em)$")


class RenderOptions(_Options):
    """Render options shared by both engines, read from ``_quarto.yml`` (and front matter).

    Figures are drawn once for every format at ``fig_width`` × ``fig_height`` inches and
    ``fig_dpi`` dots per inch (PNG at 300 dpi by default, as journals ask).
    """

    fig_width: float = _key(7.0, "fig-width", gt=0)
    fig_height: float = _key(5.0, "fig-height", gt=0)
    fig_dpi: int = _key(300, "fig-dpi", gt=0)
    lang: str = Field(
        default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$", description="BCP 47"
    )
    bibliography: Paths = ()
    csl: str | None = None
    output_dir: str | None = Field(default=None, description="project.output-dir, used by Quarto")
    crossref: CrossrefOptions = CrossrefOptions()
    html: HtmlOptions = HtmlOptions()
    docx: DocxOptions = DocxOptions()
    typst: TypstOptions = TypstOptions()
    floats_after_references: bool = _key(
        False,
        "floats-after-references",
        description=(
            "tables and figures moved after the references (before any appendix), each on a "
            "page of its own in PDF and DOCX; set by the submission profile"
        ),
    )
    ignored: tuple[str, ...] = Field(default=(), description="keys the embedded engine ignores")


_FORMATS: dict[str, type[_FormatOptions]] = {
    "html": HtmlOptions,
    "docx": DocxOptions,
    "typst": TypstOptions,
}
_SHARED = {"fig-width", "fig-height", "fig-dpi", "lang", "bibliography", "csl",
           "floats-after-references"}  # fmt: skip
_DOCUMENT = {"title", "subtitle", "running-title", "author", "authors", "affiliations", "date",
             "abstract", "abstract-title", "keywords", "metadata-files"}  # fmt: skip
_NOTHING_TO_DO = {"execute"}  # the embedded engine refuses code cells, so there is nothing to run


def _aliases(model: type[BaseModel]) -> set[str]:
    return {str(field.validation_alias or name) for name, field in model.model_fields.items()}


_FORMAT_KEYS = set().union(*(_aliases(model) for model in _FORMATS.values()))


def _pick(mapping: Any, model: type[BaseModel], path: str) -> tuple[dict[str, Any], list[str]]:
    """The keys of ``mapping`` that ``model`` knows, and the YAML paths of the others."""
    if not isinstance(mapping, dict):
        return {}, [] if mapping in (None, "default") else [path]
    known = _aliases(model)
    picked = {key: value for key, value in mapping.items() if key in known}
    return picked, [f"{path}.{key}" for key in mapping if key not in known]


def _formats(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Each format's options: top-level format keys first, then its own ``format:`` block."""
    shared = {key: value for key, value in config.items() if key in _FORMAT_KEYS}
    blocks = config.get("format") or {}
    if isinstance(blocks, str | list):
        blocks = dict.fromkeys([blocks] if isinstance(blocks, str) else blocks)
    data: dict[str, Any] = {}
    ignored: list[str] = []
    for name, model in _FORMATS.items():
        top, _ = _pick(shared, model, "")
        own, skipped = _pick(blocks.get(name), model, f"format.{name}")
        data[name] = top | own
        ignored += skipped
    ignored += [f"format.{name}" for name in blocks if name not in _FORMATS]
    return data, ignored


def _project(config: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    project = config.get("project") or {}
    if not isinstance(project, dict):
        return {}, ["project"]
    ignored = [f"project.{key}" for key in project if key not in {"type", "output-dir"}]
    return {"output_dir": project.get("output-dir")}, ignored


def options_from_config(config: dict[str, Any], source: str = QUARTO_FILE) -> RenderOptions:
    """Validate the honoured keys of a Quarto configuration mapping; list the others.

    Raises
    ------
    StudyConfigError
        A honoured key has a value of the wrong kind, named by its YAML path.
    """
    data: dict[str, Any] = {key: config[key] for key in _SHARED if key in config}
    data["crossref"], ignored = _pick(config.get("crossref"), CrossrefOptions, "crossref")
    formats, skipped = _formats(config)
    project, unused = _project(config)
    known = _SHARED | _DOCUMENT | _NOTHING_TO_DO | _FORMAT_KEYS | {"crossref", "format", "project"}
    ignored += skipped + unused + [key for key in config if key not in known]
    try:
        return RenderOptions.model_validate(data | formats | project | {"ignored": tuple(ignored)})
    except ValidationError as exc:
        raise StudyConfigError(_describe(exc, source)) from None


def _yaml_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(part) for part in loc]
    if parts[0] in _FORMATS:
        parts.insert(0, "format")
    elif parts[0] == "output_dir":
        parts = ["project", "output-dir"]
    return ".".join(parts)


def _describe(exc: ValidationError, source: str) -> str:
    return "\n".join(
        f"{source}: {_yaml_path(error['loc'])}: "
        f"{error['msg'].removeprefix('Value error, ')}; got {error.get('input')!r}"
        for error in exc.errors()
    )


def profile_file(profile: str) -> str:
    """The file of a Quarto profile, merged over ``_quarto.yml`` (``_quarto-submission.yml``)."""
    return f"_quarto-{profile}.yml"


def load_quarto_config(project_root: Path, profile: str | None = None) -> dict[str, Any]:
    """The project's ``_quarto.yml`` as a mapping (empty when the project has none), with the
    profile's ``_quarto-<profile>.yml`` merged over it as Quarto merges it.

    Raises
    ------
    StudyConfigError
        A file is not a mapping, or the profile has no file in the project root.
    """
    config = read_config(project_root / QUARTO_FILE, QUARTO_FILE)
    if profile is None:
        return config
    name = profile_file(profile)
    if not re.fullmatch(r"[\w-]+", profile) or not (project_root / name).is_file():
        raise StudyConfigError(
            f"--profile {profile}: the project has no {name} (in {project_root}); the "
            "profiles are the _quarto-<name>.yml files beside _quarto.yml"
        )
    return deep_merge(config, read_config(project_root / name, name))


def read_config(path: Path, name: str) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        config = load_yaml(path.read_text(encoding="utf-8"), name)
    except ValueError as exc:
        raise StudyConfigError(str(exc)) from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StudyConfigError(f"{name}: expected a mapping of options at the top level")
    return config


def read_render_options(project_root: Path, profile: str | None = None) -> RenderOptions:
    """The validated render options of the project at ``project_root`` (its ``_quarto.yml``
    and the profile's file).

    The pipeline reads figure size and resolution here before drawing figures, so both engines
    show the same figures.
    """
    return options_from_config(load_quarto_config(project_root, profile))
