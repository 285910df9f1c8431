"""Exact null distributions of the Wilcoxon statistics, as R's ``cwilcox`` / ``csignrank``.

Counts of rank subsets by their sum (dynamic programming over the ranks), so
``pwilcox``, ``psignrank``, ``qwilcox`` and ``qsignrank`` give R's values, including R's
``1e-7`` fuzz on the quantile argument of the distribution functions and the
``10 * DBL_EPSILON`` fuzz of the quantile functions.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["pwilcox", "psignrank", "qwilcox", "qsignrank"]

_DBL_EPS = 2.220446049250313e-16


@lru_cache(maxsize=64)
def _wilcox_counts(m: int, n: int) -> np.ndarray:
    """Number of arrangements giving each value 0..m*n of the Mann-Whitney statistic."""
    N = m + n
    top = m * N
    dp = np.zeros((m + 1, top + 1))
    dp[0, 0] = 1.0
    for e in range(1, N + 1):
        for size in range(min(e, m), 0, -1):
            dp[size, e:] += dp[size - 1, : top + 1 - e]
    base = m * (m + 1) // 2
    return dp[m, base : base + m * n + 1].copy()


@lru_cache(maxsize=64)
def _signrank_counts(n: int) -> np.ndarray:
    top = n * (n + 1) // 2
    dp = np.zeros(top + 1)
    dp[0] = 1.0
    for e in range(1, n + 1):
        dp[e:] = dp[e:] + dp[: top + 1 - e]
    return dp


def _p_from_counts(counts: np.ndarray, q: float, lower_tail: bool) -> float:
    q = math.floor(q + 1e-7)
    total = counts.sum()
    if q < 0:
        return 0.0 if lower_tail else 1.0
    if q >= len(counts) - 1:
        return 1.0 if lower_tail else 0.0
    if lower_tail:
        return float(counts[: q + 1].sum() / total)
    return float(counts[q + 1 :].sum() / total)


def pwilcox(q: float, m: int, n: int, lower_tail: bool = True) -> float:
    """Distribution function of the Wilcoxon rank-sum statistic (R's ``pwilcox``)."""
    # the distribution of W is the same for (m, n) and (n, m): count with the smaller first
    return _p_from_counts(_wilcox_counts(*sorted((int(m), int(n)))), q, lower_tail)


def psignrank(q: float, n: int, lower_tail: bool = True) -> float:
    """Distribution function of the Wilcoxon signed-rank statistic (R's ``psignrank``)."""
    return _p_from_counts(_signrank_counts(int(n)), q, lower_tail)


def _quantile_from_counts(counts: np.ndarray, x: float) -> int:
    # R's qwilcox / qsignrank: walk the cumulative distribution with a 10*eps fuzz.
    f = counts / counts.sum()
    top = len(counts) - 1
    p = 0.0
    q = 0
    if x <= 0.5:
        x = x - 10 * _DBL_EPS
        while True:
            p += f[q]
            if p >= x:
                return q
            q += 1
    x = 1 - x + 10 * _DBL_EPS
    while True:
        p += f[q]
        if p > x:
            return top - q
        q += 1


def qwilcox(p: float, m: int, n: int) -> int:
    return _quantile_from_counts(_wilcox_counts(*sorted((int(m), int(n)))), p)


def qsignrank(p: float, n: int) -> int:
    return _quantile_from_counts(_signrank_counts(int(n)), p)


