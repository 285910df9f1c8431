"""Wilcoxon rank-sum (Mann-Whitney) and signed-rank tests with R's numbers (``wilcox.test``).

Exact null distributions (counts of rank subsets, as R's ``cwilcox`` / ``csignrank``) are
used without ties or zeros when each sample is smaller than 50 (R's rule, see
:func:`exact_wilcox_used`); otherwise the normal approximation with tie-corrected
variance and R's continuity correction. The signed-rank test lives in
:mod:`.signrank`, the value-count path (a Table 1 of a million patients) in
:mod:`.rank_counts`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.inputs import as_float_array, formula_groups, is_formula
from nlrstats.stats.htest.rank_counts import (
    continuity, exact_wilcox_used, rank_sum_p, rank_sums_from_counts, wilcox_from_counts,
)
from nlrstats.stats.htest.rank_dist import pwilcox, qwilcox
from nlrstats.stats.htest.result import HTest, check_alternative, check_conf_level, uniroot
from nlrstats.stats.htest.rmath import qnorm
from nlrstats.stats.htest.signrank import signed_rank_test

__all__ = ["wilcox_test", "rank_sums_from_counts", "wilcox_from_counts", "exact_wilcox_used"]

# An explicitly requested exact rank-sum distribution is refused beyond this many DP cells (memory).
_EXACT_WILCOX_CELLS = 2e7


def _tie_term(values: np.ndarray) -> float:
    _, t = np.unique(values, return_counts=True)
    t = t.astype(float)
    return float(np.sum(t**3 - t))


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
    data=None,
) -> HTest:
    """Wilcoxon rank-sum (Mann-Whitney) or signed-rank test, as R's ``wilcox.test``.

    Parameters
    ----------
    x, y : numeric sequences (NaN / None are dropped as R drops NA), or a formula
        ``y=None`` gives the one-sample signed-rank test of ``x - mu``; ``paired=True``
        the signed-rank test of ``x - y`` over complete pairs. R's formula interface:
        ``wilcox_test("nlr ~ group", data)`` (``group`` with exactly 2 levels, in R's
        level order: Enum order or sorted) or ``wilcox_test("d ~ 1", data)`` (one sample);
        the frame may be given as ``y`` or ``data``.
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
    if is_formula(x):
        fg = formula_groups(x, data if data is not None else y, "wilcox_test")
        if len(fg.groups) == 1:
            h = wilcox_test(fg.groups[0], None, alternative, mu, False, exact, correct, conf_int, conf_level,
                            tol_root)
        else:
            if len(fg.groups) != 2:
                raise ValueError(f"{x!r}: grouping factor must have exactly 2 levels, found {len(fg.groups)} "
                                 f"({', '.join(fg.levels)}); use kruskal_test for more")
            h = wilcox_test(fg.groups[0], fg.groups[1], alternative, mu, paired, exact, correct, conf_int,
                            conf_level, tol_root)
        return replace(h, data_name=fg.data_name)
    if conf_int:
        conf_level = check_conf_level(conf_level)
    if not math.isfinite(mu):
        raise ValueError("'mu' must be a single number")
    x = as_float_array(x, "x")
    if y is not None:
        y = as_float_array(y, "y")
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
        return signed_rank_test(x, mu, alternative, exact, correct, conf_int, conf_level, tol_root,
                            paired, data_name)
    if len(y) < 1:
        raise ValueError("not enough 'y' observations")
    return _rank_sum(x, y, mu, alternative, exact, correct, conf_int, conf_level, tol_root, data_name)


def _rank_sum(x, y, mu, alternative, exact, correct, conf_int, conf_level, tol_root, data_name):
    allv = np.concatenate([x - mu, y])
    r = stats.rankdata(allv)
    nx, ny = float(len(x)), float(len(y))
    W = float(r[: len(x)].sum()) - nx * (nx + 1) / 2
    ties = len(np.unique(r)) != len(r)
    if exact is None:
        exact = nx < 50 and ny < 50
    if exact and not ties and (min(nx, ny) + 1) * (min(nx, ny) * (nx + ny) + 1) > _EXACT_WILCOX_CELLS:
        raise ValueError(f"exact rank-sum distribution for samples of {int(nx)} and {int(ny)} is too costly "
                         f"(more than {_EXACT_WILCOX_CELLS:.0e} cells); use exact=False (R's default from 50)")
    W, pval, method = rank_sum_p(W, nx, ny, _tie_term(allv), ties, alternative, exact, correct)
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
            est, cl, ch = _rank_sum_ci(x, y, alternative, correct, conf_level, tol_root)
    return HTest(
        statistic=W, parameter=None, p_value=pval, estimate=est, conf_low=cl, conf_high=ch,
        method=method, alternative=alternative, statistic_name="W",
        estimate_name="difference in location", null_value=mu, null_name="location shift",
        conf_level=level, data_name=data_name,
    )


def _rank_sum_ci(x, y, alternative, correct, conf_level, tol_root):
    alpha = 1 - conf_level
    nx, ny = float(len(x)), float(len(y))
    mumin, mumax = float(x.min() - y.max()), float(x.max() - y.min())

    def W(d, corr_on=correct):
        dr = stats.rankdata(np.concatenate([x - d, y]))
        _, t = np.unique(dr, return_counts=True)
        t = t.astype(float)
        dz = float(dr[: len(x)].sum()) - nx * (nx + 1) / 2 - nx * ny / 2
        c = continuity(dz, alternative, corr_on)
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
