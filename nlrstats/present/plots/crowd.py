"""Forms of the per-patient figures that show a crowd: above :data:`CROWD` patients one bar or one line a
patient is unreadable (and slow to draw), so the waterfall and the trajectory plot switch to these.

- :func:`waterfall_area`: each group's best changes sorted, drawn as a filled area over the percentile of
  the group's patients (``QUANTILES`` quantiles): the waterfall's shape, without per-patient spacing;
- :func:`change_distribution`: the distribution of the paired change (day 14 / day 0, log2 bins) per
  colour group, as the share of the group's patients in each bin.

Both compute only quantiles and counts of the drawn values (no statistic), and their caption states the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from plotnine import (aes, element_blank, facet_wrap, geom_area, geom_hline, geom_step, geom_vline, ggplot, labs,
                      scale_color_manual, scale_fill_manual, scale_x_continuous, theme)

from nlrstats.present.format import format_count
from nlrstats.present.plots._data import wrap_caption
from nlrstats.present.plots.theme import theme_journal, with_aspect

__all__ = ["CROWD", "QUANTILES", "CHANGE_BINS", "waterfall_area", "change_distribution"]

#: patients above which the per-patient figures switch to their crowd forms
CROWD = 500
#: quantiles a group's sorted changes are drawn at
QUANTILES = 1000
#: log2 bins of the paired change, from 1/8 to 8 times
CHANGE_BINS = np.linspace(-3, 3, 61)


def waterfall_area(values: dict[str, np.ndarray], colours: dict[str, str], thresholds, ylab: str,
                   title: str | None, notes: list[str]):
    """Sorted best change per group (largest increase on the left) as an area over the patients' percentile."""
    rows = []
    probs = np.linspace(0, 1, QUANTILES)
    for g, v in values.items():
        if v.size:
            q = np.quantile(v, 1 - probs)
            rows.append(pd.DataFrame({"pos": 100 * probs, "pct": q, "group": g}))
    frame = pd.concat(rows, ignore_index=True)
    frame["group"] = pd.Categorical(frame["group"], categories=list(values))
    sizes = ", ".join(f"{g}: {format_count(v.size)}" for g, v in values.items())
    rule = (f"More than {CROWD} patients ({sizes}): each group's sorted changes are drawn as an area over "
            f"its patients' percentile ({QUANTILES} quantiles), not one bar a patient.")
    p = (ggplot(frame, aes(x="pos", y="pct", fill="group"))
         + geom_area(alpha=0.9)
         + geom_hline(yintercept=0, color="black", size=0.4)
         + facet_wrap("~group", nrow=1)
         + scale_fill_manual(values=colours, limits=list(values), drop=False)
         + scale_x_continuous(name="Patients (percentile within the group)", breaks=[0, 25, 50, 75, 100])
         + labs(y=ylab, title=title, caption=wrap_caption(" ".join([rule, *notes])))
         + theme_journal()
         + theme(legend_position="none"))
    for y in thresholds:
        p += geom_hline(yintercept=float(y), linetype="dashed", color="#555555", size=0.4)
    return with_aspect(p, 0.6)


def change_distribution(before: np.ndarray, after: np.ndarray, groups: np.ndarray, levels: list[str],
                        colours: dict[str, str], timepoints, ylab: str, legend_title: str | None,
                        title: str | None, notes: list[str]):
    """Share of each group's patients per log2 bin of after / before (only patients with both values, > 0)."""
    ok = np.isfinite(before) & np.isfinite(after) & (before > 0) & (after > 0)
    change = np.log2(after[ok] / before[ok])
    g = groups[ok]
    centres = (CHANGE_BINS[:-1] + CHANGE_BINS[1:]) / 2
    rows, drawn = [], []
    for lv in levels:
        v = np.clip(change[g == lv], CHANGE_BINS[0], CHANGE_BINS[-1])
        if v.size:
            counts, _ = np.histogram(v, bins=CHANGE_BINS)
            rows.append(pd.DataFrame({"x": 2.0 ** centres, "share": 100 * counts / v.size, "group": lv}))
            drawn.append(lv)
    if not rows:
        raise ValueError("no patient has both values above 0: no paired change to draw")
    frame = pd.concat(rows, ignore_index=True)
    frame["group"] = pd.Categorical(frame["group"], categories=levels)
    rule = (f"More than {CROWD} patients ({format_count(int(ok.sum()))} with both values): the distribution of "
            f"the paired change {timepoints[1]} / {timepoints[0]} is drawn, not one line a patient (changes beyond "
            "1/8 or 8 times in the end bins).")
    ticks = [0.125, 0.25, 0.5, 1, 2, 4, 8]
    p = (ggplot(frame, aes(x="x", y="share", color="group"))
         + geom_step(direction="mid", size=0.6)
         + geom_vline(xintercept=1.0, color="#555555", linetype="dashed", size=0.4)
         + scale_color_manual(values=colours, limits=drawn, drop=True)
         + scale_x_continuous(trans="log2", breaks=ticks, labels=["1/8", "1/4", "1/2", "1", "2", "4", "8"],
                              name=f"{ylab} {timepoints[1]} / {timepoints[0]} (log scale)")
         + labs(y="Patients in the group (%)", color=legend_title, title=title,
                caption=wrap_caption(" ".join([rule, *notes])))
         + theme_journal())
    if legend_title is None:
        p += theme(legend_title=element_blank())
    return with_aspect(p, 0.7)
