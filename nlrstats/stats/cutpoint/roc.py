"""ROC analysis as R's pROC 1.18: the curve, its AUC (full or partial) with DeLong or bootstrap CI.

Conventions are pROC's: the first level of the outcome is the controls, the second the
cases; ``direction="<"`` means controls have lower marker values (a case is predicted when
``marker >= threshold``), ``">"`` the reverse (``marker <= threshold``); thresholds are the
midpoints between sorted distinct marker values with ``-Inf`` / ``Inf`` at the ends (see
:mod:`.roc_curve`). Comparing curves is :func:`nlrstats.stats.cutpoint.roc_test`, reading
points off a curve :func:`nlrstats.stats.cutpoint.coords`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import polars as pl
from scipy import special

from nlrstats.stats.cutpoint._inputs import column, r_label
from nlrstats.stats.cutpoint.landmark import LandmarkOutcome
from nlrstats.stats.cutpoint.roc_bootstrap import BootSample, ci_auc
from nlrstats.stats.cutpoint.roc_curve import PARTIAL_FOCUS, area, curve, partial_area, placements
from nlrstats.stats.formula import parse_simple_formula
from nlrstats.stats.frames import as_polars
from nlrstats.stats.result import Result

__all__ = ["roc", "RocResult"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class RocResult(Result):
    """An empirical ROC curve, as pROC's ``roc`` object with its ``ci.auc``.

    Attributes
    ----------
    auc : float
        AUC (trapezoidal = Mann-Whitney), or the partial AUC when ``partial_auc`` is set
        (McClish-corrected when ``partial_auc_correct``), as pROC's ``roc$auc``.
    conf_low, conf_high : float or None
        CI of ``auc``: DeLong (truncated to [0, 1] as pROC; None with fewer than 2 cases or
        2 controls) or bootstrap quantiles (``ci_method="bootstrap"``).
    direction : {"<", ">"}
        "<": controls < cases, a case is predicted by ``marker >= threshold``.
    levels : tuple of str
        (control level, case level), as R prints them.
    ci_method : str or None
        "DeLong", "bootstrap" or None (no CI).
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
    partial_auc: tuple[float, float] | None = None
    partial_auc_focus: str = "specificity"
    partial_auc_correct: bool = False
    ci_method: str | None = "DeLong"
    boot_n: int | None = None
    boot_stratified: bool | None = None
    seed: int | None = None
    input_class: np.ndarray = field(default=None, repr=False)  # per input row: 0 control, 1 case, -1 other, -2 NA
    input_marker: np.ndarray = field(default=None, repr=False)  # per input row (NaN where missing)

    def tidy(self) -> pl.DataFrame:
        """The curve as pROC stores it: ``threshold``, ``sensitivity``, ``specificity``."""
        return pl.DataFrame({"threshold": self.thresholds, "sensitivity": self.sensitivities,
                             "specificity": self.specificities})

    def glance(self) -> pl.DataFrame:
        """One row: auc, conf_low, conf_high, method, direction, levels, counts, partial AUC range."""
        lo, hi = self.partial_auc if self.partial_auc is not None else (None, None)
        return pl.DataFrame({
            "marker": [self.marker], "outcome": [self.outcome], "auc": [self.auc],
            "conf_low": [self.conf_low], "conf_high": [self.conf_high], "conf_level": [self.conf_level],
            "method": [self.ci_method], "direction": [self.direction], "control_level": [self.levels[0]],
            "case_level": [self.levels[1]], "n_controls": [self.n_controls], "n_cases": [self.n_cases],
            "n_missing": [self.n_missing], "partial_auc_from": [lo], "partial_auc_to": [hi],
            "partial_auc_focus": [self.partial_auc_focus if self.partial_auc else None],
        }, schema_overrides={"conf_low": pl.Float64, "conf_high": pl.Float64, "method": pl.String,
                             "partial_auc_from": pl.Float64, "partial_auc_to": pl.Float64,
                             "partial_auc_focus": pl.String})

    def delong_ci(self, conf_level: float | None = None) -> tuple[float | None, float | None]:
        """DeLong (1988) CI of the full AUC, truncated to [0, 1] (pROC ``ci.auc(method = "delong")``)."""
        level = self.conf_level if conf_level is None else conf_level
        nx, ny = self.cases.size, self.controls.size
        if nx < 2 or ny < 2:
            return None, None
        px, py = placements(self.controls, self.cases, self.direction, ordered=False)
        theta = float(px.mean())
        s = np.sum((px - theta) ** 2) / (nx - 1) / nx + np.sum((py - theta) ** 2) / (ny - 1) / ny
        z = special.ndtri(1 - (1 - level) / 2)
        return (float(min(max(theta - z * math.sqrt(s), 0.0), 1.0)),
                float(min(max(theta + z * math.sqrt(s), 0.0), 1.0)))

    def boot_sample(self) -> BootSample:
        """The patients as the bootstrap resamples them (pROC's ``controls``, ``cases``, ``predictor``)."""
        xs = self.input_marker[self.rows] if self.input_marker is not None else np.r_[self.controls, self.cases]
        is_case = self.is_case if self.input_marker is not None else None
        return BootSample.build(self.controls, self.cases, xs, is_case)

    def restricted(self, keep: np.ndarray) -> "RocResult":
        """The same curve (direction, levels, partial AUC) on the input rows where ``keep`` is True;
        pROC's re-pairing of two curves on their common complete rows (``are.paired``). No CI."""
        keep = np.asarray(keep, dtype=bool) & (self.input_class >= 0) & ~np.isnan(self.input_marker)
        rows = np.flatnonzero(keep)
        is_case = self.input_class[rows] == 1
        xs = self.input_marker[rows]
        controls, cases = xs[~is_case], xs[is_case]
        if controls.size == 0 or cases.size == 0:
            raise ValueError(f"no {'control' if controls.size == 0 else 'case'} left on the common rows")
        thr, se, sp = curve(controls, cases, self.direction)
        auc = area(se, sp) if self.partial_auc is None else partial_area(
            se, sp, self.partial_auc, self.partial_auc_focus, self.partial_auc_correct, allow_invalid_correct=True)
        return replace(self, auc=auc, conf_low=None, conf_high=None, ci_method=None, boot_n=None,
                       boot_stratified=None, seed=None, n_controls=int(controls.size), n_cases=int(cases.size),
                       thresholds=thr, sensitivities=se, specificities=sp, controls=controls, cases=cases,
                       rows=rows, is_case=is_case, n_missing=int(self.n_input - rows.size - self.n_other_level))

    def youden(self) -> pl.DataFrame:
        """Threshold(s) maximising sensitivity + specificity, as pROC
        ``coords(roc, "best", best.method = "youden")``: a midpoint between observed values;
        every tied optimum is returned (in curve order), as pROC does. ``youden`` is
        J = se + sp - 1 (pROC's column holds se + sp)."""
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
        what = "Area under the curve"
        if self.partial_auc is not None:
            what = (f"{'Corrected p' if self.partial_auc_correct else 'P'}artial area under the curve "
                    f"({self.partial_auc_focus} {self.partial_auc[0]:g}-{self.partial_auc[1]:g})")
        ci = ("" if self.conf_low is None else
              f"\n{self.conf_level:.0%} CI: {self.conf_low:.4f}-{self.conf_high:.4f} ({self.ci_method})")
        return (f"\nroc(outcome = {self.outcome}, marker = {self.marker})\n\n"
                f"Data: {self.marker} in {self.n_controls} controls ({self.outcome} {self.levels[0]}) "
                f"{self.direction} {self.n_cases} cases ({self.outcome} {self.levels[1]}).\n"
                f"{what}: {self.auc:.4f}{ci}")


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


