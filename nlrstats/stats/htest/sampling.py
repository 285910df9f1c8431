"""R's ``sample.int(k, size, replace = TRUE, prob = p)`` for few categories (``ProbSampleReplace``).

R normalises ``p`` (``FixupProb``: each ``p / sum(p)``, the sum accumulated left to
right), sorts it into descending order with its ``revsort`` heapsort (carrying the
category labels; the order of tied probabilities is the heapsort's), forms cumulative
sums, and returns for each ``unif_rand()`` the first category whose cumulative
probability reaches it. With more than 200 categories of non-negligible probability R
switches to Walker's alias method, which is not reproduced here.
"""

from __future__ import annotations

import numpy as np

from nlrstats.stats.rng import RRNG

__all__ = ["prob_sample_replace", "revsort"]


def revsort(a: np.ndarray, ib: np.ndarray) -> None:
    """Sort ``a`` into descending order in place, carrying ``ib`` along: R's ``revsort`` heapsort."""
    n = a.size
    if n <= 1:
        return
    a1 = [0.0] + [float(v) for v in a]   # 1-based as R's code
    i1 = [0] + [int(v) for v in ib]
    l = (n >> 1) + 1
    ir = n
    while True:
        if l > 1:
            l -= 1
            ra, ii = a1[l], i1[l]
        else:
            ra, ii = a1[ir], i1[ir]
            a1[ir], i1[ir] = a1[1], i1[1]
            ir -= 1
            if ir == 1:
                a1[1], i1[1] = ra, ii
                break
        i = l
        j = l << 1
        while j <= ir:
            if j < ir and a1[j] > a1[j + 1]:
                j += 1
            if ra > a1[j]:
                a1[i], i1[i] = a1[j], i1[j]
                i = j
                j += j
            else:
                j = ir + 1
        a1[i], i1[i] = ra, ii
    a[:] = a1[1:]
    ib[:] = i1[1:]


def prob_sample_replace(p, size: int, rng: RRNG) -> np.ndarray:
    """``size`` draws of R's ``sample.int(length(p), size, TRUE, prob = p)`` (1-based labels)."""
    p = np.asarray(p, dtype=float).ravel()
    n = p.size
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("NA or negative probability in 'prob'")
    total = 0.0
    for v in p:  # FixupProb: a double sum, left to right
        total += float(v)
    if total == 0:
        raise ValueError("too few positive probabilities")
    q = p / total
    if int(np.sum(n * q > 0.1)) > 200:
        raise ValueError("more than 200 categories with non-negligible probability: R draws these with "
                         "Walker's alias method, which nlrstats does not reproduce; use the asymptotic test")
    perm = np.arange(1, n + 1)
    revsort(q, perm)
    cum = np.cumsum(q)  # p[i] += p[i - 1], left to right
    u = rng.unif_rand(int(size))
    j = np.searchsorted(cum[:-1], u, side="left")  # first j < n - 1 with u <= cum[j], else n - 1
    return perm[j]
