"""R's ``model.frame`` for survival formulas: evaluate the variables, subset, weights, drop incomplete rows.

Order of work as R's: ``subset`` first (rows where it is NA are dropped, as R's ``subset``),
then every variable of the formula is evaluated (``log(x)``, ``I(x^2)``, the event condition),
then rows with a missing value in any of them, in the strata, cluster or weights are
dropped and counted (``na.omit``; NaN counts as missing, as ``is.na(NaN)`` in R). A
transform that makes NaN from a present value (``log(-1)``) warns, as R's "NaNs produced".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError, SurvFormula
from nlrstats.stats.survival.splines import rcs_knots
from nlrstats.stats.rexpr import Call, Name, RExprError, deparse, parse_expr, to_polars

__all__ = ["ModelFrame", "model_frame", "status_codes", "variable_expr", "eval_subset"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class ModelFrame:
    frame: pl.DataFrame  # complete cases: one column per variable (named by its text), strata, cluster
    time: np.ndarray
    event: np.ndarray  # int8 0/1
    weights: np.ndarray | None
    rows: np.ndarray  # row number in the data of each complete case
    n_missing: int
    knots: dict  # rcs() variable -> knots, from its values before incomplete rows are dropped (as R)


def variable_expr(var, schema) -> pl.Expr:
    """The values a formula variable takes (a factor's or a spline's underlying values)."""
    node = var.node
    if var.kind in ("factor", "rcs"):
        node = node.args[0]
    try:
        return to_polars(node, schema).alias(var.text)
    except RExprError as e:
        raise FormulaError(str(e)) from None


def eval_subset(subset, df: pl.DataFrame, what: str) -> np.ndarray:
    """``subset=`` as a boolean mask: a boolean column name, an R condition string, a polars
    expression, or a boolean array / Series of the data's length. NA selects nothing (R)."""
    if isinstance(subset, str):
        try:
            expr = pl.col(subset) if subset in df.columns else to_polars(parse_expr(subset), df.schema)
        except RExprError as e:
            raise FormulaError(f"{what}: subset {subset!r}: {e}") from None
    elif isinstance(subset, pl.Expr):
        expr = subset
    else:
        arr = subset.to_numpy() if isinstance(subset, pl.Series) else np.asarray(subset)
        if arr.dtype != bool or arr.shape != (df.height,):
            raise FormulaError(f"{what}: subset must be a boolean column name, an R condition such as "
                               f"\"age >= 65\", a polars expression or {df.height} booleans; got "
                               f"{arr.dtype} of shape {arr.shape}")
        return arr
    try:
        s = df.select(expr.alias("subset")).to_series()
    except pl.exceptions.PolarsError as e:
        raise FormulaError(f"{what}: subset could not be evaluated: {e}") from None
    if s.dtype != pl.Boolean:
        raise FormulaError(f"{what}: subset must be TRUE/FALSE per row, got {s.dtype} "
                           "(write a condition, e.g. \"sex == 'F'\")")
    return s.fill_null(False).to_numpy()


def status_codes(values: np.ndarray, what: str, rows: np.ndarray) -> np.ndarray:
    """R's ``Surv`` status: boolean, 0/1, or 1/2 (all values 1 or 2: 2 = event)."""
    if values.dtype == bool:
        return values.astype(np.int8)
    if len(values) == 0:
        return values.astype(np.int8)
    lo, hi = values.min(), values.max()
    if values.dtype.kind in "iu" and lo >= 0 and hi <= 1:
        # plain Surv(t, e) with integer 0/1 events: the bounds say every value is 0 or 1
        return values.astype(np.int8)
    if hi == 2 and lo >= 1 and np.isin(values, (1, 2)).all():
        return (values == 2).astype(np.int8)  # R: max(status) == 2 means 1 = censored, 2 = event
    bad = np.flatnonzero((values != 0) & (values != 1))
    if len(bad):
        v = values[bad[0]]
        raise FormulaError(f"{what} must be 0/1 (or boolean); 1/2 (2 = event) as R's Surv is also accepted; "
                           f"found {float(v):g} at row {rows[bad[0]]}")
    return values.astype(np.int8)


def _weights_expr(weights, df: pl.DataFrame, text: str):
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in df.columns:
            raise FormulaError(f"{text}: weights column '{weights}' is not in the data")
        return pl.col(weights).cast(pl.Float64)
    if isinstance(weights, pl.Expr):
        return weights.cast(pl.Float64)
    arr = weights.to_numpy() if isinstance(weights, pl.Series) else np.asarray(weights, dtype=float)
    if arr.shape != (df.height,):
        raise FormulaError(f"{text}: weights must be a column name or {df.height} numbers, got shape {arr.shape}")
    return pl.lit(pl.Series("weights", arr, dtype=pl.Float64))


