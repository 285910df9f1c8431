"""Forest plot of hazard ratios (or any ratio) with 95% CIs on a log axis."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import polars as pl
from plotnine import (
    aes,
    arrow,
    element_blank,
    geom_point,
    geom_segment,
    geom_text,
    geom_vline,
    ggplot,
    labs,
    scale_color_manual,
    scale_x_log10,
    scale_y_continuous,
    theme,
)

from ._data import as_frame, fmt_num, levels_of, require_columns, require_numeric
from .theme import palette_for, theme_journal

__all__ = ["forest_plot"]



def _log_breaks(lo: float, hi: float) -> list[float]:
    # 1-2-5 per decade crowds a single-column axis once the range passes 2 decades.
    mult = (1, 2, 5) if math.log10(hi / lo) <= 2 else (1, 5)
    return [m * 10.0**k for k in range(-4, 5) for m in mult if lo <= m * 10.0**k <= hi]


def forest_plot(
    frame,
    label: str = "label",
    estimate: str = "estimate",
    conf_low: str = "conf_low",
    conf_high: str = "conf_high",
    group: str | None = None,
    reference: float = 1.0,
    xlab: str = "Hazard ratio (95% CI)",
    show_values: bool = True,
    palette: Sequence[str] | dict[str, str] | None = None,
    legend_title: str | None = None,
    title: str | None = None,
) -> ggplot:
    """Forest plot: point estimates with 95% CIs on a log10 x axis, reference line at 1.

    Rows are drawn top to bottom in the order of ``frame``; with ``group`` (e.g.
    original vs validation cohort) each label has one row per group, coloured.
    A confidence limit that is infinite, zero (log scale), missing or beyond the
    axis range is drawn to the axis edge with an arrow and explained in the
    caption. The numbers are printed at the right (``show_values``), with
    infinite limits as "Inf" and missing ones as "NA".

    Parameters
    ----------
    frame
        Polars/pandas frame, e.g. ``CoxPH.tidy()`` with a label column added.
    label, estimate, conf_low, conf_high, group
        Column names.
    reference
        x of the dashed vertical reference line (no effect).
    xlab, legend_title, title
        Text.
    show_values
        Print "3.2 (1.1–9.4)" beside each row.
    palette
        Colours for the groups.

    Returns
    -------
    plotnine.ggplot
    """
    df = as_frame(frame, "frame")
    require_columns(df, [label, estimate, conf_low, conf_high, group], "frame")
    for col in (estimate, conf_low, conf_high):
        if df[col].dtype != pl.Null:
            require_numeric(df, col, "frame")
    if df.height == 0:
        raise ValueError("frame has no rows: nothing to draw")

    est = [_num(v) for v in df[estimate].to_list()]
    lo = [_num(v) for v in df[conf_low].to_list()]
    hi = [_num(v) for v in df[conf_high].to_list()]
    labels = [str(v) if v is not None else "NA" for v in df[label].to_list()]
    for i, e in enumerate(est):
        if e is None or not (0 < e < math.inf):
            raise ValueError(
                f"frame column {estimate!r} row {i} ({labels[i]!r}) must be a positive finite ratio; got {e!r}"
            )

    finite = [v for v in est + lo + hi if v is not None and 0 < v < math.inf] + [reference]
    # Half a decade of headroom around the data, at least 0.5-2 around the reference.
    xmin = min(min(finite) / 1.25, reference / 2)
    xmax = max(max(finite) * 1.25, reference * 2)

    if group is not None:
        levels = levels_of(df[group])
        groups = df[group].cast(pl.String).fill_null("Missing").to_list()
    else:
        levels, groups = ["all"], ["all"] * df.height

    # One row per input row, top to bottom; a gap between labels when grouped.
    ys, y, prev = [], 0.0, None
    for lab in labels:
        if prev is not None:
            y -= 1.0 if (group is None or lab == prev) else 1.6
        ys.append(y)
        prev = lab
    rows, clipped, unknown = [], False, False
    for lab, g, e, l, h, yy in zip(labels, groups, est, lo, hi, ys):
        low_end = xmin if (l is None or l <= xmin) else l
        high_end = xmax if (h is None or h >= xmax) else h
        left_arrow = l is None or l <= xmin
        right_arrow = h is None or h >= xmax
        clipped |= left_arrow or right_arrow
        unknown |= l is None or h is None
        rows.append(
            dict(label=lab, group=g, estimate=e, y=yy, lo_draw=low_end, hi_draw=high_end,
                 left_arrow=left_arrow, right_arrow=right_arrow,
                 text=f"{fmt_num(e)} ({fmt_num(l)}\u2013{fmt_num(h)})")
        )
    d = pd.DataFrame(rows)
    d["group"] = pd.Categorical(d["group"], categories=levels)

    # Tick labels: one per label, at the middle of its rows.
    tick_pos, tick_lab = [], []
    for lab in dict.fromkeys(labels):
        yy = [r["y"] for r in rows if r["label"] == lab]
        tick_pos.append(sum(yy) / len(yy))
        tick_lab.append(lab)

    text_x = xmax * (xmax / xmin) ** 0.04
    xlim_hi = xmax * (xmax / xmin) ** (0.03 * max(len(r["text"]) for r in rows) if show_values else 0.03)
    colours = palette_for(levels, palette) if group is not None else {"all": "black"}
    breaks = _log_breaks(xmin, xmax)

    body = d[~d.left_arrow & ~d.right_arrow]
    right_only = d[~d.left_arrow & d.right_arrow]
    left_only = d[d.left_arrow & ~d.right_arrow]
    both = d[d.left_arrow & d.right_arrow]
    head = arrow(length=0.06, angle=30, type="closed")
    seg = aes(x="lo_draw", xend="hi_draw", y="y", yend="y", color="group")

    p = ggplot(d, aes(x="estimate", y="y", color="group")) + geom_vline(
        xintercept=reference, linetype="dashed", color="#555555", size=0.4
    )
    if len(body):
        p += geom_segment(seg, data=body, size=0.6)
    if len(right_only):
        p += geom_segment(seg, data=right_only, size=0.6, arrow=head)
    if len(left_only):
        p += geom_segment(aes(x="hi_draw", xend="lo_draw", y="y", yend="y", color="group"), data=left_only, size=0.6, arrow=head)
    if len(both):
        # Two arrows from the estimate outwards.
        p += geom_segment(aes(x="estimate", xend="hi_draw", y="y", yend="y", color="group"), data=both, size=0.6, arrow=head)
        p += geom_segment(aes(x="estimate", xend="lo_draw", y="y", yend="y", color="group"), data=both, size=0.6, arrow=head)
    p += geom_point(shape="s", size=2.2)
    if show_values:
        p += geom_text(aes(x=text_x, label="text"), ha="left", size=6.5, color="black", show_legend=False)
    caption = []
    if clipped:
        caption.append("Arrows: confidence limit beyond the axis" + (" (infinite or not estimable)" if unknown else "") + ".")
    p = (
        p
        + scale_x_log10(breaks=breaks, labels=[f"{b:g}" for b in breaks], limits=(xmin / (xmax / xmin) ** 0.03, xlim_hi), expand=(0, 0))
        + scale_y_continuous(breaks=tick_pos, labels=tick_lab, expand=(0, 0.6))
        + scale_color_manual(values=colours, limits=levels, drop=False)
        + labs(x=xlab, y="", color=legend_title, title=title, caption=" ".join(caption) or None)
        + theme_journal()
        + theme(panel_grid_major_y=element_blank(), axis_title_y=element_blank())
    )
    if group is None:
        p += theme(legend_position="none")
    elif legend_title is None:
        p += theme(legend_title=element_blank())
    p.nlrstats_aspect = max(0.35, min(1.2, 0.15 + 0.09 * len(d)))
    return p


def _num(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v
