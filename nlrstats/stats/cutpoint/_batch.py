"""Row-wise (one row = one bootstrap resample) kernels: tie groups, log-rank scan, binary Cox.

Everything works on ``(B, n)`` arrays at once so the bootstrap loop is a handful of
numpy calls per chunk of resamples rather than Python per resample.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["tie_bounds", "by_time", "resample_by_time", "scan_bounds", "scan_batch", "scan_sorted", "cox_binary_batch",
           "cox_sorted", "cox_binary"]


def tie_bounds(vs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last index of each element's tie group in row-sorted ``vs`` (B, n)."""
    b, n = vs.shape
    ar = np.broadcast_to(np.arange(n), (b, n))
    first = np.ones((b, n), dtype=bool)
    first[:, 1:] = vs[:, 1:] != vs[:, :-1]
    last = np.ones((b, n), dtype=bool)
    last[:, :-1] = first[:, 1:]
    start = np.maximum.accumulate(np.where(first, ar, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, ar, n)[:, ::-1], axis=1)[:, ::-1]
    return start, end


def by_time(t: np.ndarray, e: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``t``, ``e`` and ``x`` (B, n) with each row sorted by time (float arrays)."""
    ot = np.argsort(t, axis=1)
    return tuple(np.take_along_axis(a, ot, axis=1).astype(float, copy=False) for a in (t, e, x))


def resample_by_time(rank: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Positions in the time-sorted data of each resample's rows, each row ascending (B, n).

    ``rank[i]`` is row i's position in the data sorted by time; a resample's positions in
    ascending order are its rows sorted by time, found by counting (O(n) per resample, no
    sort). Tied times keep the data's order; every statistic here is symmetric within ties.
    """
    b, n = idx.shape
    counts = np.bincount((rank[idx] + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n)
    return np.repeat(np.tile(np.arange(n), b), counts).reshape(b, n)


def scan_bounds(n: int, minprop: float, maxprop: float) -> tuple[int, int]:
    """The smallest and largest size of the lower group R's maxstat admits (``minprop``, ``maxprop``)."""
    return max(1, math.floor(n * minprop)), math.floor(n * maxprop)


def scan_batch(x: np.ndarray, t: np.ndarray, e: np.ndarray, minprop: float, maxprop: float):
    """Maxstat log-rank scan for every row: ``(cut, statistic, ok)`` per row.

    Same scores (``exactRankTests`` log-rank), admissible cuts and first-maximum rule as
    :func:`nlrstats.stats.cutpoint.maxstat`; ``ok`` is False where a row has no admissible cut
    or no events (its cut and statistic are NaN).
    """
    ts, es, xt = by_time(t, e, x)
    return scan_sorted(ts, es, xt, minprop, maxprop)


def scan_sorted(ts: np.ndarray, es: np.ndarray, xt: np.ndarray, minprop: float, maxprop: float):
    """:func:`scan_batch` of rows already sorted by time (``xt``: the marker in that order)."""
    b, n = ts.shape
    _, end = tie_bounds(ts)
    fact = es / (n - end)                       # n - r + 1 with r = end + 1 the max rank
    cs = np.cumsum(fact, axis=1)
    scores = es - np.take_along_axis(cs, end, axis=1)

    xo = np.argsort(xt, axis=1)
    xs = np.take_along_axis(xt, xo, axis=1)
    ys = np.take_along_axis(scores, xo, axis=1)
    k = np.arange(1, n)                          # m = k patients at or below xs[k - 1]
    boundary = xs[:, 1:] != xs[:, :-1]
    if minprop == 0 and maxprop == 1:
        # R drops the first and the last candidate in this case
        cand = boundary.copy()
        last_idx = n - 2 - np.argmax(boundary[:, ::-1], axis=1)
        cand[np.arange(b), last_idx] = False
    else:
        lo, hi = scan_bounds(n, minprop, maxprop)
        cand = boundary & (k >= lo) & (k <= hi)
    ss = ys.sum(axis=1, keepdims=True)
    var = k * (n - k) / (n * n * (n - 1.0)) * (n * np.sum(ys * ys, axis=1, keepdims=True) - ss * ss)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.abs(np.cumsum(ys, axis=1)[:, :-1] - k / n * ss) / np.sqrt(var)
    stat = np.where(cand & (var > 0), stat, -np.inf)
    top = stat.max(axis=1)
    ok = np.isfinite(top)
    first = np.argmax(stat >= (top * (1 - 1e-12))[:, None], axis=1)
    cut = np.where(ok, xs[np.arange(b), first], np.nan)
    return cut, np.where(ok, top, np.nan), ok


def _efron_rows(t: np.ndarray, e: np.ndarray, g: np.ndarray):
    """Per event: Efron's risk-set terms a0 + a1 * exp(beta) for a binary covariate.

    Rows are sorted by time; for an event in a tie group with d0 + d1 deaths and n0, n1 at
    risk, the k-th (0-based) tied death has denominator ``(n0 - k/d d0) + (n1 - k/d d1) e^b``.
    """
    start, end = tie_bounds(t)
    rows = np.arange(t.shape[0])[:, None]
    at1 = np.cumsum(g[:, ::-1], axis=1)[:, ::-1]                # group-1 count with time >= this
    at_all = t.shape[1] - np.arange(t.shape[1])
    n1 = at1[rows, start]
    n0 = at_all[start] - n1
    ce, ce1 = np.cumsum(e, axis=1), np.cumsum(e * g, axis=1)
    pad = lambda c, i: np.where(i > 0, c[rows, np.maximum(i - 1, 0)], 0.0)  # noqa: E731
    d = ce[rows, end] - pad(ce, start)
    d1 = ce1[rows, end] - pad(ce1, start)
    kth = ce - pad(ce, start) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(e > 0, kth / d, 0.0)
    a1 = n1 - f * d1
    a0 = n0 - f * (d - d1)
    return a0, a1


def cox_binary_batch(t: np.ndarray, e: np.ndarray, g: np.ndarray, eps: float = 1e-9,
                     iter_max: int = 30) -> np.ndarray:
    """Cox log hazard ratio of ``g`` (0/1) per row, Efron ties, Newton-Raphson as R's ``coxph``.

    Rows need not be sorted. Monotone likelihoods (all deaths in one group of every
    informative risk set) give ``+inf`` / ``-inf``, as the limit R's estimate runs towards.
    """
    t, e, g = by_time(t, e, g)
    return cox_sorted(t, e, g, eps, iter_max)


def cox_sorted(t: np.ndarray, e: np.ndarray, g: np.ndarray, eps: float = 1e-9, iter_max: int = 30) -> np.ndarray:
    """:func:`cox_binary_batch` of float rows already sorted by time."""
    a0, a1 = _efron_rows(t, e, g)
    w = e
    d1 = np.sum(e * g, axis=1)
    upper = np.sum(w * (a1 > 0), axis=1)                  # U(+inf) = d1 - upper
    lower = np.sum(w * ((a0 <= 0) & (a1 > 0)), axis=1)   # U(-inf) = d1 - lower
    plus_inf = d1 >= upper
    minus_inf = d1 <= lower
    a0 = np.maximum(a0, 0.0)
    beta = np.zeros(t.shape[0])
    active = ~(plus_inf | minus_inf)

    def loglik(bv):
        eb = np.exp(bv)[:, None]
        with np.errstate(divide="ignore"):
            return bv * d1 - np.sum(np.where(w > 0, np.log(a0 + a1 * eb), 0.0), axis=1)

    ll = loglik(beta)
    for _ in range(iter_max):
        if not active.any():
            break
        eb = np.exp(beta)[:, None]
        den = a0 + a1 * eb
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(w > 0, a1 * eb / den, 0.0)
            info = np.sum(np.where(w > 0, a0 * a1 * eb / den ** 2, 0.0), axis=1)
        u = d1 - p.sum(axis=1)
        step = np.where(active & (info > 0), u / np.where(info > 0, info, 1.0), 0.0)
        new = beta + step
        ll_new = loglik(new)
        worse = active & (ll_new < ll)
        while worse.any():                                 # step halving, as coxph
            new = np.where(worse, (beta + new) / 2, new)
            ll_new = np.where(worse, loglik(new), ll_new)
            worse = worse & (ll_new < ll) & (np.abs(new - beta) > 1e-12)
        done = active & (np.abs(1 - ll / np.where(ll_new != 0, ll_new, 1.0)) <= eps) & (np.abs(step) < 1e-6)
        beta = np.where(active, new, beta)
        ll = np.where(active, ll_new, ll)
        active = active & ~done
    beta = np.where(plus_inf, np.inf, np.where(minus_inf, -np.inf, beta))
    return beta


def cox_binary(time, event, group) -> float:
    """Cox log hazard ratio of one binary covariate (Efron ties) for one data set."""
    t = np.asarray(time, dtype=float)[None, :]
    return float(cox_binary_batch(t, np.asarray(event, dtype=float)[None, :],
                                  np.asarray(group, dtype=float)[None, :])[0])
