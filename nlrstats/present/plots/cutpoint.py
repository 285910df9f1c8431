"""Maximally selected rank statistic against candidate cut-points, chosen and published cuts marked."""

from __future__ import annotations

from typing import Any

import pandas as pd
import polars as pl
from plotnine import (
    aes,
    geom_blank,
    geom_line,
    geom_point,
    geom_text,
    geom_vline,
    ggplot,
    labs,
    scale_y_continuous,
)

from nlrstats.present.format import format_cut, format_statistic, p_bound_phrase
from nlrstats.present.plots._data import fmt_p, wrap_caption
from nlrstats.present.plots.thin import STEP_BINS, thin_line
from nlrstats.present.plots.theme import OKABE_ITO, theme_journal, with_aspect

__all__ = ["cutpoint_plot"]


def cutpoint_plot(
    maxstat: Any,
    published: float | None = None,
    xlab: str = "Cut-point",
    ylab: str = "Standardised log-rank statistic",
    title: str | None = None,
) -> ggplot:
    """Standardised statistic for every candidate cut, as R's ``plot(maxstat.test(...))``.

    The chosen cut (the maximum) is a solid line, the plan's cut-off (the
    published 8 in Fukuda et al. 2020) a dashed line; the caption gives the maximal
    statistic, its search-adjusted p-value with the method (e.g. Lau94) and,
    when the result has it, the unadjusted log-rank p at the chosen cut.

    Parameters
    ----------
    maxstat
        A ``MaxstatResult`` from :func:`nlrstats.stats.cutpoint.maxstat`, or any object
        with ``.tidy()`` (columns ``cut``, ``statistic``) and attributes
        ``estimate`` (chosen cut), ``statistic``, ``p_value``, ``pmethod`` (and
        optionally ``p_value_unadjusted``, printed beside the adjusted p).
    published
        The prespecified (published) cut-off to mark, or ``None``.
    xlab, ylab, title
        Text.

    Returns
    -------
    plotnine.ggplot
    """
    tidy = maxstat.tidy()
    if not isinstance(tidy, pl.DataFrame):
        tidy = pl.from_pandas(tidy)
    missing = [c for c in ("cut", "statistic") if c not in tidy.columns]
    if missing:
        raise KeyError(f"maxstat tidy() has no column(s) {missing!r}")
    if tidy.height == 0:
        raise ValueError("maxstat tidy() has no rows: nothing to draw")
    for attr in ("estimate", "statistic", "p_value"):
        if not hasattr(maxstat, attr):
            raise AttributeError(f"{type(maxstat).__name__} has no attribute {attr!r}")
    d = pd.DataFrame(
        {"cut": tidy["cut"].cast(pl.Float64).to_list(), "statistic": tidy["statistic"].cast(pl.Float64).to_list()}
    ).sort_values("cut").reset_index(drop=True)
    many = len(d) > 2 * STEP_BINS
    if many:
        # thousands of cuts: one point each would be a solid band; the line keeps each pixel's extent
        d = d.iloc[thin_line(d["cut"].to_numpy(), d["statistic"].to_numpy())]
    chosen = float(maxstat.estimate)
    stat = float(maxstat.statistic)
    method = getattr(maxstat, "pmethod", None)
    caption = f"Maximally selected statistic M = {format_statistic(stat)}"
    if maxstat.p_value is not None:
        adjusted = p_bound_phrase(maxstat.p_value, method, missing="p = NA")
        caption += f", {adjusted}" + (f" ({method}, adjusted for the search)" if method else "")
    unadjusted = getattr(maxstat, "p_value_unadjusted", None)
    if unadjusted is not None:
        # Shown beside the adjusted p: it is the p a data-driven cut is usually published with.
        caption += f"; unadjusted log-rank {fmt_p(unadjusted)} at the chosen cut"
    caption = wrap_caption(caption + ".")
    ymax = max(float(d["statistic"].max()), stat)
    # Headroom above the curve (which peaks at ymax) for the line labels.
    ytop = ymax * 1.3 if ymax > 0 else 1.0
    xlo = min(float(d["cut"].min()), chosen, float(published) if published is not None else chosen)
    xhi = max(float(d["cut"].max()), chosen, float(published) if published is not None else chosen)
    span = (xhi - xlo) or 1.0

    p = (
        ggplot(d, aes(x="cut", y="statistic"))
        + geom_line(size=0.5, color="#444444")
        + (geom_point(size=1.0, color="#444444") if not many else geom_blank())
        + geom_vline(xintercept=chosen, color=OKABE_ITO["vermillion"], size=0.6)
    )
    marks = [(chosen, f"Chosen {format_cut(chosen)}", OKABE_ITO["vermillion"], 0.98)]
    if published is not None:
        p += geom_vline(xintercept=float(published), color=OKABE_ITO["blue"], linetype="dashed", size=0.6)
        marks.append((float(published), f"Prespecified {float(published):g}", OKABE_ITO["blue"], 0.88))
    for i, (x, text, colour, height) in enumerate(marks):
        other = marks[1 - i][0] if len(marks) == 2 else None
        # Away from the other line, unless that runs the text off the panel edge
        # (the two labels sit at different heights, so they cannot collide).
        right = True if other is None or other == x else x > other
        if right and (x - xlo) / span > 0.7:
            right = False
        elif not right and (x - xlo) / span < 0.3:
            right = True
        p += geom_text(
            aes(x="x", y="y", label="text"),
            data=pd.DataFrame({"x": [x + (0.015 if right else -0.015) * span], "y": [ytop * height], "text": [text]}),
            ha="left" if right else "right",
            va="top",
            size=6.5,
            color=colour,
            inherit_aes=False,
        )
    p += scale_y_continuous(limits=(min(0.0, float(d["statistic"].min())), ytop))
    p += labs(x=xlab, y=ylab, title=title, caption=caption)
    p += theme_journal()
    p = with_aspect(p, 0.75)
    return p
