"""The real Quarto and the built-in engine render the two documents alike (html, docx, typst PDF).

Both engines run the same ``.qmd`` with the same parameters; what a reader sees is reduced to every
number, the captions and the cross-references (``tests/quarto_compare.py``) and must agree. The
title block is left out of the numbers: Quarto writes the date "January 2, 2026", pandoc "2026-01-02";
in PDF, where page breaks repeat column labels, each number must occur in both (not as often).
Skipped, with the reason, only when no ``quarto`` is on PATH (``.ci/run`` installs Quarto 1.7.34).
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections import Counter

import pytest

from nlrstats.render import render_document
from tests.quarto_compare import QUARTO, QUARTO_SKIP, captions, numbers, references, visible_text

pytestmark = [pytest.mark.slow, pytest.mark.skipif(QUARTO is None, reason=QUARTO_SKIP)]

DATE = "2026-01-02"
CASES = {"replication": {"bootstrap": 20}, "validation": {"bootstrap": 0, "cohort_name": "Example export"}}


def _body(text: str) -> str:
    # the first lines hold title, subtitle, author and date; numbers are compared below them
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines[:12]) if "2026" in line), -1) + 1
    return "\n".join(lines[start:])


@pytest.fixture(scope="module", params=[(d, f) for d in CASES for f in ("html", "docx", "pdf")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def pair(request, root, tmp_path_factory):
    doc, to = request.param
    out = {}
    for engine in ("builtin", "quarto"):
        out[engine] = render_document(root / "reports" / f"{doc}.qmd", params=CASES[doc], to=to, engine=engine,
                                      output_dir=tmp_path_factory.mktemp(f"{doc}-{to}-{engine}"), quiet=True,
                                      date=DATE)
    return doc, to, out


def test_same_numbers_captions_and_references(pair):
    doc, to, out = pair
    built, quarto = visible_text(out["builtin"]), visible_text(out["quarto"])
    a, b = numbers(_body(built)), numbers(_body(quarto))
    if to == "pdf":
        # a table that continues on the next page repeats its column labels ("95% CI") where the
        # page breaks, which differs by engine: in PDF each number must appear in both, not as often
        a, b = Counter(set(a)), Counter(set(b))
    only_built, only_quarto = a - b, b - a
    assert not only_built and not only_quarto, f"numbers only built-in: {dict(only_built)}; only Quarto: {dict(only_quarto)}"
    assert captions(built) == captions(quarto)
    assert len(captions(built)) >= (10 if doc == "replication" else 6)
    assert references(built) == references(quarto)
    assert len(references(built)) >= (8 if doc == "replication" else 5)


def test_quarto_output_is_offline_and_typst_is_quiet(pair, root):
    doc, to, out = pair
    path = out["quarto"]
    if to == "html":
        html = path.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "@import url(" not in html  # $web-font-path: false
        assert 'http-equiv="Content-Security-Policy"' in html
        assert not re.search(r"""<(script|link|img)\b[^>]*\b(src|href)=["']?https?://""", html)
    elif to == "docx":
        names = zipfile.ZipFile(path).namelist()
        assert sum(n.startswith("word/media/") for n in names) >= 3
    else:
        text = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        assert "Libertinus" in text  # tables in the document's font, not a CSS stack typst lacks


def test_dates_follow_the_date_option(pair):
    doc, to, out = pair
    assert "January 2, 2026" in visible_text(out["quarto"]) or to == "html"
    assert DATE in visible_text(out["builtin"]) or to == "html"


def test_typst_prints_no_warnings(root, tmp_path):
    # the font stack of great_tables gave 42 "unknown font family" warnings before styles/print.lua
    proc = subprocess.run([QUARTO, "render", str(root / "reports" / "replication.qmd"), "--to", "typst",
                           "--output-dir", str(tmp_path), "-P", "bootstrap:0"], capture_output=True, text=True,
                          cwd=root, env=_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line and "Kernel is running over TCP" not in line]
    assert warnings == []
    assert (tmp_path / "reports" / "replication.pdf").is_file()  # Quarto's own layout: output-dir/reports/


def _env():
    from nlrstats.render.quarto import quarto_environment
    return quarto_environment()


def _cell_alignments(docx) -> list[tuple[int, str, list[str]]]:
    """(position in its row, text, the paragraph's w:jc values in order) of every cell of every nested
    (captioned) table."""
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode("utf-8")
    out = []
    for row in re.findall(r"<w:tr>(.*?)</w:tr>", xml, flags=re.S):
        if "<w:tbl>" in row or "<w:drawing>" in row:
            continue  # Quarto's caption wrappers (of a table, of a figure) are layout, not data
        for position, cell in enumerate(re.findall(r"<w:tc>(.*?)</w:tc>", row, flags=re.S)):
            text = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", cell))
            out.append((position, text, re.findall(r'<w:jc w:val="([a-z]+)"', cell)))
    return out


def test_word_tables_have_the_stub_left_and_the_numbers_not(pair):
    # Word applies the last w:jc of a paragraph; Quarto's float wrapper used to append "center" to every
    # nested cell, so the row labels printed centred (styles/docx_floats.lua resets the wrapper)
    doc, to, out = pair
    if to != "docx":
        return
    for engine in ("builtin", "quarto"):
        cells = _cell_alignments(out[engine])
        stub = [jc for pos, text, jc in cells if pos == 0 and text.strip()]
        numbers_ = [jc for pos, text, jc in cells if pos > 0 and re.fullmatch(r"\d+", text)]
        assert stub and all(jc and jc[-1] == "left" for jc in stub), (engine, stub[:5])
        # numbers as great_tables aligned them (right) where pandoc reads that from the HTML, else centred
        assert numbers_ and all(jc and jc[-1] in ("center", "right") for jc in numbers_), (engine, numbers_[:5])
