"""Turning arrays, series or column names into named polars Series for the cut-point verbs."""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["column", "r_label"]


def column(value, data, role: str) -> tuple[str, pl.Series]:
    """``(name, series)`` for a column name in ``data`` or an array-like (nulls kept)."""
    from nlrstats.stats.cutpoint.landmark import LandmarkOutcome

    if isinstance(value, LandmarkOutcome):
        return value.name, value.outcome
    if isinstance(value, str):
        if data is None:
            raise ValueError(f"{role} '{value}' is a column name but no data was given")
        if not isinstance(data, pl.DataFrame):
            from nlrstats.stats.survival._data import as_polars
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
    from nlrstats.stats.survival._data import r_format
    return r_format(value)
