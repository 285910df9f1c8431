"""Pearson's chi-squared tests as R's ``chisq.test``: independence in a table, goodness of fit of counts."""

from __future__ import annotations

import math
import warnings

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.r2dtable import simulate_statistics
from nlrstats.stats.htest.result import HTest
from nlrstats.stats.htest.sampling import prob_sample_replace
from nlrstats.stats.htest.tables import as_count_table, crosstab
from nlrstats.stats.rng import as_rng

__all__ = ["chisq_test", "expected_counts"]

_DBL_EPS = 2.220446049250313e-16
_ALMOST_1 = 1 - 64 * _DBL_EPS  # R's tolerance when a simulated statistic ties the observed one
_SIM_CHUNK = 5_000_000        # draws per chunk of the goodness-of-fit simulation


def expected_counts(table) -> np.ndarray:
    """Expected cell counts under independence, ``outer(rowSums, colSums) / n``."""
    tab = as_count_table(table)
    n = tab.sum()
    return np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n


def _r_sum(values: np.ndarray) -> float:
    # R's sum() accumulates doubles in long double, left to right
    v = np.asarray(values, dtype=np.longdouble).ravel()
    return float(np.cumsum(v)[-1]) if v.size else 0.0


def _simulated_method(method: str, B: int) -> str:
    return f"{method} with simulated p-value\n\t (based on {B} replicates)"


def _check_B(B) -> int:
    if not (isinstance(B, (int, np.integer)) and not isinstance(B, bool) and B >= 1):
        raise ValueError(f"B must be a positive integer, got {B!r}")
    return int(B)


def chisq_test(table_or_x, y=None, correct: bool = True, p=None, rescale_p: bool = False,
               simulate_p_value: bool = False, B: int = 2000, seed=None) -> HTest:
    """Pearson's chi-squared test, as R's ``chisq.test``.

    A 2-D table (or two columns ``x``, ``y`` to cross-tabulate) is tested for independence;
    a 1-D vector of counts (or a table with one row or column, as R flattens it) is tested
    for goodness of fit to the probabilities ``p``.

    Parameters
    ----------
    table_or_x : 2-D table of counts, 1-D counts, or a column to cross-tabulate with ``y``
    correct : bool
        Yates' continuity correction, applied (as in R) only to 2 x 2 tables, with the
        correction ``min(0.5, |x - E|)``.
    p : sequence of float, optional
        Goodness of fit only: the hypothesised probabilities (default equal, R's
        ``rep(1/length(x), length(x))``).
    rescale_p : bool
        Rescale ``p`` to sum to 1 (R's ``rescale.p``); otherwise a ``p`` whose sum is not 1
        (within ``sqrt(.Machine$double.eps)``) is an error, as in R.
    simulate_p_value, B, seed
        Monte Carlo p-value from ``B`` replicates (R's ``simulate.p.value``): tables with
        the observed margins (R's ``rcont2``), or multinomial samples with probabilities
        ``p`` for goodness of fit (R's ``sample.int(prob = p)``), drawn from R's generator
        (:class:`nlrstats.stats.rng.RRNG`), so ``seed=s`` equals R after ``set.seed(s)``.
        No continuity correction then; ``seed=None`` draws a fresh seed (kept in ``seed``).

    Raises
    ------
    ValueError
        When a row or column of the table is all zero: the expected count is 0 and R
        returns NaN; we name the empty margin instead.
    """
    data_name = "table"
    if y is not None:
        tab, _, _ = crosstab(table_or_x, y)
        data_name = "x and y"
        if tab.shape[0] < 2 or tab.shape[1] < 2:
            raise ValueError("'x' and 'y' must have at least 2 levels")
        if p is not None:
            raise ValueError("'p' is for a goodness-of-fit test of one vector of counts, not for 'x' and 'y'")
    else:
        arr = table_or_x
        if not hasattr(arr, "columns"):
            arr = np.asarray(arr, dtype=float) if not isinstance(arr, str) else arr
        if isinstance(arr, np.ndarray) and (arr.ndim == 1 or (arr.ndim == 2 and min(arr.shape) == 1)):
            return _goodness_of_fit(arr.ravel(), p, rescale_p, simulate_p_value, B, seed)
        tab = as_count_table(table_or_x)
        if min(tab.shape) == 1:
            return _goodness_of_fit(tab.ravel().astype(float), p, rescale_p, simulate_p_value, B, seed)
        if p is not None:
            raise ValueError("'p' is for a goodness-of-fit test of one vector of counts, not for a 2-D table")
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
    if simulate_p_value:
        B = _check_B(B)
        rng = as_rng(seed)
        stat = _r_sum(np.sort(((tab - E) ** 2 / E).ravel())[::-1])
        sims = simulate_statistics(sr, sc, B, rng, "chisq", expected=E)
        return HTest(
            statistic=stat, parameter=None, p_value=(1 + int(np.sum(sims >= _ALMOST_1 * stat))) / (B + 1),
            estimate=None, conf_low=None, conf_high=None, method=_simulated_method(method, B),
            alternative=None, statistic_name="X-squared", data_name=data_name, replicates=B, seed=rng.seed,
        )
    if (E < 5).any():
        warnings.warn("Chi-squared approximation may be incorrect (an expected count is below 5)", stacklevel=2)
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


