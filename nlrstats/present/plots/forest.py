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

from nlrstats.present.format import format_ratio_ci
from nlrstats.present.plots._data import (as_frame, levels_of, log_breaks, require_columns, require_numeric,
                                         wrap_caption)
from nlrstats.present.plots.theme import palette_for, theme_journal, with_aspect

__all__ = ["forest_plot"]


def forest_plot(
    frame,
    label: str = "label",
    estimate: str = "estimate",
    conf_low: str = "conf_low",
    conf_high: str = "conf_high",
    group: str | None = None,
    note: str | None = None,
    reference: float = 1.0,
    xlab: str = "Hazard ratio (95% CI)",
    show_values: bool = True,
    palette: Sequence[str] | dict[str, str] | None = None,
    legend_title: str | None = None,
    title: str | None = None,
) -> ggplot:
    """Forest plot: point estimates with 95% CIs on a log10 x axis, reference line at 1.

    Rows are drawn top to bottom in the order of ``frame``; with ``group`` (e.g.
    original vs validation cohort) the rows of one label are brought together
    (labels in order of first appearance, groups in level order), one row per
    group, coloured. A confidence limit that is infinite, zero (log scale),
    missing or beyond the axis range is drawn to the axis edge with an arrow
    and explained in the caption; an infinite estimate (monotone Cox
    likelihood) is an arrow from its finite limit; a row without an estimate
    stays, marked "not estimable" and named in the caption. The numbers are
    printed at the right (``show_values``), with infinite limits as "Inf" and
    missing ones as "NA".

    Parameters
    ----------
    frame
        Polars/pandas frame, e.g. ``CoxPH.tidy()`` with a label column added.
    label, estimate, conf_low, conf_high, group
        Column names (e.g. ``nlrstats.study.analyze.hazard_ratio_frame`` gives label,
        cohort, estimate, conf_low, conf_high).
    note
        Optional column of short text printed after the numbers (e.g. "Firth").
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
    require_columns(df, [label, estimate, conf_low, conf_high, group, note], "frame")
    for col in (estimate, conf_low, conf_high):
        if df[col].dtype != pl.Null:
            require_numeric(df, col, "frame")
    if df.height == 0:
        raise ValueError("frame has no rows: nothing to draw")

    if group is not None:
        levels = levels_of(df[group])
        df = df.with_columns(pl.col(group).cast(pl.String).fill_null("Missing").alias("__group"))
        # Rows of one label together (labels in order of first appearance, groups in level order),
        # so each label has one tick in the middle of its rows.
        first = {v: i for i, v in reversed(list(enumerate(df[label].cast(pl.String).fill_null("NA").to_list())))}
        df = (
            df.with_columns(
                pl.col(label).cast(pl.String).fill_null("NA").replace_strict(first, return_dtype=pl.Int64).alias("__lab"),
                pl.col("__group").replace_strict({lv: i for i, lv in enumerate(levels)}, return_dtype=pl.Int64).alias("__lev"),
            )
            .with_row_index("__row")
            .sort(["__lab", "__lev", "__row"])
        )
        groups = df["__group"].to_list()
    else:
        levels, groups = ["all"], ["all"] * df.height

    est = [_num(v) for v in df[estimate].to_list()]
    lo = [_num(v) for v in df[conf_low].to_list()]
    hi = [_num(v) for v in df[conf_high].to_list()]
    labels = [str(v) if v is not None else "NA" for v in df[label].to_list()]
    notes = [None if v is None else str(v) for v in df[note].to_list()] if note is not None else [None] * df.height
    for i, (e, l, h) in enumerate(zip(est, lo, hi)):
        for name, v in ((estimate, e), (conf_low, l), (conf_high, h)):
            if v is not None and v < 0:
                raise ValueError(f"frame column {name!r} row {i} ({labels[i]!r}) is a ratio and cannot be negative; got {v!r}")
        if e is not None and ((l is not None and l > e) or (h is not None and h < e)):
            raise ValueError(f"frame row {i} ({labels[i]!r}): estimate {e!r} lies outside its CI [{l!r}, {h!r}]")

    finite = [v for v in est + lo + hi if v is not None and 0 < v < math.inf] + [reference]
    # Headroom around the data, at least 0.5-2 around the reference.
    xmin = min(min(finite) / 1.25, reference / 2)
    xmax = max(max(finite) * 1.25, reference * 2)

    # One row per input row, top to bottom; a gap between labels when grouped.
    ys, y, prev = [], 0.0, None
    for lab in labels:
        if prev is not None:
            y -= 1.0 if (group is None or lab == prev) else 1.6
        ys.append(y)
        prev = lab
    rows, clipped, unknown, not_estimable = [], False, False, []
    for lab, g, e, l, h, yy, nt in zip(labels, groups, est, lo, hi, ys, notes):
        row = dict(label=lab, group=g, estimate=e, y=yy, lo_draw=None, hi_draw=None,
                   left_arrow=False, right_arrow=False, drawn=False)
        if e is None:
            # Nothing to draw (e.g. no events in a group): the row stays, with a word instead of numbers.
            row["text"] = "not estimable"
            not_estimable.append(lab if group is None else f"{lab} ({g})")
        else:
            row["text"] = format_ratio_ci(e, l, h, missing="NA")
            # An infinite (or zero) estimate, as from a monotone Cox likelihood, is drawn as an arrow from its finite limit.
            lo_val = 0.0 if (e == 0 and l is None) else l
            hi_val = math.inf if (math.isinf(e) and h is None) else h
            row["left_arrow"] = lo_val is None or lo_val <= xmin
            row["right_arrow"] = hi_val is None or hi_val >= xmax
            row["lo_draw"] = xmin if row["left_arrow"] else lo_val
            row["hi_draw"] = xmax if row["right_arrow"] else hi_val
            row["drawn"] = 0 < e < math.inf
            clipped |= row["left_arrow"] or row["right_arrow"]
            unknown |= l is None or h is None or math.isinf(e) or e == 0
        if nt:
            row["text"] += f" {nt}"
        rows.append(row)
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
    breaks = log_breaks(xmin, xmax)

    has_ci = d["estimate"].notna()
    body = d[has_ci & ~d.left_arrow & ~d.right_arrow]
    right_only = d[has_ci & ~d.left_arrow & d.right_arrow]
    left_only = d[has_ci & d.left_arrow & ~d.right_arrow]
    both = d[has_ci & d.left_arrow & d.right_arrow]
    # Points only for finite positive estimates; the others are the arrows alone.
    points = d[d["drawn"]]
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
        # Two arrows from the middle of the axis outwards (the estimate may itself be off the axis).
        mid = both.assign(mid=[min(max(e, xmin), xmax) if 0 < e < math.inf else math.sqrt(xmin * xmax) for e in both["estimate"]])
        p += geom_segment(aes(x="mid", xend="hi_draw", y="y", yend="y", color="group"), data=mid, size=0.6, arrow=head)
        p += geom_segment(aes(x="mid", xend="lo_draw", y="y", yend="y", color="group"), data=mid, size=0.6, arrow=head)
    if len(points):
        p += geom_point(data=points, shape="s", size=2.2)
    if show_values:
        p += geom_text(aes(x=text_x, label="text"), ha="left", size=6.5, color="black", show_legend=False)
    caption = []
    if clipped:
        caption.append("Arrows: confidence limit beyond the axis" + (" (infinite or not estimable)" if unknown else "") + ".")
    if not_estimable:
        caption.append(f"Not estimable: {', '.join(not_estimable)}.")
    p = (
        p
        + scale_x_log10(breaks=breaks, labels=[f"{b:g}" for b in breaks], limits=(xmin / (xmax / xmin) ** 0.03, xlim_hi), expand=(0, 0))
        + scale_y_continuous(breaks=tick_pos, labels=tick_lab, expand=(0, 0.6))
        + scale_color_manual(values=colours, limits=levels, drop=False)
        + labs(x=xlab, y="", color=legend_title, title=title, caption=wrap_caption(" ".join(caption)))
        + theme_journal()
        + theme(panel_grid_major_y=element_blank(), axis_title_y=element_blank())
    )
    if group is None:
        p += theme(legend_position="none")
    elif legend_title is None:
        p += theme(legend_title=element_blank())
    p = with_aspect(p, max(0.35, min(1.2, 0.15 + 0.09 * len(d))))
    return p


def _num(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v
