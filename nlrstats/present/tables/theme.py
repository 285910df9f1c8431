"""Table themes: the great_tables default look and a compact journal look.

Both themes use only fonts the reader's system has (a CSS font stack, never ``google_font()``), so
the HTML references no external URL and renders offline (great_tables adds a Google-fonts
``@import`` only when a Google font is asked for). ``font=`` replaces the stack, e.g.
``font="Libertinus Serif"`` for typst, which only knows its bundled fonts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from great_tables import GT

__all__ = ["THEMES", "apply_theme", "external_references"]

THEMES = ("default", "journal")

# Fonts every desktop has, ending in the generic family; no web font is ever requested.
SANS_STACK = ["system-ui", "Segoe UI", "Helvetica Neue", "Helvetica", "Arial", "Liberation Sans",
              "DejaVu Sans", "sans-serif"]

_STRIPE = "#F4F4F4"


def apply_theme(gt: GT, theme: str = "default", font: str | Sequence[str] | None = None) -> GT:
    """Style a table with one of :data:`THEMES`.

    Parameters
    ----------
    gt : the table.
    theme : ``"default"`` — great_tables' look with light row stripes, bold column labels, 14px;
        ``"journal"`` — compact: 12px text, no stripes, no lines between body rows, thin black
        rules above and below the column labels and at the foot (booktabs style), left-aligned title.
    font : a font name or list of names to use instead of the system sans-serif stack.
    """
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(map(repr, THEMES))}; got {theme!r}")
    fonts = [font] if isinstance(font, str) else list(font) if font is not None else SANS_STACK
    if theme == "default":
        return (
            gt.tab_options(
                table_font_names=fonts,
                table_font_size="14px",
                column_labels_font_weight="bold",
                data_row_padding_horizontal="8px",
                column_labels_padding_horizontal="8px",
                row_striping_background_color=_STRIPE,
                source_notes_font_size="12px",
            )
            .opt_row_striping()
        )
    rule = "#000000"
    return (
        gt.tab_options(
            table_font_names=fonts,
            table_font_size="12px",
            heading_align="left",
            heading_title_font_size="13px",
            heading_subtitle_font_size="12px",
            heading_border_bottom_style="none",
            table_border_top_style="solid",
            table_border_top_width="1.5px",
            table_border_top_color=rule,
            table_border_bottom_style="none",
            column_labels_font_weight="bold",
            column_labels_border_top_style="solid",
            column_labels_border_top_width="1px",
            column_labels_border_top_color=rule,
            column_labels_border_bottom_style="solid",
            column_labels_border_bottom_width="1px",
            column_labels_border_bottom_color=rule,
            table_body_hlines_style="none",
            table_body_border_top_style="none",
            table_body_border_bottom_style="solid",
            table_body_border_bottom_width="1.5px",
            table_body_border_bottom_color=rule,
            row_group_border_top_style="none",
            row_group_border_bottom_style="none",
            row_group_font_weight="bold",
            stub_border_style="none",
            data_row_padding="2px",
            data_row_padding_horizontal="6px",
            column_labels_padding_horizontal="6px",
            row_group_padding="3px",
            column_labels_padding="3px",
            source_notes_font_size="10px",
            source_notes_padding="2px",
        )
        .opt_row_striping(row_striping=False)
    )


_URL_IN = [
    re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I),
    re.compile(r"<link\b[^>]*>", re.I),
    re.compile(r"<script\b[^>]*\bsrc\s*=[^>]*>", re.I),
    re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I),
]


def external_references(html: str) -> list[str]:
    """Everything in an HTML fragment that would make a browser fetch a URL.

    Looks in ``<style>`` blocks (``@import``, ``url(http...)``), ``<link>`` tags, ``<script src>`` and
    remote ``<img src>``. An empty list means the fragment is self-contained.
    """
    found: list[str] = []
    for pattern in _URL_IN:
        for m in pattern.finditer(html):
            text = m.group(0)
            if pattern.pattern.startswith("<style"):
                found += [x for x in re.findall(r"@import[^;]*;|url\([^)]*\)", m.group(1))
                          if "data:" not in x]
                found += re.findall(r"https?://\S+", m.group(1))
            else:
                found.append(text)
    return list(dict.fromkeys(found))
