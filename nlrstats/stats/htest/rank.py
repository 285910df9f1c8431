"""Wilcoxon rank-sum / signed-rank tests with R's numbers (``wilcox.test``).

Exact null distributions (counts of rank subsets, as R's ``cwilcox`` / ``csignrank``) are
used without ties or zeros when each sample is smaller than 50; otherwise the normal
approximation with tie-corrected variance and R's continuity correction. The rank-sum and
Kruskal-Wallis statistics can also be computed from a table of value counts
(:func:`rank_sums_from_counts`): average ranks come from cumulative counts and the tie
term from ``sum(t^3 - t)``, which is what makes a Table 1 of a million patients fast.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

from nlrstats.stats.htest.result import HTest, check_alternative, check_conf_level, uniroot
from nlrstats.stats.htest.rank_dist import psignrank, pwilcox, qsignrank, qwilcox
from nlrstats.stats.htest.rmath import qnorm

__all__ = ["wilcox_test", "rank_sums_from_counts", "wilcox_from_counts"]



# ----------------------------------------------------------------------------- helpers
def _as_float_array(v, name: str) -> np.ndarray:
    if v is None:
        raise ValueError(f"'{name}' is missing")
    if hasattr(v, "to_numpy"):
        v = v.to_numpy()
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"'{name}' must be numeric") from None
    if arr.ndim != 1:
        raise ValueError(f"'{name}' must be one-dimensional")
    return arr


def _norm_p(z: float, alternative: str) -> float | None:
    if math.isnan(z):
        return None
    if alternative == "less":
        return float(stats.norm.cdf(z))
    if alternative == "greater":
        return float(stats.norm.sf(z))
    return float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))


def _correction(z: float, alternative: str, correct: bool) -> float:
    if not correct:
        return 0.0
    if alternative == "two.sided":
        return float(np.sign(z)) * 0.5
    return 0.5 if alternative == "greater" else -0.5


def _tie_term(values: np.ndarray) -> float:
    _, t = np.unique(values, return_counts=True)
    t = t.astype(float)
    return float(np.sum(t**3 - t))


# ----------------------------------------------------------------------------- Wilcoxon
def wilcox_test(
    x,
    y=None,
    alternative: str = "two.sided",
    mu: float = 0.0,
    paired: bool = False,
    exact: bool | None = None,
    correct: bool = True,
    conf_int: bool = False,
    conf_level: float = 0.95,
    tol_root: float = 1e-4,
) -> HTest:
    """Wilcoxon rank-sum (Mann-Whitney) or signed-rank test, as R's ``wilcox.test``.

    Parameters
    ----------
    x, y : numeric sequences (NaN / None are dropped as R drops NA)
        ``y=None`` gives the one-sample signed-rank test of ``x - mu``; ``paired=True``
        the signed-rank test of ``x - y`` over complete pairs.
    alternative : {"two.sided", "less", "greater"}
    mu : float
        Location shift under the null.
    exact : bool or None
        ``None``: exact when every sample has fewer than 50 values (R's rule). The exact
        distribution is used only without ties (and, signed-rank, without zeros, which
        are dropped); otherwise the normal approximation, with a warning when ``exact``
        was asked for, as in R.
    correct : bool
        Continuity correction of the normal approximation.
    conf_int, conf_level, tol_root
        Hodges-Lehmann estimate and interval (exact: order statistics of the Walsh
        averages / pairwise differences; approximate: root of the standardised
        statistic, found with R's ``uniroot`` at ``tol_root``).

    Returns
    -------
    HTest
        ``statistic`` is R's V (signed-rank) or W (rank-sum).
    """
    alternative = check_alternative(alternative)
    if conf_int:
        conf_level = check_conf_level(conf_level)
    if not math.isfinite(mu):
        raise ValueError("'mu' must be a single number")
    x = _as_float_array(x, "x")
    if y is not None:
        y = _as_float_array(y, "y")
        if paired:
            if len(x) != len(y):
                raise ValueError(f"'x' and 'y' must have the same length for a paired test ({len(x)} vs {len(y)})")
            ok = ~np.isnan(x) & ~np.isnan(y)
            x = x[ok] - y[ok]
            y = None
            data_name = "x and y"
        else:
            y = y[~np.isnan(y)]
            data_name = "x and y"
    else:
        if paired:
            raise ValueError("'y' is missing for paired test")
        data_name = "x"
    x = x[~np.isnan(x)]
    if len(x) < 1:
        raise ValueError("not enough (non-missing) 'x' observations")
    if y is None:
        return _signed_rank(x, mu, alternative, exact, correct, conf_int, conf_level, tol_root,
                            paired, data_name)
    if len(y) < 1:
        raise ValueError("not enough 'y' observations")
    return _rank_sum(x, y, mu, alternative, exact, correct, conf_int, conf_level, tol_root, data_name)


def _signed_rank(x, mu, alternative, exact, correct, conf_int, conf_level, tol_root, paired, data_name):
    method = "Wilcoxon signed rank test"
    x = x - mu
    zeroes = bool(np.any(x == 0))
    if zeroes:
        x = x[x != 0]
    n = float(len(x))
    if exact is None:
        exact = n < 50
    r = stats.rankdata(np.abs(x)) if n > 0 else np.array([])
    statistic = float(r[x > 0].sum())
    ties = len(np.unique(r)) != len(r)
    est = cl = ch = None
    level = conf_level if conf_int else None
    if exact and not ties and not zeroes:
        method = method.replace("test", "exact test")
        if alternative == "two.sided":
            p = (psignrank(statistic - 1, n, lower_tail=False) if statistic > n * (n + 1) / 4
                 else psignrank(statistic, n))
            pval = min(2 * p, 1.0)
        elif alternative == "greater":
            pval = psignrank(statistic - 1, n, lower_tail=False)
        else:
            pval = psignrank(statistic, n)
        if conf_int:
            xx = x + mu
            alpha = 1 - conf_level
            i, j = np.triu_indices(len(xx))
            diffs = np.sort((xx[i] + xx[j])) / 2
            nn = int(n)
            if alternative == "two.sided":
                qu = qsignrank(alpha / 2, nn) or 1
                ql = nn * (nn + 1) // 2 - qu
                achieved = 2 * psignrank(qu - 1, nn)
                cl, ch = diffs[qu - 1], diffs[ql]
            elif alternative == "greater":
                qu = qsignrank(alpha, nn) or 1
                achieved = psignrank(qu - 1, nn)
                cl, ch = diffs[qu - 1], math.inf
            else:
                qu = qsignrank(alpha, nn) or 1
                ql = nn * (nn + 1) // 2 - qu
                achieved = psignrank(qu - 1, nn)
                cl, ch = -math.inf, diffs[ql]
            if achieved - alpha > alpha / 2:
                warnings.warn("requested conf.level not achievable", stacklevel=3)
                level = 1 - float(f"{achieved:.2g}")
            est = float(np.median(diffs))
    else:
        _, nties = np.unique(r, return_counts=True)
        nties = nties.astype(float)
        z = statistic - n * (n + 1) / 4
        sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(nties**3 - nties)) / 48)
        corr = _correction(z, alternative, correct)
        if correct:
            method += " with continuity correction"
        zz = (z - corr) / sigma if sigma > 0 else math.nan
        pval = _norm_p(zz, alternative)
        if conf_int:
            est, cl, ch, level = _signed_rank_ci_approx(x + mu, alternative, correct, conf_level, tol_root)
        if exact and ties:
            warnings.warn("cannot compute exact p-value with ties", stacklevel=3)
        if exact and zeroes:
            warnings.warn("cannot compute exact p-value with zeroes", stacklevel=3)
    return HTest(
        statistic=statistic, parameter=None, p_value=pval, estimate=est, conf_low=cl, conf_high=ch,
        method=method, alternative=alternative, statistic_name="V",
        estimate_name="(pseudo)median", null_value=mu, null_name="location shift" if paired else "location",
        conf_level=level, data_name=data_name,
    )


def _signed_rank_ci_approx(x, alternative, correct, conf_level, tol_root):
    alpha = 1 - conf_level
    n = len(x)
    if n == 0:
        return None, None, None, None
    mumin, mumax = float(x.min()), float(x.max())

    def W(d, corr_on=correct):
        xd = x - d
        xd = xd[xd != 0]
        nx = len(xd)
        dr = stats.rankdata(np.abs(xd)) if nx else np.array([])
        zd = float(dr[xd > 0].sum()) - nx * (nx + 1) / 4
        _, t = np.unique(dr, return_counts=True)
        t = t.astype(float)
        sig = math.sqrt(nx * (nx + 1) * (2 * nx + 1) / 24 - float(np.sum(t**3 - t)) / 48)
        c = _correction(zd, alternative, corr_on)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.divide(zd - c, sig))

    wmin = W(mumin)
    wmax = W(mumax) if math.isfinite(wmin) else math.nan
    if not math.isfinite(wmax):
        est = (mumin + mumax) / 2
        return est, (-math.inf if alternative == "less" else None), (math.inf if alternative == "greater" else None), 0.0

    def root(zq):
        return uniroot(lambda d: W(d) - zq, mumin, mumax, f_lower=wmin - zq, f_upper=wmax - zq, tol=tol_root)

    level = conf_level
    if alternative == "two.sided":
        while True:
            if wmin - qnorm(alpha / 2, lower_tail=False) < 0 or wmax - qnorm(alpha / 2) > 0:
                alpha *= 2
            else:
                break
        if alpha >= 1 or 1 - conf_level < alpha * 0.75:
            level = 1 - min(1, alpha)
            warnings.warn("requested conf.level not achievable", stacklevel=4)
        if alpha < 1:
            cl, ch = root(qnorm(alpha / 2, lower_tail=False)), root(qnorm(alpha / 2))
        else:
            cl = ch = float(np.median(x))
    elif alternative == "greater":
        while wmin - qnorm(alpha, lower_tail=False) < 0:
            alpha *= 2
        if alpha >= 1 or 1 - conf_level < alpha * 0.75:
            level = 1 - min(1, alpha)
            warnings.warn("requested conf.level not achievable", stacklevel=4)
        cl = root(qnorm(alpha, lower_tail=False)) if alpha < 1 else float(np.median(x))
        ch = math.inf
    else:
        while wmax - qnorm(alpha / 2) > 0:
            alpha *= 2
        if alpha >= 1 or 1 - conf_level < alpha * 0.75:
            level = 1 - min(1, alpha)
            warnings.warn("requested conf.level not achievable", stacklevel=4)
        ch = root(qnorm(alpha)) if alpha < 1 else float(np.median(x))
        cl = -math.inf
    # R sets correct <- FALSE before the point estimate.
    est = uniroot(lambda d: W(d, False), mumin, mumax, tol=tol_root)
    return est, cl, ch, level


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
    W, pval, method = _rank_sum_core(float(rsum[0]) - nx * (nx + 1) / 2, nx, ny, tie, tie > 0, alternative,
                                     exact, correct)
    return HTest(
        statistic=W, parameter=None, p_value=pval, estimate=None, conf_low=None, conf_high=None,
        method=method, alternative=alternative, statistic_name="W", null_value=0.0,
        null_name="location shift", data_name="x and y",
    )


def _rank_sum_core(W, nx, ny, tie, ties, alternative, exact, correct):
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
    else:
        z = W - nx * ny / 2
        sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - tie / ((nx + ny) * (nx + ny - 1))))
        corr = _correction(z, alternative, correct)
        if correct:
            method += " with continuity correction"
        pval = _norm_p((z - corr) / sigma if sigma > 0 else math.nan, alternative)
        if exact and ties:
            warnings.warn("cannot compute exact p-value with ties", stacklevel=4)
    return W, pval, method


def _rank_sum(x, y, mu, alternative, exact, correct, conf_int, conf_level, tol_root, data_name):
    allv = np.concatenate([x - mu, y])
    r = stats.rankdata(allv)
    nx, ny = float(len(x)), float(len(y))
    W = float(r[: len(x)].sum()) - nx * (nx + 1) / 2
    ties = len(np.unique(r)) != len(r)
    if exact is None:
        exact = nx < 50 and ny < 50
    W, pval, method = _rank_sum_core(W, nx, ny, _tie_term(allv), ties, alternative, exact, correct)
    est = cl = ch = None
    level = conf_level if conf_int else None
    if conf_int:
        alpha = 1 - conf_level
        if exact and not ties:
            diffs = np.sort(np.subtract.outer(x, y).ravel())
            m_, n_ = int(nx), int(ny)
            if alternative == "two.sided":
                qu = qwilcox(alpha / 2, m_, n_) or 1
                ql = m_ * n_ - qu
                achieved = 2 * pwilcox(qu - 1, m_, n_)
                cl, ch = diffs[qu - 1], diffs[ql]
            elif alternative == "greater":
                qu = qwilcox(alpha, m_, n_) or 1
                achieved = pwilcox(qu - 1, m_, n_)
                cl, ch = diffs[qu - 1], math.inf
            else:
                qu = qwilcox(alpha, m_, n_) or 1
                ql = m_ * n_ - qu
                achieved = pwilcox(qu - 1, m_, n_)
                cl, ch = -math.inf, diffs[ql]
            if achieved - alpha > alpha / 2:
                warnings.warn("Requested conf.level not achievable", stacklevel=3)
                level = 1 - achieved
            est = float(np.median(diffs))
        else:
            est, cl, ch = _rank_sum_ci_approx(x, y, alternative, correct, conf_level, tol_root)
    return HTest(
        statistic=W, parameter=None, p_value=pval, estimate=est, conf_low=cl, conf_high=ch,
        method=method, alternative=alternative, statistic_name="W",
        estimate_name="difference in location", null_value=mu, null_name="location shift",
        conf_level=level, data_name=data_name,
    )


def _rank_sum_ci_approx(x, y, alternative, correct, conf_level, tol_root):
    alpha = 1 - conf_level
    nx, ny = float(len(x)), float(len(y))
    mumin, mumax = float(x.min() - y.max()), float(x.max() - y.min())

    def W(d, corr_on=correct):
        dr = stats.rankdata(np.concatenate([x - d, y]))
        _, t = np.unique(dr, return_counts=True)
        t = t.astype(float)
        dz = float(dr[: len(x)].sum()) - nx * (nx + 1) / 2 - nx * ny / 2
        c = _correction(dz, alternative, corr_on)
        sig = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - float(np.sum(t**3 - t)) / ((nx + ny) * (nx + ny - 1))))
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.divide(dz - c, sig))

    wmin, wmax = W(mumin), W(mumax)

    def root(zq):
        fl = wmin - zq
        if fl <= 0:
            return mumin
        fu = wmax - zq
        if fu >= 0:
            return mumax
        return uniroot(lambda d: W(d) - zq, mumin, mumax, f_lower=fl, f_upper=fu, tol=tol_root)

    if alternative == "two.sided":
        cl, ch = root(qnorm(alpha / 2, lower_tail=False)), root(qnorm(alpha / 2))
    elif alternative == "greater":
        cl, ch = root(qnorm(alpha, lower_tail=False)), math.inf
    else:
        cl, ch = -math.inf, root(qnorm(alpha))
    est = uniroot(lambda d: W(d, False), mumin, mumax, tol=tol_root)
    return est, cl, ch
