"""The HTML page made self-contained (``render/_embed.py``): every file the page loads is in
the page, read from the staging folder's listed files only, and nothing else is changed."""

from __future__ import annotations

import base64
import html
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohortpress.errors import RenderError
from cohortpress.render import render
from cohortpress.render._embed import embed_resources

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"
PNG = (FIXTURE / "figures" / "figure-1.png").read_bytes()
# What a browser would load: src, srcset, poster, data, background, href outside <a>, and CSS
# url() and @import, in <style> elements and style attributes.
TAG = re.compile(r"<(?P<tag>[a-z][\w:-]*)(?P<attrs>[^>]*)>(?P<css>[^<]*)", re.IGNORECASE)
ATTRIBUTE = re.compile(
    r"""\s(?P<name>[\w:-]+)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))"""
)
CSS = re.compile(
    r"""@import\s+(?:url\(\s*)?["']?(?P<import>[^"')\s]+)|url\(\s*["']?(?P<url>[^"')]+)"""
)
LOADED = {"src", "srcset", "poster", "data", "background", "href", "xlink:href"}


def loads(page: str) -> list[str]:
    """Every target the page would load, in order, HTML-unescaped (a srcset split)."""
    found: list[str] = []
    for tag in TAG.finditer(page):
        name = tag["tag"].lower()
        for attribute in ATTRIBUTE.finditer(tag["attrs"]):
            key = attribute["name"].lower()
            value = html.unescape(next(v for v in attribute.groups()[1:] if v is not None))
            if key == "srcset":
                found += [c.split()[0] for c in re.split(r",\s+", value) if c.strip()]
            elif key == "style":
                found += [m["import"] or m["url"] for m in CSS.finditer(value)]
            elif key in LOADED and not (key == "href" and name == "a"):
                found.append(value)
        if name == "style":
            found += [m["import"] or m["url"] for m in CSS.finditer(tag["css"])]
    return found


def data(uri: str) -> bytes:
    assert uri.startswith("data:"), uri[:60]
    return base64.b64decode(uri.split(",", 1)[1])


def folder(tmp: Path, files: dict[str, bytes | str]) -> tuple[Path, list[str]]:
    for name, content in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return tmp, sorted(files)


def test_images_and_raw_html_loads_become_data_uris(tmp_path: Path) -> None:
    staging, files = folder(tmp_path, {"figures/a.png": PNG, "img/b&c.png": b"B", "x.js": "1;"})
    page = (
        '<figure><img src="figures/a.png" alt="A &gt; B" /></figure>\n'
        '<img srcset="img/b&amp;c.png 2x, figures/a.png 1x" src="figures/a.png">\n'
        "<video poster='figures/a.png' width=3></video>\n"
        '<p style="background: url(&#39;img/b&amp;c.png&#39;)">x</p>\n'
        '<script src="x.js"></script>\n'
    )
    out = embed_resources(page, staging, files)
    assert [data(target) for target in loads(out)] == [PNG, b"B", PNG, PNG, PNG, b"B", b"1;"]
    srcset = re.search(r'srcset="([^"]*)"', out)
    assert srcset and [c.split()[1] for c in srcset[1].split(", ")] == ["2x", "1x"]
    assert 'alt="A &gt; B"' in out and "width=3" in out  # other attributes as written


def test_a_srcset_is_parsed_as_browsers_do(tmp_path: Path) -> None:
    """A candidate's URL runs to the next space, so a data URI's comma stays in it."""
    staging, files = folder(tmp_path, {"a,b.png": b"AB", "c.png": b"C"})
    page = '<img srcset="data:image/png;base64,AA== 2x, a,b.png 100w,c.png">'
    out = embed_resources(page, staging, files)
    srcset = re.findall(r'srcset="([^"]*)"', out)[0].split(", ")
    assert srcset[0] == "data:image/png;base64,AA== 2x"
    assert [data(c.split()[0]) for c in srcset[1:]] == [b"AB", b"C"]
    assert srcset[1].endswith(" 100w") and " " not in srcset[2]


def test_links_fragments_data_and_comments_stay_as_written(tmp_path: Path) -> None:
    staging, files = folder(tmp_path, {"figures/a.png": PNG})
    page = (
        '<a href="figures/a.png">the file</a> <a href="#fig-1">Figure 1</a>\n'
        '<img src="data:image/png;base64,AAAA"> <img src="">\n'
        '<!-- <img src="figures/missing.png"> -->\n'
        '<script>const s = "<img src=\\"figures/missing.png\\">";</script>\n'
        "<p>Text with src=&quot;figures/missing.png&quot; in it.</p>\n"
    )
    assert embed_resources(page, staging, files) == page


