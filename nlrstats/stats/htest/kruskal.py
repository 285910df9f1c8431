"""Kruskal-Wallis rank sum test with R's numbers (``kruskal.test``), from raw data or value counts."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.inputs import as_float_array, formula_groups, is_formula
from nlrstats.stats.htest.rank_counts import rank_sums_from_counts
from nlrstats.stats.htest.result import HTest

__all__ = ["kruskal_test", "kruskal_from_counts"]


def kruskal_test(x, g=None, data=None) -> HTest:
    """Kruskal-Wallis rank sum test, as R's ``kruskal.test``.

    Parameters
    ----------
    x : numeric sequence, a list of numeric sequences (one per group) when ``g`` is None,
        or a formula ``"y ~ group"`` (R's formula interface; the frame as ``g`` or ``data``)
    g : group labels, same length as ``x``; pairs with a missing value are dropped
    """
    if is_formula(x):
        fg = formula_groups(x, data if data is not None else g, "kruskal_test")
        if not fg.levels:
            raise ValueError(f"{x!r}: 'formula' should be of the form response ~ group")
        if len(fg.groups) < 2:
            raise ValueError(f"{x!r}: all observations are in the same group")
        return replace(kruskal_test(list(fg.groups)), data_name=fg.data_name)
    if g is None:
        if not isinstance(x, (list, tuple)) or len(x) < 2:
            raise ValueError("'x' must be a list with at least 2 groups when 'g' is not given")
        groups = [as_float_array(v, f"x[{i}]") for i, v in enumerate(x)]
        groups = [v[~np.isnan(v)] for v in groups]
        if any(len(v) == 0 for v in groups):
            raise ValueError("all groups must contain data")
        xv = np.concatenate(groups)
        codes = np.repeat(np.arange(len(groups)), [len(v) for v in groups])
    else:
        xv = as_float_array(x, "x")
        gl = list(g.to_list() if hasattr(g, "to_list") else g)
        if len(gl) != len(xv):
            raise ValueError(f"'x' and 'g' must have the same length ({len(xv)} vs {len(gl)})")
        ok = np.array([(v is not None) and not (isinstance(v, float) and math.isnan(v)) for v in gl]) & ~np.isnan(xv)
        xv = xv[ok]
        gk = [v for v, o in zip(gl, ok) if o]
        levels = sorted(set(gk))
        idx = {v: i for i, v in enumerate(levels)}
        codes = np.array([idx[v] for v in gk], dtype=np.int64)
        if len(levels) < 2:
            raise ValueError("all observations are in the same group")
    n = len(xv)
    if n < 2:
        raise ValueError("not enough observations")
    k = int(codes.max()) + 1
    vals, inv = np.unique(xv, return_inverse=True)
    counts = np.zeros((len(vals), k))
    np.add.at(counts, (inv, codes), 1)
    return kruskal_from_counts(counts, data_name="x and g")


def kruskal_from_counts(counts: np.ndarray, data_name: str = "x and g") -> HTest:
    """Kruskal-Wallis test from a (distinct sorted values x groups) count matrix (R's numbers).

    Groups with no observation are ignored (R's ``factor()`` drops unused levels).
    """
    counts = np.asarray(counts, dtype=float)
    counts = counts[:, counts.sum(axis=0) > 0]
    if counts.shape[1] < 2:
        raise ValueError("all observations are in the same group")
    rsum, ng, n, tie = rank_sums_from_counts(counts)
    if n < 2:
        raise ValueError("not enough observations")
    h = float(np.sum(rsum**2 / ng))
    denom = 1 - tie / (n**3 - n)
    stat = (12 * h / (n * (n + 1)) - 3 * (n + 1)) / denom if denom > 0 else math.nan
    df = counts.shape[1] - 1
    return HTest(
        statistic=stat, parameter=df, p_value=None if math.isnan(stat) else float(stats.chi2.sf(stat, df)),
        estimate=None, conf_low=None, conf_high=None, method="Kruskal-Wallis rank sum test",
        alternative=None, statistic_name="Kruskal-Wallis chi-squared", parameter_name="df",
        data_name=data_name,
    )
