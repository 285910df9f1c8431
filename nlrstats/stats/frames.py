"""Data frames in, R's spelling of values out: helpers every estimator of ``nlrstats.stats`` shares.

- :func:`as_polars` accepts the frames users hold (polars eager or lazy, pandas).
- :func:`r_format` prints a level as R's ``as.character`` does, so that labels and error
  messages read as they would in R.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

__all__ = ["as_polars", "r_format"]


def as_polars(data) -> pl.DataFrame:
    """Accept a polars DataFrame/LazyFrame or a pandas DataFrame."""
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    mod = type(data).__module__
    if mod.startswith("pandas"):
        return pl.from_pandas(data)
    raise TypeError(f"data must be a polars or pandas DataFrame, got {type(data).__name__}")


def r_format(value) -> str:
    """Format a level as R's ``as.character`` does (15 significant digits, TRUE/FALSE, 1e+05)."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return str(value)
    x = float(f"{float(value):.15g}")
    if not math.isfinite(x):
        return {math.inf: "Inf", -math.inf: "-Inf"}.get(x, "NaN")
    fixed = np.format_float_positional(x, trim="-")
    mant, _, exp = f"{x:.14e}".partition("e")
    mant = mant.rstrip("0").rstrip(".")
    e = int(exp)
    sci = f"{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"
    # R prefers fixed notation unless it is wider than scientific (scipen = 0).
    return sci if len(fixed) > len(sci) else fixed
