"""Firth's penalised Cox regression (Heinze & Schemper 2001), as R's ``coxphf``.

Maximises l*(b) = l(b) + 1/2 log det I(b). The gradient of the penalty,
1/2 tr(I^-1 dI/db_t), is contracted without the third-moment tensor: with
h_i = x_i' I^-1 x_i, sum_rs (I^-1)_rs S3_rst = sum_i w_i h_i x_it, so each
iteration stays O(n p^2) on the term sums of the ordinary fit (:func:`._coxfit.term_sums`,
whose shifted risk scores keep a linear predictor spread of thousands finite). Newton steps
use I(b) (as coxphf), with step halving on l*. The work is done on coxfit6's centred and
scaled covariates, which leaves the estimate unchanged (l* moves by a constant) and makes the
profile search independent of the covariates' units. Confidence limits are profile
penalised-likelihood limits, p-values penalised likelihood-ratio tests (coxphf's defaults).
Numpy only: no compiled kernel for the penalty.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np

from nlrstats.stats.distributions import chi2
from nlrstats.stats.survival._cholesky import cholesky2
from nlrstats.stats.survival._coxfit import (RiskSets, cox_iter, matvec, risk_scores, risk_sets, term_moments,
                                              term_sums)
from nlrstats.stats.survival.coxmodel import CoxData, CoxPH

__all__ = ["firth_fit", "penalized_loglik"]


def _quantities(rs: RiskSets, beta: np.ndarray, gradient: bool = True):
    """Penalised log-likelihood, its gradient and the information I(beta) (scaled covariates)."""
    XT = rs.XT
    eta = matvec(beta, XT)
    try:
        r, cblock, segs = risk_scores(rs, eta)
    except FloatingPointError:
        return -math.inf, None, None
    S0, m, Vt = term_moments(rs, XT, r, segs)
    twt = rs.twt
    info = (Vt * twt).sum(axis=2)
    loglik = float(eta[rs.dead].sum() - (twt * (np.log(S0) + cblock[rs.rep])).sum())
    score = rs.xdead - (m * twt).sum(axis=1)
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0 or not math.isfinite(loglik):
        return -math.inf, None, info
    pen = loglik + 0.5 * logdet
    if not gradient:
        return pen, None, info
    A = np.linalg.inv(info)
    h = np.einsum("in,ij,jn->n", XT, A, XT)
    T2 = term_sums(rs, np.vstack([(r * h)[None, :], XT * (r * h)]), segs)
    VAm = np.einsum("rst,su,ut->rt", Vt, A, m)
    grad_pen = ((T2[1:] / S0 - T2[0] * m / S0 - 2 * VAm) * twt).sum(axis=1)
    return pen, score + 0.5 * grad_pen, info


def _maximise(rs: RiskSets, beta0: np.ndarray, free: np.ndarray, tol: float = 1e-10, iter_max: int = 100):
    """Newton-Raphson on the free coordinates with I(beta) as curvature, halving on l*."""
    beta = beta0.copy()
    ll, g, info = _quantities(rs, beta)
    if not math.isfinite(ll):
        return beta, ll, info, False
    for _ in range(iter_max):
        sub = np.ix_(free, free)
        step = np.zeros_like(beta)
        step[free] = np.linalg.solve(info[sub], g[free])
        big = np.abs(step).max()
        if big > 5:  # keep far-out steps from running into the exp() limits
            step *= 5 / big
        for _half in range(40):
            cand = beta + step
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                lln, gn, infon = _quantities(rs, cand)
            if math.isfinite(lln) and lln >= ll - 1e-12 * abs(ll):
                break
            step /= 2
        else:
            return beta, ll, info, False
        beta, ll, g, info = cand, lln, gn, infon
        if np.abs(step).max() < tol and np.abs(g[free]).max() < 1e-6:
            return beta, ll, info, True
    return beta, ll, info, False


def penalized_loglik(rs: RiskSets, beta) -> float:
    """l(b) + 1/2 log det I(b) at ``beta`` on the covariates of ``rs`` (centred and scaled)."""
    return _quantities(rs, np.asarray(beta, dtype=float), gradient=False)[0]


def _limit(dev, b: float, se: float, sgn: int) -> float:
    """The profile limit on one side: expand from b by se, doubling, until dev >= 0, then solve.

    A profile that cannot be evaluated (overflow) counts as beyond the limit; after 60
    doublings (2^60 standard errors) the limit is infinite.
    """
    # imported here: scipy.optimize costs 0.3 s at start-up, and only Firth's profile limits need it
    from scipy.optimize import brentq

    def g(c):
        v = dev(c)
        return v if math.isfinite(v) else 1e300

    lo, width = b, se
    for _ in range(60):
        hi = b + sgn * width
        if g(hi) >= 0:
            return brentq(g, min(lo, hi), max(lo, hi), xtol=1e-12 * max(1.0, abs(b)), rtol=1e-12)
        lo, width = hi, width * 2
    return sgn * math.inf


def firth_fit(d, des, strata, slabels, ties: str) -> CoxPH:
    """Fit the penalised model and return a CoxPH with profile-likelihood inference."""
    X = des.X
    # aliased columns: rank of the information at 0 (coxfit6's scaled Cholesky), dropped from the fit
    rs_all = risk_sets(d.raw_time, d.event, X, strata, ties, d.order, d.sorted_time, None, des.nocenter)
    fac, _ = cholesky2(cox_iter(rs_all, np.zeros(X.shape[1]))[2])
    alias = np.diag(fac) == 0
    rs = risk_sets(d.raw_time, d.event, X[:, ~alias], strata, ties, d.order, d.sorted_time, None,
                   des.nocenter[~alias])
    sc = rs.scale
    const = float(np.log(sc).sum())  # l* on the scaled covariates minus l* on the original ones
    p = rs.XT.shape[0]
    allfree = np.ones(p, dtype=bool)
    beta, ll, info, ok = _maximise(rs, np.zeros(p), allfree)
    msgs = []
    if not ok:
        msgs.append("Firth penalised likelihood did not converge")
        warnings.warn(msgs[-1], UserWarning, stacklevel=3)
    ll0 = penalized_loglik(rs, np.zeros(p))
    var_s = np.linalg.inv(info)
    se = np.sqrt(np.diag(var_s))

    @lru_cache(maxsize=None)
    def profile(j: int, value: float) -> float:
        free = allfree.copy()
        free[j] = False
        start = beta.copy()
        start[j] = value
        if p == 1:
            return penalized_loglik(rs, start)
        return _maximise(rs, start, free)[1]

    @lru_cache(maxsize=None)
    def inference(j: int, conf_level: float):
        """Profile penalised-likelihood CI and penalised LR p-value for coefficient j (original scale)."""
        q = chi2.ppf(conf_level, 1)

        def dev(c):
            return 2 * (ll - profile(j, float(c))) - q

        lo, hi = (_limit(dev, beta[j], se[j], s) * sc[j] for s in (-1, 1))
        stat = max(2 * (ll - profile(j, 0.0)), 0.0)
        return lo, hi, float(chi2.sf(stat, 1))

    full = np.flatnonzero(~alias)

    def profile_ci(i: int, conf_level: float):
        return inference(int(np.searchsorted(full, i)), float(conf_level))

    pp = X.shape[1]
    coef = np.full(pp, np.nan)
    var = np.full((pp, pp), np.nan)
    b_orig = beta * sc
    coef[~alias] = b_orig
    var[np.ix_(~alias, ~alias)] = var_s * np.outer(sc, sc)
    wald = float(beta @ info @ beta)
    # record whether ordinary ML would have been monotone (0/1 column without events at a level)
    ev = d.event.astype(bool)
    infinite = tuple(bool(b and (((X[:, j] == 1) & ev).sum() == 0 or ((X[:, j] != 1) & ev).sum() == 0))
                     for j, b in enumerate(des.binary))
    means = np.zeros(pp)
    means[~alias] = rs.means
    lp = X[:, ~alias] @ b_orig - float(b_orig @ rs.means)
    fd = CoxData(d, des, alias, strata, slabels, None, rs, b_orig, means, lp)
    return CoxPH(d.formula.text, des.names, coef, var, ll - const, ll0 - const, None, wald, d.n,
                 int(d.event.sum()), ties, 0, ok, any(infinite), infinite, tuple(msgs), des.references,
                 d.n_missing, True, profile_ci, fd)
