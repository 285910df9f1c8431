"""Permutation p-values of a maximally selected statistic, as R maxstat's ``"HL"`` and ``"condMC"``.

``p_hl`` is ``maxstat:::pmaxstat``: the exact permutation distribution of the sum of
integer scores over every subset size (Streitberg & Roehmel's counts, exactRankTests'
``cpermdist2``) gives, for each cut, the permutations whose standardised statistic
exceeds ``b``; Hothorn & Lausen (2003) subtract those counted at two neighbouring cuts,
which makes the sum a lower bound of P(max > b) that is sharp in practice. R multiplies
counts by ``m! (N - m)! / N!`` and overflows from 171 patients (NaN); the same quantity is
formed here as ``count / choose(N, m)``, finite for any N.

``p_cond_mc`` is ``maxstat:::pmaxperm`` (C ``maxstatpermdist``) draw for draw: each of
the B permutations sorts N fresh ``unif_rand()`` values and applies the order to the
previous permutation (R never resets it), and counts the permutations whose statistic
exceeds the observed one at some cut (strictly, as R).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from nlrstats.stats.rng import RRNG

__all__ = ["subset_sum_counts", "p_hl", "hl_feasible", "p_cond_mc", "cond_mc_distribution", "HL_MAX_CELLS"]

# The exact distribution is an (N + 1) x (sum of scores + 1) table; beyond this many cells "HL" is refused.
HL_MAX_CELLS = 2e7


def hl_feasible(scores: np.ndarray) -> bool:
    s = scores - scores.min()
    return (s.size + 1) * (float(s.sum()) + 1) <= HL_MAX_CELLS


def subset_sum_counts(scores: np.ndarray) -> np.ndarray:
    """``H[k, s]``: number of subsets of size k whose integer scores sum to s (k = 0..N)."""
    a = scores.astype(np.int64)
    n, total = a.size, int(a.sum())
    h = np.zeros((n + 1, total + 1))
    h[0, 0] = 1.0
    for j, v in enumerate(a):
        for k in range(j + 1, 0, -1):  # add element j to subsets of size k - 1
            if v == 0:
                h[k] += h[k - 1]
            else:
                h[k, v:] += h[k - 1, : total + 1 - v]
    return h


def _pperm_two_sided(b: float, scores: np.ndarray, m: int, E: float, V: float) -> float:
    # exactRankTests::pperm(two.sided, unpaired) of the sum of m scores at b * sqrt(V) + E
    counts = subset_sum_counts(scores)[m]
    T = np.arange(counts.size, dtype=float)
    prob = counts / counts.sum()
    ih = (b * math.sqrt(V) + E) - m / scores.size * scores.sum()
    if ih == 0:
        return 1.0
    p = prob[T - m / scores.size * scores.sum() <= -abs(ih)].sum() + \
        prob[T - m / scores.size * scores.sum() >= abs(ih)].sum()
    return float(min(1.0, p))


def p_hl(b: float, scores: np.ndarray, msample: np.ndarray) -> float:
    """Hothorn & Lausen's exact lower bound ``maxstat:::pmaxstat(b, scores, msample)`` (integer scores)."""
    if not np.all(np.round(scores) == scores):
        raise ValueError("scores are not integers in pmaxstat (pmethod 'HL' needs iscores=True)")
    if not hl_feasible(scores):
        raise ValueError(f"pmethod 'HL' is not feasible here (an exact table of {scores.size + 1} x "
                         f"{int((scores - scores.min()).sum()) + 1} counts); use 'exactGauss' or 'Lau94'")
    n = scores.size
    s = scores - scores.min()
    m = np.arange(1, n)
    tot = float(s.sum())
    E = m / n * tot
    V = m * (n - m) / (n ** 2 * (n - 1)) * (n * np.sum(s ** 2) - tot ** 2)
    msample = np.asarray(msample, dtype=np.int64)
    if msample.size == 1:
        k = int(msample[0])
        return _pperm_two_sided(b, s, k, E[k - 1], V[k - 1])
    H = subset_sum_counts(s)[1:n, 1:]                       # sizes 1..N-1, sums 1..total
    S = np.abs((np.arange(1, H.shape[1] + 1)[None, :] - E[:, None]) / np.sqrt(V)[:, None])
    S[H == 0] = 0.0
    lchoose = special.gammaln(n + 1) - special.gammaln(m + 1) - special.gammaln(n - m + 1)
    H = H / np.exp(lchoose)[:, None]                        # R: H * m! (N - m)! / N! (after summing)
    H[S <= b] = 0.0
    sH = H.sum(axis=1)
    smax, smin = int(s.max()), int(s.min())
    for i in range(int(msample.min()), H.shape[0]):        # R's 1-based rows min(msample):(nrow - 1)
        idx = np.flatnonzero(H[i - 1] > 0) + 1              # sums s (1-based column = s)
        if idx.size == 0:
            continue
        for sel, shift in ((idx[idx < E[i - 1]], smax), (idx[idx > E[i - 1]], smin)):
            if sel.size == 0:
                continue
            cols = sel + shift
            if np.any(cols > S.shape[1]):
                raise ValueError("pmaxstat: subscript out of bounds (as R's maxstat for these scores)")
            sel = sel[S[i, cols - 1] > b]
            if sel.size:
                sH[i] -= H[i - 1, sel - 1].sum()
    return float(min(np.sum(sH[msample - 1]), 1.0))


