"""Predictions from a Cox model, as R's ``predict.coxph``.

* ``lp``: (x - centre) beta. The centre is R's ``reference``: "sample" (``fit$means``, 0/1
  columns at 0), "strata" (the weighted means of the row's stratum; R's default for a
  stratified model) or "zero". Without newdata and strata this is ``fit$linear.predictors``.
* ``risk``: exp(lp); its ``se_fit`` is se(lp) * sqrt(risk), as R.
* ``expected``: the expected number of events, cumulative hazard (the stratum's
  :func:`.coxsurv.agsurv`) at the row's time times its risk; without newdata status minus the
  martingale residual, as R. ``survival`` is exp(-expected).
* ``terms``: each term's part of lp, columns centred at ``fit$means`` (reference "sample").

Standard errors: sqrt(x' V x) with the centred x (lp, terms); for expected the cumulative
hazard's (Tsiatis) as ``survfit``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from nlrstats.stats.survival.coxsurv import strata_curves
from nlrstats.stats.survival.newdata import newdata_design, newdata_response
from nlrstats.stats.survival.residuals import martingale_residuals

__all__ = ["predict_coxph", "TYPES"]

TYPES = ("lp", "risk", "expected", "terms", "survival")


def _rowsum_means(X: np.ndarray, w: np.ndarray, codes: np.ndarray) -> np.ndarray:
    k = int(codes.max()) + 1
    tot = np.bincount(codes, w, minlength=k)
    return np.stack([np.bincount(codes, w * X[:, j], minlength=k) for j in range(X.shape[1])], axis=1) / tot[:, None]


def _se(Xc: np.ndarray, V: np.ndarray) -> np.ndarray:
    return np.sqrt(((Xc @ V) * Xc).sum(axis=1))


def predict_coxph(fit, fd, newdata=None, type: str = "lp", se_fit: bool = False, reference: str | None = None):
    """R's ``predict(fit, newdata, type, se.fit, reference)``; see the module for each type.

    Returns
    -------
    numpy.ndarray, or polars.DataFrame
        One value per row (of newdata, or of the complete cases of the fit): an array, or with
        ``se_fit`` a frame with ``fit`` and ``se_fit``. ``terms``: a frame with one column per
        term (and ``se_<term>`` columns with ``se_fit``). Rows of newdata with a missing
        variable give NaN (R's ``na.pass``).
    """
    if type not in TYPES:
        raise ValueError(f"type must be one of {', '.join(TYPES)}; got {type!r}")
    has_strata = bool(fd.strata_labels)
    if reference is None:
        reference = "sample" if type in ("terms", "expected", "survival") else "strata"
    if reference not in ("strata", "sample", "zero"):
        raise ValueError("reference must be 'strata', 'sample' or 'zero'")
    coef = np.where(fd.alias, 0.0, fd.beta)
    V = fit.var
    d = fd.surv
    w = np.ones(d.n) if d.weights is None else d.weights
    if newdata is None:
        X, srows, miss = fd.design.X, fd.strata, np.zeros(d.n, dtype=bool)
    else:
        X, srows, miss = newdata_design(fit, fd, newdata, strata=has_strata)
    if type in ("expected", "survival"):
        pred, se = _expected(fit, fd, newdata, X, srows, se_fit, coef, V)
        if type == "survival":
            pred = np.exp(-pred)
            se = None if se is None else se * pred
        return _out(pred, se, miss)
    if has_strata and reference == "strata":
        if srows is None:
            raise ValueError("predict(reference='strata') on new data needs the strata columns "
                             f"({', '.join(fd.surv.formula.strata)}); or give reference='sample'")
        centre = _rowsum_means(fd.design.X, w, fd.strata)[srows]
    elif reference == "zero":
        centre = np.zeros_like(X)
    else:
        centre = np.broadcast_to(fd.means, X.shape)
    Xc = X - centre
    if type == "terms":
        cols, names = {}, fd.design.terms
        assign = np.asarray(fd.design.assign)
        for ti, name in enumerate(names):
            j = np.flatnonzero((assign == ti) & ~fd.alias)
            cols[name] = Xc[:, j] @ coef[j]  # NaN only where this term's columns are (R)
            if se_fit:
                cols["se_" + name] = _se(Xc[:, j], V[np.ix_(j, j)])
        return pl.DataFrame(cols)
    lp = Xc @ coef
    se = _se(Xc, V) if se_fit else None
    if type == "risk":
        lp = np.exp(lp)
        se = None if se is None else se * np.sqrt(lp)
    return _out(lp, se, miss)


def _out(pred, se, miss):
    pred = np.where(miss, np.nan, pred)
    if se is None:
        return pred
    return pl.DataFrame({"fit": pred, "se_fit": np.where(miss, np.nan, se)})


def _expected(fit, fd, newdata, X, srows, se_fit, coef, V):
    """Expected events (cumulative hazard times risk) and, with ``se_fit``, R's standard error."""
    d = fd.surv
    if newdata is None and not se_fit:
        return d.event - martingale_residuals(fd.rs, fd.lp), None
    fits, beta = strata_curves(fd, fit.ties == "efron")
    Xc = X - fd.means
    if newdata is None:
        t = d.time
        codes = np.zeros(d.n, dtype=np.int64) if fd.strata is None else fd.strata
    else:
        t, _ = newdata_response(fd, newdata)
        if fd.strata_labels and srows is None:
            raise ValueError("predict(type='expected') on new data needs the strata columns "
                             f"({', '.join(fd.surv.formula.strata)})")
        codes = np.zeros(len(t), dtype=np.int64) if srows is None else srows
    risk = np.exp(Xc @ coef)
    pred = np.zeros(len(t))
    se = np.zeros(len(t)) if se_fit else None
    for s, (_, a) in enumerate(fits):
        m = codes == s
        if not m.any():
            continue
        j = np.searchsorted(a.time, t[m], side="right")  # R's findInterval
        chaz = np.concatenate(([0.0], np.cumsum(a.hazard)))[j]
        pred[m] = chaz * risk[m]
        if se_fit:
            varh = np.concatenate(([0.0], np.cumsum(a.varhaz)))[j]
            xbar = np.vstack([np.zeros((1, a.xbar.shape[1])), np.cumsum(a.xbar, axis=0)])[j]
            dt = chaz[:, None] * Xc[m] - xbar
            se[m] = np.sqrt(varh + ((dt @ V) * dt).sum(axis=1)) * risk[m]
    if newdata is None:
        pred = d.event - martingale_residuals(fd.rs, fd.lp)
    return pred, se
