"""New data for a fitted Cox model: the same variables, codings, knots and strata as the fit.

Factor levels are the fitted ones (a level the fit did not see is an error, as R's "factor
has new levels"), ``rcs()`` keeps the fitted knots (rms's ``makepredictcall``), transforms
are re-evaluated (``log(x)``, ``I(x^2)``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError
from nlrstats.stats.rexpr import to_polars
from nlrstats.stats.survival._data import as_polars, r_format
from nlrstats.stats.survival._modelframe import status_codes, variable_expr

__all__ = ["newdata_design", "newdata_response"]


def _label(value) -> str:
    return r_format(value) if not isinstance(value, str) else value


def newdata_design(fit, fd, newdata, strata: bool = False):
    """(X with every fitted column, NaN where a value is missing; stratum index of each row or None;
    rows with a missing variable).

    The stratum index is given when ``strata`` is asked for and the strata columns are in
    ``newdata``; a stratum the fit did not have is an error (R: "New data has a strata not
    found in the original model").
    """
    df = as_polars(newdata)
    f = fd.surv.formula
    need = sorted({c for v in f.variables for c in v.columns})
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise FormulaError(f"newdata lacks column(s) {', '.join(repr(c) for c in missing)} that "
                           f"{f.text} needs (it has: {', '.join(df.columns)})")
    try:
        frame = df.select([variable_expr(v, df.schema) for v in f.variables]) if f.variables else \
            pl.DataFrame({"_": np.zeros(df.height)})
    except pl.exceptions.PolarsError as e:
        raise FormulaError(f"newdata: could not evaluate the formula's variables: {e}") from None
    miss = np.zeros(df.height, dtype=bool)
    for c in frame.columns:
        s = frame[c]
        m = s.is_null().to_numpy()
        if s.dtype.is_float():
            m |= s.is_nan().fill_null(False).to_numpy()
        miss |= m
    X, _, _ = fd.design.spec.matrix(frame)  # NaN where a variable is missing (R's na.pass)
    srows = None
    if strata and f.strata and all(c in df.columns for c in f.strata):
        labs = [", ".join(f"{c}={_label(v)}" for c, v in zip(f.strata, row))
                for row in df.select(list(f.strata)).iter_rows()]
        index = {lab: i for i, lab in enumerate(fd.strata_labels)}
        bad = [lab for lab in labs if lab not in index]
        if bad:
            raise FormulaError(f"New data has a strata not found in the original model: {bad[0]} "
                               f"(strata: {', '.join(fd.strata_labels)})")
        srows = np.array([index[lab] for lab in labs], dtype=np.int64)
    return X, srows, miss


def newdata_response(fd, newdata) -> tuple[np.ndarray, np.ndarray]:
    """Time and status (R's Surv coding) of new data, for ``predict(type="expected")``."""
    df = as_polars(newdata)
    f = fd.surv.formula
    for c in (f.time, f.event):
        if c not in df.columns:
            raise FormulaError(f"newdata needs the response column '{c}' for type='expected'/'survival'")
    ev = pl.col(f.event) if f.event_node is None else to_polars(f.event_node, df.schema)
    sub = df.select(pl.col(f.time).cast(pl.Float64).alias("t"), ev.alias("e"))
    return sub["t"].to_numpy(), status_codes(sub["e"].to_numpy(), "newdata event", np.arange(df.height))

