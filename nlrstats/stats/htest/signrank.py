"""Wilcoxon signed-rank test (one sample or paired) with R's numbers (``wilcox.test``).

Exact null distribution (counts of rank subsets, R's ``csignrank``) without ties or zeros
when there are fewer than 50 differences; otherwise the normal approximation with
tie-corrected variance and R's continuity correction. The Hodges-Lehmann estimate and
interval follow R: order statistics of the Walsh averages (exact) or the root of the
standardised statistic found with R's ``uniroot`` (approximate).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.rank_counts import continuity, normal_p
from nlrstats.stats.htest.rank_dist import psignrank, qsignrank
from nlrstats.stats.htest.result import HTest, as_probability, uniroot
from nlrstats.stats.htest.rmath import qnorm

__all__ = ["signed_rank_test"]

# Beyond this many differences an explicitly requested exact distribution is refused (n^3 / 2 work).
_EXACT_SIGNRANK_MAX = 1000


def signed_rank_test(x, mu, alternative, exact, correct, conf_int, conf_level, tol_root, paired, data_name):
    method = "Wilcoxon signed rank test"
    x = x - mu
    zeroes = bool(np.any(x == 0))
    if zeroes:
        x = x[x != 0]
    n = float(len(x))
    if exact is None:
        exact = n < 50
    if exact and not zeroes and n > _EXACT_SIGNRANK_MAX:
        raise ValueError(f"exact signed-rank distribution for n = {int(n)} differences is too costly "
                         f"(limit {_EXACT_SIGNRANK_MAX}); use exact=False (R's default from n = 50)")
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
        pval = as_probability(pval)
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
        corr = continuity(z, alternative, correct)
        if correct:
            method += " with continuity correction"
        zz = (z - corr) / sigma if sigma > 0 else math.nan
        pval = normal_p(zz, alternative)
        if conf_int:
            est, cl, ch, level = _signed_rank_ci(x + mu, alternative, correct, conf_level, tol_root)
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


def _signed_rank_ci(x, alternative, correct, conf_level, tol_root):
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
        c = continuity(zd, alternative, corr_on)
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


