"""The two-sample rank-sum p-value (exact or normal), shared by the raw-data and value-count paths.

The rank-sum and Kruskal-Wallis statistics can be computed from a table of value counts
(:func:`rank_sums_from_counts`): average ranks come from cumulative counts and the tie
term from ``sum(t^3 - t)``, which is what makes a Table 1 of a million patients fast.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.rank_dist import pwilcox
from nlrstats.stats.htest.result import HTest, as_probability, check_alternative

__all__ = ["normal_p", "continuity", "rank_sum_p", "rank_sums_from_counts", "wilcox_from_counts",
           "exact_wilcox_used"]


def exact_wilcox_used(nx: int, ny: int | None = None, ties: bool = False, zeroes: bool = False,
                      exact: bool | None = None) -> bool:
    """Whether R's ``wilcox.test`` uses the exact distribution.

    R's rule: ``exact = NULL`` means exact when every sample has fewer than 50 values; the
    exact distribution is then used only without ties (and, for the signed-rank test,
    without zero differences). ``ny=None`` is the signed-rank test of ``nx`` differences
    (zeros already dropped).
    """
    if exact is None:
        exact = nx < 50 if ny is None else (nx < 50 and ny < 50)
    return bool(exact and not ties and not zeroes)


def normal_p(z: float, alternative: str) -> float | None:
    if math.isnan(z):
        return None
    if alternative == "less":
        return float(stats.norm.cdf(z))
    if alternative == "greater":
        return float(stats.norm.sf(z))
    return float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))


def continuity(z: float, alternative: str, correct: bool) -> float:
    """R's continuity correction of the normal approximation (sign(z) * 0.5 for two-sided)."""
    if not correct:
        return 0.0
    if alternative == "two.sided":
        return float(np.sign(z)) * 0.5
    return 0.5 if alternative == "greater" else -0.5


def rank_sum_p(W, nx, ny, tie, ties, alternative, exact, correct, stacklevel: int = 4):
    """``(W, p, method)`` of the rank-sum test: exact (R's ``pwilcox``) or normal with ties corrected."""
    method = "Wilcoxon rank sum test"
    if exact is None:
        exact = nx < 50 and ny < 50
    if exact and not ties:
        method = method.replace("test", "exact test")
        if alternative == "two.sided":
            p = (pwilcox(W - 1, nx, ny, lower_tail=False) if W > nx * ny / 2 else pwilcox(W, nx, ny))
            pval = min(2 * p, 1.0)
        elif alternative == "greater":
            pval = pwilcox(W - 1, nx, ny, lower_tail=False)
        else:
            pval = pwilcox(W, nx, ny)
        pval = as_probability(pval)
    else:
        z = W - nx * ny / 2
        sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - tie / ((nx + ny) * (nx + ny - 1))))
        corr = continuity(z, alternative, correct)
        if correct:
            method += " with continuity correction"
        pval = normal_p((z - corr) / sigma if sigma > 0 else math.nan, alternative)
        if exact and ties:
            warnings.warn("cannot compute exact p-value with ties", stacklevel=stacklevel)
    return W, pval, method


def rank_sums_from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Rank sums per group from a (distinct sorted values x groups) count matrix.

    Average ranks come from cumulative counts: a value held by ``t`` observations after
    ``c`` smaller ones has rank ``c + (t + 1) / 2``. Returns rank sums per group, group
    sizes, the total n and the tie term ``sum(t^3 - t)``.
    """
    counts = np.asarray(counts, dtype=float)
    t = counts.sum(axis=1)
    before = np.concatenate([[0.0], np.cumsum(t)[:-1]])
    avg_rank = before + (t + 1) / 2
    rsum = avg_rank @ counts
    return rsum, counts.sum(axis=0), float(t.sum()), float(np.sum(t**3 - t))


def wilcox_from_counts(counts: np.ndarray, alternative: str = "two.sided", exact: bool | None = None,
                       correct: bool = True) -> HTest:
    """Two-sample Wilcoxon rank-sum test from a (values x 2 groups) count matrix (R's numbers)."""
    alternative = check_alternative(alternative)
    rsum, ng, n, tie = rank_sums_from_counts(counts)
    nx, ny = float(ng[0]), float(ng[1])
    if nx < 1 or ny < 1:
        raise ValueError("both groups need at least one non-missing value")
    W, pval, method = rank_sum_p(float(rsum[0]) - nx * (nx + 1) / 2, nx, ny, tie, tie > 0, alternative,
                                 exact, correct)
    return HTest(
        statistic=W, parameter=None, p_value=pval, estimate=None, conf_low=None, conf_high=None,
        method=method, alternative=alternative, statistic_name="W", null_value=0.0,
        null_name="location shift", data_name="x and y",
    )
