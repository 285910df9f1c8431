"""Fisher's exact test for 2 x 2 and r x c tables, with R's ``fisher.test`` numbers.

2 x 2: the conditional (non-central hypergeometric) likelihood as in R: two-sided p sums
the probabilities no larger than the observed one times ``1 + 1e-7``; the conditional MLE
of the odds ratio and its exact interval are found with R's ``uniroot`` (tolerance
``.Machine$double.eps^0.25``), which this module replays step by step.

r x c: the exact p-value of Freeman-Halton (sum of the probabilities of all tables with
the observed margins that are no more likely than the observed table), computed by a
network walk in the spirit of Mehta & Patel (1983; ACM TOMS 643 as R's FEXACT): the
columns are processed one at a time, partial tables with equal remaining row margins
share a node, and a node is settled without enumeration when its longest (or shortest)
completion already decides it. When the walk would exceed ``max_steps`` the function
raises :class:`FisherTableTooLarge` instead of failing silently (checked before anything
is allocated, see :func:`fisher_feasible`); ``simulate_p_value=True`` gives R's Monte
Carlo p-value ``(1 + #{T_sim <= T_obs}) / (B + 1)`` from R's own random tables
(:mod:`nlrstats.stats.htest.r2dtable`), equal to R's after ``set.seed(seed)``;
``simulate_p_value="auto"`` runs the exact test when it fits and the Monte Carlo one
otherwise, and the result's ``method`` says which ran.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.fisher_rxc import (
    DEFAULT_MAX_STEPS, FisherTableTooLarge, fisher_feasible, fisher_rxc_exact,
)
from nlrstats.stats.htest.r2dtable import simulate_statistics
from nlrstats.stats.htest.result import HTest, as_probability, check_alternative, check_conf_level, uniroot
from nlrstats.stats.htest.tables import as_count_table, crosstab
from nlrstats.stats.rng import as_rng

__all__ = ["fisher_test", "FisherTableTooLarge", "fisher_feasible", "simulated_method"]

METHOD = "Fisher's Exact Test for Count Data"
_DBL_EPS = 2.220446049250313e-16


def simulated_method(method: str, B: int) -> str:
    """R's method string of a simulated p-value, e.g. ``"... with simulated p-value\n\t (based on 2000 replicates)"``."""
    return f"{method} with simulated p-value\n\t (based on {B} replicates)"


