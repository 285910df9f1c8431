"""Pieces every builder shares: input checks, the source note, the p-value footnote, the theme."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl
from great_tables import GT, loc

from nlrstats.present.tables.theme import apply_theme

__all__ = ["check_columns", "finish", "footnote_tests", "grouped_gt", "indent_labels", "INDENT"]

#: Indentation of level rows: an em space (U+2003) typed into the label. great_tables'
#: tab_stub_indent() is CSS only and disappears when pandoc turns the HTML table into a Word or
#: typst table; the character survives everywhere (HTML does not collapse it).
INDENT = "\u2003"


def check_columns(frame, required: Sequence[str], what: str) -> pl.DataFrame:
    """Return ``frame`` as a polars DataFrame, raising a clear error naming any missing column."""
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"{what} must be a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {', '.join(map(repr, missing))}; "
                         f"it has {', '.join(frame.columns)}")
    return frame


def indent_labels(body: pl.DataFrame, column: str, rows: Sequence[int]) -> pl.DataFrame:
    """Prefix the labels of ``rows`` with :data:`INDENT`."""
    if not rows:
        return body
    idx = set(rows)
    labels = [INDENT + v if i in idx else v for i, v in enumerate(body[column].to_list())]
    return body.with_columns(pl.Series(column, labels, dtype=pl.String))


def footnote_tests(gt: GT, column: str, tests: Iterable[tuple[int, str | None]]) -> GT:
    """Footnote every p-value cell with the test behind it.

    ``tests`` holds (row index, test name) for each p-value row; rows sharing a test share one mark
    (great_tables numbers identical footnote texts once).
    """
    by_test: dict[str, list[int]] = {}
    for row, test in tests:
        if test:
            by_test.setdefault(test, []).append(row)
    for test, rows in by_test.items():
        gt = gt.tab_footnote(test, locations=loc.body(columns=column, rows=rows), placement="right")
    return gt


def finish(gt: GT, *, source: str | None, theme: str, font=None, title: str | None = None,
           subtitle: str | None = None, notes: Sequence[str] = ()) -> GT:
    """Title, extra source notes, the data-set source note, letter footnote marks and the theme.

    Footnote marks are letters (a, b, c): a digit mark after a number ("0.052" + "2") is misread
    wherever the superscript is lost (plain text, screen readers, a copy-paste).
    """
    gt = gt.opt_footnote_marks(marks="letters")
    if title is not None:
        gt = gt.tab_header(title=title, subtitle=subtitle)
    for note in notes:
        gt = gt.tab_source_note(note)
    if source:
        gt = gt.tab_source_note(f"Data: {source}")
    return apply_theme(gt, theme, font=font)


def source_of(obj, source: str | None) -> str | None:
    """An explicit ``source`` wins; otherwise a Cohort's (or a result's) ``.source`` if it has one."""
    if source is not None:
        return source
    return getattr(obj, "source", None)


def grouped_gt(rows: list[dict], shown: Sequence[str], gcol: dict, sizes: dict, indent: Sequence[int]) -> GT:
    """The skeleton shared by group-comparison tables: Characteristic | one column per group with its
    N in the header | p-value; ``indent`` rows are level rows under a variable."""
    from nlrstats.present.format import group_header
    schema = {"label": pl.String, **{gcol[g]: pl.String for g in shown}, "p_value": pl.String}
    body = indent_labels(pl.DataFrame(rows, schema=schema), "label", indent)
    return (
        GT(body, rowname_col="label")
        .tab_stubhead("Characteristic")
        .cols_label(**{gcol[g]: group_header(g, sizes.get(g)) for g in shown}, p_value="p-value")
        .cols_align("center", columns=[gcol[g] for g in shown])
        .cols_align("right", columns="p_value")
    )
