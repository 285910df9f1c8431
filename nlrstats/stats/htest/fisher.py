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
raises :class:`FisherTableTooLarge` instead of failing silently; ``simulate_p_value=True``
gives R's Monte Carlo p-value ``(1 + #{T_sim <= T_obs}) / (B + 1)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from nlrstats.stats.htest.fisher_rxc import FisherTableTooLarge, fisher_rxc_exact, fisher_simulated
from nlrstats.stats.htest.result import HTest, check_alternative, check_conf_level, uniroot
from nlrstats.stats.htest.tables import as_count_table, crosstab

__all__ = ["fisher_test", "FisherTableTooLarge"]

METHOD = "Fisher's Exact Test for Count Data"
_DBL_EPS = 2.220446049250313e-16


def fisher_test(
    table_or_x,
    y=None,
    alternative: str = "two.sided",
    conf_int: bool = True,
    conf_level: float = 0.95,
    odds_ratio: float = 1.0,
    simulate_p_value: bool = False,
    B: int = 2000,
    seed: int | None = None,
    max_steps: int = 1_000_000,
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
    simulate_p_value, B, seed
        r x c only: Monte Carlo p-value from ``B`` random tables with the observed
        margins (R's ``simulate.p.value``; R's random stream is not reproduced).
    max_steps : int
        Work limit of the exact r x c walk (about 3 microseconds a step with three or
        more rows; two-row tables are vectorised and get 50 times the budget). Beyond it
        :class:`FisherTableTooLarge` is raised (R raises a FEXACT workspace error in the
        same situation).

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
    if simulate_p_value:
        tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
        if tab.shape[0] < 2:
            raise ValueError("need 2 or more non-zero row marginals")
        if tab.shape[1] < 2:
            raise ValueError("need 2 or more non-zero column marginals")
        p = fisher_simulated(tab, B, seed)
        method = f"{METHOD} with simulated p-value\n (based on {B} replicates)"
    else:
        p = fisher_rxc_exact(tab, max_steps)
        method = METHOD
    return HTest(
        statistic=None, parameter=None, p_value=max(0.0, min(1.0, p)), estimate=None,
        conf_low=None, conf_high=None, method=method, alternative="two.sided", data_name=data_name,
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
    hyper = stats.hypergeom(m + n, m, k)
    logdc = hyper.logpmf(support)

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
            return float(hyper.sf(x - 1)) if upper_tail else float(hyper.cdf(x))
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