def _check_partial(partial_auc, focus):
    if partial_auc is None or partial_auc is False:
        return None
    if focus not in PARTIAL_FOCUS:
        raise ValueError(f"partial_auc_focus must be 'specificity' or 'sensitivity', got {focus!r}")
    try:
        lo, hi = (float(v) for v in partial_auc)
    except (TypeError, ValueError):
        raise ValueError("partial_auc must be None or a pair of numbers, e.g. (1, 0.8)") from None
    if not (0 <= lo <= 1 and 0 <= hi <= 1) or lo == hi:
        raise ValueError(f"partial_auc must be two different numbers in [0, 1], got {partial_auc!r}")
    return tuple(sorted((lo, hi), reverse=True))


def roc(outcome, marker=None, direction: str = "auto", data=None, levels=None, conf_level: float = 0.95,
        partial_auc=None, partial_auc_focus: str = "specificity", partial_auc_correct: bool = False,
        ci_method: str | None = "auto", boot_n: int = 2000, boot_stratified: bool = True, seed=None):
    """ROC curve with its AUC and CI, as R's ``pROC::roc(outcome, marker)`` + ``ci.auc``.

    Parameters
    ----------
    outcome : array-like, column name, :class:`LandmarkOutcome`, or a formula
        Two-level outcome (booleans such as disease control or response, 0/1, strings).
        R's formula interface: ``roc("dc ~ nlr", data)`` (the frame as second argument or
        ``data``); ``"dc ~ nlr + plr"`` gives a dict of curves by marker, as pROC's list.
    marker : array-like or column name
        Numeric marker (e.g. baseline NLR).
    direction : {"auto", "<", ">"}
        "auto" as pROC: "<" when median(controls) <= median(cases), else ">".
    data : polars or pandas DataFrame, optional
        Frame holding the columns when ``outcome``/``marker`` are names.
    levels : (control, case), optional
        Default: the two sorted distinct outcome values (R's ``levels(as.factor(x))``:
        FALSE < TRUE, 0 < 1). Rows with any other value are left out and counted.
    conf_level : float
    partial_auc, partial_auc_focus, partial_auc_correct
        pROC's ``partial.auc = c(1, .8)`` (a range of specificity, or of sensitivity with
        ``partial_auc_focus="sensitivity"``) and McClish's correction
        (``partial.auc.correct``); ``auc`` is then the partial area.
    ci_method : {"auto", "delong", "bootstrap", None}
        "auto": DeLong for the full AUC; no CI for a partial AUC (pROC computes it only by
        bootstrap, so ask for ``"bootstrap"``). None: no CI.
    boot_n, boot_stratified, seed
        The bootstrap of :func:`nlrstats.stats.cutpoint.ci_auc` (pROC's defaults 2000,
        stratified; ``seed=s`` equals R after ``set.seed(s)``).

    Returns
    -------
    RocResult (or dict of them for a formula with several markers)
        Rows with a missing outcome or marker are left out (pROC ``na.rm``) and counted in
        ``n_missing``.
    """
    opts = dict(direction=direction, levels=levels, conf_level=conf_level, partial_auc=partial_auc,
                partial_auc_focus=partial_auc_focus, partial_auc_correct=partial_auc_correct,
                ci_method=ci_method, boot_n=boot_n, boot_stratified=boot_stratified, seed=seed)
    if isinstance(outcome, str) and "~" in outcome:
        frame = data if data is not None else marker
        if frame is None:
            raise ValueError(f"roc('{outcome}'): a formula needs data, e.g. roc('{outcome}', data)")
        f = parse_simple_formula(outcome)
        frame = as_polars(frame)
        f.check(frame)
        curves = {m: roc(f.response, m, data=frame, **opts) for m in f.terms}
        return curves[f.terms[0]] if len(curves) == 1 else curves
    return _roc(outcome, marker, data, **opts)


