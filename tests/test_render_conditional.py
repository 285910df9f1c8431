"""Quarto's conditional content (content-visible / content-hidden by output format)."""

import zipfile

import pytest

from nlrstats.render import render_document


@pytest.mark.parametrize("to", ["html", "docx"])
def test_conditional_content_by_format(root, tmp_path, to):
    out = render_document(root / "tests" / "docs" / "conditional.qmd", to=to, engine="builtin",
                          output_dir=tmp_path, quiet=True)
    if to == "html":
        text = out.read_text(encoding="utf-8")
    else:
        text = zipfile.ZipFile(out).read("word/document.xml").decode()
    assert ("ONLYHTML" in text) == (to == "html")
    assert ("NOTHTML" in text) == (to != "html")
