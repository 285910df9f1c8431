"""Cox partial likelihood (Breslow / Efron ties, case weights) and R's ``coxfit6`` iteration.

This is the readable reference path; from ``JIT_MIN_ROWS`` rows one compiled pass per
iteration computes the same sums (:mod:`._cox_jit`, R's ``coxfit6_iter`` loop).

Layout: rows sorted by stratum and descending time, so that every risk set is a prefix of
its stratum. A *death block* is a tied time with at least one death; Efron's approximation
splits a block of d deaths into d *terms* k = 0..d-1 whose risk sums are S - (k/d) D (S over
the risk set, D over the block's deaths), each weighted by the deaths' mean case weight;
Breslow has one term per block weighted by the deaths' total weight. Every estimator here
(likelihood, Firth's penalty, residuals, baseline hazard, the PH test) is a sum over terms
of risk-set sums, which :func:`term_sums` forms for any per-subject values.

The covariates are centred and scaled as ``coxfit6`` does (mean and mean absolute deviation,
with case weights; columns of 0/1 and -1/0/1 values are left alone, R's ``nocenter``):
Newton's method is affine invariant, so the path is R's, and the Cholesky rank decision
(:mod:`._cholesky`) no longer depends on the covariates' units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nlrstats.stats.survival import _data
from nlrstats.stats.survival._cholesky import TOLER_CHOL, chinv2, chsolve2, cholesky2

__all__ = ["RiskSets", "risk_sets", "scaling", "term_sums", "term_moments", "risk_scores", "matvec", "cox_iter",
           "newton", "NewtonResult"]


def scaling(X: np.ndarray, weights: np.ndarray | None, nocenter: np.ndarray):
    """coxfit6's centring and scaling of each column: (means, scale); (0, 1) for nocenter columns."""
    n, p = X.shape
    w = np.ones(n) if weights is None else weights
    tw = w.sum()
    means, scale = np.zeros(p), np.ones(p)
    for j in range(p):
        if nocenter[j]:
            continue
        means[j] = float((w * X[:, j]).sum() / tw)
        mad = float((w * np.abs(X[:, j] - means[j])).sum())
        scale[j] = tw / mad if mad > 0 else 1.0
    return means, scale


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class RiskSets:
    """Sorted layout of one fit's data: covariates, weights, death blocks and Efron terms."""

    order: np.ndarray  # sorted position -> row of the prepared data
    XT: np.ndarray  # covariates centred and scaled (coxfit6), sorted, p x n (contiguous rows)
    means: np.ndarray  # centring of each column (0 for nocenter columns)
    scale: np.ndarray  # coxfit6's scale factor of each column
    weights: np.ndarray  # case weights, sorted (ones when none were given)
    event: np.ndarray  # float 0/1, sorted
    time: np.ndarray  # sorted times
    strata: np.ndarray | None  # sorted stratum codes
    end: np.ndarray  # last sorted position of each death block
    base: np.ndarray  # last sorted position before the block's stratum (-1 at the first)
    dead: np.ndarray  # sorted positions of the deaths, grouped by block
    dstart: np.ndarray  # offset of each block in ``dead``
    d: np.ndarray  # deaths per block
    rep: np.ndarray  # death block of each term
    frac: np.ndarray  # k / d of each term (0 for Breslow)
    twt: np.ndarray  # weight of each term: mean (Efron) or total (Breslow) case weight of the deaths
    xdead: np.ndarray  # sum over deaths of weight * covariates
    ties: str
    weighted: bool

    @property
    def X(self) -> np.ndarray:
        return self.XT.T

    @property
    def n(self) -> int:
        return len(self.time)

    @property
    def nevent(self) -> int:
        return int(self.event.sum())


