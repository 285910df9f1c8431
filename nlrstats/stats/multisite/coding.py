"""Coding of a site's columns as R codes them: factor levels, 0/1 events."""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["SiteSummaryError", "code_groups", "code_binary", "level_label"]


class SiteSummaryError(ValueError):
    """A site's data or summary that cannot be summarised or pooled; the message names what and how to fix it."""


def level_label(value) -> str:
    """A level as R prints it in labels: TRUE/FALSE for logicals, the text otherwise."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def code_groups(series: pl.Series, formula: str):
    """(kind, level labels, Enum categories, codes with -1 for missing) of a grouping column.

    Levels are R's ``factor()`` levels: sorted text, an Enum's declared order, FALSE/TRUE;
    a numeric column must be 0/1 (it enters a Cox model as the number, which equals the dummy).
    """
    dt = series.dtype
    name = series.name
    codes = np.full(len(series), -1, dtype=np.int64)
    mask = series.is_not_null().to_numpy()
    if isinstance(dt, pl.Enum):
        cats = [str(c) for c in dt.categories.to_list()]
        phys = series.to_physical().to_numpy()
        used = sorted({int(v) for v in phys[mask]})
        levels = [cats[i] for i in used]
        remap = np.full(len(cats), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        codes[mask] = remap[phys[mask].astype(np.int64)]
        return "enum", levels, cats, codes
    if dt == pl.Boolean:
        vals = series.to_numpy()
        levels = [v for v in (False, True) if (vals[mask] == v).any()]
        for i, v in enumerate(levels):
            codes[mask & (vals == v)] = i
        return "boolean", [level_label(v) for v in levels], [], codes
    if dt == pl.String or isinstance(dt, pl.Categorical):
        s = series.cast(pl.String)
        levels = sorted(s.drop_nulls().unique().to_list())
        codes = s.cast(pl.Enum(levels)).to_physical().fill_null(-1).to_numpy().astype(np.int64)
        return "string", levels, [], codes
    if dt.is_numeric():
        x = series.cast(pl.Float64).to_numpy()
        mask &= ~np.isnan(np.where(mask, x, 0.0))
        bad = mask & ~np.isin(x, (0.0, 1.0))
        if bad.any():
            raise SiteSummaryError(f"{formula}: group column '{name}' is numeric with values other than 0/1 "
                                   f"(e.g. {x[bad][0]:g}); give groups as text, boolean or 0/1 (cut a "
                                   "continuous marker at its cut-off first)")
        levels = [v for v in (0.0, 1.0) if (x[mask] == v).any()]
        for i, v in enumerate(levels):
            codes[mask & (x == v)] = i
        return "binary", [f"{v:g}" for v in levels], [], codes
    raise SiteSummaryError(f"{formula}: group column '{name}' has type {dt}; use text, boolean or 0/1")


def code_binary(series: pl.Series, what: str) -> np.ndarray:
    """0/1 (int8) from a 0/1 numeric or boolean column without missing values."""
    if series.dtype == pl.Boolean:
        return series.to_numpy().astype(np.int8)
    if not series.dtype.is_numeric():
        raise SiteSummaryError(f"{what} must be 0/1 or boolean, found {series.dtype}")
    x = series.cast(pl.Float64).to_numpy()
    bad = ~np.isin(x, (0.0, 1.0))
    if bad.any():
        raise SiteSummaryError(f"{what} must be 0/1 (or boolean); {int(bad.sum())} value(s) are not, "
                               f"e.g. {x[bad][0]:g}")
    return x.astype(np.int8)