def _goodness_of_fit(x: np.ndarray, p, rescale_p: bool, simulate_p_value: bool, B, seed) -> HTest:
    """R's ``chisq.test(x, p = p)`` for a vector of counts."""
    if np.isnan(x).any() or (x < 0).any() or not np.isfinite(x).all():
        raise ValueError("all entries of 'x' must be nonnegative and finite")
    n = float(x.sum())
    if n == 0:
        raise ValueError("at least one entry of 'x' must be positive")
    if x.size == 1:
        raise ValueError("'x' must at least have 2 elements")
    if p is None:
        p = np.full(x.size, 1 / x.size)
    p = np.asarray(p, dtype=float).ravel()
    if p.size != x.size:
        raise ValueError(f"'x' and 'p' must have the same number of elements ({x.size} vs {p.size})")
    if (p < 0).any() or np.isnan(p).any():
        raise ValueError("probabilities must be non-negative.")
    total = _r_sum(p)
    if abs(total - 1) > math.sqrt(_DBL_EPS):
        if not rescale_p:
            raise ValueError(f"probabilities must sum to 1 (they sum to {total:.15g}); pass rescale_p=True "
                             "to rescale them")
        p = p / total
    method = "Chi-squared test for given probabilities"
    E = n * p
    stat = _r_sum((x - E) ** 2 / E)
    if simulate_p_value:
        B = _check_B(B)
        if abs(n - round(n)) > 1e-7:
            raise ValueError("simulate_p_value needs integer counts in 'x'")
        rng = as_rng(seed)
        ss = _gof_simulated(int(round(n)), p, E, B, rng)
        return HTest(
            statistic=stat, parameter=None, p_value=(1 + int(np.sum(ss >= _ALMOST_1 * stat))) / (B + 1),
            estimate=None, conf_low=None, conf_high=None, method=_simulated_method(method, B),
            alternative=None, statistic_name="X-squared", data_name="x", replicates=B, seed=rng.seed,
        )
    df = x.size - 1
    if (E < 5).any():
        warnings.warn("Chi-squared approximation may be incorrect (an expected count is below 5)", stacklevel=3)
    return HTest(
        statistic=stat, parameter=df, p_value=float(stats.chi2.sf(stat, df)), estimate=None, conf_low=None,
        conf_high=None, method=method, alternative=None, statistic_name="X-squared", parameter_name="df",
        data_name="x",
    )


def _gof_simulated(n: int, p: np.ndarray, E: np.ndarray, B: int, rng) -> np.ndarray:
    """X^2 of B multinomial samples of size n, drawn as R's ``sample.int(k, B * n, TRUE, prob = p)``."""
    k = p.size
    per = max(1, _SIM_CHUNK // max(n, 1))
    out = np.empty(B)
    done = 0
    while done < B:
        b = min(per, B - done)
        draws = prob_sample_replace(p, b * n, rng) - 1
        counts = np.bincount((draws.reshape(b, n) + k * np.arange(b)[:, None]).ravel(),
                             minlength=b * k).reshape(b, k)
        terms = (counts - E[None, :]) ** 2 / E[None, :]
        out[done:done + b] = np.cumsum(terms.astype(np.longdouble), axis=1)[:, -1].astype(float)
        done += b
    return out
