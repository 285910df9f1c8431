"""Compiled (numba) kernels for one or two groups and many rows: one sort, then linear passes.

The reference kernels (:mod:`._km_kernels`, :mod:`.logrank`) sort rows by (group, time)
with an argsort and then form run boundaries, gathers and cumulative sums. Here (time,
group, status) are packed into one uint64 key per row in one pass (the times scaled by a
power of two below 2, :func:`._data.pack_exponent`, so the top exponent bit is free for the
group), the keys are value-sorted by numpy (SIMD, no argsort), and each result comes from
one or two passes over the sorted keys.

The Kaplan-Meier arithmetic is the reference kernel's operation for operation, so curves
are equal to the bit (``tests/test_km_kernels.py``). The log-rank sums run in time order
as R's ``survdiff2`` does (numpy sums pairwise: they agree to ~1e-13).

R's timefix (``aeqSurv``) is applied on the fly: a unique time within the tolerance of
the previous unique time joins its chain and takes the chain's first value. The tolerance
is sqrt(eps) * max(1, mean of the unique times); the passes start from the mean of all
times, compute the unique times' mean as they go, and record the gaps nearest the
tolerance they used, so a pass is repeated (rarely) only when the two tolerances would
treat a gap differently.

Importing this module imports numba (~0.4 s) and loads the compiled kernels from numba's
cache (compiled once, ~3 s), so callers import it lazily, from :data:`._data.JIT_MIN_ROWS`
rows; it imports only :mod:`._data`, which never imports it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from nlrstats.stats.cores import second_core
from nlrstats.stats.survival._data import TIMEFIX_TOL, pack_exponent

__all__ = ["JitKeys", "jit_keys", "km_two", "logrank_two"]

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_NONE = np.uint64(1) << np.uint64(63)  # above every key >> 2: "no previous time"
#: rows from which the keys are sorted in two parts on two cores (7 vs 13 ms at 10^6 keys here)
PARALLEL_SORT_ROWS = 200_000


class JitKeys(NamedTuple):
    """Sorted packed keys: ``keys``, ``unscale`` (decoded key time x unscale = time), ``thr``
    (the timefix tolerance to try first; -inf without timefix), ``rows`` per group."""

    keys: np.ndarray
    unscale: float
    thr: float
    rows: np.ndarray


@njit(**_OPTS)
def _pack(time, scale, event, group, pivot):
    """Keys (time x scale bits, group, status), the times below ``pivot`` first and the rest
    after them (each part unsorted), with the size of the first part, the rows in group 1 and
    the sum of times.

    Branch-free: each key is written to both free ends and only its part's end moves (times
    fall on either side of a median pivot at random, so a branch would mispredict).
    """
    n = len(time)
    k = np.empty(n, np.uint64)
    fb = np.empty(1, np.float64)
    fbits = fb.view(np.uint64)
    lo, hi = 0, n
    n1 = 0
    total = 0.0
    for i in range(n):
        x = time[i]
        total += x
        fb[0] = x * scale  # a power of two: exact (no subnormals, checked by the caller)
        kk = (fbits[0] << _U2) | np.uint64(group[i] * 2 + event[i])
        k[lo] = kk
        k[hi - 1] = kk  # lo <= hi - 1: both slots are free (the same one for the last row)
        c = np.int64(x < pivot)
        lo += c
        hi -= 1 - c
        n1 += group[i]
    return k, lo, n1, total


@njit(**_OPTS, inline="always")
def _next_time(buf, fv, tb, unscale, thr, nuniq, prev_t, below, above):
    """The time of key bits ``tb`` (>> 2), whether it joins the previous time's timefix chain
    (a gap <= ``thr``), and the largest joined / smallest unjoined gap so far."""
    buf[0] = tb
    t = fv[0] * unscale
    gap = t - prev_t
    chain = nuniq > 0 and gap <= thr
    if chain:
        below = max(below, gap)
    elif nuniq > 0:
        above = min(above, gap)
    return t, chain, below, above


@njit(**_OPTS)
def _split(keys, unscale, thr, n1):
    """Per group, the rows in time order as keys of (timefixed time, status).

    Group 0's keys are written over ``keys`` (row i is read before position <= i is
    written), group 1's to a new array. Branch-free: each row is written to both and only
    its group's position moves (the groups interleave at random in time order, so a branch
    would mispredict). Also returns the unique times' count and sum, the largest gap <=
    ``thr`` and the smallest gap above it.
    """
    n = len(keys)
    n0 = n - n1
    k1 = np.empty(n1 + 1, np.uint64)
    buf = np.empty(1, np.uint64)
    fv = buf.view(np.float64)
    fb = np.empty(1, np.float64)
    fbits = fb.view(np.uint64)
    p0, p1 = 0, 0
    nuniq, total, below, above = 0, 0.0, -np.inf, np.inf
    prev_tb, prev_t, fixed = _NONE, 0.0, np.uint64(0)
    for i in range(n):
        kk = keys[i]
        tb = kk >> _U2
        if tb != prev_tb:
            t, chain, below, above = _next_time(buf, fv, tb, unscale, thr, nuniq, prev_t, below, above)
            if not chain:  # else a near-tie: same chain, same (first) time
                fb[0] = t
                fixed = fbits[0] << _U1  # t >= 0: the sign bit is free
            nuniq += 1
            total += t
            prev_tb, prev_t = tb, t
        g = np.int64((kk >> _U1) & _U1)
        v = fixed | (kk & _U1)
        keys[p0] = v  # p0 <= i: this row and those before it are read
        k1[p1] = v
        p0 += 1 - g
        p1 += g
    return keys[:n0], k1[:n1], nuniq, total, below, above


def _settled(thr: float, nuniq: int, total: float, below: float, above: float):
    """None if ``thr`` merged exactly the gaps R's tolerance merges, else R's tolerance."""
    if thr == -np.inf or nuniq < 2:
        return None
    exact = TIMEFIX_TOL * max(1.0, total / nuniq)  # R: dy <= tol or dy / mean|y| <= tol (times >= 0)
    return None if below <= exact < above else exact


@njit(**_OPTS)
def _km_group(k, ut, nr, ne, nc, surv, se, off):
    """One group's curve from its (time, status) keys in time order, written from row ``off``.

    The operations of :func:`._km_kernels.km_curves`: per run n = rows from it on, d = events,
    S = cumprod((n - d) / n), Greenwood variance cumsum(d / ((n - d) n)) (Inf once everyone
    at risk dies, as R); ``se`` holds the variance, the caller takes the square root.
    One loop: the pass is bound by writing six outputs, not by the arithmetic.
    """
    n = len(k)
    buf = np.empty(1, np.uint64)
    fv = buf.view(np.float64)
    p = off
    s, v = 1.0, 0.0
    i = 0
    while i < n:
        tb = k[i] >> _U1
        e = np.int64(k[i] & _U1)
        j = i + 1
        while j < n and (k[j] >> _U1) == tb:
            e += np.int64(k[j] & _U1)
            j += 1
        buf[0] = tb
        nf = np.float64(n - i)
        ef = np.float64(e)
        df = nf - ef
        s = s * (df / nf)  # numpy's cumprod order
        v = v + ef / (df * nf)
        ut[p] = fv[0]
        nr[p] = n - i
        ne[p] = e
        nc[p] = j - i - e
        surv[p] = s
        se[p] = v
        p += 1
        i = j
    return p


def jit_keys(time: np.ndarray, event: np.ndarray, group: np.ndarray, timefix: bool = True, bounds=None):
    """Sort packed (time, group 0/1, status) keys; None when the times cannot be packed.

    ``bounds``: (min, max) of ``time`` when the caller has them.
    """
    m = pack_exponent(time, bounds)
    if m is None:
        return None
    # Keys are value-sorted: numpy 2's SIMD sort, in place. From PARALLEL_SORT_ROWS on two
    # cores, the pack splits them at a sampled median time and the two parts sort on the two
    # cores; the parts follow each other in time, so the whole is sorted with no merge. (Sorting
    # two halves by row and merging in the passes was tried: the merge's load-compare-advance
    # chain cost what the parallel sort saved.)
    pool = second_core() if len(time) >= PARALLEL_SORT_ROWS else None
    pivot = float(np.median(time[:: max(1, len(time) // 1024)])) if pool is not None else np.inf
    keys, n_lo, n1, total = _pack(time, math.ldexp(1.0, -m), event, group, pivot)
    if pool is not None and 0 < n_lo < len(keys):
        first = pool.submit(keys[:n_lo].sort)
        keys[n_lo:].sort()
        first.result()
    else:
        keys.sort()
    n = len(keys)
    thr = TIMEFIX_TOL * max(1.0, total / n) if timefix else -np.inf
    return JitKeys(keys, math.ldexp(1.0, m), thr, np.array([n - n1, n1], dtype=np.int64))


def km_two(jk: JitKeys, remake):
    """Kaplan-Meier arrays for groups 0 and 1 (the ``km_arrays`` layout) from :func:`jit_keys`.

    The keys are overwritten (one array less to allocate and fault in); ``remake()`` gives
    them again for the rare second pass with R's timefix tolerance. With two cores, group
    0's pass runs on a worker thread while this thread does group 1's (the kernels release
    the GIL; they write disjoint rows of the same arrays).
    """
    n1 = int(jk.rows[1])
    k0, k1, *gaps = _split(jk.keys, jk.unscale, jk.thr, n1)
    exact = _settled(jk.thr, *gaps)
    if exact is not None:
        jk = remake()
        k0, k1, *_ = _split(jk.keys, jk.unscale, exact, n1)
    n = len(jk.keys)  # rows bound the runs; untouched pages of np.empty cost nothing
    out = (np.empty(n), np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
           np.empty(n), np.empty(n))
    ut, nr, ne, nc, surv, se = out
    pool = second_core() if n1 else None
    if pool is None:
        r0 = _km_group(k0, *out, 0)
        m = _km_group(k1, *out, r0)
        np.sqrt(se[:m], out=se[:m])
    else:
        first = pool.submit(_km_group, k0, *out, 0)
        r0 = _count_runs(k0)  # where group 1's rows start, before group 0's pass has ended
        m = _km_group(k1, *out, r0)
        np.sqrt(se[r0:m], out=se[r0:m])
        if first.result() != r0:  # pragma: no cover - the count and the pass disagree
            raise AssertionError("Kaplan-Meier: run count mismatch")
        np.sqrt(se[:r0], out=se[:r0])
    ngroup = 2 if n1 else 1
    ug = np.zeros(m, dtype=np.int8)  # stratum index: a byte holds it (1 MB, not 8, per 10^6 rows)
    ug[r0:] = 1
    return ug, ut[:m], nr[:m], ne[:m], nc[:m], surv[:m], se[:m], jk.rows[:ngroup].copy()


@njit(**_OPTS)
def _count_runs(k):
    """Number of distinct times in keys of (time, status) sorted by time."""
    if len(k) == 0:
        return 0
    r = 1
    for i in range(1, len(k)):
        r += np.int64((k[i] >> _U1) != (k[i - 1] >> _U1))
    return r


@njit(**_OPTS)
def _logrank_pass(keys, unscale, thr, n1, rho):
    """Two-group G-rho sums in time order (R's survdiff2): observed, expected, variance,
    and the gap statistics of :func:`_split`."""
    n = len(keys)
    buf = np.empty(1, np.uint64)
    fv = buf.view(np.float64)
    obs = np.zeros(2)
    exp = np.zeros(2)
    var = 0.0
    surv = 1.0
    before, before1 = 0, 0
    c, c1, d, d1 = 0, 0, 0, 0  # the current (timefixed) time's rows and deaths, all and group 1
    nuniq, total, below, above = 0, 0.0, -np.inf, np.inf
    prev_tb, prev_t = _NONE, 0.0
    for i in range(n + 1):
        new_time = i == n
        if not new_time:
            kk = keys[i]
            tb = kk >> _U2
            if tb != prev_tb:
                t, chain, below, above = _next_time(buf, fv, tb, unscale, thr, nuniq, prev_t, below, above)
                new_time = nuniq > 0 and not chain
                nuniq += 1
                total += t
                prev_tb, prev_t = tb, t
        if new_time:
            if d > 0:
                nr = np.float64(n - before)
                r1 = np.float64(n1 - before1)
                dd = np.float64(d)
                w = 1.0 if rho == 0 else surv ** rho
                wdn = dd / nr if rho == 0 else w * dd / nr
                obs[1] += w * d1
                obs[0] += w * (d - d1)
                exp[0] += (nr - r1) * wdn
                exp[1] += r1 * wdn
                if nr > 1:
                    cc = dd * (nr - dd)
                    if rho != 0:
                        cc *= w * w
                    cc /= nr * (nr - 1.0)
                    var += cc * (nr - r1) * r1 / nr
                surv *= 1.0 - dd / nr
            before += c
            before1 += c1
            c, c1, d, d1 = 0, 0, 0, 0
        if i < n:
            g = np.int64((kk >> _U1) & _U1)
            e = np.int64(kk & _U1)
            c += 1
            c1 += g
            d += e
            d1 += e * g
    return obs, exp, var, nuniq, total, below, above


def logrank_two(jk: JitKeys, rho: float = 0.0):
    """Observed, expected (group x 1) and the 2 x 2 variance from :func:`jit_keys`."""
    n1 = int(jk.rows[1])
    obs, exp, v, *gaps = _logrank_pass(jk.keys, jk.unscale, jk.thr, n1, float(rho))
    exact = _settled(jk.thr, *gaps)
    if exact is not None:
        obs, exp, v, *_ = _logrank_pass(jk.keys, jk.unscale, exact, n1, float(rho))
    return obs[:, None], exp[:, None], np.array([[v, -v], [-v, v]])
