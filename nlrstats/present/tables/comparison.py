"""Published study beside one or more cohorts (e.g. the reconstruction and a validation cohort)."""

from __future__ import annotations

import polars as pl
from great_tables import GT

from nlrstats.present.tables._common import check_columns, finish

__all__ = ["gt_side_by_side"]


def gt_side_by_side(frame: pl.DataFrame, *, source: str | None = None,
                    title: str | None = "Published study beside other cohorts",
                    theme: str = "default", font=None) -> GT:
    """Each published number beside its value in every cohort.

    Parameters
    ----------
    frame : polars frame with quantity, published and one text column per cohort, as built by
        :func:`nlrstats.study.published.side_by_side` (values already at the paper's precision).
    source : data-set names for the source note.
    """
    frame = check_columns(frame, ("quantity", "published"), "side-by-side frame")
    cohorts = [c for c in frame.columns if c not in ("quantity", "published")]
    if not cohorts:
        raise ValueError("side-by-side frame has no cohort column beside 'quantity' and 'published'")
    body = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns)
    gt = (
        GT(body, rowname_col="quantity")
        .tab_stubhead("Quantity")
        .cols_label(published="Fukuda 2020 (published)")
        .tab_spanner("This analysis", columns=cohorts)
        .cols_align("right", columns=["published", *cohorts])
    )
    notes = ["Values at the precision printed in the paper; p-values to 4 decimals. The paper reports "
             "only p < 0.05 for the log-rank tests."]
    return finish(gt, source=source, theme=theme, font=font, title=title, notes=notes)