def model_frame(f: SurvFormula, df: pl.DataFrame, weights=None, subset=None) -> ModelFrame:
    """Evaluate the formula on ``df`` as R's ``model.frame`` with ``na.action = na.omit``."""
    f.check(df)
    rows = np.arange(df.height)
    schema = df.schema
    for v in f.variables:
        for c in v.columns:
            dt = schema[c]
            if not (dt.is_numeric() or dt in (pl.Boolean, pl.String) or isinstance(dt, (pl.Enum, pl.Categorical))):
                raise FormulaError(f"{f.text}: column '{c}' has type {dt}; covariates must be numeric, "
                                   "boolean or string/categorical")
    ev_expr = pl.col(f.event) if f.event_node is None else to_polars(f.event_node, schema)
    exprs = {"__time": pl.col(f.time).cast(pl.Float64), "__event": ev_expr}
    for v in f.variables:
        exprs.setdefault(v.text, variable_expr(v, schema))
    for c in (*f.strata, *([f.cluster] if f.cluster else [])):
        exprs.setdefault(c, pl.col(c))
    wexpr = _weights_expr(weights, df, f.text)
    if wexpr is not None:
        exprs["__weights"] = wexpr
    try:
        sub = df.select([e.alias(k) for k, e in exprs.items()])
    except pl.exceptions.PolarsError as e:
        raise FormulaError(f"{f.text}: could not evaluate the formula: {e}") from None
    if f.event_node is not None and not (sub.schema["__event"] == pl.Boolean or sub.schema["__event"].is_numeric()):
        raise FormulaError(f"{f.text}: the event '{deparse(f.event_node)}' must give TRUE/FALSE or 0/1")
    made_nan = [v.text for v in f.variables if v.kind == "numeric" and not isinstance(v.node, Name)
                and sub[v.text].dtype.is_float() and bool((sub[v.text].is_nan()).any())]
    # R evaluates the variables on all rows and subsets afterwards: rcs() knots see every row
    knots = {v.text: tuple(rcs_knots(sub[v.text].cast(pl.Float64).to_numpy(), _nknots(v)))
             if len(v.node.args) == 1 or not isinstance(v.node.args[1], Call) else
             tuple(a.value for a in v.node.args[1].args) for v in f.variables if v.kind == "rcs"}
    if subset is not None:
        keep = eval_subset(subset, df, f.text)
        sub, rows = sub.filter(pl.Series(keep)), rows[keep]
    miss = None
    for c in sub.columns:
        s = sub[c]
        m = s.is_null()
        if s.dtype.is_float():
            m = m | s.is_nan()
        if m.any():
            miss = m if miss is None else (miss | m)
    n_missing = 0
    if miss is not None:
        mask = miss.to_numpy()
        sub, rows = sub.filter(~pl.Series(mask)), rows[~mask]
        n_missing = int(mask.sum())
    for text in made_nan:
        warnings.warn(f"{text}: NaNs produced; those rows are treated as missing (as R's na.omit)",
                      RuntimeWarning, stacklevel=4)
    time = sub["__time"].to_numpy()
    if not np.isfinite(np.add.reduce(time)):  # a finite sum means every time is finite
        bad = np.flatnonzero(~np.isfinite(time))
        raise FormulaError(f"{f.text}: time column '{f.time}' has a non-finite value at row {rows[bad[0]]}")
    what = f"{f.text}: event column '{f.event}'" if f.event_node is None else \
        f"{f.text}: the event '{deparse(f.event_node)}'"
    event = status_codes(sub["__event"].to_numpy(), what, rows)
    w = None
    if wexpr is not None:
        w = sub["__weights"].to_numpy().astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(w) | (w <= 0))
        if len(bad):
            raise FormulaError(f"{f.text}: weights must be finite and > 0 (R: 'Invalid weights, must be >0'); "
                               f"found {w[bad[0]]:g} at row {rows[bad[0]]}")
    for v in f.variables:
        s = sub[v.text]
        if s.dtype.is_float() and not np.isfinite(np.add.reduce(s.to_numpy())):
            bad = np.flatnonzero(~np.isfinite(s.to_numpy()))
            raise FormulaError(f"{f.text}: '{v.text}' is infinite at row {rows[bad[0]]} "
                               "(R: data contains an infinite predictor)")
    frame = sub.drop([c for c in ("__time", "__event", "__weights") if c in sub.columns])
    return ModelFrame(frame, time, event, w, rows, n_missing, knots)


def _nknots(var) -> int:
    """rcs(x) has 5 knots (rms's default), rcs(x, k) k."""
    if len(var.node.args) == 1:
        return 5
    k = var.node.args[1].value
    if k != int(k) or k < 3:
        raise FormulaError(f"{var.text}: the number of knots must be a whole number >= 3")
    return int(k)
