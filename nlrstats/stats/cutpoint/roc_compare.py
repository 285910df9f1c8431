"""Comparing two ROC curves as pROC's ``roc.test``: DeLong (paired or unpaired) and bootstrap.

Pairing follows pROC's ``are.paired``: two curves are paired when their responses are
identical (same patients, same outcome), or when they come from the same outcome vector
with different missing markers, in which case both are rebuilt on the rows where both
markers are present. The bootstrap draws what pROC's ``stratified.bootstrap.test`` draws
from R's generator, so ``seed=s`` equals R after ``set.seed(s)``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import special

from nlrstats.stats import distributions as stats
from nlrstats.stats.cutpoint.roc_bootstrap import check_boot, replicate_auc
from nlrstats.stats.cutpoint.roc_curve import placements
from nlrstats.stats.result import Result
from nlrstats.stats.rng import as_rng

__all__ = ["roc_test", "RocTestResult", "are_paired"]

_ALTERNATIVES = ("two.sided", "less", "greater")


@dataclass(frozen=True)
class RocTestResult(Result):
    """Test of two AUCs, as pROC's ``roc.test`` (an ``htest``).

    ``statistic`` is Z (DeLong, paired), D (DeLong unpaired: a t statistic with ``parameter``
    = Welch-Satterthwaite df; bootstrap: ``(AUC1 - AUC2) / sd(replicate differences)``).
    ``conf_low``/``conf_high``: the CI of the difference (paired DeLong only, as pROC).
    """

    statistic: float
    p_value: float
    auc1: float
    auc2: float
    conf_low: float | None
    conf_high: float | None
    conf_level: float = 0.95
    marker1: str = ""
    marker2: str = ""
    n: int = 0
    method: str = "DeLong's test for two correlated ROC curves"
    statistic_name: str = "Z"
    parameter: float | None = None
    alternative: str = "two.sided"
    paired: bool = True
    boot_n: int | None = None
    boot_stratified: bool | None = None
    seed: int | None = None
    n_failed: int = 0

    @property
    def estimate(self) -> float:
        """Difference in AUC (roc1 - roc2)."""
        return self.auc1 - self.auc2

    def tidy(self) -> pl.DataFrame:
        """One row: estimate (AUC difference), auc1, auc2, statistic, p_value, conf_low/high, method."""
        return pl.DataFrame({"term": [f"{self.marker1} - {self.marker2}"], "estimate": [self.estimate],
                             "auc1": [self.auc1], "auc2": [self.auc2], "statistic": [self.statistic],
                             "p_value": [self.p_value], "conf_low": [self.conf_low],
                             "conf_high": [self.conf_high], "method": [self.method],
                             "parameter": [self.parameter], "alternative": [self.alternative]},
                            schema_overrides={"conf_low": pl.Float64, "conf_high": pl.Float64,
                                              "parameter": pl.Float64})

    def glance(self) -> pl.DataFrame:
        return self.tidy()

    def __repr__(self) -> str:
        lines = [f"\n\t{self.method}\n", f"data:  {self.marker1} and {self.marker2} (n = {self.n})"]
        par = "" if self.parameter is None else (
            f", boot.n = {self.boot_n}, boot.stratified = {int(bool(self.boot_stratified))}"
            if self.boot_n else f", df = {self.parameter:.5g}")
        lines.append(f"{self.statistic_name} = {self.statistic:.5g}{par}, p-value = {self.p_value:.4g}")
        alt = {"two.sided": "not equal to", "less": "less than", "greater": "greater than"}[self.alternative]
        lines.append(f"alternative hypothesis: true difference in AUC is {alt} 0")
        if self.conf_low is not None:
            lines.append(f"{self.conf_level:.0%} confidence interval:\n {self.conf_low:.7g} {self.conf_high:.7g}")
        lines.append(f"sample estimates:\nAUC of roc1 AUC of roc2 \n {self.auc1:.7g} {self.auc2:.7g} ")
        return "\n".join(lines)


def are_paired(roc1, roc2):
    """pROC's ``are.paired``: ``(paired, roc1, roc2)`` with the curves rebuilt on common rows if needed."""
    if roc1.levels != roc2.levels:
        return False, roc1, roc2
    if np.array_equal(roc1.is_case, roc2.is_case):
        return True, roc1, roc2
    if roc1.input_class is not None and roc2.input_class is not None and \
            np.array_equal(roc1.input_class, roc2.input_class):
        keep = ~np.isnan(roc1.input_marker) & ~np.isnan(roc2.input_marker)
        return True, roc1.restricted(keep), roc2.restricted(keep)
    return False, roc1, roc2


