"""Cox partial likelihood (Breslow / Efron ties) by Newton-Raphson, as R's ``coxph.fit``.

The data are sorted once by stratum and descending time; risk-set sums are
cumulative sums read at the end of each tied-time block, death-set sums are
differences of cumulative sums over the block. Efron's correction expands each
death block into its d fractions k/d (k = 0..d-1) as vectors, so one iteration
costs O(n p^2) array work with no Python loop over subjects or times. From
``JIT_MIN_ROWS`` rows one compiled pass per iteration does the same
(:mod:`._cox_jit`).

The iteration reproduces R's ``coxfit6``: start at 0, Newton steps with step
halving when the log-likelihood decreases, stop when the relative change of
the log-likelihood is <= eps (1e-9), at most 20 iterations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from nlrstats.stats.survival import _data

__all__ = ["RiskSets", "risk_sets", "cox_iter", "newton"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class RiskSets:
    """Sorted layout of the data and the indices the likelihood needs."""

    order: np.ndarray  # sorted position -> original row
    XT: np.ndarray  # centred covariates in sorted order, transposed (p x n, contiguous)
    means: np.ndarray
    event: np.ndarray  # float 0/1, sorted
    end: np.ndarray  # last sorted index of each death block
    start: np.ndarray  # first sorted index of each death block
    base: np.ndarray  # last sorted index before the block's stratum (-1 if none)
    d: np.ndarray  # deaths per death block
    dead: np.ndarray  # sorted positions of the deaths, grouped by block
    dstart: np.ndarray  # offset of each block in ``dead``
    xdead: np.ndarray  # sum of centred covariates over all deaths
    extra_rep: np.ndarray  # Efron terms k >= 1: their death block
    extra_frac: np.ndarray  # ... and k / d
    ties: str
    nevent: int
    time: np.ndarray  # sorted times
    strata: np.ndarray | None  # sorted strata codes
    tied_dead: np.ndarray  # sorted positions of deaths in blocks with tied deaths
    tied_start: np.ndarray  # offsets of those blocks in ``tied_dead``
    extra_tied: np.ndarray  # index among tied blocks of each Efron k >= 1 term
    # Cumulative-sum layout: columns of the running sums read at each death block's end, before
    # its deaths and before its stratum; with ``seg`` the sums run over segments (the censored
    # and the dead part of each time block) instead of subjects. ``dcol`` is None when the deaths
    # of a block are not its last rows (times merged by timefix): death sums then come from ``dead``.
    seg: np.ndarray | None = None
    ecol: np.ndarray | None = None
    bcol: np.ndarray | None = None
    dcol: np.ndarray | None = None
    tied: np.ndarray | None = None  # death blocks with tied deaths (Efron)

    @cached_property
    def work(self) -> dict:
        """Reusable buffers for :func:`cox_iter`."""
        return {}

    @property
    def X(self) -> np.ndarray:
        return self.XT.T

    @cached_property
    def rep(self) -> np.ndarray:
        """Death block of every Efron term (k = 0..d-1)."""
        return np.repeat(np.arange(len(self.d)), self.d)

    @cached_property
    def frac(self) -> np.ndarray:
        """k / d of every Efron term (0 for Breslow)."""
        if self.ties != "efron":
            return np.zeros(len(self.rep))
        return (np.arange(len(self.rep)) - np.repeat(self.dstart, self.d)) / self.d[self.rep]


def risk_sets(time, event, X, strata=None, ties: str = "efron", order=None, sorted_time=None) -> RiskSets:
    """Sort once (stratum, descending time) and index the tied-time blocks.

    ``order`` may be an ascending argsort of ``time`` computed earlier (with events before
    censorings at equal times, so that reversed, censorings come first, as the
    concordance wants). ``sorted_time`` may give ``time[order]`` already.
    """
    n = len(time)
    order = (np.argsort(time) if order is None else order)[::-1]
    if sorted_time is not None:
        sorted_time = sorted_time[::-1]
    if strata is None:
        s = None
    else:
        k = int(strata.max()) + 1
        perm = np.argsort(strata[order].astype(np.int16 if k < 2 ** 15 else np.int64), kind="stable")
        order = order[perm]
        s = strata[order]
        if sorted_time is not None:
            sorted_time = sorted_time[perm]
    t = time[order] if sorted_time is None else sorted_time
    e = event[order].astype(np.float64)
    XT = np.take(np.ascontiguousarray(X.T), order, axis=1)  # row-wise gathers, no strided transpose
    means = XT.mean(axis=1)
    XT -= means[:, None]
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    np.not_equal(t[1:], t[:-1], out=brk[1:])
    if s is not None:
        brk[1:] |= s[1:] != s[:-1]
    bstart = np.flatnonzero(brk)
    d = np.add.reduceat(e, bstart)
    has = d > 0
    bend = np.append(bstart[1:], n) - 1
    start, end, d = bstart[has], bend[has], d[has].astype(np.int64)
    if s is None:
        base = np.full(len(start), -1, dtype=np.int64)
    else:
        base = np.searchsorted(s, s[start], side="left") - 1
    dead = np.flatnonzero(e)
    dstart = np.concatenate(([0], np.cumsum(d)[:-1]))
    tied = np.flatnonzero(d > 1) if ties == "efron" else np.zeros(0, dtype=np.int64)
    if len(tied):
        dt = d[tied]
        tied_dead = np.concatenate([dead[a:a + k] for a, k in zip(dstart[tied], dt)]) if len(tied) < 64 else \
            dead[np.repeat(dstart[tied], dt) + np.arange(dt.sum()) - np.repeat(np.cumsum(dt) - dt, dt)]
        tied_start = np.concatenate(([0], np.cumsum(dt)[:-1]))
        # terms k = 1..d-1 of each tied block, fraction k / d
        kk = np.arange((dt - 1).sum()) - np.repeat(np.cumsum(dt - 1) - (dt - 1), dt - 1) + 1
        extra_tied = np.repeat(np.arange(len(tied)), dt - 1)
        xrep, xfrac = tied[extra_tied], kk / dt[extra_tied]
    else:
        tied_dead = tied_start = extra_tied = xrep = np.zeros(0, dtype=np.int64)
        xfrac = np.zeros(0)
    ce = np.concatenate(([0.0], np.cumsum(e)))
    contiguous = bool((ce[end + 1] - ce[end + 1 - d] == d).all())
    seg = None
    ecol, bcol, dcol = end + 1, base + 1, (end + 1 - d if contiguous else None)
    if contiguous and 3 * (len(bstart) + len(start)) < n:
        # heavy ties: sum each block's censored part and dead part first, run the sums over those
        dfirst = end + 1 - d
        cut = np.zeros(n + 1, dtype=bool)
        cut[bstart] = True
        cut[dfirst] = True
        seg = np.flatnonzero(cut[:n])
        # column j of the segment running sums = total over segments before j
        ecol = np.searchsorted(seg, dfirst) + 1
        dcol = ecol - 1
        bcol = np.searchsorted(seg, base + 1)
    return RiskSets(order, XT, means, e, end, start, base, d, dead, dstart,
                    XT[:, dead].sum(axis=1), xrep, xfrac, ties, int(d.sum()), t, s,
                    tied_dead, tied_start, extra_tied, seg, ecol, bcol, dcol, tied)


def _block(cs: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Sum over sorted positions lo+1..hi from a cumulative sum (lo = -1 means from 0)."""
    return cs[hi] - np.where((lo >= 0)[(...,) + (None,) * (cs.ndim - 1)], cs[np.maximum(lo, 0)], 0.0)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Vector dot product without BLAS: OpenBLAS threads its ddot/dgemv on long vectors, which
    costs milliseconds per call on a busy machine; a fused numpy product-and-sum does not."""
    return float(np.multiply(a, b).sum())


def _matvec(beta: np.ndarray, XT: np.ndarray) -> np.ndarray:
    """X beta as a sum of scaled rows of the (p x n) covariate array (no BLAS dgemv)."""
    out = XT[0] * beta[0]
    for i in range(1, len(beta)):
        out += XT[i] * beta[i]
    return out


def cox_iter(rs: RiskSets, beta: np.ndarray, want_info: bool = True):
    """Log partial likelihood, score and information at ``beta`` (centred scale).

    All weighted sums (w, w x, w x x') are stacked as rows of one array and
    accumulated by a single cumulative sum; risk sets are read at block ends.
    Each death block contributes its k = 0 term (the full risk set); Efron's
    k >= 1 terms exist only for tied deaths, whose death-set sums come from
    ``reduceat`` over the tied blocks alone. Work buffers are reused across
    iterations (fresh 10^6-row arrays cost page faults every time).
    """
    XT = rs.XT
    p, n = XT.shape
    if n >= _data.JIT_MIN_ROWS:  # one compiled pass instead of stacked running sums
        from nlrstats.stats.survival._cox_jit import cox_iter_jit
        return cox_iter_jit(rs, beta, want_info)
    pairs = [(i, j) for i in range(p) for j in range(i + 1)] if want_info else []
    q = 1 + p + len(pairs)
    work = rs.work
    if work.get("q") != q:
        work.update(q=q, Z=np.empty((q, n)), C=np.empty((q, (n if rs.seg is None else len(rs.seg)) + 1)))
    Z, C = work["Z"], work["C"]
    eta = _matvec(beta, XT)
    w = np.exp(eta, out=Z[0])
    np.multiply(XT, w, out=Z[1:1 + p])
    for k, (i, j) in enumerate(pairs):
        np.multiply(Z[1 + i], XT[j], out=Z[1 + p + k])
    if rs.seg is None:
        C[:, 0] = 0.0
        np.cumsum(Z, axis=1, out=C[:, 1:])
    else:
        C[:, 0] = 0.0
        np.cumsum(np.add.reduceat(Z, rs.seg, axis=1), axis=1, out=C[:, 1:])
    # fancy indexing on the last axis returns a Fortran-ordered array: make rows contiguous
    S = np.ascontiguousarray(C[:, rs.ecol])
    if rs.strata is not None:
        S -= C[:, rs.bcol]
    wt = None if rs.ties == "efron" else rs.d.astype(np.float64)

    def terms(S, wt):
        S0 = S[0]
        M = S[1:1 + p] / S0  # risk-set means, p x terms
        if wt is None:
            ll, sc, wS, mw = np.log(S0).sum(), M.sum(axis=1), 1.0 / S0, M
        else:
            ll, sc, wS, mw = _dot(wt, np.log(S0)), (M * wt).sum(axis=1), wt / S0, M * wt
        info = np.empty((p, p))
        for k, (i, j) in enumerate(pairs):
            info[i, j] = info[j, i] = _dot(S[1 + p + k], wS) - _dot(M[i], mw[j])
        return ll, sc, info

    ll, sc, info = terms(S, wt)
    if len(rs.extra_rep):
        tied = rs.tied
        St = S[:, tied]
        if rs.dcol is None:
            Dt = np.add.reduceat(Z[:, rs.tied_dead], rs.tied_start, axis=1)
        else:
            Dt = C[:, rs.ecol[tied]] - C[:, rs.dcol[tied]]
        ll2, sc2, info2 = _efron_extra(St, Dt, rs.extra_tied, rs.extra_frac, p, pairs)
        ll, sc, info = ll + ll2, sc + sc2, info + info2
    loglik = float(_dot(beta, rs.xdead) - ll)
    score = rs.xdead - sc
    return loglik, score, (info if want_info else None)


def _efron_extra(St, Dt, blk, f, p, pairs):
    """Efron's k >= 1 terms of the tied death blocks, summed per block.

    Term k of a block has risk sums S - f D (f = k/d, D the block's death sums). Its
    contributions are linear in S and D with weights 1/a, f/a, 1/a^2, f/a^2, f^2/a^2
    (a = S0 - f D0), so only those five sums per block are formed term by term, whatever
    the number of covariates; the products with S and D run over blocks.
    """
    a = St[0][blk] - f * Dt[0][blk]
    ll = float(np.log(a).sum())
    ia = 1.0 / a
    fa = f * ia
    m = len(St[0])
    A1 = np.bincount(blk, ia, minlength=m)
    Af = np.bincount(blk, fa, minlength=m)
    ia *= ia  # 1/a^2
    B1 = np.bincount(blk, ia, minlength=m)
    ia *= f  # f/a^2
    Bf = np.bincount(blk, ia, minlength=m)
    ia *= f  # f^2/a^2
    Bff = np.bincount(blk, ia, minlength=m)
    S1, D1 = St[1:1 + p], Dt[1:1 + p]
    sc = (S1 * A1).sum(axis=1) - (D1 * Af).sum(axis=1)
    info = np.empty((p, p))
    for k, (i, j) in enumerate(pairs):
        mm = (S1[i] * S1[j] * B1 - (S1[i] * D1[j] + D1[i] * S1[j]) * Bf + D1[i] * D1[j] * Bff).sum()
        info[i, j] = info[j, i] = (St[1 + p + k] * A1 - Dt[1 + p + k] * Af).sum() - mm
    return ll, sc, info


def _solve(info: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, u)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(info) @ u


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class NewtonResult:
    beta: np.ndarray
    loglik0: float
    loglik: float
    score0: np.ndarray
    sctest: float
    score: np.ndarray
    info: np.ndarray
    iterations: int
    converged: bool


def newton(rs: RiskSets, eps: float = 1e-9, iter_max: int = 20, init=None) -> NewtonResult:
    """R's coxfit6 iteration (Newton-Raphson with step halving)."""
    p = rs.X.shape[1]
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float)
    ll0, u0, info = cox_iter(rs, beta)
    step = _solve(info, u0)
    sctest = float(u0 @ step)
    best = ll0
    newbeta = beta + step
    halving = 0
    u = u0
    for it in range(1, iter_max + 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            newlk, u, info = cox_iter(rs, newbeta)
        finite = np.isfinite(newlk) and np.isfinite(u).all() and np.isfinite(info).all()
        if finite and abs(1 - best / newlk) <= eps:
            return NewtonResult(newbeta, ll0, newlk, u0, sctest, u, info, it, True)
        if not finite or newlk < best:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            beta = newbeta
            newbeta = beta + _solve(info, u)
    ll, u, info = cox_iter(rs, beta)
    return NewtonResult(beta, ll0, ll, u0, sctest, u, info, iter_max, False)
