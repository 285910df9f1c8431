"""NLR from day 0 to day 14 per patient (spaghetti plot), coloured by best response."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import polars as pl
from plotnine import (
    aes,
    element_blank,
    geom_hline,
    geom_line,
    geom_point,
    ggplot,
    guide_legend,
    guides,
    labs,
    scale_color_manual,
    scale_x_discrete,
    scale_y_continuous,
    scale_y_log10,
    theme,
)

from nlrstats.present.plots._data import as_frame, count_note, id_list, levels_of, require_columns, require_numeric, wrap_caption
from nlrstats.present.plots.crowd import CROWD, change_distribution
from nlrstats.present.plots.theme import RESPONSE_COLOURS, palette_for, theme_journal, with_aspect

__all__ = ["nlr_trajectory_plot"]

_RESPONSE_ORDER = ["CR", "PR", "SD", "PD", "NE"]
_LOG_BREAKS = [m * 10.0**k for k in range(-2, 4) for m in (1, 2, 3, 5)]


def nlr_trajectory_plot(
    data,
    before: str = "nlr_d0",
    after: str = "nlr_d14",
    colour: str | None = "best_response",
    id: str = "patient_id",
    timepoints: Sequence[str] = ("Day 0", "Day 14"),
    log_y: bool = False,
    cutoff: float | None = None,
    palette: Sequence[str] | dict[str, str] | None = None,
    ylab: str = "NLR",
    legend_title: str | None = "Best response",
    title: str | None = None,
    show_ids: bool = True,
) -> ggplot:
    """Paired NLR values (day 0 to day 14) per patient, one line each.

    Lines join the two values of a patient; colour is the best overall response
    (RECIST colours are fixed, see :data:`~nlrstats.present.plots.theme.RESPONSE_COLOURS`).
    A patient with only one value is drawn as a lone point and counted in the
    caption; a patient with neither value is counted and named in the caption.

    Above :data:`~nlrstats.present.plots.crowd.CROWD` patients, one line a patient is a solid block:
    the distribution of the paired change (after / before, log2 bins) per colour group is drawn
    instead (:func:`~nlrstats.present.plots.crowd.change_distribution`), the caption stating the rule
    and counting (never naming) patients with one or no value.

    Parameters
    ----------
    data
        Cohort frame (polars, pandas or a ``Cohort``).
    before, after
        Columns of the two time points.
    colour
        Column for line colour (``None`` for black lines).
    id
        Patient identifier column.
    timepoints
        x-axis labels of the two columns.
    log_y
        Log10 y axis (NLR is a ratio; a log axis shows halving and doubling alike).
    cutoff
        Draw a dashed horizontal line at this NLR (e.g. 8), or ``None``.
    palette
        Colours for the ``colour`` levels; default RECIST colours for
        ``best_response`` and Okabe-Ito otherwise.
    ylab, legend_title, title
        Text.
    show_ids
        Name (up to five) patients missing a value in the caption; False counts them only, for
        documents shared outside the study team.

    Returns
    -------
    plotnine.ggplot
    """
    df = as_frame(data)
    require_columns(df, [before, after, colour, id])
    require_numeric(df, before)
    require_numeric(df, after)
    if len(timepoints) != 2:
        raise ValueError(f"timepoints must name exactly 2 time points; got {list(timepoints)!r}")
    if log_y:
        for col in (before, after):
            bad = df.filter(pl.col(col) <= 0)
            if bad.height:
                raise ValueError(
                    f"column {col!r} has values <= 0 (patient {bad[id][0]!r}); a log axis needs positive values"
                )

    if colour is not None:
        levels = levels_of(df[colour], preferred=_RESPONSE_ORDER if colour == "best_response" else None)
        if palette is None and all(lv in RESPONSE_COLOURS for lv in levels):
            colours = {lv: RESPONSE_COLOURS[lv] for lv in levels}
        else:
            colours = palette_for(levels, palette)
        groups = df[colour].cast(pl.String).fill_null("Missing").to_list()
    else:
        levels, colours, groups = ["All"], {"All": "black"}, ["All"] * df.height

    if df.height > CROWD:
        bv = df[before].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        av = df[after].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        one = int((np.isfinite(bv) ^ np.isfinite(av)).sum())
        neither = int((~np.isfinite(bv) & ~np.isfinite(av)).sum())
        notes = [f"Not shown: {count_note(one, 'patient')} with one value and {count_note(neither, 'patient')} "
                 "with neither."] if one or neither else []
        return change_distribution(bv, av, np.asarray(groups, dtype=object), levels, colours, timepoints, ylab,
                                   legend_title, title, notes)
    ids = df[id].cast(pl.String).to_list()
    b = df[before].cast(pl.Float64).fill_nan(None).to_list()
    a = df[after].cast(pl.Float64).fill_nan(None).to_list()
    rows = []
    for pid, g, vb, va in zip(ids, groups, b, a):
        rows.append({"id": pid, "time": timepoints[0], "value": vb, "group": g})
        rows.append({"id": pid, "time": timepoints[1], "value": va, "group": g})
    long = pd.DataFrame(rows)
    long["time"] = pd.Categorical(long["time"], categories=list(timepoints))
    long["group"] = pd.Categorical(long["group"], categories=levels)
    points = long.dropna(subset=["value"])
    complete_ids = {pid for pid, vb, va in zip(ids, b, a) if vb is not None and va is not None}
    lines = points[points["id"].isin(complete_ids)]

    notes = []

    def named(pids):
        # a shared report counts patients without naming them (show_ids=False)
        return f": {id_list(pids)}" if show_ids else ""

    only_before = [pid for pid, vb, va in zip(ids, b, a) if vb is not None and va is None]
    only_after = [pid for pid, vb, va in zip(ids, b, a) if vb is None and va is not None]
    neither = [pid for pid, vb, va in zip(ids, b, a) if vb is None and va is None]
    if only_before:
        notes.append(f"{count_note(len(only_before), 'patient')} without {timepoints[1]} value (point only{named(only_before)})")
    if only_after:
        notes.append(f"{count_note(len(only_after), 'patient')} without {timepoints[0]} value (point only{named(only_after)})")
    if neither:
        notes.append(f"{count_note(len(neither), 'patient')} with neither value, not shown{named(neither)}")
    if points.empty:
        raise ValueError(f"no patient has a value in {before!r} or {after!r}: nothing to draw")

    n = df.height
    p = (
        ggplot(points, aes(x="time", y="value", color="group"))
        # Fainter, thinner lines once there are many patients, so the bundle keeps its shape.
        + geom_line(aes(group="id"), data=lines, size=0.6 if n <= 50 else 0.3, alpha=0.9 if n <= 50 else 0.35)
        + geom_point(size=1.6 if n <= 50 else 0.6, alpha=1.0 if n <= 50 else 0.5)
        + scale_color_manual(values=colours, limits=levels, drop=False)
        + guides(color=guide_legend(override_aes={"alpha": 1.0, "size": 0.8}))
        + scale_x_discrete(expand=(0, 0.25))
        + labs(x="", y=ylab, color=legend_title, title=title, caption=wrap_caption("; ".join(notes) + ".") if notes else None)
        + theme_journal()
        + theme(panel_grid_major_x=element_blank())
    )
    # 1-2-3-5 breaks: the default log breaks are too sparse over one decade of NLR.
    p += scale_y_log10(breaks=_LOG_BREAKS) if log_y else scale_y_continuous()
    if cutoff is not None:
        p += geom_hline(yintercept=float(cutoff), linetype="dashed", color="#555555", size=0.4)
    if colour is None:
        p += theme(legend_position="none")
    elif legend_title is None:
        p += theme(legend_title=element_blank())
    p = with_aspect(p, 0.9)
    return p

