"""Likelihood-ratio tables for Cox models, as R's ``anova(fit1, fit2, ...)`` and ``anova(fit)``.

Nested models: each row the model's log partial likelihood, and from the second row on the
chi-square |2 diff(loglik)| on |diff(df)| degrees of freedom against the previous model
(R's ``anova.coxphlist``; same response, ties, strata and number of rows required, robust
fits refused as R). One model: the terms added in order, each row's test against the row
before, starting from the null model (R's ``anova.coxph``), by refitting on the fit's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.stats.formula import parse_surv_formula
from nlrstats.stats.result import Result
from nlrstats.stats.survival._coxfit import newton, risk_sets
from nlrstats.stats.survival.coxmodel import chisq_sf

__all__ = ["anova", "CoxAnova"]


@dataclass(frozen=True)
class CoxAnova(Result):
    """Analysis of deviance table: one row per model (or term), R's columns."""

    rows: tuple[str, ...]
    loglik: tuple[float, ...]
    statistic: tuple[float | None, ...]
    df: tuple[int | None, ...]
    p_value: tuple[float | None, ...]
    response: str

    def tidy(self) -> pl.DataFrame:
        """term (model or term label), loglik, statistic (Chisq), df, p_value (Pr(>|Chi|))."""
        return pl.DataFrame({"term": list(self.rows), "loglik": list(self.loglik),
                             "statistic": list(self.statistic), "df": list(self.df), "p_value": list(self.p_value)},
                            schema={"term": pl.String, "loglik": pl.Float64, "statistic": pl.Float64,
                                    "df": pl.Int64, "p_value": pl.Float64})

    def __repr__(self) -> str:
        lines = [f"Analysis of Deviance Table\n Cox model: response is {self.response}", ""]
        w = max(len(r) for r in self.rows)
        lines.append(" " * w + "   loglik  Chisq Df Pr(>|Chi|)")
        for r, ll, c, d, p in zip(self.rows, self.loglik, self.statistic, self.df, self.p_value):
            lines.append(f"{r.ljust(w)} {ll:8.3f} {'' if c is None else f'{c:6.3f}':>6} {'' if d is None else d:>2} "
                         f"{'' if p is None else f'{p:.4g}':>10}")
        return "\n".join(lines)


def _df(fit) -> int:
    return int((~np.isnan(fit.coef)).sum())


def _response(fit) -> str:
    return fit.formula.split("~")[0].strip()


def anova(*fits) -> CoxAnova:
    """R's ``anova()`` for Cox models: one fit (sequential terms) or nested fits (in the given order)."""
    if not fits:
        raise ValueError("anova needs at least one coxph fit")
    for f in fits:
        if not hasattr(f, "loglik") or getattr(f, "fitdata", None) is None:
            raise TypeError(f"anova: all arguments must be Cox models (coxph), got {type(f).__name__}")
        if f.firth:
            raise ValueError("anova: Firth's penalised fits are not supported")
    if any(f.robust for f in fits):
        raise ValueError("Can't do anova tables with robust variances")
    if len(fits) == 1:
        return _sequential(fits[0])
    if any(f.ties != fits[0].ties for f in fits):
        raise ValueError("all models must have the same ties option")
    if any(_response(f) != _response(fits[0]) for f in fits):
        raise ValueError(f"all models must have the response of model 1 ({_response(fits[0])})")
    if any(f.n != fits[0].n for f in fits):
        raise ValueError("models were not all fit to the same size of dataset")
    strata = [parse_surv_formula(f.formula).strata for f in fits]
    if any(strata) and any(s != strata[0] for s in strata):
        raise ValueError("models do not have the same strata")
    ll = [f.loglik for f in fits]
    dfs = [_df(f) for f in fits]
    stat = [None] + [abs(2 * (b - a)) for a, b in zip(ll, ll[1:])]
    ddf = [None] + [abs(b - a) for a, b in zip(dfs, dfs[1:])]
    p = [None] + [chisq_sf(s, d) for s, d in zip(stat[1:], ddf[1:])]
    rows = tuple(f"Model {i + 1}: {f.formula.split('~', 1)[1].strip()}" for i, f in enumerate(fits))
    return CoxAnova(rows, tuple(ll), tuple(stat), tuple(ddf), tuple(p), _response(fits[0]))


def _sequential(fit) -> CoxAnova:
    """Refit with the first k terms, k = 0.. (R's anova.coxph), on the fit's complete cases."""
    fd = fit.fitdata
    d, des = fd.surv, fd.design
    assign = np.asarray(des.assign)
    strata = fd.strata
    ll, dfs = [fit.loglik_null], [0]
    for k in range(1, len(des.terms) + 1):
        cols = assign < k
        if k == len(des.terms):
            ll.append(fit.loglik)
            dfs.append(_df(fit))
            continue
        rs = risk_sets(d.raw_time, d.event, des.X[:, cols], strata, fit.ties, d.order, d.sorted_time, d.weights,
                       des.nocenter[cols])
        nr = newton(rs)
        ll.append(nr.loglik)
        dfs.append(int((np.diag(nr.var) != 0).sum()) if nr.flag < cols.sum() else int(cols.sum()))
    stat = [None] + [2 * (b - a) for a, b in zip(ll, ll[1:])]
    ddf = [None] + [b - a for a, b in zip(dfs, dfs[1:])]
    p = [None] + [chisq_sf(s, dd) for s, dd in zip(stat[1:], ddf[1:])]
    return CoxAnova(("NULL", *des.terms), tuple(ll), tuple(stat), tuple(ddf), tuple(p), _response(fit))
