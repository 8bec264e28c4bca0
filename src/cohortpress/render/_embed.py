"""The HTML page made self-contained: every file it loads is put into the page.

A stylesheet ``<link>`` becomes a ``<style>`` element; an image, a raw-HTML ``src``,
``srcset``, ``poster`` or ``href`` (outside ``<a>``), a CSS ``url()`` (in a stylesheet, a
``<style>`` element or a ``style`` attribute) and a CSS ``@import`` become data URIs. A
stylesheet's own ``url()`` and ``@import`` are read relative to the stylesheet, as a browser
reads them.

pandoc's ``--embed-resources`` did this before, but it parsed the whole page again after
writing it: a third of the manuscript's HTML pass (0.15 s of CPU), the largest part of a text
edit's render left to cut. It also left a ``srcset``, a ``style`` attribute's ``url()`` and a
stylesheet's ``@import`` as written, so the page showed nothing there once moved. Here every
one is embedded.

Nothing is fetched that ``filters/confine.lua`` (images, raw HTML) and
``_confine.check_sources`` (stylesheets) have not admitted: the page may load only files of
the staging folder, given as ``files``. A target outside that list stops the render rather
than leaving a page that loads it.
"""

from __future__ import annotations

import base64
import html
import posixpath
import re
from typing import TYPE_CHECKING

from cohortpress.errors import RenderError

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

# As filters/confine.lua names them; anything else is embedded as application/octet-stream.
_MIME = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "svg": "image/svg+xml", "webp": "image/webp", "css": "text/css", "js": "text/javascript",
    "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
}  # fmt: skip
# Attributes whose value a browser loads (href only outside <a>), as in filters/confine.lua.
_LOADED = frozenset({"src", "srcset", "poster", "data", "background", "href", "xlink:href"})

# One token of the page: a comment, a <script> or <style> element whole, or a start tag.
_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<(?P<element>script|style)\b(?P<element_attrs>(?:\"[^\"]*\"|'[^']*'|[^'\">])*)>"
    r"(?P<content>.*?)</(?P=element)\s*>"
    r"|<(?P<tag>[A-Za-z][\w:-]*)(?P<attrs>(?:\"[^\"]*\"|'[^']*'|[^'\">])*)>",
    re.DOTALL | re.IGNORECASE,
)
_ATTRIBUTE = re.compile(
    r"""(?P<lead>\s+)(?P<name>[^\s=/>"']+)"""
    r"""(?:(?P<eq>\s*=\s*)(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'>]+)))?"""
)
_CSS_LOAD = re.compile(
    r"""url\(\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^"')\s]+))\s*\)"""
    r"""|@import\s+(?:"(?P<import_dq>[^"]*)"|'(?P<import_sq>[^']*)')""",
    re.IGNORECASE,
)


# What the self-contained page may load, declared in it: nothing from the network and no
# script, whatever raw HTML or CSS the manuscript holds (image-set(), escaped url(), an
# iframe's srcdoc, a javascript: link); its own styles and the data: URIs it embeds. The
# checks below refuse what they recognise; the browser refuses the rest.
PAGE_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "media-src data:; base-uri 'none'; form-action 'none'"
)


def embed_resources(page: str, staging: Path, files: Collection[str]) -> str:
    """``page`` (an HTML page of ``staging``) with every file it loads embedded.

    Raises
    ------
    RenderError
        The page loads something that is not one of ``files``: a remote URL, a path outside
        the staging folder, a missing file.
    """
    return _Embedder(staging, frozenset(files)).page(page)


