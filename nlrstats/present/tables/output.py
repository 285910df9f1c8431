"""Getting a table out: a raw HTML block for Quarto / pandoc, and LaTeX.

great_tables 1.1 renders footnotes only in HTML (``as_latex()`` raises on any ``tab_footnote``) and
ignores cell styles in LaTeX. :func:`as_latex` therefore moves each footnote into a source note
under the tabular with the same mark (a superscript letter appended to the marked cell or column
label), and drops styles (the ✓/✗ text of the comparison table carries the meaning without colour).
"""

from __future__ import annotations

import hashlib
import html as _html
import re
import warnings

from great_tables import GT, loc

from nlrstats.present.tables._common import INDENT
from nlrstats.present.tables.theme import external_references

__all__ = ["as_html_block", "as_html", "as_latex"]


def as_html(gt: GT, inline_css: bool = False) -> str:
    """The table as a self-contained HTML fragment (``<div>`` with its ``<style>``).

    Parameters
    ----------
    inline_css : also copy every CSS rule onto the elements' ``style`` attributes (great_tables'
        ``as_raw_html(inline_css=True)``, needs the ``css-inline`` package); pandoc's docx writer
        ignores ``<style>`` either way, so this matters only for e-mail-like consumers.

    Raises
    ------
    ValueError if the HTML would fetch anything from the network (a web font, a stylesheet link).
    """
    html = gt.as_raw_html(inline_css=inline_css)
    if gt._options.table_id.value is None:
        html = content_id(html)
    html = superscript_marks(scope_css(html))
    bad = external_references(html)
    if bad:
        raise ValueError("table HTML references external resources: " + "; ".join(bad))
    return html


_ID = re.compile(r'<div id="([A-Za-z0-9_-]+)"')


def content_id(html: str) -> str:
    """Replace great_tables' random table id by one derived from the table's content.

    great_tables 1.1 draws a random id (``<div id="mxymvwsuxe">`` and every ``#mxymvwsuxe`` CSS
    selector) when the table has none, so the same table gave different bytes on every render. The
    id becomes ``t`` + the first 10 hex digits of the SHA-256 of the HTML with the id blanked out:
    the same table always gets the same id, two different tables get different ones. A table given
    an id with ``GT(..., id=...)`` or ``with_id`` keeps it.
    """
    m = _ID.search(html)
    if not m:
        return html
    old = m.group(1)
    digest = hashlib.sha256(html.replace(old, "").encode("utf-8")).hexdigest()[:10]
    return re.sub(rf"(?<![A-Za-z0-9_-]){old}(?![A-Za-z0-9_-])", f"t{digest}", html)


def scope_css(html: str) -> str:
    """Confine great_tables' CSS to its own table.

    great_tables 1.1 writes ``#id thead, tbody, tfoot, tr, td, th { border-style: none; }`` and
    ``tr { background-color: transparent; }``: only the first selector carries the table id, so in a
    document with several tables these rules restyle every other table on the page. Each bare
    element selector gets the table id. The table's own classed rules (``#id .gt_row`` ...) are more
    specific and still win inside the table.
    """
    m = _ID.search(html)
    start, end = html.find("<style>"), html.find("</style>")
    if not m or start < 0 or end < 0:
        return html
    tid = m.group(1)
    css = html[start:end]

    def fix(rule: re.Match) -> str:
        selectors = [x.strip() for x in rule.group(1).split(",")]
        scoped = [x if not x or x.startswith(("#", "@", ":")) else f"#{tid} {x}" for x in selectors]
        return ", ".join(scoped) + " {"

    # selector lists: from the start of a line (or after "}") up to "{"
    css = re.sub(r"(?m)^[ \t]*([^{}@\s][^{}\n]*?)[ \t]*\{", fix, css)
    return html[:start] + css + html[end:]


_MARK = re.compile(r'<span class="gt_footnote_marks"([^>]*)>(.*?)</span>', re.S)


def superscript_marks(html: str) -> str:
    """Write footnote marks as ``<sup>`` rather than great_tables' styled ``<span>``.

    Browsers show no difference (the ``gt_footnote_marks`` class rules still size and raise the
    mark), but pandoc's HTML reader, which turns the table into a native Word / typst table, keeps
    ``<sup>`` as a superscript and flattens a span into plain text: "0.052" with mark 2 would read
    "0.0522" in the docx.
    """
    return _MARK.sub(lambda m: f'<sup class="gt_footnote_marks"{m.group(1)}>{m.group(2)}</sup>', html)