def fisher_test(
    table_or_x,
    y=None,
    alternative: str = "two.sided",
    conf_int: bool = True,
    conf_level: float = 0.95,
    odds_ratio: float = 1.0,
    simulate_p_value: bool | str = False,
    B: int = 2000,
    seed=None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> HTest:
    """Fisher's exact test for count data, as R's ``fisher.test``.

    Parameters
    ----------
    table_or_x : 2-D array, nested list, polars DataFrame, or a column
        A table of counts; or, with ``y``, the first of two columns to cross-tabulate
        (incomplete pairs dropped, levels in Enum order or sorted, as R's ``table``).
    y : column, optional
    alternative : {"two.sided", "less", "greater"}
        Only for 2 x 2 tables (r x c tests are two-sided, as in R).
    conf_int, conf_level : bool, float
        Exact CI of the conditional MLE odds ratio (2 x 2 only).
    odds_ratio : float
        Hypothesised odds ratio (R's ``or``), 2 x 2 only.
    simulate_p_value : bool or "auto"
        r x c only (ignored for 2 x 2 tables, as in R): Monte Carlo p-value from ``B``
        random tables with the observed margins (R's ``simulate.p.value``). ``"auto"``
        (not in R): exact when :func:`fisher_feasible` and the walk fit ``max_steps``,
        else simulated; ``method`` states which ran.
    B : int
        Number of simulated tables (R's default 2000).
    seed : int, RRNG or None
        The Monte Carlo tables are drawn from R's generator
        (:class:`nlrstats.stats.rng.RRNG`): ``seed=s`` gives R's p-value after
        ``set.seed(s)``, to the last digit. ``None`` draws a fresh seed, recorded in the
        result's ``seed``.
    max_steps : int
        Work budget of the exact r x c walk, in array elements (about 1 s and at most
        ~0.5 GB at the default). Beyond it :class:`FisherTableTooLarge` is raised,
        before anything large is allocated (R raises a FEXACT workspace error in the
        same situation; this budget solves every table R's default ``workspace`` does).

    Returns
    -------
    HTest
    """
    data_name = "table"
    if y is not None:
        tab, _, _ = crosstab(table_or_x, y)
        data_name = "x and y"
        if tab.shape[0] < 2 or tab.shape[1] < 2:
            raise ValueError("'x' and 'y' must have at least 2 levels")
    else:
        tab = as_count_table(table_or_x)
        if tab.shape[0] < 2 or tab.shape[1] < 2:
            raise ValueError("'x' must have at least 2 rows and columns")
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    if tab.shape == (2, 2):
        if not (odds_ratio >= 0):
            raise ValueError("'odds_ratio' must be a single number between 0 and Inf")
        return _fisher_2x2(tab, alternative, conf_int, conf_level, odds_ratio, data_name)
    if simulate_p_value not in (True, False, "auto"):
        raise ValueError(f"simulate_p_value must be True, False or 'auto', got {simulate_p_value!r}")
    if simulate_p_value == "auto":
        try:
            p = fisher_rxc_exact(tab, max_steps)
        except FisherTableTooLarge:
            return _fisher_simulated(tab, B, seed, data_name)
    elif simulate_p_value:
        return _fisher_simulated(tab, B, seed, data_name)
    else:
        p = fisher_rxc_exact(tab, max_steps)
    return HTest(
        statistic=None, parameter=None, p_value=as_probability(p), estimate=None,
        conf_low=None, conf_high=None, method=METHOD, alternative="two.sided", data_name=data_name,
    )


def _fisher_simulated(tab, B, seed, data_name) -> HTest:
    """R's ``fisher.test(simulate.p.value = TRUE)``: B tables from ``rcont2``, statistic -sum(log x!)."""
    if not (isinstance(B, (int, np.integer)) and B >= 1):
        raise ValueError(f"B must be a positive integer, got {B!r}")
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2:
        raise ValueError("need 2 or more non-zero row marginals")
    if tab.shape[1] < 2:
        raise ValueError("need 2 or more non-zero column marginals")
    rng = as_rng(seed)
    stat = -float(np.sum(special.gammaln(tab + 1.0)))
    sims = simulate_statistics(tab.sum(axis=1), tab.sum(axis=0), int(B), rng, "fisher")
    almost_1 = 1 + 64 * _DBL_EPS
    p = (1 + int(np.sum(sims <= stat / almost_1))) / (B + 1)
    return HTest(
        statistic=None, parameter=None, p_value=p, estimate=None, conf_low=None, conf_high=None,
        method=simulated_method(METHOD, int(B)), alternative="two.sided", data_name=data_name,
        replicates=int(B), seed=rng.seed,
    )


# ----------------------------------------------------------------------------- 2 x 2
def _fisher_2x2(tab, alternative, conf_int, conf_level, or_, data_name) -> HTest:
    m = int(tab[:, 0].sum())
    n = int(tab[:, 1].sum())
    k = int(tab[0, :].sum())
    x = int(tab[0, 0])
    lo = max(0, k - n)
    hi = min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)

    def dnhyper(ncp):
        d = logdc + math.log(ncp) * support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mnhyper(ncp):
        if ncp == 0:
            return lo
        if math.isinf(ncp):
            return hi
        return float(np.sum(support * dnhyper(ncp)))

    def pnhyper(q, ncp, upper_tail=False):
        if ncp == 1:
            return (float(stats.hypergeom.sf(x - 1, m + n, m, k)) if upper_tail
                    else float(stats.hypergeom.cdf(x, m + n, m, k)))
        if ncp == 0:
            return float(q <= lo) if upper_tail else float(q >= lo)
        if math.isinf(ncp):
            return float(q <= hi) if upper_tail else float(q >= hi)
        d = dnhyper(ncp)
        return float(d[support >= q].sum() if upper_tail else d[support <= q].sum())

    if alternative == "less":
        pval = pnhyper(x, or_)
    elif alternative == "greater":
        pval = pnhyper(x, or_, upper_tail=True)
    elif or_ == 0:
        pval = float(x == lo)
    elif math.isinf(or_):
        pval = float(x == hi)
    else:
        d = dnhyper(or_)
        pval = float(d[d <= d[x - lo] * (1 + 1e-7)].sum())
    pval = as_probability(pval)  # a sum of normalised probabilities can exceed 1 by an ulp

    def mle(x):
        if x == lo:
            return 0.0
        if x == hi:
            return math.inf
        mu = mnhyper(1)
        if mu > x:
            return uniroot(lambda t: mnhyper(t) - x, 0.0, 1.0)
        if mu < x:
            return 1 / uniroot(lambda t: mnhyper(1 / t) - x, _DBL_EPS, 1.0)
        return 1.0

    def ncp_u(x, alpha):
        if x == hi:
            return math.inf
        p = pnhyper(x, 1)
        if p < alpha:
            return uniroot(lambda t: pnhyper(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1 / uniroot(lambda t: pnhyper(x, 1 / t) - alpha, _DBL_EPS, 1.0)
        return 1.0

    def ncp_l(x, alpha):
        if x == lo:
            return 0.0
        p = pnhyper(x, 1, upper_tail=True)
        if p > alpha:
            return uniroot(lambda t: pnhyper(x, t, upper_tail=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1 / uniroot(lambda t: pnhyper(x, 1 / t, upper_tail=True) - alpha, _DBL_EPS, 1.0)
        return 1.0

    estimate = mle(x)
    cl = ch = None
    if conf_int:
        if alternative == "less":
            cl, ch = 0.0, ncp_u(x, 1 - conf_level)
        elif alternative == "greater":
            cl, ch = ncp_l(x, 1 - conf_level), math.inf
        else:
            alpha = (1 - conf_level) / 2
            cl, ch = ncp_l(x, alpha), ncp_u(x, alpha)
    return HTest(
        statistic=None, parameter=None, p_value=pval, estimate=estimate, conf_low=cl, conf_high=ch,
        method=METHOD, alternative=alternative, estimate_name="odds ratio", null_value=or_,
        null_name="odds ratio", conf_level=conf_level if conf_int else None, data_name=data_name,
    )