def _roc(outcome, marker, data, direction, levels, conf_level, partial_auc, partial_auc_focus,
         partial_auc_correct, ci_method, boot_n, boot_stratified, seed) -> RocResult:
    if direction not in ("auto", "<", ">"):
        raise ValueError(f"direction must be 'auto', '<' or '>', got {direction!r}")
    if ci_method not in ("auto", "delong", "bootstrap", None):
        raise ValueError(f"ci_method must be 'auto', 'delong', 'bootstrap' or None, got {ci_method!r}")
    partial = _check_partial(partial_auc, partial_auc_focus)
    if partial is not None and ci_method == "delong":
        raise ValueError('DeLong method is not supported for partial AUC. Use ci_method="bootstrap" instead.')
    if isinstance(outcome, LandmarkOutcome):
        y_name, y = outcome.name, outcome.outcome
    else:
        y_name, y = column(outcome, data, "outcome")
    if marker is None:
        raise ValueError("roc needs a marker (or a formula 'outcome ~ marker' with data)")
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
    input_class = np.where(is_cs, 1, np.where(is_ctrl, 0, np.where(y.is_null().to_numpy(), -2, -1)))
    input_marker = xv.fill_null(np.nan).to_numpy().astype(float)
    rows = np.flatnonzero((is_ctrl | is_cs) & ~missing)
    is_case = is_cs[rows]
    xs = input_marker[rows]
    controls, cases = xs[~is_case], xs[is_case]
    if controls.size == 0:
        raise ValueError(f"no control observation (outcome '{y_name}' == {r_label(control)})")
    if cases.size == 0:
        raise ValueError(f"no case observation (outcome '{y_name}' == {r_label(case)})")
    if direction == "auto":
        direction = "<" if np.median(controls) <= np.median(cases) else ">"
    thr, se, sp = curve(controls, cases, direction)
    auc = area(se, sp) if partial is None else partial_area(se, sp, partial, partial_auc_focus, partial_auc_correct)
    if auc is None:
        raise ValueError("Partial AUC correction not defined for ROC curves below the diagonal "
                         f"(the partial AUC of '{x_name}' over {partial} is below the diagonal's)")
    n_missing = int(missing.sum())
    res = RocResult(auc=auc, conf_low=None, conf_high=None, direction=direction,
                    levels=(r_label(control), r_label(case)), conf_level=conf_level,
                    n_controls=int(controls.size), n_cases=int(cases.size), n_missing=n_missing,
                    n_other_level=int(n_input - n_missing - rows.size), marker=x_name, outcome=y_name,
                    thresholds=thr, sensitivities=se, specificities=sp, controls=controls, cases=cases,
                    rows=rows, is_case=is_case, n_input=n_input, partial_auc=partial,
                    partial_auc_focus=partial_auc_focus, partial_auc_correct=bool(partial_auc_correct),
                    ci_method=None, input_class=input_class, input_marker=input_marker)
    if ci_method is None or (ci_method == "auto" and partial is not None):
        return res
    if ci_method == "bootstrap":
        ci = ci_auc(res, conf_level, "bootstrap", boot_n, boot_stratified, seed)
        return _with_ci(res, ci.lower, ci.upper, "bootstrap", ci.boot_n, ci.boot_stratified, ci.seed)
    lo, hi = res.delong_ci(conf_level)
    return _with_ci(res, lo, hi, "DeLong")


def _with_ci(res: RocResult, lo, hi, method, boot_n=None, stratified=None, seed=None) -> RocResult:
    return replace(res, conf_low=lo, conf_high=hi, ci_method=method, boot_n=boot_n, boot_stratified=stratified,
                   seed=seed)
