"""Hazard ratio across a marker's range: the curve, its Wald band, the cut-off and a rug of the values.

Drawn from an :class:`nlrstats.stats.survival.hr_curve.HRCurve` (``nlrstats.hr_curve(fit, "nlr_d0")``):
the hazard ratio against the reference value on a log axis (rms ``plot(Predict(fit, ref.zero = TRUE),
fun = exp)`` style), the confidence band as a ribbon, the plan's cut-off as a dashed vertical line, the
reference value as a dotted one, and one rug tick per patient's marker value. Nothing is computed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from plotnine import (
    aes,
    annotate,
    geom_hline,
    geom_line,
    geom_ribbon,
    geom_rug,
    geom_vline,
    ggplot,
    labs,
    scale_y_log10,
)

from nlrstats.present.format import format_count, format_cut, format_statistic, p_phrase
from nlrstats.present.plots._data import log_breaks, wrap_caption
from nlrstats.present.plots.theme import OKABE_ITO, theme_journal

__all__ = ["hr_curve_plot", "RUG_MAX"]

#: above this many patients the rug shows this many quantiles of their values instead of one tick each
RUG_MAX = 2_000


def hr_curve_plot(curve, cutoff: float | None = None, xlab: str = "Marker", title: str | None = None,
                  ylab: str = "Hazard ratio (95% CI)"):
    """Hazard ratio of ``curve`` (an ``HRCurve``) against its reference, log axis, band, cut-off and rug.

    Parameters
    ----------
    curve : nlrstats.stats.survival.hr_curve.HRCurve
    cutoff : float, optional
        The plan's cut-off, drawn as a dashed vertical line.
    xlab, title, ylab : str

    Returns
    -------
    plotnine.ggplot
        The caption gives the reference value, the knots and the Wald tests (overall, non-linearity).
    """
    if not hasattr(curve, "tidy") or not hasattr(curve, "nonlinear_df"):
        raise TypeError(f"hr_curve_plot needs the result of nlrstats.hr_curve(...), got {type(curve).__name__}")
    t = curve.tidy().to_pandas()
    values = np.asarray(curve.values, dtype=float)
    values = values[(values >= t["x"].min()) & (values <= t["x"].max())]
    thinned = len(values) > RUG_MAX
    if thinned:
        # a million ticks draw for a minute and show what evenly spaced quantiles show: where patients are
        values = np.quantile(values, np.linspace(0, 1, RUG_MAX))
    rug = pd.DataFrame({"v": values})
    lo = max(min(t["conf_low"].min(), 1.0) / 1.1, 1e-4)
    hi = min(max(t["conf_high"].max(), 1.0) * 1.1, 1e4)
    band = t.assign(conf_low=t["conf_low"].clip(lower=lo), conf_high=t["conf_high"].clip(upper=hi))
    p = (ggplot(band, aes(x="x"))
         + geom_hline(yintercept=1.0, color="#555555", size=0.4)
         + geom_ribbon(aes(ymin="conf_low", ymax="conf_high"), fill=OKABE_ITO["blue"], alpha=0.22)
         + geom_line(aes(y="estimate"), color=OKABE_ITO["blue"], size=0.9)
         + geom_vline(xintercept=curve.ref, linetype="dotted", color="#555555", size=0.4))
    if len(rug):
        p += geom_rug(aes(x="v"), data=rug, inherit_aes=False, sides="b", alpha=0.5, length=0.03)
    if cutoff is not None and t["x"].min() <= cutoff <= t["x"].max():
        p += geom_vline(xintercept=float(cutoff), linetype="dashed", color=OKABE_ITO["vermillion"], size=0.6)
        p += annotate("text", x=float(cutoff), y=hi, label=f" cut-off {format_cut(cutoff)}", ha="left", va="top",
                      size=7, color=OKABE_ITO["vermillion"])
    spline = f"restricted cubic spline, {len(curve.knots)} knots" if curve.knots else "linear term"
    cap = [f"Cox model, {spline}; hazard ratio against {xlab} = {format_cut(curve.ref)} (dotted).",
           f"Wald test of the marker: chi\u00b2 = {format_statistic(curve.chisq)} on {curve.df} df, "
           f"{p_phrase(curve.p_value)}."]
    if curve.nonlinear_df:
        cap.append(f"Non-linearity: chi\u00b2 = {format_statistic(curve.nonlinear_chisq)} on {curve.nonlinear_df} "
                   f"df, {p_phrase(curve.nonlinear_p)}.")
    ticks = (f"Ticks: {RUG_MAX:,} evenly spaced quantiles of the patients' values (more than {RUG_MAX:,} patients)"
             if thinned else "Ticks: patients' values")
    cap.append(f"{ticks} ({format_count(curve.n)} patients, {format_count(curve.nevent)} events).")
    breaks = log_breaks(lo, hi, with_one=True)
    return (p + scale_y_log10(breaks=breaks, labels=[f"{b:g}" for b in breaks], limits=(lo, hi))
            + labs(x=xlab, y=ylab, title=title, caption=wrap_caption(" ".join(cap), width=70))
            + theme_journal())