def risk_sets(time, event, X, strata=None, ties: str = "efron", order=None, sorted_time=None, weights=None,
              nocenter=None) -> RiskSets:
    """Sort once (stratum, descending time), centre and scale X, index blocks and terms.

    ``order`` may be an ascending argsort of ``time`` (events before censorings at equal
    times) computed earlier, ``sorted_time`` the times in that order (after timefix).
    ``nocenter`` flags the columns coxfit6 leaves alone (all values in -1, 0, 1); the others are
    centred and scaled as coxfit6. Without it every column is centred and none scaled.
    """
    n, p = len(time), X.shape[1]
    order = (np.argsort(time, kind="stable") if order is None else order)[::-1]
    t = None if sorted_time is None else sorted_time[::-1]
    if strata is not None:
        perm = np.argsort(strata[order], kind="stable")
        order = order[perm]
        t = None if t is None else t[perm]
    t = time[order] if t is None else t
    s = None if strata is None else strata[order]
    e = event[order].astype(np.float64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)[order]
    if nocenter is None:  # plain centring, no scaling
        means, scale = scaling(X, weights, np.zeros(p, dtype=bool))[0], np.ones(p)
    else:
        means, scale = scaling(X, weights, nocenter)
    XT = np.take(np.ascontiguousarray(X.T), order, axis=1)  # row-wise gathers, no strided transpose
    XT -= means[:, None]
    XT *= scale[:, None]
    brk = np.empty(n, dtype=bool)
    brk[:1] = True
    np.not_equal(t[1:], t[:-1], out=brk[1:])
    if s is not None:
        brk[1:] |= s[1:] != s[:-1]
    bstart = np.flatnonzero(brk)
    nd = np.add.reduceat(e, bstart) if n else np.zeros(0)
    has = nd > 0
    end = (np.append(bstart[1:], n) - 1)[has]
    d = nd[has].astype(np.int64)
    base = np.full(len(end), -1, dtype=np.int64) if s is None else np.searchsorted(s, s[end], side="left") - 1
    dead = np.flatnonzero(e)
    dstart = (np.cumsum(d) - d).astype(np.int64)
    wdead = np.add.reduceat(w[dead], dstart) if len(dead) else np.zeros(0)
    if ties == "efron":
        rep = np.repeat(np.arange(len(d)), d)
        frac = (np.arange(len(rep)) - np.repeat(dstart, d)) / d[rep]
        twt = (wdead / d)[rep]
    else:
        rep, frac, twt = np.arange(len(d)), np.zeros(len(d)), wdead
    xdead = (XT[:, dead] * w[dead]).sum(axis=1)
    return RiskSets(order, XT, means, scale, w, e, t, s, end, base, dead, dstart, d, rep, frac, twt, xdead,
                    ties, weights is not None)


def matvec(beta: np.ndarray, XT: np.ndarray) -> np.ndarray:
    """X beta as a sum of scaled rows of the (p x n) covariate array (no BLAS dgemv, which
    threads on long vectors and stalls on a busy machine)."""
    out = np.zeros(XT.shape[1])
    for i in range(len(beta)):
        out += XT[i] * beta[i]
    return out


# exp() of more than ~709 overflows and of less than ~-745 is 0: keep risk scores inside that
_SPAN = 300.0


def risk_scores(rs: RiskSets, eta: np.ndarray):
    """weight * exp(eta - c) per sorted row and the shift c of each death block.

    With a moderate linear predictor c = 0 (R's arithmetic). Otherwise c runs along each
    stratum with the largest eta seen so far (the risk set's largest score), in steps of
    whole time blocks, so no score overflows and no risk set sums to 0; the risk sums of
    :func:`term_sums` are carried from one shift to the next. Returns (scores, c_block,
    segments) where segments are (start, stop, c) runs of sorted rows.
    """
    n = len(eta)
    lo, hi = (float(eta.min()), float(eta.max())) if n else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise FloatingPointError("non-finite linear predictor")
    if hi < _SPAN and lo > -_SPAN:
        starts = [0] if rs.strata is None else list(np.flatnonzero(np.diff(rs.strata, prepend=rs.strata[0] - 1)))
        segs = [(a, b, 0.0) for a, b in zip(starts, [*starts[1:], n])]
        return rs.weights * np.exp(eta), np.zeros(len(rs.end)), segs
    segs = []
    sstarts = [0] if rs.strata is None else list(np.flatnonzero(np.diff(rs.strata, prepend=rs.strata[0] - 1)))
    brk = np.empty(n, dtype=bool)
    brk[:1] = True
    np.not_equal(rs.time[1:], rs.time[:-1], out=brk[1:])
    for a, b in zip(sstarts, [*sstarts[1:], n]):
        run = np.maximum.accumulate(eta[a:b])
        local = brk[a:b].copy()
        local[0] = True  # a stratum starts a block
        blocks = np.flatnonzero(local)
        bend = np.append(blocks[1:], b - a) - 1
        key = np.floor(run[bend] / _SPAN)  # nondecreasing: runs of blocks with the same key
        cut = np.flatnonzero(np.diff(key, prepend=key[0] - 1))
        for i, k in enumerate(cut):
            stop = blocks[cut[i + 1]] if i + 1 < len(cut) else b - a
            last = bend[cut[i + 1] - 1] if i + 1 < len(cut) else bend[-1]
            segs.append((a + blocks[k], a + stop, float(run[last])))
    c = np.empty(n)
    for a, b, cc in segs:
        c[a:b] = cc
    return rs.weights * np.exp(eta - c), c[rs.end], segs


