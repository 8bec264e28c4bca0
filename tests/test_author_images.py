"""An author's own image beside manuscript.qmd (a patient flow diagram, say) reaches every
format; one the run cannot stage stops it with the file named."""

from __future__ import annotations

import base64
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from small_project import make_project

from cohortpress.preview._watch import Sources
from cohortpress.render._staging import study_files

FLOW = "\n\n![Patient flow](images/flow.png)\n"


def _png(path: Path, colour: tuple[int, int, int]) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (24, 16), colour).save(path)
    return path.read_bytes()


def _report(study: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cohortpress", "report", str(study), "-q", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _with_flow(tmp_path: Path) -> Path:
    study = make_project(tmp_path / "project")
    manuscript = study / "manuscript.qmd"
    manuscript.write_text(manuscript.read_text(encoding="utf-8") + FLOW, encoding="utf-8")
    return study


def test_an_image_in_the_study_folder_reaches_every_format(tmp_path: Path) -> None:
    study = _with_flow(tmp_path)
    flow = _png(study / "images" / "flow.png", (200, 30, 30))
    done = _report(study, "--to", "html,pdf,docx")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "project" / "_output" / "thyroid"
    html = (out / "manuscript.html").read_text(encoding="utf-8")
    assert base64.b64encode(flow).decode() in html  # embedded as it is
    with zipfile.ZipFile(out / "manuscript.docx") as docx:
        media = [docx.read(n) for n in docx.namelist() if n.startswith("word/media/")]
    assert flow in media
    sizes = []
    for page in pypdf.PdfReader(out / "manuscript.pdf").pages:
        for image in page.images:
            sizes.append(Image.open(BytesIO(image.data)).size)
    assert (24, 16) in sizes
    assert not (out / "images").exists()  # the author's file is read, not published


def test_a_changed_image_is_rendered_anew(tmp_path: Path) -> None:
    """The kept renders are keyed by the staged files' bytes, the image's included."""
    study = _with_flow(tmp_path)
    _png(study / "images" / "flow.png", (200, 30, 30))
    assert _report(study, "--to", "html").returncode == 0
    blue = _png(study / "images" / "flow.png", (30, 30, 200))
    assert _report(study, "--to", "html").returncode == 0
    html = (tmp_path / "project" / "_output" / "thyroid" / "manuscript.html").read_text("utf-8")
    assert base64.b64encode(blue).decode() in html


def test_a_missing_image_names_the_file_and_the_study_folder(tmp_path: Path) -> None:
    study = _with_flow(tmp_path)
    done = _report(study, "--to", "html")
    assert done.returncode == 3
    assert "image 'images/flow.png': no such file in the study folder" in done.stderr


def test_an_svg_image_is_refused_with_the_reason(tmp_path: Path) -> None:
    """older Word and LibreOffice show pandoc's SVG as an empty frame: an error, in
    every format, rather than a DOCX a co-author sees without the figure."""
    study = make_project(tmp_path / "project")
    manuscript = study / "manuscript.qmd"
    text = manuscript.read_text(encoding="utf-8") + "\n\n![Patient flow](images/flow.svg)\n"
    manuscript.write_text(text, encoding="utf-8")
    (study / "images").mkdir()
    (study / "images" / "flow.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    done = _report(study, "--to", "html")
    assert done.returncode == 3
    assert "image 'images/flow.svg': an SVG image" in done.stderr
    assert "export it as PNG" in done.stderr


def test_an_image_in_the_figures_folder_is_refused(tmp_path: Path) -> None:
    """figures/ is cohortpress's: its figures would be published beside the author's."""
    study = make_project(tmp_path / "project")
    _png(study / "figures" / "survival.png", (0, 0, 0))
    done = _report(study, "--to", "html")
    assert done.returncode == 2
    assert "figures/ is where cohortpress writes the study's figures" in done.stderr
    assert "survival.png" in done.stderr


def test_a_link_to_an_image_outside_the_study_is_refused(tmp_path: Path) -> None:
    study = _with_flow(tmp_path)
    outside = tmp_path / "secret.png"
    _png(outside, (1, 2, 3))
    (study / "images").mkdir()
    (study / "images" / "flow.png").symlink_to(outside)
    done = _report(study, "--to", "html")
    assert done.returncode == 3
    assert "a link to a file outside the study folder" in done.stderr


@pytest.mark.parametrize("name", ["manuscript.qmd", "supplement.qmd"])
def test_a_manuscript_linked_from_outside_the_study_is_refused(tmp_path: Path, name: str) -> None:
    """A manuscript.qmd or supplement.qmd that is a link was copied as the file it points to,
    and its text published in every format (then included from the staging folder, inside)."""
    study = make_project(tmp_path / "project")
    outside = tmp_path / "secret.txt"
    outside.write_text("TOPSECRET-LINE\n", encoding="utf-8")
    if name == "manuscript.qmd":
        (study / name).unlink()
    else:
        manuscript = study / "manuscript.qmd"
        text = manuscript.read_text(encoding="utf-8")
        manuscript.write_text(text + "\n{{< include supplement.qmd >}}\n", encoding="utf-8")
    (study / name).symlink_to(outside)
    done = _report(study, "--to", "html")
    assert done.returncode == 3, done.stderr
    assert f"{study / name}: a link to a file outside the study folder" in done.stderr
    output = study.parents[1] / "_output"
    published = [p for p in output.rglob("*") if p.is_file()] if output.exists() else []
    assert not any(b"TOPSECRET" in p.read_bytes() for p in published)


def test_the_images_a_render_reads_are_the_ones_the_preview_watches(tmp_path: Path) -> None:
    study = make_project(tmp_path / "project")
    names = ("flow.PNG", "images/a.jpg", "images/deep/b.gif", "c.svg", ".hidden/c.png", "_x/d.png")
    for name in names:
        (study / name).parent.mkdir(parents=True, exist_ok=True)
        (study / name).write_bytes(b"x")
    (study / "notes.txt").write_text("not read", encoding="utf-8")
    (study / "refs.bib").write_text("", encoding="utf-8")
    found = {path.as_posix() for path in study_files(study)}
    assert found == {"refs.bib", "flow.PNG", "images/a.jpg", "images/deep/b.gif"}
    sources = Sources(study, study.parents[1])
    before = sources.fingerprint()
    assert {study / name for name in found} <= set(sources.paths())
    (study / "images" / "new.png").write_bytes(b"y")
    assert sources.fingerprint() != before  # a new image is a change the preview builds


@pytest.mark.parametrize("name", ["images/flow.png", "flow.png"])
def test_study_files_are_relative_to_the_study(tmp_path: Path, name: str) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b"x")
    assert [p.as_posix() for p in study_files(tmp_path)] == [name]
