"""Test helper: what a reader sees in a rendered HTML, DOCX or PDF, reduced to comparable lists.

Used to hold the real Quarto and the built-in engine to the same document: the same numbers (every
number in the prose and tables, as a multiset), the same captions and the same cross-references.
Code listings, the table of contents and style sheets are left out: they differ by engine by design.
"""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

__all__ = ["QUARTO", "QUARTO_SKIP", "visible_text", "numbers", "captions", "references"]

QUARTO = shutil.which("quarto")
QUARTO_SKIP = ("Quarto is not on PATH: .ci/run installs Quarto 1.7.34 from ../shared/tools/quarto/install.sh "
               "when that script exists (it did not here), so the Quarto half of this test cannot run")

_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_CAPTION = re.compile(r"\b((?:Figure|Table) \d+): ?(\S[^\n]{0,38})")
_REF = re.compile(r"\b((?:Figure|Table)\s\d+)(?!:)")


def _html_text(raw: str) -> str:
    raw = re.sub(r"<(style|script|pre|nav|title)\b[^>]*>.*?</\1>", " ", raw, flags=re.S | re.I)
    raw = re.sub(r"<summary\b[^>]*>.*?</summary>", " ", raw, flags=re.S | re.I)
    raw = re.sub(r"<header id=\"title-block-header\".*?</header>", " ", raw, flags=re.S)
    raw = re.sub(r"<(p|div|li|tr|h\d|figcaption|caption|br)\b", "\n<\\1", raw)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", raw))


def _docx_text(path: Path) -> str:
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    paragraphs = []
    for p in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        if 'w:val="SourceCode"' in p:
            continue
        paragraphs.append("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p)))
    return htmllib.unescape("\n".join(paragraphs))


def _pdf_text(path: Path) -> str:
    """The PDF's text without the page numbers (the last line of each page when it is a number)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = []
    for page in text.split("\f"):
        lines = page.rstrip().splitlines()
        if lines and lines[-1].strip().isdigit():
            lines = lines[:-1]
        pages.append("\n".join(lines))
    return "\n".join(pages)


def visible_text(path: Path) -> str:
    """The document's text without code, title block, table of contents or styles; white space kept per line."""
    path = Path(path)
    if path.suffix == ".html":
        text = _html_text(path.read_text(encoding="utf-8"))
    elif path.suffix == ".docx":
        text = _docx_text(path)
    else:
        text = _pdf_text(path)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def numbers(text: str) -> Counter:
    """Every number in the text, as a multiset (layout may move a number, not change or drop it)."""
    return Counter(_NUMBER.findall(text.replace("\u2212", "-")))


def captions(text: str) -> list[str]:
    """``Figure N: start of caption`` and ``Table N: ...`` in order, white space folded."""
    return [k + ": " + re.sub(r"\s+", " ", v)[:30] for k, v in _CAPTION.findall(text)]


def references(text: str) -> list[str]:
    """``Figure N`` / ``Table N`` that are not captions (the cross-references), in order."""
    return [re.sub(r"\s+", " ", m) for m in _REF.findall(text)]
