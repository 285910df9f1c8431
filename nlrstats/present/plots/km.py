"""Kaplan-Meier curves with a number-at-risk table aligned under them, in one plotnine figure.

Layout (prototyped in DESIGN.md): one ggplot faceted by a ``panel`` column with
``facet_grid("panel ~ .", scales="free_y", space={"x": [1], "y": [3, 1]})``: the
curves in the "Survival" panel, the numbers at risk as ``geom_text`` in the
"Number at risk" panel (stratum k at y = -k). Both panels share one x scale, so
breaks and limits are identical by construction; the y scale carries the
survival breaks (0-1) and the stratum rows (-1, -2, ...), and each panel shows
only the breaks inside its own range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import polars as pl
from mizani.breaks import breaks_extended
from plotnine import (
    aes,
    element_blank,
    element_text,
    facet_grid,
    geom_blank,
    geom_label,
    geom_point,
    geom_ribbon,
    geom_segment,
    geom_step,
    geom_text,
    ggplot,
    labs,
    scale_color_manual,
    scale_fill_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
)

from nlrstats.present.format import format_count
from nlrstats.present.plots._data import fmt_ci, fmt_p, wrap_caption
from nlrstats.present.plots.theme import palette_for, theme_journal, with_aspect
from nlrstats.present.plots.thin import MARK_BINS, aggregate_marks, thin_steps

__all__ = ["km_plot", "strata_labels", "step_band", "SURVIVAL_PANEL", "RISK_PANEL"]

SURVIVAL_PANEL = "Survival"
RISK_PANEL = "Number at risk"
_PANELS = [SURVIVAL_PANEL, RISK_PANEL]
_ALL = "All patients"


def strata_labels(strata: Sequence[str | None]) -> list[str]:
    """Legend labels from R-style strata names: ``"nlr_group=NLR < 8"`` -> ``"NLR < 8"``.

    Each ``variable=value`` part (parts separated by ", ") keeps its value; a
    fit without strata (``None``) is "All patients".
    """
    out = []
    for s in strata:
        if s is None or s == "":
            out.append(_ALL)
            continue
        parts = [p.split("=", 1)[1] if "=" in p else p for p in str(s).split(", ")]
        out.append(", ".join(parts))
    if len(set(out)) != len(out):
        # Values alone are ambiguous (e.g. two variables with the same levels): keep names.
        return [str(s) if s else _ALL for s in strata]
    return out


def _numeric_strata_title(raw: Sequence[str | None], labels: Sequence[str]) -> str | None:
    """Variable name for the legend title when the values alone (e.g. ECOG "0", "1") say nothing."""
    names = {str(r).split("=", 1)[0] for r in raw if r and "=" in str(r) and ", " not in str(r)}
    if len(names) != 1 or len(raw) != len(labels):
        return None
    try:
        [float(lab) for lab in labels]
    except ValueError:
        return None
    return names.pop()


def step_band(time: Sequence[float], low: Sequence[float], high: Sequence[float]) -> pd.DataFrame:
    """Doubled points so that ``geom_ribbon`` draws a right-continuous step band.

    ``geom_ribbon`` joins points with straight lines; repeating each time with the
    previous and the new value (x = t0, t1, t1, t2, t2, ...) makes every change a
    vertical jump, as the Kaplan-Meier estimate itself.
    """
    t = list(time)
    lo, hi = list(low), list(high)
    xs, ylo, yhi = [], [], []
    for i in range(len(t)):
        if i > 0:
            xs.append(t[i])
            ylo.append(lo[i - 1])
            yhi.append(hi[i - 1])
        xs.append(t[i])
        ylo.append(lo[i])
        yhi.append(hi[i])
    return pd.DataFrame({"time": xs, "conf_low": ylo, "conf_high": yhi})


def km_plot(
    fit: Any,
    logrank: Any = None,
    cox: Any = None,
    conf_int: bool = True,
    risk_table: bool = True,
    breaks: Sequence[float] | None = None,
    xlab: str = "Months",
    ylab: str = "Survival probability",
    title: str | None = None,
    palette: Sequence[str] | dict[str, str] | None = None,
    median_lines: bool = True,
    cox_term: str | None = None,
    hr_label: str = "HR",
    legend_title: str | None = None,
    censor_marks: bool = True,
) -> ggplot:
    """Kaplan-Meier plot with an aligned number-at-risk table (as survminer's ``ggsurvplot``).

    Draws the product-limit estimate of ``fit`` as right-continuous steps starting
    at (0, 1), censoring marks (+), the pointwise CI of the fit (``fit``'s
    ``conf_type``, R's "log" by default) as a step band, dashed median lines,
    the log-rank p-value and the Cox hazard ratio when given, and the number at
    risk at each x break in a panel under the curves sharing the same x scale.
    Nothing is estimated here: every number comes from ``fit``, ``logrank`` and
    ``cox``.

    Parameters
    ----------
    fit
        ``SurvFit`` from :func:`nlrstats.stats.survival.survfit` (``.tidy()``, ``.at()``,
        ``.median()``, ``.strata``), with one or more strata or none.
    logrank
        ``SurvDiff`` (its ``.p_value``) or a p-value; printed as "Log-rank p = 0.012".
    cox
        ``CoxPH`` whose ``.tidy()`` has term, estimate (HR), conf_low, conf_high;
        printed as "HR 3.2 (95% CI 1.1–9.4)".
    conf_int
        Draw the CI band.
    risk_table
        Add the number-at-risk panel.
    breaks
        x breaks (also the risk-table times); default "extended" breaks over
        [0, last follow-up].
    xlab, ylab, title, legend_title
        Text; the legend has no title by default (labels such as "NLR < 8"
        say what they are).
    palette
        Colours per stratum; default Okabe-Ito (a single curve is black).
    median_lines
        Dashed lines at S = 0.5 to each reached median (as survminer "hv").
    cox_term
        Row of ``cox.tidy()`` to print (default the first).
    hr_label
        Text before the hazard ratio.
    censor_marks
        Mark censored times with "+". Beyond :data:`~nlrstats.present.plots.thin.MARK_LIMIT` marks a
        stratum, one mark per 1/:data:`~nlrstats.present.plots.thin.MARK_BINS` of the time axis (the
        figure's caption says so); beyond
        2 x :data:`~nlrstats.present.plots.thin.STEP_BINS` steps, steps within one slice are drawn as
        one (no visible change; :mod:`nlrstats.present.plots.thin`). The risk table is always exact.

    Returns
    -------
    plotnine.ggplot
        Layers carry a ``panel`` column; the risk-table layer's data has columns
        strata, time, n_risk (from ``fit.at(breaks)``; 0 after a stratum's last
        follow-up) and y (-1 for the first stratum, -2 for the second, ...).
    """
    tidy = fit.tidy()
    if tidy.height == 0:
        raise ValueError("fit has no rows: nothing to draw")
    raw_strata = list(getattr(fit, "strata", ())) or [None]
    if raw_strata == [""]:
        raw_strata = [None]
    labels = strata_labels(raw_strata)
    label_of = dict(zip([s or None for s in raw_strata], labels))
    single = len(labels) == 1 and raw_strata[0] is None
    if legend_title is None and not single:
        legend_title = _numeric_strata_title(raw_strata, labels)
    colours = {labels[0]: "black"} if single else palette_for(labels, palette)

    tmax = float(tidy["time"].max())
    if breaks is None:
        breaks = [float(b) for b in breaks_extended(n=5)((0.0, tmax)) if 0.0 <= b <= tmax * (1 + 1e-9)]
    breaks = sorted(float(b) for b in breaks)
    if not breaks or breaks[0] < 0:
        raise ValueError(f"breaks must be non-negative times; got {breaks!r}")
    xmax = max(tmax, breaks[-1])

    curves, bands, censors, aggregated = [], [], [], 0
    for raw, lab in zip(raw_strata, labels):
        sub = tidy.filter(pl.col("strata").is_null()) if raw is None else tidy.filter(pl.col("strata") == raw)
        sub = sub.sort("time")
        if censor_marks:
            c = sub.filter(pl.col("n_censor") > 0)
            keep = aggregate_marks(c["time"].to_numpy(), span=(0.0, xmax))
            if keep is not None:
                aggregated += int(c["n_censor"].sum())
                c = c[keep]
            censors.append(pd.DataFrame({"time": c["time"].to_list(), "estimate": c["estimate"].to_list(), "strata": lab}))
        # beyond the drawing's resolution, steps inside one pixel are drawn as one (see plots.thin)
        sub = sub[thin_steps(sub["time"].to_numpy(), span=(0.0, xmax))]
        t = [0.0] + sub["time"].to_list()
        s = [1.0] + sub["estimate"].to_list()
        curves.append(pd.DataFrame({"time": t, "estimate": s, "strata": lab}))
        if conf_int:
            lo = [1.0] + sub["conf_low"].to_list()
            hi = [1.0] + sub["conf_high"].to_list()
            # R has no CI once S(t) = 0 (NA): the band stops at the last defined limit.
            keep = 0
            while keep < len(t) and lo[keep] is not None and hi[keep] is not None:
                keep += 1
            tb, lb, hb = t[:keep], lo[:keep], hi[:keep]
            if 0 < keep < len(t):
                # The last defined limits hold until the time the CI becomes undefined.
                tb, lb, hb = tb + [t[keep]], lb + [lb[-1]], hb + [hb[-1]]
            band = step_band(tb, lb, hb)
            band["strata"] = lab
            bands.append(band)

    def _panel(df: pd.DataFrame, panel: str = SURVIVAL_PANEL) -> pd.DataFrame:
        df = df.copy()
        df["panel"] = pd.Categorical([panel] * len(df), categories=_PANELS if risk_table else [SURVIVAL_PANEL])
        if "strata" in df:
            df["strata"] = pd.Categorical(df["strata"], categories=labels)
        return df

    curve_df = _panel(pd.concat(curves, ignore_index=True))
    p = ggplot(curve_df, aes(x="time", y="estimate", color="strata"))
    if conf_int and bands:
        p += geom_ribbon(
            aes(x="time", ymin="conf_low", ymax="conf_high", fill="strata"),
            data=_panel(pd.concat(bands, ignore_index=True)),
            inherit_aes=False,
            alpha=0.15,
            color="none",
            show_legend=False,
        )
    if median_lines:
        med = fit.median()
        reached = [
            (label_of.get(r["strata"] or None, _ALL), float(r["median"]))
            for r in med.iter_rows(named=True)
            if r["median"] is not None and math.isfinite(r["median"])
        ]
        if reached:
            far = max(m for _, m in reached)
            seg = pd.DataFrame(
                {"x": [0.0] + [m for _, m in reached], "xend": [far] + [m for _, m in reached],
                 "y": [0.5] * (len(reached) + 1), "yend": [0.5] + [0.0] * len(reached)}
            )
            p += geom_segment(
                aes(x="x", xend="xend", y="y", yend="yend"),
                data=_panel(seg),
                inherit_aes=False,
                linetype="dashed",
                color="#777777",
                size=0.4,
            )
    p += geom_step(direction="hv", size=0.7)
    if censor_marks and censors:
        cdf = pd.concat(censors, ignore_index=True)
        if len(cdf):
            p += geom_point(data=_panel(cdf), shape="+", size=3, stroke=0.6, show_legend=False)

    notes = []
    if logrank is not None:
        pval = logrank if isinstance(logrank, (int, float)) else getattr(logrank, "p_value")
        notes.append(f"Log-rank {fmt_p(pval)}")
    if cox is not None:
        ct = cox.tidy()
        if not isinstance(ct, pl.DataFrame):
            ct = pl.from_pandas(ct)
        if cox_term is not None:
            ct = ct.filter(pl.col("term") == cox_term)
            if ct.height == 0:
                raise KeyError(f"cox.tidy() has no term {cox_term!r}")
        r = ct.row(0, named=True)
        notes.append(fmt_ci(r["estimate"], r["conf_low"], r["conf_high"], label=hr_label))
    if notes:
        # A translucent white box keeps the text legible over a CI band.
        p += geom_label(
            aes(x="x", y="y", label="text"),
            # Top right: KM curves fall from (0, 1), so that corner is the one most often empty.
            data=_panel(pd.DataFrame({"x": [xmax], "y": [1.0], "text": ["\n".join(notes)]})),
            inherit_aes=False,
            ha="right",
            va="top",
            size=6.5,
            fill="#FFFFFFCC",
            label_size=0,
            label_padding=0.15,
        )

    y_breaks = [0.0, 0.25, 0.5, 0.75, 1.0]
    y_labels = ["0.00", "0.25", "0.50", "0.75", "1.00"]
    if risk_table:
        at = fit.at(breaks)
        rows = []
        for k, (raw, lab) in enumerate(zip(raw_strata, labels), start=1):
            sub = at.filter(pl.col("strata").is_null()) if raw is None else at.filter(pl.col("strata") == raw)
            known = dict(zip(sub["time"].to_list(), sub["n_risk"].to_list()))
            for b in breaks:
                # fit.at drops times after a stratum's last follow-up (R extend=FALSE): nobody is at risk there.
                rows.append({"time": b, "n_risk": int(known.get(b, 0)), "strata": lab, "y": -float(k)})
        risk = pd.DataFrame(rows)
        # exact counts; with separators when any reaches 10,000 (a 6-digit count is hard to read)
        big = bool(risk["n_risk"].max() >= 10_000)
        risk["label"] = [format_count(v) if big else str(v) for v in risk["n_risk"]]
        widest = max(len(lab) for lab in risk["label"])
        p += geom_text(
            aes(x="time", y="y", label="label", color="strata"),
            data=_panel(risk, RISK_PANEL),
            inherit_aes=False,
            size=6.5,
            show_legend=False,
        )
        y_breaks += [-float(k) for k in range(1, len(labels) + 1)]
        y_labels += labels
        # Each panel's y range is set by invisible points (the y scale is shared,
        # so expand= would pad both panels alike): a header line above the rows,
        # half a row below.
        p += geom_blank(
            aes(x="x", y="y"),
            data=_panel(pd.DataFrame({"x": [0.0, 0.0], "y": [-0.05, -len(labels) - 0.5]}), RISK_PANEL),
            inherit_aes=False,
        )
        p += geom_blank(aes(x="x", y="y"), data=_panel(pd.DataFrame({"x": [0.0, 0.0], "y": [-0.03, 1.03]})), inherit_aes=False)
        p += geom_text(
            aes(x="x", y="y", label="text"),
            data=_panel(pd.DataFrame({"x": [0.0], "y": [-0.3], "text": [RISK_PANEL]}), RISK_PANEL),
            inherit_aes=False,
            ha="left",
            size=6.5,
            fontweight="bold",
        )
        risk_height = 0.3 * len(labels) + 0.4
        p += facet_grid("panel ~ .", scales="free_y", space={"x": [1], "y": [3, risk_height]})

    p += scale_color_manual(values=colours, limits=labels, drop=False)
    p += scale_fill_manual(values=colours, limits=labels, drop=False)
    # A little x expansion keeps the risk numbers at 0 and at the last break inside the panel.
    # room for half the widest count at 0 and at the last break (about 0.6% of the panel a character)
    pad = max(0.04, 0.0065 * widest + 0.01) if risk_table else 0.04
    p += scale_x_continuous(breaks=breaks, labels=[f"{b:g}" for b in breaks], limits=(0.0, xmax), expand=(pad, 0))
    p += scale_y_continuous(breaks=y_breaks, labels=y_labels, expand=(0, 0) if risk_table else (0.03, 0))
    p += labs(x=xlab, y=ylab, title=title, color=legend_title, fill=legend_title)
    if aggregated:
        p += labs(caption=wrap_caption(f"+: censoring; {format_count(aggregated)} censored patients, drawn as one "
                                       f"mark per 1/{MARK_BINS} of the time axis where any were censored."))
    p += theme_journal()
    if risk_table:
        # The y title belongs to the survival panel only: centre it there (va is a
        # fraction of the whole panel area, the survival panel being its top 3 / (3 + h)).
        centre = 1 - 0.5 * 3 / (3 + risk_height)
        p += theme(
            strip_text_y=element_blank(),
            strip_background=element_blank(),
            axis_title_y=element_text(va=centre),
            # Grid lines would strike through the numbers at risk.
            panel_grid_major=element_blank(),
        )
    if single:
        p += theme(legend_position="none")
    elif legend_title is None:
        p += theme(legend_title=element_blank())
    p = with_aspect(p, 0.85 if risk_table else 0.75)
    return p
