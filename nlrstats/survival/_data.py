"""Turn a formula and a data frame into numpy arrays the survival kernels use.

R's conventions are kept: rows with a missing value in any formula column are
dropped (``na.omit``) and counted; times that differ by less than
``sqrt(.Machine$double.eps)`` are merged as R's ``aeqSurv`` (``timefix = TRUE``)
does; factor levels are sorted as R's ``factor()`` sorts them unless the column
is a polars ``Enum``, whose declared order is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.formula import FormulaError, SurvFormula, parse_surv_formula

__all__ = ["SurvData", "Factor", "prepare", "as_polars", "factor", "combine_factors", "r_format"]

_TOL = math.sqrt(np.finfo(float).eps)


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


@dataclass(frozen=True)
class Factor:
    """Integer codes 0..k-1 with level labels in R's order."""

    name: str
    codes: np.ndarray
    levels: tuple  # original values
    labels: tuple[str, ...]  # as R prints them


def factor(series: pl.Series) -> Factor:
    """Code a column as R's ``factor()`` would: sorted levels (Enum: declared order), only levels present."""
    dt = series.dtype
    name = series.name
    if isinstance(dt, pl.Enum):
        present = set(series.unique().to_list())
        levels = [c for c in dt.categories.to_list() if c in present]
        values = series.cast(pl.String).to_numpy()
    elif dt == pl.Boolean:
        values = series.to_numpy().astype(bool)
        levels = [v for v in (False, True) if (values == v).any()]
    elif dt in (pl.String, pl.Categorical) or isinstance(dt, pl.Categorical):
        values = series.cast(pl.String).to_numpy()
        levels = sorted(set(values.tolist()))
    elif dt.is_numeric():
        values = series.to_numpy()
        levels = np.unique(values).tolist()
    else:
        raise FormulaError(f"column '{name}' has type {dt}, which cannot be used as a grouping variable")
    lookup = {v: i for i, v in enumerate(levels)}
    if dt.is_numeric() and not dt == pl.Boolean:
        codes = np.searchsorted(np.asarray(levels), values).astype(np.int64)
    else:
        codes = np.fromiter((lookup[v] for v in values.tolist()), dtype=np.int64, count=len(values))
    labels = tuple(r_format(v) for v in levels)
    return Factor(name, codes, tuple(levels), labels)


def combine_factors(factors: list[Factor], label_prefixes: list[str] | None = None) -> Factor:
    """Interaction of factors as R's ``strata()``: first factor varies slowest, only combinations present.

    Labels are ``"a=x, b=y"`` as in ``survfit`` output.
    """
    prefixes = label_prefixes or [f.name for f in factors]
    n = len(factors[0].codes) if factors else 0
    if not factors:
        return Factor("", np.zeros(n, dtype=np.int64), ("",), ("",))
    key = np.zeros(n, dtype=np.int64)
    for f in factors:
        key = key * len(f.levels) + f.codes
    present, codes = np.unique(key, return_inverse=True)
    labels = []
    levels = []
    for k in present.tolist():
        parts = []
        combo = []
        for f, pre in zip(reversed(factors), reversed(prefixes)):
            k, c = divmod(k, len(f.levels))
            parts.append(f"{pre}={f.labels[c]}")
            combo.append(f.levels[c])
        labels.append(", ".join(reversed(parts)))
        levels.append(tuple(reversed(combo)))
    return Factor(",".join(f.name for f in factors), codes.astype(np.int64), tuple(levels), tuple(labels))


def _timefix(time: np.ndarray) -> np.ndarray:
    """Merge times closer than sqrt(machine eps), as R's ``aeqSurv``."""
    y = np.unique(time[np.isfinite(time)])
    if len(y) < 2:
        return time
    dy = np.diff(y)
    tied = (dy <= _TOL) | (dy / np.mean(np.abs(y)) <= _TOL)
    if not tied.any():
        return time
    cuts = y[np.concatenate(([True], ~tied))]
    return cuts[np.searchsorted(cuts, time, side="right") - 1]


@dataclass(frozen=True)
class SurvData:
    """Complete-case survival data extracted from a frame."""

    formula: SurvFormula
    frame: pl.DataFrame  # complete cases, formula columns only
    time: np.ndarray
    event: np.ndarray  # int8 0/1
    n_missing: int

    @property
    def n(self) -> int:
        return len(self.time)


def prepare(formula: str | SurvFormula, data, timefix: bool = True) -> SurvData:
    """Parse and check the formula, drop incomplete rows (counted), validate time and event."""
    f = parse_surv_formula(formula) if isinstance(formula, str) else formula
    df = as_polars(data)
    f.check(df)
    cols = list(dict.fromkeys(f.columns))
    sub = df.select(cols).with_row_index("__row")
    for c in cols:
        dt = sub.schema[c]
        if not (dt.is_numeric() or dt in (pl.Boolean, pl.String) or isinstance(dt, (pl.Enum, pl.Categorical))):
            raise FormulaError(f"{f.text}: column '{c}' has type {dt}; covariates must be numeric, "
                               "boolean or string/categorical")
    # NaN is R's NA too: treat it as missing, as na.omit does.
    miss = pl.any_horizontal([pl.col(c).is_null() | (pl.col(c).is_nan() if sub.schema[c].is_float() else False)
                              for c in cols])
    complete = sub.filter(~miss)
    n_missing = sub.height - complete.height
    time = complete[f.time].cast(pl.Float64).to_numpy()
    bad = np.flatnonzero(~np.isfinite(time))
    if len(bad):
        row = complete["__row"][int(bad[0])]
        raise FormulaError(f"{f.text}: time column '{f.time}' has a non-finite value at row {row}")
    ev = complete[f.event]
    if ev.dtype == pl.Boolean:
        event = ev.to_numpy().astype(np.int8)
    else:
        evn = ev.cast(pl.Float64).to_numpy()
        bad = np.flatnonzero((evn != 0) & (evn != 1))
        if len(bad):
            row = complete["__row"][int(bad[0])]
            raise FormulaError(f"{f.text}: event column '{f.event}' must be 0/1 (or boolean); "
                               f"found {evn[bad[0]]:g} at row {row}")
        event = evn.astype(np.int8)
    if timefix:
        time = _timefix(time)
    return SurvData(f, complete.drop("__row"), time, event, n_missing)
