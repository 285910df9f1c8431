"""Concordance (Harrell's C, Uno's and other time weightings) with its standard error, as R's ``concordance``.

``concordance("Surv(t, e) ~ x", data)`` is R's ``concordance.formula``; ``concordance(fit)``
and ``concordance(fit1, fit2)`` R's ``concordance.coxph`` (the linear predictor, ``reverse =
TRUE``, and for several fits the covariance matrix of their concordances). The sums are in
:mod:`._concordance_counts`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError
from nlrstats.stats.result import Result
from nlrstats.stats.survival._concordance_counts import TIMEWT, concordance_core
from nlrstats.stats.survival._data import combine_factors, factor, prepare

__all__ = ["Concordance", "ConcordanceFit", "concordance", "concordance_sorted"]

_COUNTS = ("concordant", "discordant", "tied_x", "tied_y", "tied_xy")


@dataclass(frozen=True)
class Concordance:
    """Concordance of a Cox model's linear predictor as ``coxph`` reports it (R's ``reverse = TRUE``)."""

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    concordance: float | None
    std_error: float | None


def concordance_sorted(t, e, lp, s=None, std_err: bool = True, method: str = "auto", weights=None,
                       cluster=None) -> Concordance:
    """Concordance of a linear predictor with survival: a higher lp, an earlier event (R's coxph).

    ``t`` must carry R's timefix; the rows may come in any order (the name is kept from when
    they had to be sorted). Case ``weights`` and ``cluster`` (grouped jackknife) as R's
    ``concordancefit``; ``method`` as :func:`._concordance_counts.concordance_core`.
    """
    core = concordance_core(t, e, lp, s, weights, "n", True, cluster, std_err, method)
    se = None if core.var is None else math.sqrt(core.var)
    return Concordance(*(float(v) for v in core.count), core.concordance, se)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class ConcordanceFit(Result):
    """R's ``concordance`` object: one concordance per predictor (or fit), their covariance matrix.

    ``count`` holds per predictor the weighted concordant, discordant, tied-on-x, tied-on-y
    and tied-on-both pair sums; ``var`` the infinitesimal-jackknife covariance matrix.
    """

    call: str
    terms: tuple[str, ...]
    concordance: np.ndarray
    var: np.ndarray
    count: np.ndarray
    n: int
    timewt: str = "n"
    reverse: bool = False
    n_missing: int = 0

    @property
    def std_error(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.var))

    def tidy(self) -> pl.DataFrame:
        """One row per predictor: term, estimate, std_error, and the pair sums."""
        clean = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)  # noqa: E731
        rows = {"term": list(self.terms), "estimate": [clean(v) for v in self.concordance],
                "std_error": [clean(v) for v in self.std_error]}
        for j, c in enumerate(_COUNTS):
            rows[c] = self.count[:, j].astype(float).tolist()
        return pl.DataFrame(rows, schema={"term": pl.String, **{c: pl.Float64 for c in list(rows)[1:]}})

    def glance(self) -> pl.DataFrame:
        """n (complete cases used), n_missing, timewt, reverse."""
        return pl.DataFrame({"n": [self.n], "n_missing": [self.n_missing], "timewt": [self.timewt],
                             "reverse": [self.reverse]})

    def __repr__(self) -> str:
        lines = ["Call:", self.call, ""]
        if self.n_missing:
            lines.append(f"n={self.n} ({self.n_missing} observation{'s' if self.n_missing > 1 else ''} "
                         "deleted due to missingness)")
        else:
            lines.append(f"n= {self.n} ")
        fmt = lambda v: "NA" if v is None or math.isnan(v) else f"{v:.4g}"  # noqa: E731
        if len(self.terms) == 1:
            lines.append(f"Concordance= {fmt(self.concordance[0])} se= {fmt(self.std_error[0])}")
            heads = ["concordant", "discordant", "tied.x", "tied.y", "tied.xy"]
            vals = [f"{v:g}" for v in self.count[0]]
            w = [max(len(h), len(v)) for h, v in zip(heads, vals)]
            lines.append(" ".join(h.rjust(k) for h, k in zip(heads, w)))
            lines.append(" ".join(v.rjust(k) for v, k in zip(vals, w)))
        else:
            w0 = max(len(t) for t in self.terms)
            lines.append(" " * w0 + " concordance     se")
            for t, c, s in zip(self.terms, self.concordance, self.std_error):
                lines.append(f"{t.ljust(w0)} {fmt(c).rjust(11)} {fmt(s).rjust(6)}")
        return "\n".join(lines)


def _predictor(series: pl.Series, text: str) -> np.ndarray:
    """A term as R's ``model.matrix`` codes it: numbers as they are, TRUE/FALSE as 1/0, a factor
    with two levels as the indicator of the second (treatment contrast)."""
    dt = series.dtype
    if dt == pl.Boolean:
        return series.cast(pl.Float64).to_numpy()
    if dt.is_numeric():
        return series.cast(pl.Float64).to_numpy()
    fac = factor(series)
    if len(fac.levels) != 2:
        raise FormulaError(f"concordance({text}): '{series.name}' is a factor with {len(fac.levels)} level"
                           f"{'s' if len(fac.levels) != 1 else ''}; R's model matrix gives it "
                           f"{max(len(fac.levels) - 1, 0)} columns, and only one predictor per term is allowed "
                           "(R: 'Only one predictor variable allowed'). Code it as a number or a 0/1 column.")
    return fac.codes.astype(np.float64)


def _combine(cores, wt, terms, call, timewt, reverse, n_missing) -> ConcordanceFit:
    conc = np.array([np.nan if c.concordance is None else c.concordance for c in cores])
    if len(cores) == 1:
        var = np.array([[np.nan if cores[0].var is None else cores[0].var]])
    elif any(c.dfbeta is None for c in cores):
        var = np.full((len(cores), len(cores)), np.nan)
    else:  # R's cord.work: crossprod(dfbeta), or t(wt * dfbeta) %*% dfbeta with weights
        dfb = np.column_stack([c.dfbeta for c in cores])
        var = dfb.T @ dfb if wt is None else (wt[:, None] * dfb).T @ dfb
    return ConcordanceFit(call, tuple(terms), conc, var, np.vstack([c.count for c in cores]), cores[0].n,
                          timewt, reverse, n_missing)


def _fit_inputs(fit):
    fd = getattr(fit, "fitdata", None)
    if fd is None or not hasattr(fd, "lp"):
        raise TypeError(f"concordance(): {type(fit).__name__} is not a formula string or a coxph fit "
                        "(R: 'argument is not an appropriate fit object')")
    sd = fd.surv
    return sd.time, sd.event, fd.lp, fd.strata, sd.weights, fd.cluster, fit.formula


def concordance(obj, data=None, *fits, timewt: str = "n", reverse: bool | None = None, weights=None,
                subset=None, timefix: bool = True, std_err: bool = True) -> ConcordanceFit:
    """Concordance of predictors with survival, as R's ``concordance()``.

    Parameters
    ----------
    obj : str or CoxPH
        ``"Surv(time, event) ~ x"`` (R's ``concordance.formula``; ``+ strata(s)`` for a
        stratified concordance, several terms ``~ x1 + x2`` for several predictors at once),
        or a fitted :func:`coxph` model (R's ``concordance.coxph``: the linear predictor,
        always ``reverse = TRUE``); ``concordance(fit1, fit2, ...)`` compares fits.
    data : polars.DataFrame or pandas.DataFrame
        The data of a formula (for fits: a second fit, as R's ``concordance(fit1, fit2)``).
    timewt : {"n", "S", "S/G", "n/G2", "I"}
        R's time weights of each event time: "n" Harrell's C (every pair counts 1), "S"
        Peto-Wilcoxon's S(t-) n / n(t), "S/G" Schemper's, "n/G2" Uno's 1 / G(t-)^2 (G the
        censoring distribution), "I" 1 / n(t).
    reverse : bool
        For formulas: False (R's default) counts a pair concordant when the longer-lived
        has the larger x; True when it has the smaller x (a risk score). Not for fits.
    weights : str, polars expression or array, optional
        Case weights (R's ``weights =``), for formulas.
    subset : str, polars expression or boolean array, optional
        Rows to use (R's ``subset =``), for formulas.
    timefix : bool
        Merge times closer than sqrt(machine eps), as R's ``aeqSurv`` (default True).
    std_err : bool
        False skips the variance (R's ``std.err = FALSE``).

    Returns
    -------
    ConcordanceFit
        ``concordance``, the infinitesimal-jackknife ``var`` (R's ``var``; its square root
        is the ``se`` R prints) and the weighted pair counts, per predictor or fit. With
        several predictors of one formula the covariances are those R computes for several
        fits (R's formula interface allows one predictor only).

    References
    ----------
    Harrell et al. (1982); Uno et al. (2011); Therneau & Atkinson, "The concordance
    statistic", vignette of R's survival package.
    """
    if timewt not in TIMEWT:
        raise ValueError(f"timewt must be one of {TIMEWT}, got {timewt!r}")
    if not isinstance(obj, str):
        if reverse is not None:
            raise ValueError("concordance(fit): reverse is fixed to TRUE for coxph fits, as in R")
        if weights is not None or subset is not None:
            raise ValueError("concordance(fit): the weights and rows are those of the fit")
        all_fits = [obj] + ([data] if data is not None else []) + list(fits)
        inputs = [_fit_inputs(f) for f in all_fits]
        n = len(inputs[0][0])
        for inp in inputs[1:]:
            if len(inp[0]) != n:
                raise ValueError("concordance(): all models must have the same sample size (R's error)")
            if not (np.array_equal(inp[0], inputs[0][0]) and np.array_equal(inp[1], inputs[0][1])):
                warnings.warn("concordance(): models do not have the same response vector (R's warning)",
                              UserWarning, stacklevel=2)
        cores = [concordance_core(t, e, lp, s, w, timewt, True, cl, std_err) for t, e, lp, s, w, cl, _ in inputs]
        call = "concordance(" + ", ".join(f"coxph({inp[6]})" for inp in inputs) + ")"
        return _combine(cores, inputs[0][4], [f"fit{i + 1}" if len(inputs) > 1 else "fit" for i in
                                              range(len(inputs))], call, timewt, True, 0)
    if fits:
        raise TypeError("concordance(formula, data): further positional arguments are for fits only")
    d = prepare(obj, data, timefix=timefix, weights=weights, subset=subset)
    f = d.formula
    if not f.terms:
        raise FormulaError(f"concordance({f.text}): the formula needs a predictor on the right-hand side")
    strata = combine_factors([factor(d.frame[v]) for v in f.strata]).codes if f.strata else None
    wt = d.weights
    rev = bool(reverse)
    cores = [concordance_core(d.time, d.event, _predictor(d.frame[v], f.text), strata, wt, timewt, rev,
                              None, std_err) for v in f.terms]
    args = f", timewt = \"{timewt}\"" if timewt != "n" else ""
    args += ", reverse = TRUE" if rev else ""
    return _combine(cores, wt, f.terms, f"concordance({f.text}{args})", timewt, rev, d.n_missing)
