"""pROC's bootstrap, replicate for replicate: ``ci.auc(method = "bootstrap")`` and the resampling it shares.

Each replicate draws, from R's generator (:class:`nlrstats.stats.rng.RRNG`), what pROC's
``stratified.ci.auc`` draws: ``sample(controls, replace = TRUE)`` then ``sample(cases,
replace = TRUE)`` (or, unstratified, ``sample(1:n, replace = TRUE)`` over all patients),
and computes the AUC (or partial AUC) of the resampled curve with the original
direction, as pROC's ``auc.roc``. The interval is R's ``quantile(type = 7)`` of the
replicates, so ``seed=s`` gives pROC's interval after ``set.seed(s)`` to the last digit.

A replicate costs one pass over the patients (counts per distinct marker value, no sort),
so 2000 replicates of 10^5 patients take seconds; see ``benchmarks/bench_cutpoint.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.stats.cutpoint.roc_curve import area, curve_from_counts, partial_area
from nlrstats.stats.result import Result
from nlrstats.stats.rng import RRNG, as_rng

__all__ = ["BootSample", "bootstrap_codes", "bootstrap_counts", "replicate_auc", "bootstrap_aucs", "r_quantile", "CiAuc", "ci_auc", "boot_probs",
           "check_boot"]


def r_quantile(x: np.ndarray, probs) -> np.ndarray:
    """R's ``quantile(x, probs)`` (type 7) with R's arithmetic: ``(1 - h) * x[lo] + h * x[hi]``."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    out = []
    for p in probs:
        index = 1 + max(n - 1, 0) * p
        lo, hi = int(np.floor(index)), int(np.ceil(index))
        qs = xs[lo - 1]
        if index > lo and xs[hi - 1] != qs:
            h = index - lo
            qs = (1 - h) * qs + h * xs[hi - 1]
        out.append(float(qs))
    return np.array(out)


def boot_probs(conf_level: float) -> tuple[float, float, float]:
    """pROC's ``c(0 + (1 - conf.level) / 2, .5, 1 - (1 - conf.level) / 2)``."""
    return (0 + (1 - conf_level) / 2, 0.5, 1 - (1 - conf_level) / 2)


@dataclass(frozen=True, eq=False)
class BootSample:
    """The patients of a ROC curve as the bootstrap needs them: value codes and classes.

    ``codes_ctrl`` / ``codes_case``: index of each control / case value among the sorted
    distinct values (in pROC's order of ``roc$controls`` / ``roc$cases``: input order);
    ``codes_rows`` / ``case_rows``: the same for all patients in input order (unstratified).
    """

    values: np.ndarray
    codes_ctrl: np.ndarray
    codes_case: np.ndarray
    codes_rows: np.ndarray
    case_rows: np.ndarray

    @classmethod
    def build(cls, controls: np.ndarray, cases: np.ndarray, rows_values: np.ndarray | None = None,
              rows_is_case: np.ndarray | None = None) -> "BootSample":
        values = np.unique(np.r_[controls, cases])
        if rows_values is None:
            rows_values = np.r_[controls, cases]
            rows_is_case = np.r_[np.zeros(controls.size, bool), np.ones(cases.size, bool)]
        return cls(values, np.searchsorted(values, controls), np.searchsorted(values, cases),
                   np.searchsorted(values, rows_values), np.asarray(rows_is_case, dtype=bool))


def bootstrap_codes(sample: BootSample, stratified: bool, rng: RRNG) -> tuple[np.ndarray, np.ndarray]:
    """One replicate: value codes of the resampled controls and cases, in pROC's draw order."""
    if stratified:
        ic = rng.unif_index(sample.codes_ctrl.size, sample.codes_ctrl.size)
        ix = rng.unif_index(sample.codes_case.size, sample.codes_case.size)
        return sample.codes_ctrl[ic], sample.codes_case[ix]
    idx = rng.unif_index(sample.codes_rows.size, sample.codes_rows.size)
    is_case = sample.case_rows[idx]
    codes = sample.codes_rows[idx]
    return codes[~is_case], codes[is_case]


def bootstrap_counts(sample: BootSample, stratified: bool, rng: RRNG):
    """One replicate: counts of resampled controls and cases per distinct value."""
    u = sample.values.size
    cc, cx = bootstrap_codes(sample, stratified, rng)
    return np.bincount(cc, minlength=u).astype(float), np.bincount(cx, minlength=u).astype(float)


def replicate_auc(cc, cx, direction, partial, focus, correct) -> float:
    if cc.sum() == 0 or cx.sum() == 0:
        return np.nan  # an unstratified replicate without controls or cases: pROC's NA
    se, sp = curve_from_counts(cc, cx, direction)
    if partial is None:
        return area(se, sp)
    return partial_area(se, sp, partial, focus, correct, allow_invalid_correct=True)


