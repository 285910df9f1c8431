"""Compiled (numba) cut-point bootstrap: each resample as row counts over the sorted data.

A resample of n rows drawn with replacement is, for every statistic here, the data with
each row counted ``m[i]`` times. With the data sorted once by time (and a permutation to
marker order), each resample is four linear passes and a short Newton loop, no sort:

1. the counts ``m`` from the drawn indices;
2. the ``exactRankTests`` log-rank scores over the time tie groups (as
   :func:`._batch.scan_sorted`: ``e - sum over tie groups up to mine of d / (n - end)``);
3. the standardised statistic at each marker boundary, the first maximum within 1e-12
   (:func:`._batch.scan_sorted`'s rule, ``minprop`` / ``maxprop`` as R's maxstat);
4. Efron's risk-set terms of ``marker > cut`` per death (the tied copies of a row are
   separate deaths, as in the resample) and Newton-Raphson with step halving, R's
   ``coxph`` criteria (:func:`._batch.cox_sorted`), in the resample and on the data.

The numpy kernels of :mod:`._batch` are the reference; ``tests/test_cutpoint_bootstrap.py``
holds the two to 1e-12 on resamples with ties. Importing this module imports numba
(~0.4 s), so :mod:`.bootstrap` imports it lazily, only for large bootstraps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["replicate_counts"]

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_OPTS)
def _scores(t, e, m, n, s):
    """Log-rank scores per row (time order) of the resample with counts ``m`` (``n`` rows)."""
    size = len(t)
    cs = 0.0
    end = -1  # the resample's index of the last row of the current tie group
    i = 0
    while i < size:
        j = i
        c, d = 0, 0.0
        while j < size and t[j] == t[i]:
            c += m[j]
            d += m[j] * e[j]
            j += 1
        if c > 0:
            end += c
            cs += d / (n - end)
            for k in range(i, j):
                s[k] = e[k] - cs
        i = j


@njit(**_OPTS)
def _scan(x_by_x, t_pos, m, s, n, lo, hi, drop_ends, stat):
    """Cut (the marker value at or below which the first group ends) of the largest statistic."""
    ss, sq = 0.0, 0.0
    for j in range(len(s)):
        if m[j] > 0:
            ss += m[j] * s[j]
            sq += m[j] * s[j] * s[j]
    size = len(x_by_x)
    ncand = 0
    k, run = 0, 0.0
    q = 0
    while q < size:
        r, c = q, 0
        while r < size and x_by_x[r] == x_by_x[q]:  # the rows of one marker value
            j = t_pos[r]
            c += m[j]
            run += m[j] * s[j]
            r += 1
        k += c
        if c > 0 and k < n:  # the resample has this value and some above it: a boundary
            var = k * (n - k) / (n * n * (n - 1.0)) * (n * sq - ss * ss)
            ok = (drop_ends or (k >= lo and k <= hi)) and var > 0
            stat[ncand, 0] = abs(run - k / n * ss) / math.sqrt(var) if ok else -np.inf
            stat[ncand, 1] = x_by_x[q]
            ncand += 1
        q = r
    if drop_ends and ncand > 0:  # without bounds the last boundary is no candidate (as _batch.scan_sorted)
        stat[ncand - 1, 0] = -np.inf
    top = -np.inf
    for c in range(ncand):
        top = max(top, stat[c, 0])
    if not np.isfinite(top):
        return np.nan, np.nan
    for c in range(ncand):
        if stat[c, 0] >= top * (1 - 1e-12):
            return stat[c, 1], top
    return np.nan, np.nan  # pragma: no cover - the maximum is among the candidates


@njit(**_OPTS)
def _efron_deaths(t, e, x, m, cut, a0, a1):
    """Efron's terms of each death (copies separate) for ``x > cut``; deaths, group-1 deaths,
    and the counts that decide a monotone likelihood (``upper``, ``lower``)."""
    size = len(t)
    n_all, n1 = 0.0, 0.0
    nd = 0
    d1_total = 0.0
    upper, lower = 0.0, 0.0
    j = size
    while j > 0:  # from the last time: the risk set grows by each tie group
        i = j - 1
        while i > 0 and t[i - 1] == t[j - 1]:
            i -= 1
        d, d1 = 0, 0
        for k in range(i, j):
            g = 1.0 if x[k] > cut else 0.0
            n_all += m[k]
            n1 += m[k] * g
            if e[k] > 0:
                d += m[k]
                d1 += m[k] * np.int64(g)
        for k in range(d):
            f = k / d
            b1 = n1 - f * d1
            b0 = (n_all - n1) - f * (d - d1)
            if b1 > 0:
                upper += 1.0
                if b0 <= 0:
                    lower += 1.0
            a0[nd] = max(b0, 0.0)
            a1[nd] = b1
            nd += 1
        d1_total += d1
        j = i
    return nd, d1_total, upper, lower


@njit(**_OPTS)
def _loglik(beta, d1, a0, a1, nd):
    eb = math.exp(beta)
    acc = 0.0
    for k in range(nd):
        acc += math.log(a0[k] + a1[k] * eb)
    return beta * d1 - acc


@njit(**_OPTS)
def _cox(t, e, x, m, cut, a0, a1, eps, iter_max):
    """Log HR of ``x > cut`` (Efron), or +-inf for a monotone likelihood."""
    nd, d1, upper, lower = _efron_deaths(t, e, x, m, cut, a0, a1)
    if d1 >= upper:
        return np.inf
    if d1 <= lower:
        return -np.inf
    beta = 0.0
    ll = _loglik(beta, d1, a0, a1, nd)
    for _ in range(iter_max):
        eb = math.exp(beta)
        p, info = 0.0, 0.0
        for k in range(nd):
            den = a0[k] + a1[k] * eb
            p += a1[k] * eb / den
            info += a0[k] * a1[k] * eb / (den * den)
        u = d1 - p
        step = u / info if info > 0 else 0.0
        new = beta + step
        ll_new = _loglik(new, d1, a0, a1, nd)
        worse = ll_new < ll
        while worse:  # step halving, as coxph
            new = (beta + new) / 2
            ll_new = _loglik(new, d1, a0, a1, nd)
            worse = ll_new < ll and abs(new - beta) > 1e-12
        done = abs(1 - ll / (ll_new if ll_new != 0 else 1.0)) <= eps and abs(step) < 1e-6
        beta, ll = new, ll_new
        if done:
            break
    return beta


@njit(**_OPTS)
def replicate_counts(rank, t, e, x, x_by_x, t_pos, idx, lo, hi, drop_ends, cuts, stats, lb, lt):
    """Cut, statistic and the two log HRs of each resample (row of ``idx``), into the outputs.

    ``t``, ``e``, ``x``: the data sorted by time; ``rank[i]``: row i's position in it;
    ``x_by_x``: the marker sorted (stable) and ``t_pos`` each of those rows' time position.
    A resample without an admissible cut leaves NaN everywhere.
    """
    b, n = idx.shape
    m = np.zeros(n, np.int64)
    ones = np.ones(n, np.int64)
    s = np.zeros(n)
    stat = np.empty((n, 2))
    a0 = np.empty(n)
    a1 = np.empty(n)
    for r in range(b):
        m[:] = 0
        for i in range(n):
            m[rank[idx[r, i]]] += 1
        _scores(t, e, m, n, s)
        cut, top = _scan(x_by_x, t_pos, m, s, n, lo, hi, drop_ends, stat)
        cuts[r], stats[r] = cut, top
        if np.isfinite(cut):
            lb[r] = _cox(t, e, x, m, cut, a0, a1, 1e-9, 30)
            lt[r] = _cox(t, e, x, ones, cut, a0, a1, 1e-9, 30)