def test_a_stylesheet_becomes_a_style_element_with_its_own_loads(tmp_path: Path) -> None:
    staging, files = folder(
        tmp_path,
        {
            "css/own.css": '@import "more.css";\nbody { background: url(../figures/a.png); }\n'
            "/* a comment */\n",
            "css/more.css": "p { background-image: url('fonts/f.woff2'); }\n",
            "css/fonts/f.woff2": b"WOFF",
            "figures/a.png": PNG,
        },
    )
    page = '<head>\n  <link rel="stylesheet" href="css/own.css" media="screen" />\n</head>'
    out = embed_resources(page, staging, files)
    assert "<link" not in out
    style = re.search(r'<style media="screen">\n(.*)</style>', out, flags=re.S)
    assert style and "/* a comment */" in style[1]
    imported = re.search(r'@import url\("(data:text/css;base64,[^"]+)"\)', style[1])
    assert imported  # read relative to the stylesheet, and its own url() embedded too
    more = data(imported[1]).decode()
    assert data(re.findall(r'url\("([^"]+)"\)', more)[0]) == b"WOFF"
    assert data(re.findall(r'url\("(data:image[^"]+)"\)', style[1])[0]) == PNG


def test_a_stylesheets_media_stays_one_attribute(tmp_path: Path) -> None:
    staging, files = folder(tmp_path, {"own.css": "p {}\n"})
    page = """<link rel="stylesheet" href="own.css" media='print and (x: "a&quot;b")'>"""
    out = embed_resources(page, staging, files)
    opening = re.match(r"<style( [^>]*)?>", out)
    assert opening and opening[1] == ' media="print and (x: &quot;a&quot;b&quot;)"'


def test_style_elements_are_read_relative_to_the_page(tmp_path: Path) -> None:
    staging, files = folder(tmp_path, {"figures/a.png": PNG})
    out = embed_resources("<style>div { background: url(figures/a.png) }</style>", staging, files)
    assert data(re.findall(r'url\("([^"]+)"\)', out)[0]) == PNG


@pytest.mark.parametrize(
    ("page", "named"),
    [
        ('<img src="figures/missing.png">', "'figures/missing.png': no such file"),
        ('<img src="../outside.png">', "'../outside.png': no such file"),
        ('<img src="/etc/passwd">', "'/etc/passwd' is not a file of the study folder"),
        ('<video poster="https://evil.example/x.png">', "'https://evil.example/x.png' is not"),
        ('<p style="background: url(//evil.example/x)">', "'//evil.example/x' is not"),
        ('<link rel="stylesheet" href="loop.css">', "'loop.css' imports itself"),
    ],
)
def test_a_load_outside_the_listed_files_stops_the_render(
    tmp_path: Path, page: str, named: str
) -> None:
    staging, files = folder(tmp_path, {"figures/a.png": PNG, "loop.css": '@import "loop.css";'})
    with pytest.raises(RenderError, match=re.escape(named)):
        embed_resources(page, staging, files)


def test_a_file_not_listed_is_not_read_even_when_it_exists(tmp_path: Path) -> None:
    staging, _ = folder(tmp_path, {"secret.png": b"SECRET"})
    with pytest.raises(RenderError, match="no such file"):
        embed_resources('<img src="secret.png">', staging, [])


NAMES = st.text(alphabet=st.sampled_from("abcXYZ019 _-.&'()+,é"), min_size=1, max_size=12).filter(
    lambda n: n.strip(". ") == n and "," not in n
)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=4, unique=True))
def test_any_file_name_pandoc_writes_is_embedded(names: list[str]) -> None:
    """pandoc escapes a name's ``&`` and quotes in the attribute; the bytes of the right file
    end up in the page."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        contents = {f"img/{name}.png": name.encode() for name in names}
        staging, files = folder(Path(tmp), dict(contents))
        page = "".join(f'<img src="{html.escape(path)}" />' for path in contents)
        out = embed_resources(page, staging, files)
        assert [data(uri) for uri in loads(out)] == list(contents.values())


def test_the_rendered_page_loads_nothing_but_itself(tmp_path: Path) -> None:
    """A stylesheet of the author's with url() and @import, raw HTML with a srcset and a
    style attribute: the page rendered by the embedded engine holds all of them (pandoc's
    --embed-resources left the last three as relative paths)."""
    staging = tmp_path / "staging"
    shutil.copytree(FIXTURE, staging, ignore=shutil.ignore_patterns("make_fixture.py"))
    (staging / "style" / "img").mkdir(parents=True)
    (staging / "style" / "img" / "bg.png").write_bytes(PNG)
    (staging / "style" / "own.css").write_text(
        '@import "more.css";\nbody { background: url(img/bg.png); }\n', "utf-8"
    )
    (staging / "style" / "more.css").write_text("p { color: #222; }\n", "utf-8")
    manuscript = staging / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8")
    body = (
        "\n\n```{=html}\n"
        "<p style=\"background: url('style/img/bg.png')\">x</p>\n"
        '<img srcset="style/img/bg.png 2x, figures/figure-1.png 1x" src="figures/figure-1.png">\n'
        "```\n"
    )
    front = "---\nformat:\n  html:\n    css: [style/own.css]\n"
    manuscript.write_text(front + text.removeprefix("---\n") + body, encoding="utf-8")
    outcome = render(staging, formats=("html",), engine="embedded", project_root=ROOT)
    page = outcome.outputs["html"].read_text(encoding="utf-8")
    targets = loads(page)
    assert targets and all(t.startswith(("data:", "#")) for t in targets)
    assert (
        "<link" not in page
        and "p { color: #222; }" in data(re.findall(r'@import url\("([^"]+)"\)', page)[0]).decode()
    )
    assert not [n for n in outcome.notes if "fetch" in n]
