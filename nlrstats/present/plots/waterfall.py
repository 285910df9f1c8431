"""Waterfall plot of best percentage change in target lesions, one bar per patient."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import polars as pl
from plotnine import (
    aes,
    geom_col,
    geom_hline,
    ggplot,
    labs,
    scale_fill_manual,
    scale_x_discrete,
    scale_y_continuous,
    element_blank,
    element_text,
    theme,
)

from nlrstats.present.plots._data import as_frame, count_note, id_list, levels_of, require_columns, require_numeric, wrap_caption
from nlrstats.present.plots.crowd import CROWD, waterfall_area
from nlrstats.present.plots.theme import palette_for, theme_journal, with_aspect

__all__ = ["waterfall_plot"]


def waterfall_plot(
    data,
    pct: str = "best_pct_change",
    group: str | None = "nlr_group",
    id: str = "patient_id",
    thresholds: Sequence[float] = (20.0, -30.0),
    palette: Sequence[str] | dict[str, str] | None = None,
    show_ids: bool | None = None,
    ylab: str = "Best change from baseline (%)",
    legend_title: str | None = None,
    title: str | None = None,
    missing_what: str = "% change",
) -> ggplot:
    """Waterfall plot: best % change of the target-lesion sum per patient.

    Bars are sorted from the largest increase to the largest shrinkage, as in
    oncology trial reports; dashed lines mark the RECIST 1.1 thresholds for
    progression (+20 %) and partial response (-30 %).

    Patients without a % change (e.g. no post-baseline scan) cannot be drawn as
    bars; they are counted and named in the caption, never dropped silently.
    Patients with a missing group are drawn in a "Missing" group.

    Above :data:`~nlrstats.present.plots.crowd.CROWD` patients with a value, bars a patient wide would
    be thinner than a pixel: each group's sorted changes are drawn instead as an area over the
    percentile of its patients (:func:`~nlrstats.present.plots.crowd.waterfall_area`, one panel a
    group), and the caption states the rule. Missing patients are then counted, never named.

    Parameters
    ----------
    data
        Cohort frame (polars, pandas or a ``Cohort``).
    pct, group, id
        Column names: % change, grouping for colour (``None`` for one colour),
        patient identifier.
    thresholds
        y values of the dashed reference lines.
    palette
        Colours (sequence in level order or ``{level: colour}``); default Okabe-Ito.
    show_ids
        Label bars with patient ids; default when there are at most 30 bars.
    ylab, legend_title, title, missing_what
        Text; ``missing_what`` names the absent value in the caption. ``legend_title`` defaults to no title (group labels such as
        "NLR < 8" say what they are).

    Returns
    -------
    plotnine.ggplot
    """
    df = as_frame(data)
    require_columns(df, [pct, group, id])
    require_numeric(df, pct)
    absent = pl.col(pct).is_null()
    if df.schema[pct].is_float():
        absent = absent | pl.col(pct).is_nan()
    missing = df.filter(absent)
    drawn = df.join(missing.select(id), on=id, how="anti") if missing.height else df
    if drawn.height == 0:
        raise ValueError(f"no patient has a value in column {pct!r}: nothing to draw")

    if group is not None:
        levels = levels_of(df[group])
        grp = drawn[group].cast(pl.String).fill_null("Missing")
    else:
        levels = ["All patients"]
        grp = pl.Series([levels[0]] * drawn.height)
    if drawn.height > CROWD:
        colours = palette_for(levels, palette)
        pcts = drawn[pct].cast(pl.Float64).to_numpy()
        gs = grp.to_numpy()
        notes = [f"Not shown: {count_note(missing.height, 'patient')} without {missing_what}."] if missing.height else []
        return waterfall_area({lv: pcts[gs == lv] for lv in levels}, colours, thresholds, ylab, title, notes)
    frame = pd.DataFrame(
        {
            "id": drawn[id].cast(pl.String).to_list(),
            "pct": drawn[pct].cast(pl.Float64).to_list(),
            "group": pd.Categorical(grp.to_list(), categories=levels),
        }
    )
    # Largest increase on the left; ties broken by id so the order is reproducible.
    frame = frame.sort_values(["pct", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    frame["id"] = pd.Categorical(frame["id"], categories=list(frame["id"]))
    colours = palette_for(levels, palette)

    if show_ids is None:
        show_ids = len(frame) <= 30
    caption = None
    if missing.height:
        # identifiers only where the figure shows them anyway; a shared report counts, never names
        ids = f" ({id_list(missing[id].cast(pl.String).to_list())})" if show_ids else ""
        caption = wrap_caption(f"Not shown: {count_note(missing.height, 'patient')} without {missing_what}{ids}.")

    p = (
        ggplot(frame, aes(x="id", y="pct", fill="group"))
        # Gaps between bars turn into stripes once there are many patients.
        + geom_col(width=0.8 if len(frame) <= 60 else 1.0, color="none")
        + geom_hline(yintercept=0, color="black", size=0.4)
        + scale_fill_manual(values=colours, limits=levels, drop=False)
        + scale_y_continuous(expand=(0.02, 0, 0.05, 0))
        + scale_x_discrete(name="Patients")
        + labs(y=ylab, title=title, caption=caption, fill=legend_title)
        + theme_journal()
        + theme(panel_grid_major_x=element_blank(), axis_ticks_major_x=element_blank())
    )
    for y in thresholds:
        p += geom_hline(yintercept=float(y), linetype="dashed", color="#555555", size=0.4)
    if show_ids:
        p += theme(axis_text_x=element_text(rotation=90, size=6, va="top"))
    else:
        p += theme(axis_text_x=element_blank())
    if group is None:
        p += theme(legend_position="none")
    elif legend_title is None:
        p += theme(legend_title=element_blank())
    p = with_aspect(p, 0.7)
    return p

