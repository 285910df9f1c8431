"""Student's and Welch's t-tests, as R's ``t.test``."""

from __future__ import annotations

import math

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.inputs import as_float_array
from nlrstats.stats.htest.result import HTest, check_alternative, check_conf_level

__all__ = ["t_test"]


def t_test(x, y=None, alternative: str = "two.sided", mu: float = 0.0, paired: bool = False,
           var_equal: bool = False, conf_level: float = 0.95) -> HTest:
    """t-test as R's ``t.test``: Welch's unequal-variance test by default for two samples.

    ``estimate`` is the mean of ``x`` (one sample), the mean difference (paired), or the
    difference of means ``mean(x) - mean(y)`` (two samples; R reports both means, broom's
    ``estimate`` is their difference). NaN / None values are dropped.
    """
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    x = as_float_array(x, "x")
    if y is not None:
        y = as_float_array(y, "y")
        if paired:
            if len(x) != len(y):
                raise ValueError("'x' and 'y' must have the same length for a paired test")
            ok = ~np.isnan(x) & ~np.isnan(y)
            x, y = x[ok] - y[ok], None
        else:
            y = y[~np.isnan(y)]
    elif paired:
        raise ValueError("'y' is missing for paired test")
    x = x[~np.isnan(x)]
    if y is None:
        nx = len(x)
        if nx < 2:
            raise ValueError("not enough 'x' observations")
        df = nx - 1
        stderr = math.sqrt(np.var(x, ddof=1) / nx)
        est = float(np.mean(x))
        scale = abs(est)
        method = "Paired t-test" if paired else "One Sample t-test"
        ename = "mean difference" if paired else "mean of x"
    else:
        nx, ny = len(x), len(y)
        if nx < 1 or (not var_equal and nx < 2):
            raise ValueError("not enough 'x' observations")
        if ny < 1 or (not var_equal and ny < 2):
            raise ValueError("not enough 'y' observations")
        if var_equal and nx + ny < 3:
            raise ValueError("not enough observations")
        mx, my = float(np.mean(x)), float(np.mean(y))
        vx = float(np.var(x, ddof=1)) if nx > 1 else 0.0
        vy = float(np.var(y, ddof=1)) if ny > 1 else 0.0
        method = ("" if var_equal else "Welch") + " Two Sample t-test"
        method = method.strip()
        if var_equal:
            df = nx + ny - 2
            v = 0.0
            if nx > 1:
                v += (nx - 1) * vx
            if ny > 1:
                v += (ny - 1) * vy
            v /= df
            stderr = math.sqrt(v * (1 / nx + 1 / ny))
        else:
            sx, sy = vx / nx, vy / ny
            stderr = math.sqrt(sx + sy)
            if stderr < 10 * np.finfo(float).eps * max(abs(mx), abs(my)):
                raise ValueError("data are essentially constant")
            df = stderr**4 / (sx**2 / (nx - 1) + sy**2 / (ny - 1))
        est = mx - my
        scale = max(abs(mx), abs(my))
        ename = "difference in means"
    if stderr < 10 * np.finfo(float).eps * scale:  # R's test
        raise ValueError("data are essentially constant")
    tstat = (est - mu) / stderr
    if alternative == "less":
        pval = float(stats.t.cdf(tstat, df))
        lo, hi = -math.inf, tstat + float(stats.t.ppf(conf_level, df))
    elif alternative == "greater":
        pval = float(stats.t.sf(tstat, df))
        lo, hi = tstat - float(stats.t.ppf(conf_level, df)), math.inf
    else:
        pval = float(2 * stats.t.cdf(-abs(tstat), df))
        q = float(stats.t.ppf(1 - (1 - conf_level) / 2, df))
        lo, hi = tstat - q, tstat + q
    lo, hi = mu + lo * stderr, mu + hi * stderr
    return HTest(
        statistic=tstat, parameter=df, p_value=pval, estimate=est, conf_low=lo, conf_high=hi,
        method=method, alternative=alternative, statistic_name="t", parameter_name="df",
        estimate_name=ename, null_value=mu,
        null_name="mean" if y is None and not paired else ("mean difference" if paired else "difference in means"),
        conf_level=conf_level, data_name="x and y" if (y is not None or paired) else "x",
    )