def term_sums(rs: RiskSets, V: np.ndarray, segs) -> np.ndarray:
    """Risk-set sums minus (k/d) death sums of each Efron term, for each row of ``V`` (m x n).

    ``V`` holds per-subject values already multiplied by the risk score of
    :func:`risk_scores`; sums are in the scale of each term's block (``segs`` from there).
    """
    m, n = V.shape
    if all(c == 0.0 for _, _, c in segs):
        C = np.empty((m, n + 1))
        C[:, 0] = 0.0
        np.cumsum(V, axis=1, out=C[:, 1:])
        risk = np.take(C, rs.end + 1, axis=1)  # (take: a contiguous gather, unlike C[:, idx])
        if rs.strata is not None:
            risk -= np.take(C, rs.base + 1, axis=1)
    else:
        # running sums restart at each segment (no cancellation across scales); earlier segments
        # of the same stratum carry over, rescaled to this segment's shift
        C = np.empty((m, n))
        carry = np.zeros((m, len(segs)))
        seg_of = np.empty(n, dtype=np.int64)
        for k, (a, b, c) in enumerate(segs):
            np.cumsum(V[:, a:b], axis=1, out=C[:, a:b])
            seg_of[a:b] = k
            if k and segs[k - 1][1] == a and (rs.strata is None or rs.strata[a] == rs.strata[a - 1]):
                pa, pb, pc = segs[k - 1]
                carry[:, k] = (C[:, pb - 1] + carry[:, k - 1]) * math.exp(pc - c)
        risk = C[:, rs.end] + carry[:, seg_of[rs.end]]
    if len(rs.rep) == len(rs.end):  # one term per block (Breslow, or Efron without tied deaths): k/d = 0
        return risk
    dead = np.add.reduceat(np.take(V, rs.dead, axis=1), rs.dstart, axis=1)  # each block's deaths
    return np.take(risk, rs.rep, axis=1) - rs.frac * np.take(dead, rs.rep, axis=1)


def term_moments(rs: RiskSets, XT: np.ndarray, r: np.ndarray, segs):
    """Per term: S0, the risk-set means (p x terms) and covariances (p x p x terms) of the rows of XT."""
    p = XT.shape[0]
    pairs = [(i, j) for i in range(p) for j in range(i + 1)]
    V = np.vstack([r[None, :], XT * r, np.array([XT[i] * XT[j] * r for i, j in pairs]).reshape(len(pairs), -1)])
    T = term_sums(rs, V, segs)
    S0 = T[0]
    m = T[1:1 + p] / S0
    cov = np.empty((p, p, len(S0)))
    for k, (i, j) in enumerate(pairs):
        cov[i, j] = cov[j, i] = T[1 + p + k] / S0 - m[i] * m[j]
    return S0, m, cov


