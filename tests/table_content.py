"""What a reader sees in a great_tables table: headers, cells with their footnote marks, footnotes, notes.

Tests assert on this content, never on the HTML and CSS around it.
"""

from __future__ import annotations

from html.parser import HTMLParser

from nlrstats.present.tables import as_html

__all__ = ["cells", "row", "footnotes", "header_texts", "table_content"]


class Cells(HTMLParser):
    """Rows of a great_tables HTML table: [(text without footnote marks, marks)] per cell."""

    def __init__(self):
        super().__init__()
        self.head, self.body, self.foot = [], [], []
        self._sect, self._row, self._cell, self._marks, self._in_mark = None, None, None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("thead", "tbody", "tfoot"):
            self._sect = tag
        elif tag == "tr":
            self._row = []
            self._heading = "gt_heading" in (a.get("class") or "")
        elif tag in ("td", "th"):
            self._cell, self._marks = [], []
        elif tag in ("span", "sup") and "gt_footnote_marks" in (a.get("class") or "") and self._cell is not None:
            self._in_mark = 1
        elif tag in ("span", "sup") and self._in_mark:
            self._in_mark += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((" ".join("".join(self._cell).split()), "".join(self._marks).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if not (self._sect == "thead" and self._heading):  # title and subtitle rows
                {"thead": self.head, "tbody": self.body, "tfoot": self.foot}.get(self._sect, []).append(self._row)
            self._row = None
        elif tag in ("span", "sup") and self._in_mark:
            self._in_mark -= 1

    def handle_data(self, data):
        if self._cell is None:
            return
        (self._marks if self._in_mark else self._cell).append(data)


def cells(gt) -> Cells:
    p = Cells()
    p.feed(as_html(gt))
    return p


def row(parsed: Cells, label: str) -> list[tuple[str, str]]:
    found = [r for r in parsed.body if r and r[0][0] == label]
    assert found, f"no row {label!r} in {[r[0][0] for r in parsed.body if r]}"
    return found[0]


def footnotes(parsed: Cells) -> dict[str, str]:
    """mark -> footnote text."""
    out = {}
    for r in parsed.foot:
        text, mark = r[0]
        if mark:
            out[mark] = text
    return out


def header_texts(parsed: Cells) -> list[str]:
    return [c[0] for r in parsed.head for c in r]



class _Title(HTMLParser):
    """Title and subtitle rows of a great_tables table."""

    def __init__(self):
        super().__init__()
        self.parts, self._in = [], False

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag == "td" and ("gt_title" in cls or "gt_subtitle" in cls):
            self._in = True
            self.parts.append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.parts[-1] += data


def table_content(gt) -> dict:
    """Title, column headers, body rows ("cell | cell^mark | ..."), footnotes by mark and source notes."""
    html = as_html(gt)
    p = Cells()
    p.feed(html)
    t = _Title()
    t.feed(html)
    notes = footnotes(p)
    source_notes = [r[0][0] for r in p.foot if not r[0][1]]
    return {"title": [" ".join(x.split()) for x in t.parts], "header": header_texts(p),
            "body": [" | ".join(text + (f"^{mark}" if mark else "") for text, mark in r) for r in p.body],
            "footnotes": notes, "source_notes": source_notes}
