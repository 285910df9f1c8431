"""Numeric vectors and R's formula interface (``y ~ g``) for the rank and t tests."""

from __future__ import annotations

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError, parse_simple_formula
from nlrstats.stats.frames import as_polars, r_format

__all__ = ["as_float_array", "is_formula", "formula_groups", "FormulaGroups"]


def as_float_array(v, name: str) -> np.ndarray:
    """A 1-D float array (None / null / NaN become NaN) or a ValueError naming ``name``."""
    if v is None:
        raise ValueError(f"'{name}' is missing")
    if isinstance(v, pl.Series):
        if not (v.dtype.is_numeric() or v.dtype == pl.Boolean):
            raise ValueError(f"'{name}' must be numeric, found {v.dtype}")
        return v.cast(pl.Float64).fill_null(np.nan).to_numpy()
    if hasattr(v, "to_numpy"):
        v = v.to_numpy()
    try:
        arr = np.asarray([np.nan if a is None else a for a in v] if isinstance(v, (list, tuple)) else v,
                         dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"'{name}' must be numeric") from None
    if arr.ndim != 1:
        raise ValueError(f"'{name}' must be one-dimensional")
    return arr


def is_formula(x) -> bool:
    return isinstance(x, str) and "~" in x


class FormulaGroups:
    """The response of ``y ~ g`` split by the levels of ``g`` (complete rows only), or of ``y ~ 1``."""

    def __init__(self, groups: list[np.ndarray], levels: list[str], data_name: str, n_missing: int):
        self.groups = groups
        self.levels = levels
        self.data_name = data_name
        self.n_missing = n_missing


def _levels(s: pl.Series) -> list:
    """Factor levels as R's ``factor()``: Enum order, else sorted distinct values (only those present)."""
    present = s.drop_nulls()
    if isinstance(s.dtype, pl.Enum):
        seen = set(present.to_list())
        return [lv for lv in s.dtype.categories.to_list() if lv in seen]
    return sorted(present.unique().to_list())


def formula_groups(formula: str, data, verb: str) -> FormulaGroups:
    """Model frame of ``response ~ group`` (or ``response ~ 1``) as R's ``model.frame`` + ``split``.

    Rows with a missing response or group are left out (R's ``na.omit``); the groups come
    in R's level order. ``data_name`` is R's ``"y by g"``.
    """
    if data is None:
        raise ValueError(f"{verb}: a formula needs data (e.g. {verb}('{formula}', data))")
    data = as_polars(data)
    lhs, _, rhs = formula.partition("~")
    if rhs.strip() == "1":
        f = parse_simple_formula(f"{lhs} ~ one")
        terms: tuple[str, ...] = ()
    else:
        f = parse_simple_formula(formula)
        terms = f.terms
    if len(terms) > 1:
        raise FormulaError(f"{formula!r}: {verb} needs the form response ~ group (one grouping column)")
    cols = [f.response, *terms]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise FormulaError(f"{formula!r}: column(s) {', '.join(map(repr, missing))} are not in the data "
                           f"(available: {', '.join(data.columns)})")
    y = data[f.response]
    if not (y.dtype.is_numeric() or y.dtype == pl.Boolean):
        raise FormulaError(f"{formula!r}: response '{f.response}' must be numeric, found {y.dtype}")
    yv = y.cast(pl.Float64)
    if yv.dtype.is_float():
        yv = yv.fill_nan(None)
    ok = yv.is_not_null()
    if terms:
        g = data[terms[0]]
        if g.dtype.is_float():
            g = g.fill_nan(None)
        ok = ok & g.is_not_null()
        g = g.filter(ok)
        levels = _levels(g)
        yk = yv.filter(ok).to_numpy()
        groups = [yk[(g == lv).to_numpy()] for lv in levels]
        labels = [r_format(lv) for lv in levels]
    else:
        groups = [yv.filter(ok).to_numpy()]
        labels = []
    name = " by ".join(cols)
    return FormulaGroups(groups, labels, name, int((~ok).sum()))
