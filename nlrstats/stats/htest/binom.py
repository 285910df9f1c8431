"""Exact binomial test with the Clopper-Pearson interval, as R's ``binom.test``."""

from __future__ import annotations

import math

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.result import HTest, check_alternative, check_conf_level

__all__ = ["binom_test", "clopper_pearson"]


def _as_count(value, name: str) -> int:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"'{name}' must be a nonnegative integer, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or abs(v - round(v)) > 1e-7:
        raise ValueError(f"'{name}' must be a nonnegative integer, got {value!r}")
    return int(round(v))


def clopper_pearson(x: int, n: int, conf_level: float = 0.95, alternative: str = "two.sided") -> tuple[float, float]:
    """Clopper-Pearson exact interval for a binomial proportion (beta quantiles, as R's ``binom.test``).

    Reference: Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.
    """
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)

    def p_l(alpha):
        return 0.0 if x == 0 else float(stats.beta.ppf(alpha, x, n - x + 1))

    def p_u(alpha):
        return 1.0 if x == n else float(stats.beta.ppf(1 - alpha, x + 1, n - x))

    if alternative == "less":
        return 0.0, p_u(1 - conf_level)
    if alternative == "greater":
        return p_l(1 - conf_level), 1.0
    alpha = (1 - conf_level) / 2
    return p_l(alpha), p_u(alpha)


def binom_test(x, n=None, p: float = 0.5, alternative: str = "two.sided", conf_level: float = 0.95) -> HTest:
    """Exact binomial test, as R's ``binom.test``.

    Parameters
    ----------
    x : int or (int, int)
        Number of successes, or a pair (successes, failures) as R accepts.
    n : int
        Number of trials (ignored when ``x`` is a pair).
    p : float
        Hypothesised probability of success.
    alternative : {"two.sided", "less", "greater"}
    conf_level : float

    Returns
    -------
    HTest
        ``statistic`` = successes, ``parameter`` = trials, ``estimate`` = x/n and the
        Clopper-Pearson interval. The two-sided p-value sums the probabilities of all
        outcomes no more likely than the observed one (relative tolerance 1e-7), R's rule.
    """
    if isinstance(x, (list, tuple, np.ndarray)):
        if len(x) != 2:
            raise ValueError("incorrect length of 'x': give successes, or (successes, failures)")
        s, f = _as_count(x[0], "x"), _as_count(x[1], "x")
        x, n = s, s + f
    else:
        x = _as_count(x, "x")
        if n is None:
            raise ValueError("'n' must be given when 'x' is a single count")
        n = _as_count(n, "n")
        if n < 1 or x > n:
            raise ValueError(f"'n' must be a positive integer >= 'x' (x = {x}, n = {n})")
    if not (isinstance(p, (int, float)) and 0 <= p <= 1):
        raise ValueError(f"'p' must be a single number between 0 and 1, got {p!r}")
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    binom = stats.binom
    if alternative == "less":
        pval = float(binom.cdf(x, n, p))
    elif alternative == "greater":
        pval = float(binom.sf(x - 1, n, p))
    elif p == 0:
        pval = float(x == 0)
    elif p == 1:
        pval = float(x == n)
    else:
        rel_err = 1 + 1e-7
        d = binom.pmf(x, n, p)
        m = n * p
        if x == m:
            pval = 1.0
        elif x < m:
            i = np.arange(math.ceil(m), n + 1)
            y = int(np.sum(binom.pmf(i, n, p) <= d * rel_err))
            pval = float(binom.cdf(x, n, p) + binom.sf(n - y, n, p))
        else:
            i = np.arange(0, math.floor(m) + 1)
            y = int(np.sum(binom.pmf(i, n, p) <= d * rel_err))
            pval = float(binom.cdf(y - 1, n, p) + binom.sf(x - 1, n, p))
    pval = min(1.0, pval)
    lo, hi = clopper_pearson(x, n, conf_level, alternative)
    return HTest(
        statistic=x, parameter=n, p_value=pval, estimate=x / n, conf_low=lo, conf_high=hi,
        method="Exact binomial test", alternative=alternative,
        statistic_name="number of successes", parameter_name="number of trials",
        estimate_name="probability of success", null_value=p, null_name="probability of success",
        conf_level=conf_level, data_name=f"{x} and {n}",
    )
