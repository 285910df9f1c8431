"""Maximally selected log-rank statistics (R's ``maxstat.test(..., smethod = "LogRank")``).

A data-driven cut-point inflates the naive p-value (Altman et al. 1994; Lausen &
Schumacher 1992). :func:`maxstat` scans every admissible cut, reports the maximum
standardised log-rank statistic and a p-value adjusted for the search, beside the naive
log-rank p at the chosen cut that tools such as survminer's ``surv_cutpoint`` publish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import special

from nlrstats.stats.formula import parse_surv_formula
from nlrstats.stats.result import Result
from nlrstats.stats.cutpoint import _pvalues as pv
from nlrstats.stats.cutpoint._inputs import surv_columns

__all__ = ["maxstat", "MaxstatResult", "logrank_scores", "logrank_two_groups", "scan_cuts", "PMETHODS"]

PMETHODS = ("Lau92", "Lau94", "exactGauss", "permutation", "none")


def _sorted_tie_end(ts: np.ndarray) -> np.ndarray:
    """Index of the last element of each element's tie group in sorted ``ts``."""
    n = ts.size
    last = np.ones(n, dtype=bool)
    last[:-1] = ts[1:] != ts[:-1]
    pos = np.flatnonzero(last)
    return np.repeat(pos, np.diff(np.r_[-1, pos]))