def _rsort_with_index(x: np.ndarray, indx: np.ndarray) -> None:
    """R's ``rsort_with_index`` (Shell sort, in place): only needed when uniforms tie."""
    n = x.size
    h = 1
    while h <= n // 9:
        h = 3 * h + 1
    while h > 0:
        for i in range(h, n):
            v, iv = x[i], indx[i]
            j = i
            while j >= h and x[j - h] > v:
                x[j], indx[j] = x[j - h], indx[j - h]
                j -= h
            x[j], indx[j] = v, iv
        h //= 3


def _permuted_maxima(y: np.ndarray, m: np.ndarray, e: np.ndarray, sd: np.ndarray, B: int, rng: RRNG,
                     ostat: float | None):
    """Per permutation: the maximum statistic (``ostat=None``) or whether it exceeds ``ostat``.
    ``sd`` is ``sqrt(V)`` per cut, as the C code forms it."""
    n = y.size
    perm = np.arange(n)
    last = int(m[-1])
    out = np.empty(B)
    for i in range(B):
        u = rng.unif_rand(n)
        order = np.argsort(u, kind="stable")
        us = u[order]
        if np.any(us[1:] == us[:-1]):  # tied uniforms: R's Shell sort decides their order
            uu, pp = u.copy(), perm.copy()
            _rsort_with_index(uu, pp)
            perm = pp
        else:
            perm = perm[order]
        cs = np.cumsum(y[perm[:last]])                      # C: dummy += y[perm[j]], in double
        st = np.abs((cs[m - 1] - e) / sd)
        out[i] = float(np.any(st > ostat)) if ostat is not None else float(st.max())
    return out


def p_cond_mc(b: float, y: np.ndarray, m: np.ndarray, e: np.ndarray, sd: np.ndarray, B: int, rng: RRNG) -> float:
    """R's ``pmaxperm``: share of B permutations with a statistic above ``b`` at some cut."""
    return float(_permuted_maxima(y, m, e, sd, B, rng, b).sum() / B)


def cond_mc_distribution(y, m, e, sd, B: int, rng: RRNG) -> tuple[np.ndarray, np.ndarray]:
    """R's ``qmaxperm`` distribution: sorted distinct maxima and their shares (``sim2distr``)."""
    d = np.sort(_permuted_maxima(y, m, e, sd, B, rng, None))
    vals, counts = np.unique(d, return_counts=True)
    return vals, counts / B
