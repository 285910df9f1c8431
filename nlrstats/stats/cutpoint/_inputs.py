"""Turning arrays, series or column names into the named series and arrays the cut-point verbs use."""

from __future__ import annotations

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError, SurvFormula
from nlrstats.stats.frames import as_polars, r_format

__all__ = ["column", "r_label", "surv_columns"]


def column(value, data, role: str) -> tuple[str, pl.Series]:
    """``(name, series)`` for a column name in ``data`` or an array-like (nulls kept)."""
    if isinstance(value, str):
        if data is None:
            raise ValueError(f"{role} '{value}' is a column name but no data was given")
        data = as_polars(data)
        if value not in data.columns:
            raise ValueError(f"{role} column '{value}' is not in the data (available: {', '.join(data.columns)})")
        return value, data[value]
    if isinstance(value, pl.Series):
        return value.name or role, value
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise ValueError(f"{role} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        return role, pl.Series(role, arr, nan_to_null=True)
    return role, pl.Series(role, arr.tolist())


def r_label(value) -> str:
    """A level as R prints it (TRUE/FALSE for booleans, 15 significant digits for numbers)."""
    return r_format(value)


def surv_columns(f: SurvFormula, data) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Time, event and marker arrays of the complete rows of ``Surv(time, event) ~ marker``.

    Returns ``(time, event, marker, n_missing)``; rows with a missing value in any of the
    three columns are left out and counted (R's ``na.omit``).
    """
    data = as_polars(data)
    if len(f.terms) != 1 or f.strata or getattr(f, "cluster", None):
        raise FormulaError(f"{f.text}: maxstat needs exactly one marker on the right-hand side")
    if getattr(f, "event_node", None) is not None:
        raise FormulaError(f"{f.text}: the cut-point verbs take the event as a 0/1 column; make one "
                           "(e.g. event = status == 2) and name it in Surv(time, event)")
    f.check(data)
    xname = f.terms[0]
    if xname not in data.columns:
        raise FormulaError(f"{f.text}: the marker must be a column of the data; add '{xname}' as a column "
                           "first (the cut is reported on the marker's own scale)")
    if not data.schema[xname].is_numeric():
        raise FormulaError(f"{f.text}: marker column '{xname}' must be numeric, found {data.schema[xname]}")
    frame = data.select(pl.col(f.time).cast(pl.Float64), pl.col(f.event).cast(pl.Float64),
                        pl.col(xname).cast(pl.Float64)).fill_nan(None)
    keep = ~np.asarray(frame.select(pl.any_horizontal(pl.all().is_null())).to_series(), dtype=bool)
    frame = frame.filter(pl.Series(keep))
    t, e, x = (frame[c].to_numpy() for c in frame.columns)
    bad = np.flatnonzero((e != 0) & (e != 1))
    if bad.size:
        raise FormulaError(f"{f.text}: event column '{f.event}' must be 0/1 (first bad value "
                           f"{e[bad[0]]:g} in a complete row)")
    if np.any(t < 0):
        raise FormulaError(f"{f.text}: time column '{f.time}' has negative values")
    return t, e, x, int((~keep).sum())