def logrank_scores(time: np.ndarray, event: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Log-rank scores as R's ``exactRankTests::cscores(Surv(time, event), type = "LogRank")``.

    ``score_i = event_i - sum_{j: t_j <= t_i} event_j / (n - r_j + 1)`` with ``r_j`` the
    highest rank among times tied with ``t_j`` (``irank``), which is what ``maxstat`` uses.
    """
    n = time.size
    ot = np.argsort(time) if order is None else order
    ts, es = time[ot], event[ot]
    end = _sorted_tie_end(ts)                             # max rank - 1
    cs = np.cumsum(es / (n - end))
    out = np.empty(n)
    out[ot] = es - cs[end]
    return out


def logrank_two_groups(time: np.ndarray, event: np.ndarray, high: np.ndarray,
                       order: np.ndarray | None = None) -> tuple[float, float]:
    """Two-group log-rank chi-square and p (Mantel-Haenszel variance), as R's ``survdiff``.

    Exact times are compared as given (R's ``survdiff`` first merges times equal to ~1e-8
    relative, ``timefix``; the two agree unless times differ only by rounding noise).
    """
    n = time.size
    ot = np.argsort(time) if order is None else order
    ts, es, gs = time[ot], event[ot], high[ot].astype(float)
    last = np.flatnonzero(np.r_[ts[1:] != ts[:-1], True])
    first = np.r_[0, last[:-1] + 1]
    ce, ce1 = np.cumsum(es), np.cumsum(es * gs)
    d = ce[last] - np.r_[0.0, ce[last[:-1]]]
    d1 = ce1[last] - np.r_[0.0, ce1[last[:-1]]]
    at = (n - first).astype(float)
    at1 = np.cumsum(gs[::-1])[::-1][first]
    keep = d > 0
    d, d1, at, at1 = d[keep], d1[keep], at[keep], at1[keep]
    e1 = d * at1 / at
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(at > 1, d * (at1 / at) * (1 - at1 / at) * (at - d) / (at - 1), 0.0)
    var = v.sum()
    if var <= 0:
        return 0.0, 1.0
    chisq = float((d1.sum() - e1.sum()) ** 2 / var)
    return chisq, float(special.chdtrc(1, chisq))


def _candidate_m(xs: np.ndarray, n: int, minprop: float, maxprop: float) -> np.ndarray:
    """Group sizes of the admissible cuts, exactly as ``maxstat:::cmaxstat``.

    A cut sits at each distinct value but the largest; ``m`` = patients at or below it.
    """
    first = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])  # first index of each distinct value
    m = first.astype(np.int64)                               # = count strictly below that value
    if minprop == 0 and maxprop == 1:
        # R: m[2:(length(m) - 1)], which also drops the last admissible cut
        if m.size < 3:
            raise ValueError("maxstat: fewer than 3 distinct marker values with minprop=0, maxprop=1")
        return m[1:-1]
    lo, hi = math.floor(n * minprop), math.floor(n * maxprop)
    if np.all(m < lo):
        raise ValueError("maxstat: minprop too large (no cut leaves that share in the low group)")
    if np.all(m > hi):
        raise ValueError("maxstat: maxprop too small")
    m = m[(m >= max(1, lo)) & (m <= hi)]
    if m.size < 1:
        raise ValueError("maxstat: no data between minprop and maxprop (too few distinct marker values)")
    return m


def scan_cuts(marker: np.ndarray, scores: np.ndarray, minprop: float = 0.1, maxprop: float = 0.9):
    """One sort and cumulative sums: standardised linear rank statistic at every admissible cut.

    Returns ``(cuts, stats, m, expect, sd, x_sorted, scores_sorted)``; the statistic is
    ``|S_m - E_m| / sqrt(V_m)`` with the permutation mean and variance (``cmaxstat``).
    """
    n = marker.size
    # R's order() is stable, but within tied values only sums at group boundaries are used,
    # so the faster unstable sort gives the same statistics (likewise for time ties).
    o = np.argsort(marker)
    xs, ys = marker[o], scores[o]
    m = _candidate_m(xs, n, minprop, maxprop)
    ss = ys.sum()
    e = m / n * ss
    v = m * (n - m) / (n * n * (n - 1.0)) * (n * np.dot(ys, ys) - ss * ss)
    if not np.all(v > 0):
        raise ValueError("maxstat: the log-rank scores have no variance (no events?)")
    sd = np.sqrt(v)
    stats = np.abs(np.cumsum(ys)[m - 1] - e) / sd
    return xs[m - 1], stats, m, e, sd, xs, ys


def _first_max(stats: np.ndarray) -> int:
    # R takes the first cut whose statistic equals the maximum; equal-in-exact-arithmetic
    # values can differ in the last bits between R's long-double cumsum and ours.
    top = stats.max()
    return int(np.flatnonzero(stats >= top * (1 - 1e-12))[0])


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class MaxstatResult(Result):
    """Maximally selected log-rank statistic, as R's ``maxtest`` object.

    Attributes
    ----------
    estimate : float
        The estimated cut-point: groups are ``marker <= estimate`` vs ``marker > estimate``.
    statistic : float
        The maximum standardised log-rank statistic M.
    p_value : float or None
        P-value adjusted for the search over cuts by ``pmethod`` (None for "none").
    p_value_unadjusted : float
        Naive two-group log-rank p of ``marker > estimate`` vs ``<=`` (R ``survdiff``,
        chi-square on 1 df; computed from the scan's time order and tested against R's
        ``survdiff`` and :func:`nlrstats.stats.survival.survdiff`): the p a data-driven cut-point
        is usually published with (survminer). It ignores the search.
    quantile : float or None
        Critical value of M at level ``alpha`` when ``alpha`` was given.
    """

    formula: str
    estimate: float
    statistic: float
    p_value: float | None
    pmethod: str
    p_value_unadjusted: float
    cuts: np.ndarray = field(repr=False)
    stats: np.ndarray = field(repr=False)
    m: np.ndarray = field(repr=False)
    n: int = 0
    n_events: int = 0
    n_missing: int = 0
    minprop: float = 0.1
    maxprop: float = 0.9
    alpha: float | None = None
    quantile: float | None = None
    n_perm: int | None = None
    seed: int | None = None
    marker: str = ""

    def tidy(self) -> pl.DataFrame:
        """The scan for plotting: one row per admissible cut (``cut``, ``n_low``, ``statistic``)."""
        return pl.DataFrame({"cut": self.cuts.astype(float), "n_low": self.m.astype(np.int64),
                             "statistic": self.stats.astype(float)})

    def glance(self) -> pl.DataFrame:
        """One row: cut, statistic, p_value (adjusted), pmethod, p_value_unadjusted, n, events, cuts."""
        return pl.DataFrame({
            "marker": [self.marker], "cut": [float(self.estimate)], "statistic": [float(self.statistic)],
            "p_value": [self.p_value], "pmethod": [self.pmethod],
            "p_value_unadjusted": [float(self.p_value_unadjusted)], "n": [self.n],
            "n_events": [self.n_events], "n_missing": [self.n_missing], "n_cuts": [int(self.cuts.size)],
            "minprop": [float(self.minprop)], "maxprop": [float(self.maxprop)],
        }, schema_overrides={"p_value": pl.Float64})

    def __repr__(self) -> str:
        lhs, _, rhs = self.formula.partition("~")
        p = "NA" if self.p_value is None else f"{self.p_value:.4g}"
        lines = ["", f"\tMaximally selected LogRank statistics using {self.pmethod}", "",
                 f"data:  {lhs.strip()} by {rhs.strip()}",
                 f"M = {self.statistic:.4g}, p-value = {p}",
                 "sample estimates:", "estimated cutpoint ", f"{self.estimate:>18.7g} ",
                 f"(unadjusted log-rank p at this cut = {self.p_value_unadjusted:.4g}; n = {self.n}, "
                 f"{self.n_events} events, {self.cuts.size} cuts searched)"]
        return "\n".join(lines)


def maxstat(formula: str, data, minprop: float = 0.1, maxprop: float = 0.9, pmethod: str = "Lau92",
            n_perm: int = 10000, seed: int | None = None, alpha: float | None = None) -> MaxstatResult:
    """Maximally selected log-rank statistic and its search-adjusted p-value.

    As R's ``maxstat::maxstat.test(formula, data, smethod = "LogRank", pmethod = ...)``
    (maxstat 0.7-25): log-rank scores of ``Surv(time, event)``; for each admissible
    cut ``c`` (every distinct marker value but the largest, with at least
    ``max(1, floor(n * minprop))`` and at most ``floor(n * maxprop)`` patients at or below
    it; ties in the marker stay together) the standardised sum of the scores of
    ``marker <= c``; the cut with the largest absolute value (first one on ties).

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ marker"``. Rows with a missing value in any of the three
        columns are left out and counted in ``n_missing`` (R's ``na.omit``).
    data : polars.DataFrame or pandas.DataFrame
    minprop, maxprop : float
        Smallest / largest share of patients in the low group. ``minprop=0, maxprop=1``
        reproduces R's special case (which drops the first and the last cut).
    pmethod : {"Lau92", "Lau94", "exactGauss", "permutation", "none"}
        "Lau92": Lausen & Schumacher (1992) asymptotic bound; "Lau94": Lausen, Sauerbrei &
        Schumacher (1994) bound over the searched cuts; "exactGauss": the limiting
        multivariate normal probability (Hothorn & Lausen 2003), integrated exactly here
        (see :func:`nlrstats.stats.cutpoint._pvalues.p_exact_gauss`), R uses Monte Carlo;
        "permutation": conditional Monte Carlo over ``n_perm`` seeded permutations of the
        scores (R's "condMC"). Deviation: R counts permutations whose maximum is strictly
        greater than the observed; here ``>=`` (ties to 1e-10 relative) counts, the usual
        definition, which matters for small n where the maximum is discrete.
    n_perm : int
        Permutations for "permutation" (R's ``B``).
    seed : int, optional
        Seed of numpy's default generator for "permutation"; same seed, same p.
    alpha : float, optional
        Also return the critical value of M at this level (R's ``quant``) for Lau92,
        Lau94, exactGauss (root solved to 1e-10; R's ``optimize`` gives about 1e-4) and
        permutation (the upper ``alpha`` quantile of the permutation maxima; R's condMC
        returns the lower quantile there, inconsistently with its other methods).

    Returns
    -------
    MaxstatResult
    """
    if pmethod not in PMETHODS:
        raise ValueError(f"pmethod must be one of {', '.join(PMETHODS)}; got {pmethod!r}")
    if not (0 <= minprop <= maxprop <= 1):
        raise ValueError(f"minprop ({minprop}) and maxprop ({maxprop}) must satisfy 0 <= minprop <= maxprop <= 1")
    f = parse_surv_formula(formula)
    t, e, x, n_missing = surv_columns(f, data)
    n = t.size
    if n < 3:
        raise ValueError(f"{f.text}: maxstat needs at least 3 complete rows, found {n}")
    ot = np.argsort(t)
    scores = logrank_scores(t, e, order=ot)
    cuts, stats, m, ex, sd, _, _ = scan_cuts(x, scores, minprop, maxprop)
    k = _first_max(stats)
    b = float(stats[k])
    est = float(cuts[k])

    quant = None
    p: float | None
    if pmethod == "none":
        p = None
    elif pmethod == "Lau92":
        p = pv.p_lausen92(b, minprop, maxprop)
        if alpha is not None:
            quant = pv.critical_value(lambda z: pv.p_lausen92(z, minprop, maxprop), alpha)
    elif pmethod == "Lau94":
        p = float(pv.p_lausen94(b, n, m))
        if alpha is not None:
            quant = pv.critical_value(lambda z: pv.p_lausen94(z, n, m), alpha)
    elif pmethod == "exactGauss":
        p = pv.p_exact_gauss(b, n, m)
        if alpha is not None:
            quant = pv.critical_value(lambda z: pv.p_exact_gauss(z, n, m), alpha)
    else:
        rng = np.random.default_rng(seed)
        perm = pv.permutation_max(scores, m, ex, sd, int(n_perm), rng)
        p = pv.p_permutation(b, perm)
        if alpha is not None:
            quant = float(np.quantile(perm, 1 - alpha))

    _, p_naive = logrank_two_groups(t, e, x > est, order=ot)

    return MaxstatResult(
        formula=f.text, estimate=est, statistic=b, p_value=p, pmethod=pmethod,
        p_value_unadjusted=p_naive, cuts=cuts, stats=stats, m=m, n=n, n_events=int(e.sum()),
        n_missing=n_missing, minprop=minprop, maxprop=maxprop, alpha=alpha, quantile=quant,
        n_perm=int(n_perm) if pmethod == "permutation" else None,
        seed=seed if pmethod == "permutation" else None, marker=f.terms[0])