def bootstrap_aucs(sample: BootSample, direction: str, boot_n: int, stratified: bool, rng: RRNG,
                   partial=None, focus: str = "specificity", correct: bool = False) -> np.ndarray:
    """``boot_n`` replicate AUCs (or partial AUCs) as pROC's ``stratified.ci.auc`` / ``nonstratified.ci.auc``."""
    out = np.empty(int(boot_n))
    for b in range(int(boot_n)):
        cc, cx = bootstrap_counts(sample, stratified, rng)
        out[b] = replicate_auc(cc, cx, direction, partial, focus, correct)
    return out


@dataclass(frozen=True)
class CiAuc(Result):
    """Confidence interval of an AUC, as pROC's ``ci.auc`` (lower, median, upper)."""

    lower: float | None
    median: float | None
    upper: float | None
    conf_level: float
    method: str
    boot_n: int | None = None
    boot_stratified: bool | None = None
    seed: int | None = None
    n_failed: int = 0

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({"conf_low": [self.lower], "estimate": [self.median], "conf_high": [self.upper],
                             "conf_level": [self.conf_level], "method": [self.method], "boot_n": [self.boot_n]},
                            schema_overrides={"conf_low": pl.Float64, "estimate": pl.Float64,
                                              "conf_high": pl.Float64, "boot_n": pl.Int64})

    def __repr__(self) -> str:
        how = (f"{self.boot_n} stratified bootstrap replicates" if self.boot_stratified else
               f"{self.boot_n} bootstrap replicates") if self.method == "bootstrap" else "DeLong"
        return f"{self.conf_level:.0%} CI: {self.lower:.4g}-{self.upper:.4g} ({how})"


def check_boot(boot_n, conf_level):
    if not (isinstance(boot_n, (int, np.integer)) and not isinstance(boot_n, bool) and boot_n >= 1):
        raise ValueError(f"boot_n must be a positive integer, got {boot_n!r}")
    if not (0 <= conf_level <= 1):
        raise ValueError("conf.level must be within the interval [0,1].")


def ci_auc(roc, conf_level: float = 0.95, method: str | None = None, boot_n: int = 2000,
           boot_stratified: bool = True, seed=None) -> CiAuc:
    """Confidence interval of a ROC curve's AUC, as pROC's ``ci.auc``.

    Parameters
    ----------
    roc : RocResult
    method : {"delong", "bootstrap"}, optional
        pROC's default: DeLong for a full AUC, bootstrap for a partial AUC (DeLong does not
        exist for it, and pROC refuses it).
    boot_n, boot_stratified : int, bool
        pROC's defaults: 2000 replicates, stratified (controls and cases resampled apart).
    seed : int, RRNG or None
        ``seed=s`` gives pROC's interval after ``set.seed(s)``; an :class:`RRNG` continues
        a stream (several R calls after one ``set.seed``); None draws a fresh seed (kept in
        ``seed``).

    Returns
    -------
    CiAuc
        ``lower``, ``median``, ``upper``: the DeLong interval around the AUC, or the
        bootstrap quantiles. Replicates with no control or no case (unstratified only) are
        left out with pROC's warning and counted in ``n_failed``.
    """
    if method is None:
        method = "bootstrap" if roc.partial_auc is not None else "delong"
    if method not in ("delong", "bootstrap"):
        raise ValueError(f"method must be 'delong' or 'bootstrap', got {method!r}")
    if method == "delong":
        if roc.partial_auc is not None:
            raise ValueError('DeLong method is not supported for partial AUC. Use method="bootstrap" instead.')
        lo, hi = roc.delong_ci(conf_level)
        return CiAuc(lo, roc.auc if lo is not None else None, hi, conf_level, "delong")
    check_boot(boot_n, conf_level)
    if roc.n_controls < 2 or roc.n_cases < 2:
        raise ValueError("the bootstrap needs at least 2 controls and 2 cases (pROC's sample() of a single "
                         "value would draw from 1:value instead)")
    rng = as_rng(seed)
    aucs = bootstrap_aucs(roc.boot_sample(), roc.direction, boot_n, boot_stratified, rng, roc.partial_auc,
                          roc.partial_auc_focus, roc.partial_auc_correct)
    bad = np.isnan(aucs)
    if bad.any():
        warnings.warn("NA value(s) produced during bootstrap were ignored.", stacklevel=2)
    q = r_quantile(aucs[~bad], boot_probs(conf_level))
    return CiAuc(float(q[0]), float(q[1]), float(q[2]), conf_level, "bootstrap", int(boot_n),
                 bool(boot_stratified), rng.seed, int(bad.sum()))
