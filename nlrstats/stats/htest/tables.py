"""Turn user input into a contingency table: 2-D arrays, nested lists, polars frames, or two columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["as_count_table", "crosstab"]


def _levels(s: pl.Series) -> list:
    """Factor levels as R would make them: Enum/Categorical order, else sorted unique values."""
    if isinstance(s.dtype, pl.Enum):
        present = set(s.drop_nulls().to_list())
        return [lv for lv in s.dtype.categories.to_list() if lv in present]
    return sorted(s.drop_nulls().unique().to_list())


def crosstab(x, y, x_name: str = "x", y_name: str = "y") -> tuple[np.ndarray, list, list]:
    """Cross-tabulate two equal-length columns after dropping incomplete pairs (R's ``table(x, y)``).

    Returns the count matrix and the row and column levels.
    """
    xs = x if isinstance(x, pl.Series) else pl.Series(x_name, list(x) if not isinstance(x, np.ndarray) else x)
    ys = y if isinstance(y, pl.Series) else pl.Series(y_name, list(y) if not isinstance(y, np.ndarray) else y)
    if xs.len() != ys.len():
        raise ValueError(f"'{x_name}' and '{y_name}' must have the same length ({xs.len()} vs {ys.len()})")
    if xs.dtype.is_float():
        xs = xs.fill_nan(None)
    if ys.dtype.is_float():
        ys = ys.fill_nan(None)
    ok = xs.is_not_null() & ys.is_not_null()
    xs, ys = xs.filter(ok), ys.filter(ok)
    xl, yl = _levels(xs), _levels(ys)
    xi = {v: i for i, v in enumerate(xl)}
    yi = {v: i for i, v in enumerate(yl)}
    tab = np.zeros((len(xl), len(yl)), dtype=np.int64)
    counts = pl.DataFrame({"x": xs, "y": ys}).group_by(["x", "y"]).len()
    for a, b, n in counts.iter_rows():
        tab[xi[a], yi[b]] = n
    return tab, xl, yl


def as_count_table(table, name: str = "x") -> np.ndarray:
    """Validate a table of counts given as a 2-D array, nested list or polars DataFrame.

    A polars frame may carry one leading string column of row labels; every other column
    must be numeric. Entries must be nonnegative integers (R rounds and warns; we refuse
    non-integers so that nothing changes silently).
    """
    if isinstance(table, pl.DataFrame):
        cols = table.columns
        num = [c for c in cols if table.schema[c].is_numeric()]
        other = [c for c in cols if c not in num]
        if len(other) > 1 or (other and other[0] != cols[0]):
            raise ValueError(
                f"table frame must hold numeric count columns (optionally one leading label column); "
                f"non-numeric: {other}"
            )
        arr = table.select(num).to_numpy().astype(float)
    elif isinstance(table, (np.ndarray, Sequence)) and not isinstance(table, str):
        try:
            arr = np.asarray(table, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"'{name}' must be a table of counts: {exc}") from None
    else:
        raise TypeError(f"'{name}' must be a 2-D table (array, nested list or polars DataFrame)")
    if arr.ndim != 2:
        raise ValueError(f"'{name}' must be a 2-D table of counts, got {arr.ndim} dimension(s)")
    if np.isnan(arr).any() or (arr < 0).any() or not np.isfinite(arr).all():
        raise ValueError(f"all entries of '{name}' must be nonnegative and finite")
    if np.abs(arr - np.round(arr)).max(initial=0) > 1e-7:
        raise ValueError(f"all entries of '{name}' must be integer counts")
    return np.round(arr).astype(np.int64)
