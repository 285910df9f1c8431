"""Same inputs, same bytes: HTML, DOCX and PDF rendered twice are identical, with both engines.

The document (``tests/docs/determinism.qmd``) has ``date: today``, a plotnine figure with text and a
great_tables table (whose id was random before it was derived from the content). It renders inside a
copy of the packaged project (``_quarto.yml`` + ``styles/``), so Quarto applies the same filters.
"""

from __future__ import annotations

import shutil
import zipfile

import pytest

from nlrstats.project import template_dir
from nlrstats.render import render_document
from tests.quarto_compare import QUARTO, QUARTO_SKIP, visible_text

ENGINES = ["builtin", pytest.param("quarto", marks=pytest.mark.skipif(QUARTO is None, reason=QUARTO_SKIP))]


@pytest.fixture(scope="module")
def project(root, tmp_path_factory):
    d = tmp_path_factory.mktemp("project")
    shutil.copy(template_dir() / "_quarto.yml", d / "_quarto.yml")
    shutil.copytree(template_dir() / "styles", d / "styles")
    (d / "reports").mkdir()
    shutil.copy(root / "tests" / "docs" / "determinism.qmd", d / "reports" / "determinism.qmd")
    return d


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("to", ["html", "docx", "pdf"])
def test_two_renders_are_byte_identical(project, tmp_path, engine, to):
    a = render_document(project / "reports" / "determinism.qmd", to=to, engine=engine, output_dir=tmp_path / "a",
                        quiet=True, date="2026-03-31")
    b = render_document(project / "reports" / "determinism.qmd", to=to, engine=engine, output_dir=tmp_path / "b",
                        quiet=True, date="2026-03-31")
    assert a.read_bytes() == b.read_bytes()
    text = visible_text(a)
    assert "Counts per group" in text and "Squares" in text
    if to == "docx":
        core = zipfile.ZipFile(a).read("docProps/core.xml").decode()
        assert "2026-03-31T00:00:00Z" in core  # the document's time stamp is the date given
    if to == "pdf":
        assert b"D:20260331000000" in a.read_bytes()


def test_date_option_and_source_date_epoch(project, tmp_path, monkeypatch):
    out = render_document(project / "reports" / "determinism.qmd", engine="builtin", output_dir=tmp_path / "d",
                          quiet=True, date="2026-03-31")
    assert '<p class="date">2026-03-31</p>' in out.read_text(encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")  # 2026-01-02 00:00 UTC
    out = render_document(project / "reports" / "determinism.qmd", engine="builtin", output_dir=tmp_path / "e",
                          quiet=True)
    assert '<p class="date">2026-01-02</p>' in out.read_text(encoding="utf-8")


def test_bad_date_is_a_clear_error(project, tmp_path):
    from nlrstats.render import RenderError
    with pytest.raises(RenderError, match="expected YYYY-MM-DD"):
        render_document(project / "reports" / "determinism.qmd", engine="builtin", output_dir=tmp_path, date="31/03/2026")
