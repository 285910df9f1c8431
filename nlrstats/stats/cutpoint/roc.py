"""ROC analysis as R's pROC 1.18: curve, AUC with DeLong CI, Youden cut, DeLong paired test.

Conventions are pROC's: the first level of the outcome is the controls, the second the
cases; ``direction="<"`` means controls have lower marker values (a case is predicted when
``marker >= threshold``), ``">"`` the reverse (``marker <= threshold``); thresholds are the
midpoints between sorted distinct marker values with ``-Inf`` / ``Inf`` at the ends.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl
from scipy import special

from nlrstats.stats.result import Result
from nlrstats.stats.cutpoint._inputs import column, r_label

__all__ = ["roc", "RocResult", "roc_test", "RocTestResult"]


def _thresholds(values: np.ndarray, direction: str) -> np.ndarray:
    """pROC ``roc.utils.thresholds``: midpoints, with its fix for midpoints that round onto data."""
    u = np.unique(values)
    lo = np.r_[-np.inf, u]
    hi = np.r_[u, np.inf]
    with np.errstate(invalid="ignore", over="ignore"):
        t1 = (lo + hi) / 2
        t2 = lo / 2 + hi / 2
    thr = np.where(np.abs(t1) > 1e100, t2, t1)
    tied = np.flatnonzero(np.isin(thr, u))
    for j in tied:  # adjacent doubles: the midpoint equals one of the two values
        if direction == "<" and thr[j] == u[j - 1]:
            thr[j] = u[j]
        elif direction == ">" and thr[j] == u[j]:
            thr[j] = u[j - 1]
    return thr


def _placements(controls: np.ndarray, cases: np.ndarray, direction: str, ordered: bool = True):
    """DeLong (1988) placement values: for each case the share of controls it beats (ties 1/2),
    for each control the share of cases that beat it. ``ordered=False`` returns them in
    sorted order (enough for the variance; pairing two markers needs input order)."""
    if direction == ">":
        controls, cases = -controls, -cases
    oc, ox = np.argsort(controls), np.argsort(cases)
    sc, sx = controls[oc], cases[ox]
    # sorted queries against sorted arrays: cache-friendly binary searches
    lo_x, hi_x = np.searchsorted(sc, sx, side="left"), np.searchsorted(sc, sx, side="right")
    x = (lo_x + 0.5 * (hi_x - lo_x)) / sc.size
    lo_y, hi_y = np.searchsorted(sx, sc, side="left"), np.searchsorted(sx, sc, side="right")
    y = (sx.size - hi_y + 0.5 * (hi_y - lo_y)) / sx.size
    if not ordered:
        return x, y
    xo, yo = np.empty_like(x), np.empty_like(y)
    xo[ox], yo[oc] = x, y
    return xo, yo


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class RocResult(Result):
    """An empirical ROC curve, as pROC's ``roc`` object with ``ci.auc(method = "delong")``.

    Attributes
    ----------
    auc, conf_low, conf_high : float
        AUC (trapezoidal = Mann-Whitney) and DeLong CI truncated to [0, 1] as pROC;
        the CI is None with fewer than 2 cases or 2 controls.
    direction : {"<", ">"}
        "<": controls < cases, a case is predicted by ``marker >= threshold``.
    levels : tuple of str
        (control level, case level), as R prints them.
    """

    auc: float
    conf_low: float | None
    conf_high: float | None
    direction: str
    levels: tuple[str, str]
    conf_level: float = 0.95
    n_controls: int = 0
    n_cases: int = 0
    n_missing: int = 0
    n_other_level: int = 0
    marker: str = "marker"
    outcome: str = "outcome"
    thresholds: np.ndarray = field(default=None, repr=False)
    sensitivities: np.ndarray = field(default=None, repr=False)
    specificities: np.ndarray = field(default=None, repr=False)
    controls: np.ndarray = field(default=None, repr=False)
    cases: np.ndarray = field(default=None, repr=False)
    rows: np.ndarray = field(default=None, repr=False)        # input rows used, in input order
    is_case: np.ndarray = field(default=None, repr=False)     # per used row
    n_input: int = 0

    def tidy(self) -> pl.DataFrame:
        """The curve as pROC stores it: ``threshold``, ``sensitivity``, ``specificity``."""
        return pl.DataFrame({"threshold": self.thresholds, "sensitivity": self.sensitivities,
                             "specificity": self.specificities})

    def glance(self) -> pl.DataFrame:
        """One row: auc, conf_low, conf_high, direction, levels, counts."""
        return pl.DataFrame({
            "marker": [self.marker], "outcome": [self.outcome], "auc": [self.auc],
            "conf_low": [self.conf_low], "conf_high": [self.conf_high], "conf_level": [self.conf_level],
            "method": ["DeLong"], "direction": [self.direction], "control_level": [self.levels[0]],
            "case_level": [self.levels[1]], "n_controls": [self.n_controls], "n_cases": [self.n_cases],
            "n_missing": [self.n_missing],
        }, schema_overrides={"conf_low": pl.Float64, "conf_high": pl.Float64})

    def youden(self) -> pl.DataFrame:
        """Threshold(s) maximising sensitivity + specificity, as pROC
        ``coords(roc, "best", best.method = "youden")``: a midpoint between observed values;
        every tied optimum is returned (in curve order), as pROC does."""
        crit = self.sensitivities + self.specificities
        keep = crit == crit.max()
        return pl.DataFrame({"threshold": self.thresholds[keep], "sensitivity": self.sensitivities[keep],
                             "specificity": self.specificities[keep], "youden": crit[keep] - 1.0})

    def at(self, cut: float, convention: Literal["paper", "pROC"] = "paper") -> pl.DataFrame:
        """Sensitivity and specificity when the marker is split at ``cut``.

        Parameters
        ----------
        cut : float
        convention : {"paper", "pROC"}
            "paper" (default): ``marker >= cut`` is *high* (the paper's NLR >= 8); the test
            is positive for high values when ``direction="<"`` and for low values
            (``marker < cut``) when ``direction=">"``. "pROC": as
            ``coords(roc, cut, input = "threshold")``, positive ``marker >= cut`` for "<"
            and ``marker <= cut`` for ">". The two differ only when a marker equals ``cut``
            under direction ">".

        Returns
        -------
        polars.DataFrame
            One row: cut, positive (the rule as text), sensitivity, specificity, tp, fn, tn, fp.
        """
        x, y = self.cases, self.controls
        if self.direction == "<":
            pos_case, pos_ctrl, rule = x >= cut, y >= cut, f"{self.marker} >= {cut:g}"
        elif convention == "paper":
            pos_case, pos_ctrl, rule = x < cut, y < cut, f"{self.marker} < {cut:g}"
        elif convention == "pROC":
            pos_case, pos_ctrl, rule = x <= cut, y <= cut, f"{self.marker} <= {cut:g}"
        else:
            raise ValueError(f"convention must be 'paper' or 'pROC', got {convention!r}")
        tp, fp = int(pos_case.sum()), int(pos_ctrl.sum())
        fn, tn = x.size - tp, y.size - fp
        return pl.DataFrame({"cut": [float(cut)], "positive": [rule], "sensitivity": [tp / x.size],
                             "specificity": [tn / y.size], "tp": [tp], "fn": [fn], "tn": [tn], "fp": [fp]})

    def __repr__(self) -> str:
        ci = ("" if self.conf_low is None else
              f"\n{self.conf_level:.0%} CI: {self.conf_low:.4f}-{self.conf_high:.4f} (DeLong)")
        return (f"\nroc(outcome = {self.outcome}, marker = {self.marker})\n\n"
                f"Data: {self.marker} in {self.n_controls} controls ({self.outcome} {self.levels[0]}) "
                f"{self.direction} {self.n_cases} cases ({self.outcome} {self.levels[1]}).\n"
                f"Area under the curve: {self.auc:.4f}{ci}")


def _levels(values: list, levels, name: str):
    present = sorted(values)
    if levels is None:
        if len(present) != 2:
            raise ValueError(f"outcome '{name}' has {len(present)} distinct values "
                             f"({', '.join(map(r_label, present))}); give levels=(control, case)")
        return present[0], present[1]
    if len(levels) != 2:
        raise ValueError("levels must be (control level, case level)")
    return levels[0], levels[1]


def roc(outcome, marker, direction: str = "auto", data: pl.DataFrame | None = None, levels=None,
        conf_level: float = 0.95) -> RocResult:
    """ROC curve with AUC and DeLong CI, as R's ``pROC::roc(outcome, marker)`` + ``ci.auc``.

    Parameters
    ----------
    outcome : array-like, column name, or :class:`LandmarkOutcome`
        Two-level outcome (booleans such as disease control or response, 0/1, strings).
    marker : array-like or column name
        Numeric marker (e.g. baseline NLR).
    direction : {"auto", "<", ">"}
        "auto" as pROC: "<" when median(controls) <= median(cases), else ">".
    data : polars.DataFrame, optional
        Frame holding the columns when ``outcome``/``marker`` are names.
    levels : (control, case), optional
        Default: the two sorted distinct outcome values (R's ``levels(as.factor(x))``:
        FALSE < TRUE, 0 < 1). Rows with any other value are left out and counted.
    conf_level : float

    Returns
    -------
    RocResult
        Rows with a missing outcome or marker are left out (pROC ``na.rm``) and counted in
        ``n_missing``.
    """
    if direction not in ("auto", "<", ">"):
        raise ValueError(f"direction must be 'auto', '<' or '>', got {direction!r}")
    y_name, y = column(outcome, data, "outcome")
    x_name, x = column(marker, data, "marker")
    if y.len() != x.len():
        raise ValueError(f"outcome '{y_name}' has {y.len()} values but marker '{x_name}' has {x.len()}")
    if not x.dtype.is_numeric():
        raise ValueError(f"marker '{x_name}' must be numeric, found {x.dtype}")
    xv = x.cast(pl.Float64).fill_nan(None)
    if xv.drop_nulls().is_infinite().any():
        raise ValueError(f"marker '{x_name}' has infinite values")
    n_input = y.len()
    control, case = _levels(y.drop_nulls().unique().to_list(), levels, y_name)
    missing = (y.is_null() | xv.is_null()).to_numpy()
    is_ctrl = (y == control).fill_null(False).to_numpy()
    is_cs = (y == case).fill_null(False).to_numpy()
    rows = np.flatnonzero((is_ctrl | is_cs) & ~missing)
    is_case = is_cs[rows]
    xs = xv.to_numpy()[rows].astype(float)
    controls, cases = xs[~is_case], xs[is_case]
    if controls.size == 0:
        raise ValueError(f"no control observation (outcome '{y_name}' == {r_label(control)})")
    if cases.size == 0:
        raise ValueError(f"no case observation (outcome '{y_name}' == {r_label(case)})")
    if direction == "auto":
        direction = "<" if np.median(controls) <= np.median(cases) else ">"

    thr = _thresholds(xs, direction)
    nx, ny = cases.size, controls.size
    sc, sx = np.sort(controls), np.sort(cases)
    if direction == "<":
        tp = nx - np.searchsorted(sx, thr, side="left")           # cases >= t
        fp = ny - np.searchsorted(sc, thr, side="left")           # controls >= t
    else:
        tp = np.searchsorted(sx, thr, side="right")               # cases <= t
        fp = np.searchsorted(sc, thr, side="right")               # controls <= t
    se = tp / nx
    sp = (ny - fp) / ny
    if np.any(np.diff(sp) < 0):  # pROC sort.roc: specificities increasing
        thr, se, sp = thr[::-1], se[::-1], sp[::-1]
    auc = float(np.sum((se[1:] + se[:-1]) / 2 * (sp[1:] - sp[:-1])))

    lo = hi = None
    if nx > 1 and ny > 1:
        px, py = _placements(controls, cases, direction, ordered=False)
        theta = float(px.mean())
        s = np.sum((px - theta) ** 2) / (nx - 1) / nx + np.sum((py - theta) ** 2) / (ny - 1) / ny
        z = special.ndtri(1 - (1 - conf_level) / 2)
        lo = float(min(max(theta - z * math.sqrt(s), 0.0), 1.0))
        hi = float(min(max(theta + z * math.sqrt(s), 0.0), 1.0))
    n_missing = int(missing.sum())
    return RocResult(auc=auc, conf_low=lo, conf_high=hi, direction=direction,
                     levels=(r_label(control), r_label(case)), conf_level=conf_level,
                     n_controls=int(ny), n_cases=int(nx), n_missing=n_missing,
                     n_other_level=int(n_input - n_missing - rows.size), marker=x_name, outcome=y_name,
                     thresholds=thr, sensitivities=se, specificities=sp, controls=controls, cases=cases,
                     rows=rows, is_case=is_case, n_input=n_input)


@dataclass(frozen=True)
class RocTestResult(Result):
    """DeLong's test for two correlated ROC curves (pROC ``roc.test(method = "delong", paired = TRUE)``)."""

    statistic: float
    p_value: float
    auc1: float
    auc2: float
    conf_low: float
    conf_high: float
    conf_level: float = 0.95
    marker1: str = ""
    marker2: str = ""
    n: int = 0

    @property
    def estimate(self) -> float:
        """Difference in AUC (roc1 - roc2)."""
        return self.auc1 - self.auc2

    def tidy(self) -> pl.DataFrame:
        """One row: estimate (AUC difference), auc1, auc2, statistic (Z), p_value, conf_low/high, method."""
        return pl.DataFrame({"term": [f"{self.marker1} - {self.marker2}"], "estimate": [self.estimate],
                             "auc1": [self.auc1], "auc2": [self.auc2], "statistic": [self.statistic],
                             "p_value": [self.p_value], "conf_low": [self.conf_low],
                             "conf_high": [self.conf_high],
                             "method": ["DeLong's test for two correlated ROC curves"]})

    def glance(self) -> pl.DataFrame:
        return self.tidy()

    def __repr__(self) -> str:
        return ("\n\tDeLong's test for two correlated ROC curves\n\n"
                f"data:  {self.marker1} and {self.marker2} (n = {self.n})\n"
                f"Z = {self.statistic:.5g}, p-value = {self.p_value:.4g}\n"
                "alternative hypothesis: true difference in AUC is not equal to 0\n"
                f"{self.conf_level:.0%} confidence interval:\n {self.conf_low:.7g} {self.conf_high:.7g}\n"
                f"sample estimates:\nAUC of roc1 AUC of roc2 \n {self.auc1:.7g} {self.auc2:.7g} ")


def roc_test(roc1: RocResult, roc2: RocResult, conf_level: float = 0.95) -> RocTestResult:
    """DeLong's paired test of two AUCs on the same patients (e.g. NLR vs PLR).

    As pROC ``roc.test(roc1, roc2, method = "delong", paired = TRUE)``: Z = (AUC1 - AUC2) /
    sd from the DeLong placement covariance; two-sided normal p; CI of the difference.
    Both curves must use the same rows with the same outcome (build them on complete
    rows); otherwise a ValueError says how they differ.
    """
    if roc1.n_input != roc2.n_input or not np.array_equal(roc1.rows, roc2.rows) \
            or not np.array_equal(roc1.is_case, roc2.is_case) or roc1.levels != roc2.levels:
        raise ValueError("roc_test: the two ROC curves are not paired (different rows, outcomes or "
                         f"levels: {roc1.n_controls}+{roc1.n_cases} vs {roc2.n_controls}+{roc2.n_cases} "
                         "patients); build both on the rows where both markers are present")
    if roc1.direction != roc2.direction:
        warnings.warn("DeLong's test should not be applied to ROC curves with a different direction.",
                      stacklevel=2)
    # controls and cases are stored in input order, so placements pair patient by patient
    x1, y1 = _placements(roc1.controls, roc1.cases, roc1.direction)
    x2, y2 = _placements(roc2.controls, roc2.cases, roc2.direction)
    t1, t2 = x1.mean(), x2.mean()
    m, n = x1.size, y1.size
    dx1, dx2, dy1, dy2 = x1 - t1, x2 - t2, y1 - t1, y2 - t2
    sx = np.array([[dx1 @ dx1, dx1 @ dx2], [dx2 @ dx1, dx2 @ dx2]]) / (m - 1)
    sy = np.array([[dy1 @ dy1, dy1 @ dy2], [dy2 @ dy1, dy2 @ dy2]]) / (n - 1)
    s = sx / m + sy / n
    sig = math.sqrt(s[0, 0] + s[1, 1] - s[0, 1] - s[1, 0])
    d = t1 - t2
    if sig == 0:
        z = 0.0 if d == 0 else math.copysign(math.inf, d)
    else:
        z = d / sig
    crit = special.ndtri(1 - (1 - conf_level) / 2)
    return RocTestResult(statistic=float(z), p_value=float(2 * special.ndtr(-abs(z))), auc1=roc1.auc,
                         auc2=roc2.auc, conf_low=float(d - crit * sig), conf_high=float(d + crit * sig),
                         conf_level=conf_level, marker1=roc1.marker, marker2=roc2.marker,
                         n=int(m + n))
