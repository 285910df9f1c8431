"""Firth's penalised Cox regression (Heinze & Schemper 2001), as R's ``coxphf``.

Maximises l*(b) = l(b) + 1/2 log det I(b). The gradient of the penalty,
1/2 tr(I^-1 dI/db_t), is contracted without the third-moment tensor: with
h_i = x_i' I^-1 x_i, sum_rs (I^-1)_rs S3_rst = sum_i w_i h_i x_it, so each
iteration stays O(n p^2) on the same sorted cumulative sums as the ordinary fit.
Newton steps use I(b) (as coxphf), with step halving on l*. Confidence limits
are profile penalised-likelihood limits, p-values penalised likelihood-ratio
tests (coxphf's defaults).
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2

from nlrstats.stats.survival._coxfit import RiskSets, _block, risk_sets

__all__ = ["firth_fit", "penalized_loglik"]


def _quantities(rs: RiskSets, beta: np.ndarray, gradient: bool = True):
    """Penalised log-likelihood, its gradient and the information I(beta)."""
    X = rs.X
    p = X.shape[1]
    e = rs.event
    eta = X @ beta
    w = np.exp(eta - eta.max())  # a common factor cancels in every ratio
    shift = eta.max()
    r, f = rs.rep, rs.frac

    def term_sums(v):
        cs = np.cumsum(v, axis=0)
        ce = np.cumsum(v * (e if v.ndim == 1 else e[:, None]), axis=0)
        risk = _block(cs, rs.end, rs.base)
        dead = _block(ce, rs.end, rs.start - 1)
        if v.ndim == 1:
            return risk[r] - f * dead[r]
        return risk[r] - f[:, None] * dead[r]

    S0 = term_sums(w)
    xw = X * w[:, None]
    S1 = term_sums(xw)
    m = S1 / S0[:, None]
    S2 = np.empty((len(r), p, p))
    for i in range(p):
        for j in range(i + 1):
            S2[:, i, j] = S2[:, j, i] = term_sums(xw[:, i] * X[:, j])
    V = S2 / S0[:, None, None] - m[:, :, None] * m[:, None, :]
    info = V.sum(axis=0)
    loglik = float(eta @ e - (np.log(S0) + shift).sum())
    score = e @ X - m.sum(axis=0)
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -math.inf, None, info
    pen = loglik + 0.5 * logdet
    if not gradient:
        return pen, None, info
    A = np.linalg.inv(info)
    h = np.einsum("ij,jk,ik->i", X, A, X)
    T0 = term_sums(w * h)
    T1 = term_sums(xw * h[:, None])
    VAm = np.einsum("brs,st,bt->br", V, A, m)
    grad_pen = (T1 / S0[:, None] - T0[:, None] * S1 / S0[:, None] ** 2 - 2 * VAm).sum(axis=0)
    return pen, score + 0.5 * grad_pen, info


def _maximise(rs: RiskSets, beta0: np.ndarray, free: np.ndarray, tol: float = 1e-10, iter_max: int = 100):
    """Newton-Raphson on the free coordinates with I(beta) as curvature, halving on l*."""
    beta = beta0.copy()
    ll, g, info = _quantities(rs, beta)
    for _ in range(iter_max):
        sub = np.ix_(free, free)
        step = np.zeros_like(beta)
        step[free] = np.linalg.solve(info[sub], g[free])
        big = np.abs(step).max()
        if big > 5:  # keep far-out steps from overflowing exp()
            step *= 5 / big
        for _half in range(30):
            cand = beta + step
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                lln, gn, infon = _quantities(rs, cand)
            if np.isfinite(lln) and lln >= ll - 1e-12 * abs(ll):
                break
            step /= 2
        else:
            return beta, ll, info, False
        beta, ll, g, info = cand, lln, gn, infon
        if np.abs(step).max() < tol and np.abs(g[free]).max() < 1e-6:
            return beta, ll, info, True
    return beta, ll, info, False


def penalized_loglik(rs: RiskSets, beta) -> float:
    """l(b) + 1/2 log det I(b) at ``beta`` (centred covariates)."""
    return _quantities(rs, np.asarray(beta, dtype=float), gradient=False)[0]


def firth_fit(d, des, Xa, alias, strata, ties, eps, iter_max):
    """Fit the penalised model and return a CoxPH with profile-likelihood inference."""
    from nlrstats.stats.survival.cox import CoxPH

    rs = risk_sets(d.raw_time, d.event, Xa, strata, ties, d.order, d.sorted_time)
    p = Xa.shape[1]
    allfree = np.ones(p, dtype=bool)
    beta, ll, info, ok = _maximise(rs, np.zeros(p), allfree)
    msgs = []
    if not ok:
        msgs.append("Firth penalised likelihood did not converge")
        warnings.warn(msgs[-1], UserWarning, stacklevel=3)
    ll0 = penalized_loglik(rs, np.zeros(p))
    var_sub = np.linalg.inv(info)
    se = np.sqrt(np.diag(var_sub))

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
        """Profile penalised-likelihood CI and penalised LR p-value for coefficient j."""
        q = chi2.ppf(conf_level, 1)
        dev = lambda c: 2 * (ll - profile(j, float(c))) - q  # noqa: E731
        limits = []
        for sgn in (-1, 1):
            width = max(se[j], 0.1)
            lo = beta[j]
            hi = beta[j] + sgn * width
            while dev(hi) < 0:
                lo, hi = hi, hi + sgn * width
                width *= 2
                if abs(hi - beta[j]) > 200:
                    hi = None
                    break
            limits.append(sgn * math.inf if hi is None else brentq(dev, min(lo, hi), max(lo, hi), xtol=1e-12))
        stat = max(2 * (ll - profile(j, 0.0)), 0.0)
        return limits[0], limits[1], float(chi2.sf(stat, 1))

    full = np.flatnonzero(~alias)

    def profile_ci(i: int, conf_level: float):
        return inference(int(np.searchsorted(full, i)), float(conf_level))

    pp = des.X.shape[1]
    coef = np.full(pp, np.nan)
    var = np.full((pp, pp), np.nan)
    coef[~alias] = beta
    var[np.ix_(~alias, ~alias)] = var_sub
    wald = float(beta @ info @ beta)
    # record whether ordinary ML would have been monotone (0/1 column without events at a level)
    ev = d.event.astype(bool)
    infinite = tuple(bool(b and (((des.X[:, j] == 1) & ev).sum() == 0 or ((des.X[:, j] != 1) & ev).sum() == 0))
                     for j, b in enumerate(des.binary))
    return CoxPH(d.formula.text, des.names, coef, var, ll, ll0, None, wald, d.n, int(d.event.sum()), ties,
                 0, ok, any(infinite), infinite, tuple(msgs), des.references, d.n_missing,
                 True, profile_ci, (rs, beta), (d, Xa, strata, beta, ties,
                  tuple(src for src, al in zip(des.source, alias) if not al)))