def _p(stat: float, alternative: str, df: float | None = None) -> float:
    def cdf(x):
        return stats.norm.cdf(x) if df is None else stats.t.cdf(x, df)

    if alternative == "two.sided":
        return float(2 * cdf(-abs(stat)))
    return float(cdf(-stat) if alternative == "greater" else cdf(stat))


def _sd(x: np.ndarray) -> float:
    """R's ``sd``: two-pass mean (refined once) and squares summed in long double."""
    v = x.astype(np.longdouble)
    n = v.size
    m = v.sum() / n
    m = m + (v - m).sum() / n
    return float(np.sqrt(float(((v - m) ** 2).sum() / (n - 1))))


def _centred(v: np.ndarray, theta: float) -> np.ndarray:
    return v - theta


def roc_test(roc1, roc2, method: str | None = None, paired: bool | None = None, alternative: str = "two.sided",
             conf_level: float = 0.95, boot_n: int = 2000, boot_stratified: bool = True, seed=None) -> RocTestResult:
    """Compare the AUCs of two ROC curves, as pROC's ``roc.test``.

    Parameters
    ----------
    roc1, roc2 : RocResult
    method : {"delong", "bootstrap"}, optional
        pROC's default: DeLong, except bootstrap for partial AUCs or curves of different
        directions.
    paired : bool, optional
        None: detected as pROC's ``are.paired`` (same patients and outcome). True on
        unpaired curves is an error; False on paired ones warns, as pROC.
    alternative : {"two.sided", "less", "greater"}
    conf_level : float
        Of the paired DeLong CI of the difference.
    boot_n, boot_stratified, seed
        Bootstrap replicates (pROC's 2000, stratified) drawn from R's generator.
    """
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1.")
    can_pair, p1, p2 = are_paired(roc1, roc2)
    if paired is None:
        paired = can_pair
    elif paired and not can_pair:
        raise ValueError("The paired ROC test cannot be applied to unpaired curves (different patients, "
                         f"outcomes or levels: {roc1.n_controls}+{roc1.n_cases} vs {roc2.n_controls}+"
                         f"{roc2.n_cases}); build both on the same rows, or pass paired=False")
    elif not paired and can_pair:
        warnings.warn("The ROC curves seem to be paired. Consider performing a paired roc.test.", stacklevel=2)
    if paired:
        roc1, roc2 = p1, p2
    if (roc1.partial_auc, roc1.partial_auc_focus, roc1.partial_auc_correct) != \
            (roc2.partial_auc, roc2.partial_auc_focus, roc2.partial_auc_correct):
        warnings.warn("Different AUC specifications in the ROC curves. Enforcing the inconsistency, but "
                      "unexpected results may be produced.", stacklevel=2)
    if method is None:
        method = "bootstrap" if roc1.partial_auc is not None or roc1.direction != roc2.direction else "delong"
    if method not in ("delong", "bootstrap"):
        raise ValueError(f"method must be 'delong' or 'bootstrap', got {method!r}")
    common = dict(auc1=roc1.auc, auc2=roc2.auc, conf_level=conf_level, marker1=roc1.marker, marker2=roc2.marker,
                  alternative=alternative, paired=bool(paired))
    if method == "bootstrap":
        return _bootstrap_test(roc1, roc2, paired, alternative, boot_n, boot_stratified, seed, common)
    if roc1.partial_auc is not None or roc2.partial_auc is not None:
        raise ValueError('DeLong\'s test is not supported for partial AUC. Use method="bootstrap" instead.')
    if roc1.direction != roc2.direction:
        warnings.warn("DeLong's test should not be applied to ROC curves with a different direction.",
                      stacklevel=2)
    x1, y1 = placements(roc1.controls, roc1.cases, roc1.direction)
    x2, y2 = placements(roc2.controls, roc2.cases, roc2.direction)
    t1, t2 = x1.mean(), x2.mean()
    if paired:
        m, n = x1.size, y1.size
        dx1, dx2, dy1, dy2 = x1 - t1, x2 - t2, y1 - t1, y2 - t2
        sx = np.array([[dx1 @ dx1, dx1 @ dx2], [dx2 @ dx1, dx2 @ dx2]]) / (m - 1)
        sy = np.array([[dy1 @ dy1, dy1 @ dy2], [dy2 @ dy1, dy2 @ dy2]]) / (n - 1)
        s = sx / m + sy / n
        sig = math.sqrt(max(s[0, 0] + s[1, 1] - s[0, 1] - s[1, 0], 0.0))
        d = t1 - t2
        z = (0.0 if d == 0 else math.copysign(math.inf, d)) if sig == 0 else d / sig
        crit = special.ndtri(1 - (1 - conf_level) / 2)
        return RocTestResult(statistic=float(z), p_value=_p(z, alternative), conf_low=float(d - crit * sig),
                             conf_high=float(d + crit * sig), n=int(m + n), **common)
    sr = np.sum(_centred(x1, t1) ** 2) / (x1.size - 1) / x1.size + np.sum(_centred(y1, t1) ** 2) / (y1.size - 1) / y1.size
    ss = np.sum(_centred(x2, t2) ** 2) / (x2.size - 1) / x2.size + np.sum(_centred(y2, t2) ** 2) / (y2.size - 1) / y2.size
    t = float((t1 - t2) / math.sqrt(sr + ss))
    df = float((sr + ss) ** 2 / (sr ** 2 / (x1.size + y1.size - 1) + ss ** 2 / (x2.size + y2.size - 1)))
    return RocTestResult(statistic=t, p_value=_p(t, alternative, df), conf_low=None, conf_high=None,
                         n=int(x1.size + y1.size + x2.size + y2.size), method="DeLong's test for two ROC curves",
                         statistic_name="D", parameter=df, **common)


