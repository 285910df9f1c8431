"""Maximally selected rank statistics (R's ``maxstat.test``), log-rank scores by default.

A data-driven cut-point inflates the naive p-value (Altman et al. 1994; Lausen &
Schumacher 1992). :func:`maxstat` scans every admissible cut, reports the maximum
standardised statistic and a p-value adjusted for the search, beside the naive log-rank
p at the chosen cut that tools such as survminer's ``surv_cutpoint`` publish. The scan
is :mod:`.maxstat_scan`, the scores :mod:`.scores`, the p-values :mod:`._pvalues` and
:mod:`._permdist`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.cutpoint import _permdist as pd
from nlrstats.stats.cutpoint import _pvalues as pv
from nlrstats.stats.cutpoint._inputs import surv_columns
from nlrstats.stats.cutpoint.maxstat_scan import first_max, logrank_two_groups, scan_cuts
from nlrstats.stats.cutpoint.scores import SMETHODS, integer_scores, logrank_scores, rank_scores
from nlrstats.stats.formula import FormulaError, parse_simple_formula, parse_surv_formula
from nlrstats.stats.frames import as_polars
from nlrstats.stats.result import Result
from nlrstats.stats.rng import as_rng

__all__ = ["maxstat", "MaxstatResult", "logrank_scores", "logrank_two_groups", "scan_cuts", "PMETHODS",
           "SMETHODS", "exact_gauss_feasible"]

PMETHODS = ("Lau92", "Lau94", "exactGauss", "HL", "condMC", "min", "auto", "permutation", "none")
exact_gauss_feasible = pv.exact_gauss_feasible

@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class MaxstatResult(Result):
    """Maximally selected rank statistic, as R's ``maxtest`` object.

    Attributes
    ----------
    estimate : float
        The estimated cut-point: groups are ``marker <= estimate`` vs ``marker > estimate``.
    statistic : float
        The maximum standardised log-rank statistic M.
    p_value : float or None
        P-value adjusted for the search over cuts by ``pmethod`` (None for "none").
    p_value_unadjusted : float or None
        Naive two-group log-rank p of ``marker > estimate`` vs ``<=`` (R ``survdiff``,
        chi-square on 1 df; computed from the scan's time order and tested against R's
        ``survdiff`` and :func:`nlrstats.stats.survival.survdiff`): the p a data-driven cut-point
        is usually published with (survminer). It ignores the search. None for scores other
        than LogRank.
    pmethod : str
        The method that computed ``p_value`` (with ``pmethod="auto"``: "exactGauss" or
        "Lau94"); ``pmethod_requested`` is what was asked.
    quantile : float or None
        Critical value of M at level ``alpha`` when ``alpha`` was given.
    """

    formula: str
    estimate: float
    statistic: float
    p_value: float | None
    pmethod: str
    p_value_unadjusted: float | None
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
    smethod: str = "LogRank"
    pmethod_requested: str = ""

    def tidy(self) -> pl.DataFrame:
        """The scan for plotting: one row per admissible cut (``cut``, ``n_low``, ``statistic``)."""
        return pl.DataFrame({"cut": self.cuts.astype(float), "n_low": self.m.astype(np.int64),
                             "statistic": self.stats.astype(float)})

    def glance(self) -> pl.DataFrame:
        """One row: cut, statistic, p_value (adjusted), pmethod, p_value_unadjusted, n, events, cuts."""
        return pl.DataFrame({
            "marker": [self.marker], "cut": [float(self.estimate)], "statistic": [float(self.statistic)],
            "p_value": [self.p_value], "pmethod": [self.pmethod],
            "p_value_unadjusted": [self.p_value_unadjusted], "smethod": [self.smethod], "n": [self.n],
            "n_events": [self.n_events], "n_missing": [self.n_missing], "n_cuts": [int(self.cuts.size)],
            "minprop": [float(self.minprop)], "maxprop": [float(self.maxprop)],
        }, schema_overrides={"p_value": pl.Float64, "p_value_unadjusted": pl.Float64})

    def __repr__(self) -> str:
        lhs, _, rhs = self.formula.partition("~")
        p = "NA" if self.p_value is None else f"{self.p_value:.4g}"
        lines = ["", f"\tMaximally selected {self.smethod} statistics using {self.pmethod}", "",
                 f"data:  {lhs.strip()} by {rhs.strip()}",
                 f"M = {self.statistic:.4g}, p-value = {p}",
                 "sample estimates:", "estimated cutpoint ", f"{self.estimate:>18.7g} "]
        if self.p_value_unadjusted is not None:
            lines.append(f"(unadjusted log-rank p at this cut = {self.p_value_unadjusted:.4g}; n = {self.n}, "
                         f"{self.n_events} events, {self.cuts.size} cuts searched)")
        else:
            lines.append(f"(n = {self.n}, {self.cuts.size} cuts searched)")
        return "\n".join(lines)


def _response(formula: str, data, smethod: str):
    """``(f_text, marker name, scores, marker, time, event, n_missing)`` of the complete rows."""
    if smethod == "LogRank":
        f = parse_surv_formula(formula)
        t, e, x, n_missing = surv_columns(f, data)
        ot = np.argsort(t, kind="stable")
        return f.text, f.terms[0], logrank_scores(t, e, order=ot), x, t, e, n_missing
    if "Surv(" in formula.replace(" ", ""):
        raise FormulaError(f"{formula}: smethod '{smethod}' scores a numeric response (y ~ marker); "
                           "a Surv() response takes smethod='LogRank'")
    f = parse_simple_formula(formula)
    data = as_polars(data)
    f.check(data)
    if len(f.terms) != 1:
        raise FormulaError(f"{formula}: maxstat needs exactly one marker on the right-hand side")
    for c in (f.response, f.terms[0]):
        if not data.schema[c].is_numeric():
            raise FormulaError(f"{formula}: column '{c}' must be numeric, found {data.schema[c]}")
    frame = data.select(pl.col(f.response).cast(pl.Float64), pl.col(f.terms[0]).cast(pl.Float64)).fill_nan(None)
    keep = ~np.asarray(frame.select(pl.any_horizontal(pl.all().is_null())).to_series(), dtype=bool)
    frame = frame.filter(pl.Series(keep))
    y, x = (frame[c].to_numpy() for c in frame.columns)
    return f.text, f.terms[0], rank_scores(y, smethod), x, None, None, int((~keep).sum())


def maxstat(formula: str, data, minprop: float = 0.1, maxprop: float = 0.9, pmethod: str = "Lau92",
            n_perm: int = 10000, seed=None, alpha: float | None = None, smethod: str = "LogRank",
            iscores: bool | None = None) -> MaxstatResult:
    """Maximally selected rank statistic and its search-adjusted p-value.

    As R's ``maxstat::maxstat.test(formula, data, smethod = , pmethod = )`` (maxstat
    0.7-25): scores of the response (:mod:`.scores`); for each admissible cut ``c`` (every
    distinct marker value but the largest, with at least ``max(1, floor(n * minprop))``
    and at most ``floor(n * maxprop)`` patients at or below it; ties in the marker stay
    together) the standardised sum of the scores of ``marker <= c``; the cut with the
    largest absolute value (the first one on ties). Sums are R's (long double), so the
    statistics equal R's to the bit.

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ marker"`` (``smethod="LogRank"``) or ``"y ~ marker"`` for the
        other scores. Rows with a missing value are left out and counted in ``n_missing``.
    data : polars.DataFrame or pandas.DataFrame
    minprop, maxprop : float
        Smallest / largest share of patients in the low group. ``minprop=0, maxprop=1``
        reproduces R's special case (which drops the first and the last cut).
    pmethod : {"Lau92", "Lau94", "exactGauss", "HL", "condMC", "min", "auto", "permutation", "none"}
        "Lau92": Lausen & Schumacher (1992) asymptotic bound; "Lau94": Lausen, Sauerbrei &
        Schumacher (1994) bound over the searched cuts; "exactGauss": the limiting
        multivariate normal probability (Hothorn & Lausen 2003), integrated exactly here
        (see :func:`nlrstats.stats.cutpoint._pvalues.p_exact_gauss`; R uses Monte Carlo);
        "HL": Hothorn & Lausen's exact permutation lower bound (integer scores); "condMC":
        R's conditional Monte Carlo, draw for draw from R's generator (``seed`` as
        ``set.seed``; strictly greater maxima count, as R); "min": the smallest of Lau92,
        Lau94, exactGauss and HL (integer scores needed, as in R). Not in R: "auto" runs
        exactGauss where :func:`exact_gauss_feasible` says it is affordable and Lau94
        otherwise (``pmethod`` of the result says which ran); "permutation": numpy-seeded
        Monte Carlo counting ties (``>=``) as the usual definition.
    n_perm : int
        Permutations for "condMC" / "permutation" (R's ``B``, default 10000).
    seed : int, RRNG or None
        "condMC": R's ``set.seed`` (an :class:`~nlrstats.stats.rng.RRNG` continues a
        stream); "permutation": numpy's ``default_rng`` seed.
    alpha : float, optional
        Also return the critical value of M at this level (R's ``quant``) for Lau92,
        Lau94, exactGauss (root solved to 1e-10; R's ``optimize`` gives about 1e-4), condMC
        (R's ``qmaxperm``: the largest simulated maximum whose cumulative share is at most
        alpha) and permutation (the upper ``alpha`` quantile).
    smethod : {"LogRank", "Wilcoxon", "Median", "NormalQuantil", "Data"}
    iscores : bool, optional
        Integer scores (R's ``iscores``, default for "HL"): they then serve the whole
        test, statistic included, as in R.

    Returns
    -------
    MaxstatResult
    """
    if pmethod not in PMETHODS:
        raise ValueError(f"pmethod must be one of {', '.join(PMETHODS)}; got {pmethod!r}")
    if smethod not in SMETHODS:
        raise ValueError(f"smethod must be one of {', '.join(SMETHODS)}; got {smethod!r}")
    if not (0 <= minprop <= maxprop <= 1):
        raise ValueError(f"minprop ({minprop}) and maxprop ({maxprop}) must satisfy 0 <= minprop <= maxprop <= 1")
    text, marker, scores, x, t, e, n_missing = _response(formula, data, smethod)
    n = x.size
    if n < 3:
        raise ValueError(f"{text}: maxstat needs at least 3 complete rows, found {n}")
    if iscores if iscores is not None else pmethod == "HL":
        scores = integer_scores(scores)
    cuts, stats, m, ex, sd, _, ys = scan_cuts(x, scores, minprop, maxprop)
    k = first_max(stats)
    b = float(stats[k])
    est = float(cuts[k])
    used = pmethod
    if pmethod == "auto":
        used = "exactGauss" if pv.exact_gauss_feasible(b, n, m) else "Lau94"
    p, quant, rng_seed = _adjusted_p(used, b, n, m, ex, sd, ys, minprop, maxprop, alpha, int(n_perm), seed)
    p_naive = None
    if smethod == "LogRank":
        _, p_naive = logrank_two_groups(t, e, x > est)
    mc = used in ("condMC", "permutation")
    return MaxstatResult(
        formula=text, estimate=est, statistic=b, p_value=p, pmethod=used,
        p_value_unadjusted=p_naive, cuts=cuts, stats=stats, m=m, n=n,
        n_events=int(e.sum()) if e is not None else 0, n_missing=n_missing, minprop=minprop, maxprop=maxprop,
        alpha=alpha, quantile=quant, n_perm=int(n_perm) if mc else None, seed=rng_seed if mc else None,
        marker=marker, smethod=smethod, pmethod_requested=pmethod)


def _adjusted_p(pmethod, b, n, m, ex, sd, ys, minprop, maxprop, alpha, n_perm, seed):
    """``(p, quantile, seed used)`` of the maximum ``b`` over the cuts ``m`` by ``pmethod``."""
    quant = None
    if pmethod == "none":
        return None, None, None
    if pmethod == "Lau92":
        if alpha is not None:
            quant = pv.critical_value(lambda z: pv.p_lausen92(z, minprop, maxprop), alpha)
        return pv.p_lausen92(b, minprop, maxprop), quant, None
    if pmethod == "Lau94":
        if alpha is not None:
            quant = pv.critical_value(lambda z: pv.p_lausen94(z, n, m), alpha)
        return float(pv.p_lausen94(b, n, m)), quant, None
    if pmethod == "exactGauss":
        if alpha is not None:
            quant = pv.critical_value(lambda z: pv.p_exact_gauss(z, n, m), alpha)
        return pv.p_exact_gauss(b, n, m), quant, None
    if pmethod == "HL":
        return pd.p_hl(b, ys, m), None, None
    if pmethod == "min":
        return min(pv.p_lausen92(b, minprop, maxprop), float(pv.p_lausen94(b, n, m)), pv.p_exact_gauss(b, n, m),
                   pd.p_hl(b, ys, m)), None, None
    if pmethod == "condMC":
        rng = as_rng(seed)
        if alpha is None:
            return pd.p_cond_mc(b, ys, m, ex, sd, n_perm, rng), None, rng.seed
        vals, prob = pd.cond_mc_distribution(ys, m, ex, sd, n_perm, rng)
        below = vals[np.cumsum(prob.astype(np.longdouble)).astype(float) <= alpha]  # R's cumsum
        p = float(np.cumsum(prob[vals > b].astype(np.longdouble))[-1]) if np.any(vals > b) else 0.0
        return p, (float(below.max()) if below.size else None), rng.seed
    rng = np.random.default_rng(seed)
    perm = pv.permutation_max(ys, m, ex, sd, n_perm, rng)
    if alpha is not None:
        quant = float(np.quantile(perm, 1 - alpha))
    return pv.p_permutation(b, perm), quant, seed
