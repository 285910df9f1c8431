"""The scan of a maximally selected statistic over the cuts of a marker (``maxstat:::cmaxstat``),
and the two-group log-rank test at the chosen cut."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["logrank_two_groups", "candidate_m", "scan_cuts", "first_max"]


def logrank_two_groups(time: np.ndarray, event: np.ndarray, high: np.ndarray,
                       order: np.ndarray | None = None) -> tuple[float, float]:
    """Two-group log-rank chi-square and p (Mantel-Haenszel variance), as R's ``survdiff``.

    Exact times are compared as given (R's ``survdiff`` first merges times equal to ~1e-8
    relative, ``timefix``; the two agree unless times differ only by rounding noise).
    """
    n = time.size
    ot = np.argsort(time) if order is None else order
    ts, es, gs = time[ot], event[ot], high[ot].astype(float)
    last = np.flatnonzero(np.r_[ts[1:] != ts[:-1], True])
    first = np.r_[0, last[:-1] + 1]
    ce, ce1 = np.cumsum(es), np.cumsum(es * gs)
    d = ce[last] - np.r_[0.0, ce[last[:-1]]]
    d1 = ce1[last] - np.r_[0.0, ce1[last[:-1]]]
    at = (n - first).astype(float)
    at1 = np.cumsum(gs[::-1])[::-1][first]
    keep = d > 0
    d, d1, at, at1 = d[keep], d1[keep], at[keep], at1[keep]
    e1 = d * at1 / at
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(at > 1, d * (at1 / at) * (1 - at1 / at) * (at - d) / (at - 1), 0.0)
    var = v.sum()
    if var <= 0:
        return 0.0, 1.0
    chisq = float((d1.sum() - e1.sum()) ** 2 / var)
    return chisq, float(special.chdtrc(1, chisq))


def candidate_m(xs: np.ndarray, n: int, minprop: float, maxprop: float) -> np.ndarray:
    """Group sizes of the admissible cuts, exactly as ``maxstat:::cmaxstat``.

    A cut sits at each distinct value but the largest; ``m`` = patients at or below it.
    """
    first = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])  # first index of each distinct value
    m = first.astype(np.int64)                               # = count strictly below that value
    if minprop == 0 and maxprop == 1:
        # R: m[2:(length(m) - 1)], which also drops the last admissible cut
        if m.size < 3:
            raise ValueError("maxstat: fewer than 3 distinct marker values with minprop=0, maxprop=1")
        return m[1:-1]
    lo, hi = math.floor(n * minprop), math.floor(n * maxprop)
    if np.all(m < lo):
        raise ValueError("maxstat: minprop too large (no cut leaves that share in the low group)")
    if np.all(m > hi):
        raise ValueError("maxstat: maxprop too small")
    m = m[(m >= max(1, lo)) & (m <= hi)]
    if m.size < 1:
        raise ValueError("maxstat: no data between minprop and maxprop (too few distinct marker values)")
    return m


def scan_cuts(marker: np.ndarray, scores: np.ndarray, minprop: float = 0.1, maxprop: float = 0.9):
    """One sort and cumulative sums: standardised linear rank statistic at every admissible cut.

    Returns ``(cuts, stats, m, expect, sd, x_sorted, scores_sorted)``; the statistic is
    ``|S_m - E_m| / sqrt(V_m)`` with the permutation mean and variance (``cmaxstat``).
    """
    n = marker.size
    # R's arithmetic to the bit: stable order(x), sums and cumulative sums in long double
    # (R's rsum / cumsum accumulate in LDOUBLE), then E and V in R's order of operations.
    o = np.argsort(marker, kind="stable")
    xs, ys = marker[o], scores[o]
    m = candidate_m(xs, n, minprop, maxprop)
    yl = ys.astype(np.longdouble)
    ss = float(np.cumsum(yl)[-1])
    s2 = float(np.cumsum(yl * yl)[-1])
    e = m / n * ss
    v = m * (n - m) / (n ** 2 * (n - 1.0)) * (n * s2 - ss ** 2)
    if not np.all(v > 0):
        raise ValueError("maxstat: the scores have no variance (no events, or a constant response?)")
    sd = np.sqrt(v)
    stats = np.abs((np.cumsum(yl)[m - 1].astype(float) - e) / sd)
    return xs[m - 1], stats, m, e, sd, xs, ys


def first_max(stats: np.ndarray) -> int:
    """R's ``min(which(Test == STATISTIC))``: the first cut reaching the maximum (exact equality,
    as the statistics are R's to the bit)."""
    return int(np.flatnonzero(stats == stats.max())[0])