def _bootstrap_test(roc1, roc2, paired, alternative, boot_n, stratified, seed, common) -> RocTestResult:
    check_boot(boot_n, 0.95)
    rng = as_rng(seed)
    s1, s2 = roc1.boot_sample(), roc2.boot_sample()
    u1, u2 = s1.values.size, s2.values.size
    spec1 = (roc1.partial_auc, roc1.partial_auc_focus, roc1.partial_auc_correct)
    spec2 = (roc2.partial_auc, roc2.partial_auc_focus, roc2.partial_auc_correct)
    diffs = np.empty(int(boot_n))
    for b in range(int(boot_n)):
        if stratified:
            ic = rng.unif_index(s1.codes_ctrl.size, s1.codes_ctrl.size)
            ix = rng.unif_index(s1.codes_case.size, s1.codes_case.size)
            jc, jx = (ic, ix) if paired else (rng.unif_index(s2.codes_ctrl.size, s2.codes_ctrl.size),
                                              rng.unif_index(s2.codes_case.size, s2.codes_case.size))
            c1, x1 = s1.codes_ctrl[ic], s1.codes_case[ix]
            c2, x2 = s2.codes_ctrl[jc], s2.codes_case[jx]
        else:
            i = rng.unif_index(s1.codes_rows.size, s1.codes_rows.size)
            j = i if paired else rng.unif_index(s2.codes_rows.size, s2.codes_rows.size)
            c1, x1 = s1.codes_rows[i][~s1.case_rows[i]], s1.codes_rows[i][s1.case_rows[i]]
            c2, x2 = s2.codes_rows[j][~s2.case_rows[j]], s2.codes_rows[j][s2.case_rows[j]]
        a1 = replicate_auc(np.bincount(c1, minlength=u1).astype(float), np.bincount(x1, minlength=u1).astype(float),
                           roc1.direction, *spec1)
        a2 = replicate_auc(np.bincount(c2, minlength=u2).astype(float), np.bincount(x2, minlength=u2).astype(float),
                           roc2.direction, *spec2)
        diffs[b] = a1 - a2
    bad = np.isnan(diffs)
    if bad.any():
        warnings.warn(f"{int(bad.sum())} NA value(s) produced during bootstrap were ignored.", stacklevel=3)
    sd = _sd(diffs[~bad])
    d = (roc1.auc - roc2.auc) / sd if sd > 0 else math.nan
    if math.isnan(d) and np.all(diffs[~bad] == 0) and roc1.auc == roc2.auc:
        d = 0.0
    name = "Bootstrap test for two correlated ROC curves" if paired else "Bootstrap test for two ROC curves"
    n = roc1.n_controls + roc1.n_cases + (0 if paired else roc2.n_controls + roc2.n_cases)
    return RocTestResult(statistic=float(d), p_value=_p(d, alternative), conf_low=None, conf_high=None, n=int(n),
                         method=name, statistic_name="D", parameter=float(boot_n), boot_n=int(boot_n),
                         boot_stratified=bool(stratified), seed=rng.seed, n_failed=int(bad.sum()), **common)
