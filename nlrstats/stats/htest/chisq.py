"""Pearson's chi-squared test of a contingency table, as R's ``chisq.test``."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from nlrstats.stats.htest.fisher_rxc import random_tables
from nlrstats.stats.htest.result import HTest
from nlrstats.stats.htest.tables import as_count_table, crosstab

__all__ = ["chisq_test", "expected_counts"]

_DBL_EPS = 2.220446049250313e-16


def expected_counts(table) -> np.ndarray:
    """Expected cell counts under independence, ``outer(rowSums, colSums) / n``."""
    tab = as_count_table(table)
    n = tab.sum()
    return np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n


def chisq_test(table_or_x, y=None, correct: bool = True, simulate_p_value: bool = False,
               B: int = 2000, seed: int | None = None) -> HTest:
    """Pearson's chi-squared test of independence, as R's ``chisq.test`` on a matrix.

    Parameters
    ----------
    table_or_x : 2-D table of counts, or a column to cross-tabulate with ``y``
    correct : bool
        Yates' continuity correction, applied (as in R) only to 2 x 2 tables, with the
        correction ``min(0.5, |x - E|)``.
    simulate_p_value, B, seed
        Monte Carlo p-value from ``B`` tables with the observed margins (R's
        ``simulate.p.value``; R's random stream is not reproduced). No correction then.

    Raises
    ------
    ValueError
        When a row or column of the table is all zero: the expected count is 0 and R
        returns NaN; we name the empty margin instead.
    """
    data_name = "table"
    if y is not None:
        tab, xl, yl = crosstab(table_or_x, y)
        data_name = "x and y"
        if tab.shape[0] < 2 or tab.shape[1] < 2:
            raise ValueError("'x' and 'y' must have at least 2 levels")
    else:
        tab = as_count_table(table_or_x)
        if min(tab.shape) == 1:
            raise ValueError("chisq_test needs a table with at least 2 rows and 2 columns "
                             "(goodness-of-fit tests are not supported)")
    n = tab.sum()
    if n == 0:
        raise ValueError("at least one entry of the table must be positive")
    sr, sc = tab.sum(axis=1), tab.sum(axis=0)
    if (sr == 0).any() or (sc == 0).any():
        raise ValueError(
            f"table has an all-zero row {list(np.flatnonzero(sr == 0))} or column "
            f"{list(np.flatnonzero(sc == 0))} (0-based): expected counts are 0 and the statistic "
            "is undefined; drop the empty level first"
        )
    E = np.outer(sr, sc) / n
    method = "Pearson's Chi-squared test"
    if (E < 5).any() and not simulate_p_value:
        warnings.warn("Chi-squared approximation may be incorrect (an expected count is below 5)", stacklevel=2)
    if simulate_p_value:
        stat = float(np.sum(np.sort(((tab - E) ** 2 / E).ravel())[::-1]))
        almost_1 = 1 - 64 * _DBL_EPS
        rng = np.random.default_rng(seed)
        hits = 0
        for sims in random_tables(sr, sc, B, rng):
            t = ((sims - E[None]) ** 2 / E[None]).sum(axis=(1, 2))
            hits += int(np.sum(t >= almost_1 * stat))
        return HTest(
            statistic=stat, parameter=None, p_value=(1 + hits) / (B + 1), estimate=None, conf_low=None,
            conf_high=None, method=f"{method} with simulated p-value\n (based on {B} replicates)",
            alternative=None, statistic_name="X-squared", data_name=data_name,
        )
    yates = 0.0
    if correct and tab.shape == (2, 2):
        yates = float(min(0.5, np.abs(tab - E).min()))
        if yates > 0:
            method += " with Yates' continuity correction"
    stat = float(np.sum((np.abs(tab - E) - yates) ** 2 / E))
    df = (tab.shape[0] - 1) * (tab.shape[1] - 1)
    return HTest(
        statistic=stat, parameter=df, p_value=float(stats.chi2.sf(stat, df)), estimate=None,
        conf_low=None, conf_high=None, method=method, alternative=None,
        statistic_name="X-squared", parameter_name="df", data_name=data_name,
    )
