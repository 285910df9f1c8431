"""Test of proportional hazards from scaled Schoenfeld residuals, as R's ``cox.zph`` (survival >= 3.0).

R 3.x computes a score test for adding x * g(t) to the fitted model, g the
centred transformed time: at (b_hat, 0) the score for the new terms is
sum over deaths of g(t) (x - xbar(t)) and the information is built from the
per-death-time covariance V(t): [[sum V, sum g V], [sum g V, sum g^2 V]]. One
test per model term (all of a factor's columns together) and a GLOBAL test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import chi2

from nlrstats.stats.result import Result
from nlrstats.stats.survival._coxfit import _block, risk_sets
from nlrstats.stats.survival._km_kernels import km_arrays

__all__ = ["cox_zph", "CoxZph"]


@dataclass(frozen=True)
class CoxZph(Result):
    """Result of :func:`cox_zph`: chi-square, df and p per term and GLOBAL."""

    terms: tuple[str, ...]
    chisq: tuple[float, ...]
    df: tuple[int, ...]
    p_value: tuple[float, ...]
    transform: str = "km"

    def tidy(self) -> pl.DataFrame:
        """term, statistic (chisq), df, p_value; the last row is GLOBAL."""
        return pl.DataFrame({"term": list(self.terms), "statistic": list(self.chisq),
                             "df": list(self.df), "p_value": list(self.p_value)},
                            schema={"term": pl.String, "statistic": pl.Float64, "df": pl.Int64,
                                    "p_value": pl.Float64})

    def __repr__(self) -> str:
        w0 = max(len(t) for t in self.terms)
        lines = [" " * w0 + "  chisq df      p"]
        for t, c, d, p in zip(self.terms, self.chisq, self.df, self.p_value):
            lines.append(f"{t.ljust(w0)} {c:6.3f} {d:2d} {p:6.3g}")
        return "\n".join(lines)


def _gtime(time, event, transform):
    if transform == "km":
        # 1 - S(t-) from the pooled KM, ignoring strata, as R
        _, ut, _, _, _, surv, _, _ = km_arrays(time, event, np.zeros(len(time), dtype=np.int64), 1)
        idx = np.searchsorted(ut, time, side="left")
        tt = 1 - np.concatenate(([1.0], surv))[idx]
    elif transform == "identity":
        tt = time.astype(float)
    elif transform == "log":
        tt = np.log(time)
    elif transform == "rank":
        from scipy.stats import rankdata
        tt = rankdata(time)
    else:
        raise ValueError("transform must be 'km', 'identity', 'log' or 'rank'")
    return tt - tt[event == 1].mean()


def cox_zph(fit, transform: str = "km", global_test: bool = True) -> CoxZph:
    """Proportional-hazards test for a :class:`CoxPH` fit, as R's ``cox.zph(fit, transform="km")``.

    Parameters
    ----------
    fit : CoxPH
        A fit from :func:`coxph` (not Firth, not monotone).
    transform : {"km", "identity", "log", "rank"}
        Time scale g(t) (R's default "km": 1 - left-continuous pooled Kaplan-Meier).

    Returns
    -------
    CoxZph
        Score test per term (factors jointly) and GLOBAL, as survival 3.x (Grambsch &
        Therneau 1994, computed as R's ``zph1``).
    """
    if fit.firth or fit.monotone:
        raise ValueError("cox_zph needs an ordinary fit with finite coefficients")
    d, X, strata, beta, ties, sources = fit._fit_data
    time, event = d.time, d.event
    g = _gtime(time, event.astype(np.int64), transform)
    rs = risk_sets(time, event, X, strata, ties)
    gs = g[rs.order]
    Xc = rs.X
    p = Xc.shape[1]
    e = rs.event
    w = np.exp(Xc @ beta)
    r, f = rs.rep, rs.frac

    def term_sums(v):
        cs = np.cumsum(v, axis=0)
        ce = np.cumsum(v * (e if v.ndim == 1 else e[:, None]), axis=0)
        risk = _block(cs, rs.end, rs.base)
        dead = _block(ce, rs.end, rs.start - 1)
        return risk[r] - (f if v.ndim == 1 else f[:, None]) * dead[r]

    S0 = term_sums(w)
    xw = Xc * w[:, None]
    m = term_sums(xw) / S0[:, None]
    V = np.empty((len(r), p, p))
    for i in range(p):
        for j in range(i + 1):
            V[:, i, j] = V[:, j, i] = term_sums(xw[:, i] * Xc[:, j]) / S0 - m[:, i] * m[:, j]
    # g of each Efron term: the (common) time of its death block
    gt = gs[rs.end][r]
    cxe = np.cumsum(Xc * e[:, None], axis=0)
    x_dead = _block(cxe, rs.end, rs.start - 1)
    u2 = (gs[rs.end][:, None] * x_dead).sum(axis=0) - (gt[:, None] * m).sum(axis=0)
    I11 = V.sum(axis=0)
    I12 = (gt[:, None, None] * V).sum(axis=0)
    I22 = (gt[:, None, None] ** 2 * V).sum(axis=0)
    imat = np.block([[I11, I12], [I12.T, I22]])
    u = np.concatenate((np.zeros(p), u2))
    names, cols = [], []
    for src in dict.fromkeys(sources):
        names.append(src)
        cols.append([k for k, s in enumerate(sources) if s == src])
    chisq, dfs = [], []
    for jj in cols:
        kk = list(range(p)) + [p + j for j in jj]
        sub = imat[np.ix_(kk, kk)]
        uu = u[kk]
        chisq.append(float(np.linalg.solve(sub, uu) @ uu))
        dfs.append(len(jj))
    if global_test:
        names.append("GLOBAL")
        chisq.append(float(np.linalg.solve(imat, u) @ u))
        dfs.append(p)
    pv = [float(chi2.sf(c, d)) for c, d in zip(chisq, dfs)]
    return CoxZph(tuple(names), tuple(chisq), tuple(dfs), tuple(pv), transform)
