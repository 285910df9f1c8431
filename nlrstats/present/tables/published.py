"""Published versus reproduced numbers, each row flagged when they differ."""

from __future__ import annotations

import polars as pl
from great_tables import GT, loc, style

from nlrstats.present.format import MISSING, RATE_DIGITS, TIME_DIGITS, format_number, format_p, format_pct
from nlrstats.present.tables._common import check_columns, finish

__all__ = ["gt_published_vs_reproduced", "reproduced_text"]

_COLUMNS = ("quantity", "published", "kind", "reproduced_value", "agrees", "note")


def reproduced_text(kind: str, value: float | None) -> str:
    """A reproduced number as the package prints that kind of quantity everywhere (not at the paper's
    precision: the agreement is judged at the paper's precision, the reader sees our one rule)."""
    if value is None:
        return "not available"
    if kind == "count":
        return str(int(value))
    if kind == "percent":
        return format_pct(value, RATE_DIGITS)
    if kind == "number":
        return format_number(value, TIME_DIGITS)
    return format_p(value)

AGREES = "✓ agrees"
DIFFERS = "✗ differs"
NOT_COMPARED = "– not compared"

# Dark red text on a pale fill and bold: in greyscale the row is still shaded and bold, and the
# words carry the meaning without any colour.
_DIFF_TEXT = "#B2182B"
_DIFF_FILL = "#F4C7C3"  # grey 208 vs stripe 244 in greyscale; dark red text on it: contrast 4.5
_AGREE_TEXT = "#1B6E37"


def gt_published_vs_reproduced(frame: pl.DataFrame, *, source: str | None = None, reproduced: str = "Reproduced",
                               title: str | None = "Published versus reproduced results",
                               theme: str = "default", font=None) -> GT:
    """Each published number beside our reproduction, flagged ✓ / ✗.

    Parameters
    ----------
    frame : polars frame with quantity (str), published (str, as printed in the paper), kind,
        reproduced_value (float), agrees (bool; null = not compared), note (str or null), as built by
        :func:`nlrstats.study.published.compare_published` (``results.compare_published()``).
    source : data-set name for the source note.
    reproduced : header of the reproduced column (name the groups when they are not the paper's).

    Notes
    -----
    A differing row reads "✗ differs" in bold dark red on a pale red fill (the fill and weight
    survive greyscale printing, the text survives both); agreeing rows read "✓ agrees". Reproduced
    values print by the package's rules (:mod:`nlrstats.present.format`), usually with more digits than
    the paper, so a reader can see how close a disagreement is.
    """
    frame = check_columns(frame, _COLUMNS, "published-vs-reproduced frame")
    if frame.schema["agrees"] != pl.Boolean:
        raise TypeError(f"column 'agrees' must be Boolean, got {frame.schema['agrees']}")
    rows, differs = [], []
    for i, r in enumerate(frame.iter_rows(named=True)):
        val = r["reproduced_value"]
        agrees = r["agrees"]
        rows.append({
            "quantity": str(r["quantity"]),
            "published": MISSING if r["published"] is None else str(r["published"]),
            "reproduced": reproduced_text(r["kind"], val),
            "status": NOT_COMPARED if agrees is None else AGREES if agrees else DIFFERS,
            "note": r["note"] or "",
        })
        if agrees is False:
            differs.append(i)
    body = pl.DataFrame(rows, schema={k: pl.String for k in
                                      ("quantity", "published", "reproduced", "status", "note")})
    n_diff = len(differs)
    gt = (
        GT(body, rowname_col="quantity")
        .tab_stubhead("Quantity")
        .cols_label(published="Published", reproduced=reproduced,
                    status="Agreement", note="Note")
        .cols_align("right", columns=["published", "reproduced"])
        .tab_footnote("✓ agrees: the reproduced value rounds to the published one at the precision printed in "
                      "the paper (or lies below the paper's threshold); ✗ differs: it does not.",
                      locations=loc.column_labels(columns="status"))
    )
    agree_rows = [i for i, r in enumerate(rows) if r["status"] == AGREES]
    if agree_rows:
        gt = gt.tab_style(style.text(color=_AGREE_TEXT), loc.body(columns="status", rows=agree_rows))
    if differs:
        gt = (gt.tab_style([style.text(color=_DIFF_TEXT, weight="bold"), style.fill(color=_DIFF_FILL)],
                           loc.body(rows=differs))
              .tab_style([style.text(weight="bold"), style.fill(color=_DIFF_FILL)], loc.stub(rows=differs)))
    summary = (f"{len(rows) - n_diff - sum(r['status'] == NOT_COMPARED for r in rows)} of {len(rows)} "
               f"numbers agree; {n_diff} differ{'s' if n_diff == 1 else ''}.")
    return finish(gt, source=source, theme=theme, font=font, title=title, subtitle=summary)
