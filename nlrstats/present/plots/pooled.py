"""Forest plot of a meta-analysis: studies with weight-sized squares, the pooled diamond, the prediction interval.

Drawn from an :class:`nlrstats.stats.meta.RMA` (``nlrstats.rma``) as metafor's ``forest(fit, addpred =
TRUE)`` lays it out: one row per study (square area proportional to its weight, its CI), a
diamond spanning the pooled CI, and the prediction interval as a dotted line through the diamond's
row; hazard ratios on a log axis, the numbers at the right. Nothing is computed here.
"""

from __future__ import annotations

import math

import pandas as pd
from plotnine import (
    aes,
    element_blank,
    geom_point,
    geom_polygon,
    geom_segment,
    geom_text,
    geom_vline,
    ggplot,
    labs,
    scale_size_area,
    scale_x_log10,
    scale_y_continuous,
    theme,
)

from nlrstats.present.format import format_ratio, format_ratio_ci, format_statistic, p_phrase
from nlrstats.present.plots._data import log_breaks, wrap_caption
from nlrstats.present.plots.theme import theme_journal, with_aspect

__all__ = ["pooled_forest_plot", "pooled_forest_data"]


def pooled_forest_data(fit) -> dict:
    """The figure's data from a fitted ``rma``: study rows, the diamond's corners, the prediction interval."""
    tidy = fit.tidy()
    g = fit.glance().row(0, named=True)
    studies = tidy.filter(tidy["type"] == "study")
    k = studies.height
    rows = pd.DataFrame({
        "label": studies["term"].to_list(), "estimate": studies["estimate"].to_list(),
        "conf_low": studies["conf_low"].to_list(), "conf_high": studies["conf_high"].to_list(),
        "weight": studies["weight"].to_list(), "y": [float(k - i) for i in range(k)]})
    rows["text"] = [format_ratio_ci(e, lo, hi) for e, lo, hi in zip(rows["estimate"], rows["conf_low"], rows["conf_high"])]
    rows["wtext"] = [f"{w:.1f}%" for w in rows["weight"]]
    y0, half = -0.5, 0.32
    diamond = pd.DataFrame({"x": [g["conf_low"], g["estimate"], g["conf_high"], g["estimate"]],
                            "y": [y0, y0 + half, y0, y0 - half]})
    pi = None if g["pi_low"] is None else pd.DataFrame({"x": [g["pi_low"]], "xend": [g["pi_high"]],
                                                       "y": [y0], "yend": [y0]})
    pooled_text = format_ratio_ci(g["estimate"], g["conf_low"], g["conf_high"])
    return {"rows": rows, "diamond": diamond, "pi": pi, "y0": y0, "glance": g, "pooled_text": pooled_text,
            "model": fit.model_label}


def pooled_forest_plot(fit, xlab: str = "Hazard ratio (95% CI)", title: str | None = None,
                       show_weights: bool = True, reference: float = 1.0):
    """Forest plot of ``nlrstats.rma(...)``: studies, pooled diamond and (random effects) prediction interval.

    Parameters
    ----------
    fit : nlrstats.stats.meta.RMA
    xlab, title : str
    show_weights : bool
        Print each study's weight (percent) beside its numbers.
    reference : float
        Dashed line of no effect.

    Returns
    -------
    plotnine.ggplot
        The caption names the model, tau^2, I^2 and Cochran's Q test, and the prediction interval.
    """
    if not hasattr(fit, "glance") or not hasattr(fit, "model_label"):
        raise TypeError(f"pooled_forest_plot needs the result of nlrstats.rma(...), got {type(fit).__name__}")
    d = pooled_forest_data(fit)
    rows, g = d["rows"], d["glance"]
    vals = [*rows["conf_low"], *rows["conf_high"], g["conf_low"], g["conf_high"], reference]
    if g["pi_low"] is not None:
        vals += [g["pi_low"], g["pi_high"]]
    vals = [v for v in vals if 0 < v < math.inf]
    xmin, xmax = min(min(vals) / 1.2, reference / 2), max(max(vals) * 1.2, reference * 2)
    span = xmax / xmin
    text_x = xmax * span ** 0.04
    width = max(len(t) for t in [*rows["text"], d["pooled_text"]])
    w_x = xmax * span ** (0.06 + 0.032 * width)
    xlim_hi = xmax * span ** (0.06 + 0.032 * width + (0.2 if show_weights else 0.0))
    pooled_row = pd.DataFrame({"y": [d["y0"]], "text": [d["pooled_text"]], "wtext": ["100%"]})
    p = (ggplot(rows, aes(y="y"))
         + geom_vline(xintercept=reference, linetype="dashed", color="#555555", size=0.4)
         + geom_segment(aes(x="conf_low", xend="conf_high", yend="y"), size=0.5)
         + geom_point(aes(x="estimate", size="weight"), shape="s", fill="black", show_legend=False))
    if d["pi"] is not None:
        p += geom_segment(aes(x="x", xend="xend", y="y", yend="yend"), data=d["pi"], linetype="dotted", size=0.7)
    p += geom_polygon(aes(x="x", y="y"), data=d["diamond"], fill="#555555", color="black", size=0.4)
    p += geom_text(aes(x=text_x, label="text"), ha="left", size=6.5)
    p += geom_text(aes(x=text_x, y="y", label="text"), data=pooled_row, ha="left", size=6.5, fontweight="bold")
    if show_weights:
        p += geom_text(aes(x=w_x, label="wtext"), ha="left", size=6.5, color="#444444")
    method = "fixed effect" if g["method"] == "FE" else f"random effects, {g['method']}"
    test = ", Knapp-Hartung" if g["test"] == "knha" else ""
    cap = [f"{d['model']} ({method}{test}): tau\u00b2 = {g['tau2']:.3g}, I\u00b2 = {g['i2']:.0f}%, "
           f"Q = {format_statistic(g['q'])} on {g['q_df']} df, {p_phrase(g['q_p_value'])}."]
    if g["pi_low"] is not None:
        cap.append(f"Dotted: {100 * fit.conf_level:g}% prediction interval "
                   f"{format_ratio(g['pi_low'])}\u2013{format_ratio(g['pi_high'])}.")
    breaks = log_breaks(xmin, xmax)
    p = (p
         + scale_size_area(max_size=5)
         + scale_x_log10(breaks=breaks, labels=[f"{b:g}" for b in breaks], limits=(xmin / span ** 0.03, xlim_hi),
                         expand=(0, 0))
         + scale_y_continuous(breaks=[*rows["y"], d["y0"]], labels=[*rows["label"], d["model"]], expand=(0, 0.7))
         + labs(x=xlab, y="", title=title, caption=wrap_caption(" ".join(cap), width=55))
         + theme_journal()
         + theme(panel_grid_major_y=element_blank(), axis_title_y=element_blank(), legend_position="none"))
    return with_aspect(p, max(0.35, min(1.0, 0.2 + 0.06 * (len(rows) + 1))))
