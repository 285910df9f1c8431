"""ROC curves (sensitivity vs 1 - specificity) with AUC and the Youden point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import polars as pl
from plotnine import (
    aes,
    coord_equal,
    geom_abline,
    geom_path,
    geom_point,
    geom_text,
    ggplot,
    labs,
    scale_color_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
    element_blank,
)

from nlrstats.present.format import format_auc, format_ci, format_cut
from nlrstats.present.plots.theme import palette_for, theme_journal, with_aspect

__all__ = ["roc_plot"]


def roc_plot(
    roc: Any,
    labels: Sequence[str] | None = None,
    youden: bool = True,
    palette: Sequence[str] | dict[str, str] | None = None,
    threshold_label: str = "cut",
    title: str | None = None,
) -> ggplot:
    """ROC curve(s): sensitivity against 1 - specificity, chance diagonal, AUC and Youden point.

    Parameters
    ----------
    roc
        A ``RocResult`` from :func:`nlrstats.stats.cutpoint.roc`, a list of them, or a
        dict ``{label: RocResult}``. Any object works that has ``.tidy()`` with
        columns ``threshold``, ``sensitivity``, ``specificity``, attributes
        ``auc``, ``conf_low``, ``conf_high`` and (for ``youden=True``) a
        ``.youden()`` giving ``threshold``, ``sensitivity``, ``specificity`` (as
        a dict, a one-row frame or attributes).
    labels
        Curve names when ``roc`` is a list (default the results' ``marker``
        names when distinct, else "ROC 1", "ROC 2", ...).
    youden
        Mark the Youden-optimal threshold (max sensitivity + specificity - 1).
    palette
        Colours for several curves; a single curve is black.
    threshold_label
        Word before the Youden threshold in its label ("cut 8.1").
    title
        Plot title.

    Returns
    -------
    plotnine.ggplot
        With one curve the AUC (95% CI) is printed bottom right; with several
        it is part of each legend entry.
    """
    curves = _as_named(roc, labels)
    paths, points, names = [], [], []
    for name, r in curves.items():
        tidy = r.tidy()
        if not isinstance(tidy, pl.DataFrame):
            tidy = pl.from_pandas(tidy)
        missing = [c for c in ("sensitivity", "specificity") if c not in tidy.columns]
        if missing:
            raise KeyError(f"ROC {name!r}: tidy() has no column(s) {missing!r}")
        auc_text = _auc_text(r)
        legend = f"{name}: {auc_text}" if len(curves) > 1 else name
        names.append(legend)
        fpr = (1.0 - tidy["specificity"].cast(pl.Float64)).to_list()
        tpr = tidy["sensitivity"].cast(pl.Float64).to_list()
        pts = sorted({(0.0, 0.0), (1.0, 1.0), *[(x, y) for x, y in zip(fpr, tpr) if x is not None and y is not None]})
        paths.append(pd.DataFrame({"fpr": [x for x, _ in pts], "tpr": [y for _, y in pts], "curve": legend}))
        if youden:
            # pROC returns every tied optimum; each is marked.
            for y in _youden(r):
                points.append(
                    {
                        "fpr": 1.0 - y["specificity"],
                        "tpr": y["sensitivity"],
                        "curve": legend,
                        "text": f"{threshold_label} {format_cut(y['threshold'])}",
                    }
                )
    path_df = pd.concat(paths, ignore_index=True)
    path_df["curve"] = pd.Categorical(path_df["curve"], categories=names)
    colours = {names[0]: "black"} if len(names) == 1 else palette_for(names, palette)

    p = (
        ggplot(path_df, aes(x="fpr", y="tpr", color="curve"))
        + geom_abline(intercept=0, slope=1, linetype="dashed", color="#888888", size=0.4)
        + geom_path(size=0.7)
        + scale_color_manual(values=colours, limits=names)
        + scale_x_continuous(limits=(0, 1), breaks=[0, 0.25, 0.5, 0.75, 1], labels=["0", "0.25", "0.5", "0.75", "1"])
        + scale_y_continuous(limits=(0, 1), breaks=[0, 0.25, 0.5, 0.75, 1], labels=["0", "0.25", "0.5", "0.75", "1"])
        + coord_equal()
        + labs(x="1 \u2212 specificity", y="Sensitivity", title=title)
        + theme_journal()
        + theme(legend_title=element_blank())
    )
    if points:
        pt = pd.DataFrame(points)
        pt["curve"] = pd.Categorical(pt["curve"], categories=names)
        p += geom_point(data=pt, size=2.2, shape="o", fill="white", stroke=0.8)
        p += geom_text(aes(label="text"), data=pt, ha="left", va="top", nudge_x=0.03, nudge_y=-0.02, size=6.5, show_legend=False)
    if len(names) == 1:
        p += geom_text(
            pd.DataFrame({"fpr": [0.97], "tpr": [0.04], "text": [_auc_text(next(iter(curves.values())))]}),
            aes(x="fpr", y="tpr", label="text"),
            inherit_aes=False,
            ha="right",
            va="bottom",
            size=7,
        )
        p += theme(legend_position="none")
    else:
        p += theme(legend_position="bottom", legend_direction="vertical")
    p = with_aspect(p, 1.0)
    return p


def _as_named(roc: Any, labels: Sequence[str] | None) -> dict[str, Any]:
    if isinstance(roc, Mapping):
        return {str(k): v for k, v in roc.items()}
    if isinstance(roc, (list, tuple)):
        if labels is not None and len(labels) != len(roc):
            raise ValueError(f"got {len(roc)} ROC curves but {len(labels)} labels")
        markers = [str(getattr(r, "marker", "")) for r in roc]
        default = markers if all(markers) and len(set(markers)) == len(markers) else [f"ROC {i + 1}" for i in range(len(roc))]
        names = list(labels) if labels is not None else default
        if len(set(names)) != len(names):
            raise ValueError(f"ROC labels must be unique; got {names!r}")
        return dict(zip(names, roc))
    if not hasattr(roc, "tidy"):
        raise TypeError(f"roc must be a RocResult (with .tidy()), a list or a dict of them; got {type(roc).__name__}")
    return {(labels[0] if labels else str(getattr(roc, "marker", "") or "ROC")): roc}


def _auc_text(r: Any) -> str:
    auc = getattr(r, "auc", None)
    if auc is None:
        raise AttributeError(f"{type(r).__name__} has no attribute 'auc'")
    lo, hi = getattr(r, "conf_low", None), getattr(r, "conf_high", None)
    if lo is None or hi is None:
        return f"AUC {format_auc(auc)}"
    return f"AUC {format_auc(auc)} (95% CI {format_ci(lo, hi, 2)})"


def _youden(r: Any) -> list[dict[str, float]]:
    y = r.youden()
    if isinstance(y, pd.DataFrame):
        y = pl.from_pandas(y)
    if isinstance(y, pl.DataFrame):
        rows = list(y.iter_rows(named=True))
    elif isinstance(y, Mapping):
        rows = [y]
    else:
        rows = [{k: getattr(y, k) for k in ("threshold", "sensitivity", "specificity")}]
    try:
        return [{k: float(row[k]) for k in ("threshold", "sensitivity", "specificity")} for row in rows]
    except KeyError as exc:
        raise KeyError(f"youden() result has no {exc.args[0]!r}") from None
