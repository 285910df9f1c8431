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

from nlrstats.stats.distributions import chi2, rankdata
from nlrstats.stats.result import Result
from nlrstats.stats.survival._coxfit import risk_scores, term_moments
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


def _gtime(time, event, transform, rows):
    if transform == "km":
        # 1 - S(t-) from the pooled KM, ignoring strata and weights, as R
        _, ut, _, _, _, surv, _, _ = km_arrays(time, event, np.zeros(len(time), dtype=np.int64), 1)
        idx = np.searchsorted(ut, time, side="left")
        tt = 1 - np.concatenate(([1.0], surv))[idx]
    elif transform == "identity":
        tt = time.astype(float)
    elif transform == "log":
        bad = np.flatnonzero(time <= 0)
        if len(bad):
            raise ValueError(f"cox_zph(transform='log') needs positive times; time {time[bad[0]]:g} at row "
                             f"{rows[bad[0]]} (R stops here too: log(0) is -Inf); use transform='km' or 'rank'")
        tt = np.log(time)
    elif transform == "rank":
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
        Score test per term (a factor's columns jointly) and GLOBAL, as survival 3.x
        (Grambsch & Therneau 1994, computed as R's ``zph1``: the score and information for
        adding x * g(t) at (b_hat, 0), with the fit's case weights).
    """
    if fit.firth or fit.monotone or fit.fitdata is None or fit.nevent == 0:
        raise ValueError("cox_zph needs an ordinary fit with finite coefficients")
    fd = fit.fitdata
    d, rs = fd.surv, fd.rs
    keep = np.flatnonzero(~fd.alias)
    g = _gtime(d.time, d.event.astype(np.int64), transform, d.rows)
    gs = g[rs.order]
    r, cblock, segs = risk_scores(rs, fd.lp[rs.order])
    XT = rs.XT[keep]
    p = len(keep)
    S0, m, Vt = term_moments(rs, XT, r, segs)
    twt = rs.twt
    gt = gs[rs.end][rs.rep]  # g of each term: its death block's time
    w = twt * Vt
    I11, I12, I22 = w.sum(axis=2), (w * gt).sum(axis=2), (w * gt ** 2).sum(axis=2)
    wd = rs.weights[rs.dead]
    u2 = (XT[:, rs.dead] * (wd * gs[rs.dead])).sum(axis=1) - (m * (twt * gt)).sum(axis=1)
    imat = np.block([[I11, I12], [I12.T, I22]])
    u = np.concatenate((np.zeros(p), u2))
    sources = [fd.design.source[j] for j in keep]
    names, cols = [], []
    for src in dict.fromkeys(sources):
        names.append(src)
        cols.append([k for k, s in enumerate(sources) if s == src])
    chisq, dfs = [], []
    for jj in cols:
        kk = list(range(p)) + [p + j for j in jj]
        chisq.append(float(np.linalg.solve(imat[np.ix_(kk, kk)], u[kk]) @ u[kk]))
        dfs.append(len(jj))
    if global_test:
        names.append("GLOBAL")
        chisq.append(float(np.linalg.solve(imat, u) @ u))
        dfs.append(p)
    pv = [float(chi2.sf(c, d)) for c, d in zip(chisq, dfs)]
    return CoxZph(tuple(names), tuple(chisq), tuple(dfs), tuple(pv), transform)