def cox_iter(rs: RiskSets, beta: np.ndarray, want_info: bool = True):
    """Log partial likelihood, score and information at ``beta`` (centred and scaled covariates)."""
    p, n = rs.XT.shape
    if n >= _data.JIT_MIN_ROWS:  # one compiled pass (R's loop) instead of the running sums below
        from nlrstats.stats.survival._cox_jit import cox_iter_jit
        return cox_iter_jit(rs, beta, want_info)
    eta = matvec(beta, rs.XT)
    r, cblock, segs = risk_scores(rs, eta)
    pairs = [(i, j) for i in range(p) for j in range(i + 1)] if want_info else []
    V = np.empty((1 + p + len(pairs), n))
    V[0] = r
    np.multiply(rs.XT, r, out=V[1:1 + p])
    for k, (i, j) in enumerate(pairs):
        np.multiply(V[1 + i], rs.XT[j], out=V[1 + p + k])
    T = term_sums(rs, V, segs)
    S0, twt = T[0], rs.twt
    M = T[1:1 + p] / S0  # weighted covariate means of each term's risk set
    loglik = float((rs.weights[rs.dead] * eta[rs.dead]).sum() - (twt * (np.log(S0) + cblock[rs.rep])).sum())
    score = rs.xdead - (M * twt).sum(axis=1)
    if not want_info:
        return loglik, score, None
    info = np.empty((p, p))
    ws = twt / S0
    for k, (i, j) in enumerate(pairs):
        info[i, j] = info[j, i] = float((T[1 + p + k] * ws).sum() - (M[i] * M[j] * twt).sum())
    return loglik, score, info


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class NewtonResult:
    """coxfit6's output on the original scale: beta, var (chinv2; 0 rows for aliased columns), ..."""

    beta: np.ndarray
    var: np.ndarray
    loglik0: float
    loglik: float
    sctest: float
    score: np.ndarray  # u at the returned beta
    iterations: int
    flag: int  # rank of the information, or 1000 when the iteration ran out
    converged: bool


def newton(rs: RiskSets, eps: float = 1e-9, iter_max: int = 20, init=None, toler: float = TOLER_CHOL,
           ) -> NewtonResult:
    """R's ``coxfit6``: Newton-Raphson from ``init`` (default 0) with step halving.

    Stops when |1 - loglik_old / loglik_new| <= eps; a non-finite log-likelihood, score or
    information, or a decrease, halves the step toward the last good beta (more each time).
    Steps solve with :func:`cholesky2`, so aliased columns get a zero step and a zero row of
    the returned variance, as R.
    """
    p = rs.XT.shape[0]
    sc = rs.scale
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float) / sc
    ll0, u, imat = cox_iter(rs, beta)
    fac, flag = cholesky2(imat, toler)
    a = chsolve2(fac, u)
    sctest = float(u @ a)

    def out(b, fac, u, ll, it, flag, converged):
        v = chinv2(fac) * np.outer(sc, sc)
        return NewtonResult(b * sc, v, ll0, ll, sctest, u / sc, it, flag, converged)

    if iter_max == 0 or not math.isfinite(ll0):
        return out(beta, fac, u, ll0, 0, flag, True)
    best = ll0
    newbeta = beta + a
    halving = 0
    for it in range(1, iter_max + 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                newlk, u, imat = cox_iter(rs, newbeta)
            except FloatingPointError:
                newlk, u, imat = -math.inf, np.full(p, np.nan), np.full((p, p), np.nan)
        fac, flag = cholesky2(imat, toler)
        finite = math.isfinite(newlk) and np.isfinite(u).all() and np.isfinite(imat).all()
        if finite and abs(1 - best / newlk) <= eps:
            return out(newbeta, fac, u, newlk, it, -2 if halving else flag, True)
        if not finite or newlk < best:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            step = chsolve2(fac, u)
            beta = newbeta
            newbeta = newbeta + step
    if iter_max > 1:
        # as coxfit6: u and the (unfactored) information are recomputed at the last good beta,
        # and chinv2 then reads only the diagonal of that unfactored matrix
        best, u, imat = cox_iter(rs, beta)
        fac = np.triu(imat)
    return out(beta, fac, u, best, iter_max + 1, 1000, False)  # R's loop counter ends at iter.max + 1
