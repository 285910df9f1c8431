"""Published study beside one or more cohorts (e.g. the reconstruction and a validation cohort).

Rows name the groups generically ("low group", "high group"); each column's header says how that cohort's
groups are defined (the paper's NLR < 8, or the plan's PLR < 150), so a document rendered at another
marker or cut-off never labels its numbers with the paper's groups.
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

from nlrstats.present.tables._common import finish
from nlrstats.present.tables.published import reproduced_text
from nlrstats.study import published
from nlrstats.study.published import PUBLISHED, lookup

__all__ = ["gt_side_by_side", "side_by_side_frame"]


def _header(name: str, low: str, high: str) -> str:
    return f"{name} ({low} vs {high})"


def side_by_side_frame(named_results: dict) -> pl.DataFrame:
    """quantity, published, then one text column per cohort (headed by its name and its groups).

    Parameters
    ----------
    named_results : cohort name -> :class:`~nlrstats.study.analyze.StudyResults`.
    """
    columns: dict[str, list] = {"quantity": [], "published": []}
    heads = {name: _header(name, *r.plan.labels) for name, r in named_results.items()}
    for head in heads.values():
        columns[head] = []
    for item in PUBLISHED:
        columns["quantity"].append(item.label(low="low group", high="high group", marker="marker"))
        columns["published"].append(item.published)
        for name, r in named_results.items():
            columns[heads[name]].append(reproduced_text(item.kind, lookup(r, item.key)))
    return pl.DataFrame(columns)


def gt_side_by_side(named_results: dict, *, sources=(),
                    title: str | None = "Published study beside other cohorts",
                    theme: str = "default", font=None) -> GT:
    """Each published number beside its value in every cohort.

    Parameters
    ----------
    named_results : cohort name -> :class:`~nlrstats.study.analyze.StudyResults`.
    sources : one source note per data set ("Data: ..." is prefixed), naming it and marking it synthetic
        where it is.
    """
    if not named_results:
        raise ValueError("gt_side_by_side needs at least one cohort")
    frame = side_by_side_frame(named_results)
    cohorts = [c for c in frame.columns if c not in ("quantity", "published")]
    gt = (
        GT(frame, rowname_col="quantity")
        .tab_stubhead("Quantity")
        .cols_label(published=_header(f"{published.SHORT_NAME}, published", *published.PAPER_LABELS))
        .tab_spanner("This analysis", columns=cohorts)
        .cols_align("right", columns=["published", *cohorts])
    )
    notes = ["Each column's groups are defined as its header says. Numbers print by this package's rules; the "
             "paper reports only p < 0.05 for the log-rank tests.", *(f"Data: {s}" for s in sources)]
    return finish(gt, source=None, theme=theme, font=font, title=title, notes=notes)