def as_html_block(gt: GT, inline_css: bool = False) -> str:
    """A pandoc raw HTML block for a Quarto cell with ``#| output: asis``.

    ``print(as_html_block(tbl))`` keeps Quarto's ``tbl-`` captions and cross-references, becomes a
    real Word table in docx and a native table in typst, and, unlike displaying the GT object,
    makes Quarto link no require.js / jQuery from a CDN.
    """
    return "```{=html}\n" + as_html(gt, inline_css=inline_css).strip() + "\n```"


def _marks():
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters
    for a in letters:
        for b in letters:
            yield a + b


def _token(mark: str) -> str:
    """A placeholder for a footnote mark: letters only, so great_tables' LaTeX escaping leaves it whole."""
    return f"NLRSTATSMARK{mark}ENDMARK"


def _marked_label(gt: GT, var: str, token: str):
    """A column's label with ``token`` appended, keeping its kind (plain, ``md()`` or ``html()`` text)."""
    for col in gt._boxhead:
        if col.var == var:
            lab = col.column_label
            return lab + token if isinstance(lab, str) else type(lab)(lab.text + token)
    raise KeyError(var)


def as_latex(gt: GT, use_longtable: bool = False, tbl_pos: str | None = None) -> str:
    """The table as LaTeX (booktabs ``tabular*`` in a ``table`` float, great_tables' ``as_latex``).

    Footnotes become source notes under the tabular, each with a superscript letter that is also
    appended to the cell or column label it annotates (footnotes on a title or spanner keep the
    note without a mark). Cell styles (colours) are dropped: LaTeX output in great_tables 1.1 has
    none. Needs ``booktabs`` and ``caption`` in the preamble, as great_tables documents, and a
    Unicode engine (XeLaTeX or LuaLaTeX): labels keep "≥", "–", "—", "✓", "10⁹" as characters.

    What great_tables 1.1 cannot render in LaTeX and what happens instead: footnotes (raise in
    great_tables) -> source notes with superscript letters; cell styles (ignored with a warning) ->
    dropped, the comparison table's "✓ agrees" / "✗ differs" text keeps the meaning; CSS stub
    indentation -> ``\\hspace*{1em}`` before indented labels.
    """
    order: dict[str, str] = {}
    gen = _marks()
    plain = gt._replace(_footnotes=[], _styles=[])
    for info in gt._footnotes:
        for text in info.footnotes or []:
            # great_tables stores footnotes HTML-escaped; LaTeX needs the plain text back
            key = _html.unescape(text.text if hasattr(text, "text") else str(text))
            if key not in order:
                order[key] = next(gen)
            mark = _token(order[key])
            kind = type(info.locname).__name__
            if kind == "LocBody" and info.colname is not None and info.rownum is not None:
                plain = plain.text_transform(loc.body(columns=info.colname, rows=[info.rownum]),
                                             lambda x, m=mark: f"{x}{m}")
            elif kind == "LocColumnLabels" and info.colname is not None:
                plain = plain.cols_label(**{info.colname: _marked_label(plain, info.colname, mark)})
            elif kind == "LocStub" and info.rownum is not None:
                plain = plain.text_transform(loc.stub(rows=[info.rownum]), lambda x, m=mark: f"{x}{m}")
    # level rows are indented with an em space; LaTeX gets a real horizontal space
    stub = next((c.var for c in gt._boxhead if c.type.name == "stub"), None)
    if stub is not None:
        values = gt._tbl_data[stub].to_list()
        rows = [i for i, v in enumerate(values) if isinstance(v, str) and v.startswith(INDENT)]
        if rows:
            plain = plain.text_transform(loc.stub(rows=rows),
                                         lambda x: x.replace(INDENT, "\\hspace*{1em}", 1))
    # source notes first (as in the HTML), then the footnotes in mark order
    for key, mark in order.items():
        plain = plain.tab_source_note(_token(mark) + key)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Styles are not yet supported")
        latex = plain.as_latex(use_longtable=use_longtable, tbl_pos=tbl_pos)
    return re.sub(r"NLRSTATSMARK([a-z]+)ENDMARK", r"\\textsuperscript{\1}", latex)