class _Embedder:
    def __init__(self, staging: Path, files: frozenset[str]) -> None:
        self.staging = staging
        self.files = files

    def page(self, page: str) -> str:
        return _TOKEN.sub(self._token, page)

    def _token(self, match: re.Match[str]) -> str:
        element = (match["element"] or "").lower()
        if element == "style":
            css = self._css(match["content"], "", "a <style> element")
            return f"<style{self._attributes(match['element_attrs'], 'style')}>{css}</style>"
        if element == "script":
            attrs = self._attributes(match["element_attrs"], "script")
            return f"<script{attrs}>{match['content']}</script>"
        tag = match["tag"]
        if tag is None:
            return match[0]  # a comment: nothing in it is loaded
        if tag.lower() == "link" and _is_stylesheet(match["attrs"]):
            return self._stylesheet(match["attrs"])
        return f"<{tag}{self._attributes(match['attrs'], tag.lower())}>"

    def _attributes(self, attrs: str, tag: str) -> str:
        def attribute(found: re.Match[str]) -> str:
            name = found["name"].lower()
            raw = _value(found)
            if (
                raw is None
                or not (name in _LOADED or name == "style")
                or (name == "href" and tag == "a")
            ):
                return found[0]
            value = html.unescape(raw)
            if name == "style":
                embedded = self._css(value, "", f"a style attribute of <{tag}>")
            elif name == "srcset":
                embedded = ", ".join(
                    " ".join([self._uri(url, "", f"<{tag} srcset>"), *descriptors])
                    for url, descriptors in _srcset(value)
                )
            else:
                embedded = self._uri(value, "", f"<{tag} {name}>")
            if embedded == value:
                return found[0]
            return f'{found["lead"]}{found["name"]}="{html.escape(embedded)}"'

        return _ATTRIBUTE.sub(attribute, attrs)

    def _stylesheet(self, attrs: str) -> str:
        """``<link rel="stylesheet" href=…>`` as the ``<style>`` element of its file."""
        href = _attribute(attrs, "href")
        if href is None:
            return f"<link{attrs}>"
        path = self._file(html.unescape(href), "", "a stylesheet")
        css = self._css(self._read(path).decode("utf-8", errors="replace"), path, path)
        media = _attribute(attrs, "media")
        opening = (
            "<style>" if media is None else f'<style media="{html.escape(html.unescape(media))}">'
        )
        return f"{opening}\n{css}</style>"

    def _css(self, css: str, source: str, where: str, seen: tuple[str, ...] = ()) -> str:
        """``css`` with its ``url()`` and ``@import`` targets embedded; ``source`` is the file
        it was read from (relative targets are read from its folder), ``""`` for the page."""
        base = posixpath.dirname(source)

        def load(found: re.Match[str]) -> str:
            target = next(t for t in found.groups() if t is not None)
            if _kept(target):
                return found[0]
            uri = self._uri(target, base, where, (*seen, source) if source else seen)
            if found[0][:1] == "@":
                return f'@import url("{uri}")'
            return f'url("{uri}")'

        embedded = _CSS_LOAD.sub(load, css)
        return re.sub(r"</(style)", r"<\\/\1", embedded, flags=re.IGNORECASE)

    def _uri(self, target: str, base: str, where: str, seen: tuple[str, ...] = ()) -> str:
        """The data URI of the file ``target`` names (relative to ``base``)."""
        if _kept(target):
            return target
        path = self._file(target, base, where)
        extension = path.rpartition(".")[2].lower()
        data = self._read(path)
        if extension == "css":  # a stylesheet's own loads, read relative to it
            if path in seen:
                chain = " → ".join(seen)
                raise RenderError(f"HTML page, {where}: '{target}' imports itself ({chain})")
            css = data.decode("utf-8", errors="replace")
            data = self._css(css, path, path, seen).encode("utf-8")
        mime = _MIME.get(extension, "application/octet-stream")
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

    def _file(self, target: str, base: str, where: str) -> str:
        """The staged file ``target`` names, relative to the staging folder."""
        path = re.sub(r"[?#].*$", "", target)
        if re.match(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//|/)", path):
            raise RenderError(f"HTML page, {where}: '{target}' is not a file of the study folder")
        path = posixpath.normpath(posixpath.join(base, path))
        if path not in self.files:
            raise RenderError(f"HTML page, {where}: '{target}': no such file in the study folder")
        return path

    def _read(self, path: str) -> bytes:
        return (self.staging / path).read_bytes()


def _value(found: re.Match[str]) -> str | None:
    """An attribute's value as written (still HTML-escaped); ``None`` when it has none."""
    for group in ("dq", "sq", "bare"):
        if found[group] is not None:
            return found[group]
    return None


_SRCSET_URL = re.compile(r"[\s,]*(\S+)")
_SRCSET_DESCRIPTORS = re.compile(r"([^,]*)(?:,|$)")


def _srcset(value: str) -> list[tuple[str, list[str]]]:
    """A ``srcset``'s image candidates: each URL (a run of non-space characters, so a data
    URI's comma stays in it) with its descriptors, as the HTML standard parses them."""
    candidates: list[tuple[str, list[str]]] = []
    position = 0
    while found := _SRCSET_URL.match(value, position):
        url, position = found[1], found.end()
        if url.endswith(","):  # no descriptors
            candidates.append((url.rstrip(","), []))
            continue
        descriptors = _SRCSET_DESCRIPTORS.match(value, position)
        assert descriptors is not None  # matches the empty string
        candidates.append((url, descriptors[1].split()))
        position = descriptors.end()
    return candidates


def _kept(target: str) -> bool:
    """Nothing to load: empty, a fragment of this page, or already a data URI."""
    target = target.strip()
    return target == "" or target.startswith("#") or target[:5].lower() == "data:"


def _attribute(attrs: str, name: str) -> str | None:
    """The value of the attribute ``name`` in a tag's ``attrs``, as written."""
    for found in _ATTRIBUTE.finditer(attrs):
        if found["name"].lower() == name:
            return _value(found)
    return None


def _is_stylesheet(attrs: str) -> bool:
    return "stylesheet" in (_attribute(attrs, "rel") or "").lower().split()
