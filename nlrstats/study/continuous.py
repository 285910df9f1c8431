"""The marker as a continuous variable: a restricted cubic spline Cox model and the hazard ratio per doubling.

Per endpoint: Cox's model (Efron ties) of ``rcs(marker, k)``, its hazard ratio curve against the median
(:func:`nlrstats.stats.survival.hr_curve.hr_curve`, rms ``Predict(ref.zero = TRUE)``) with rms
``anova``'s Wald tests of the marker and of non-linearity; and Cox's model of ``log2(marker)``, whose
hazard ratio is per doubling of the marker.

The number of knots follows the events and the plan's events-per-coefficient rule (Peduzzi et al.,
J Clin Epidemiol 1996): ``rcs(x, k)`` has ``k - 1`` coefficients, so ``k`` is the largest of 5, 4, 3
with ``events >= events_per_coefficient * (k - 1)`` (Harrell, Regression Modeling Strategies, 2.4.6:
3 knots for small samples, 5 for large). Below the rule for 3 knots the spline is not fitted; the
per-doubling model (one coefficient) needs ``events_per_coefficient`` events. What is not fitted says why.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.stats.formula import FormulaError
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.stats.survival import MonotoneLikelihoodWarning, coxph
from nlrstats.stats.survival.hr_curve import HRCurve, PerDoubling, hr_curve, hr_per_doubling
from nlrstats.study.plan import StudyPlan

__all__ = ["ContinuousEndpoint", "ContinuousSection", "continuous_section", "choose_knots", "MAX_KNOTS"]

MAX_KNOTS = 5  # Harrell's recommendation for large samples; more rarely improves the fit
_ESTIMATION_ERRORS = (ValueError, FormulaError, ArithmeticError, MonotoneLikelihoodWarning)


def choose_knots(events: int, events_per_coefficient: int) -> int | None:
    """The largest k in 5, 4, 3 with ``events >= events_per_coefficient * (k - 1)``; None when even 3 fails."""
    for k in range(MAX_KNOTS, 2, -1):
        if events >= events_per_coefficient * (k - 1):
            return k
    return None


@dataclass(frozen=True)
class ContinuousEndpoint(Result):
    """The marker's continuous association with one endpoint.

    ``spline_reason`` says why when the spline was not fitted (``curve`` None); likewise
    ``doubling_reason`` for the per-doubling model. ``curve`` is the hazard ratio curve (tidy: x,
    estimate, conf_low, conf_high) against ``curve.ref`` (the median); ``knots``, the Wald tests
    (``chisq``, ``df``, ``p_value``, ``nonlinear_chisq``, ``nonlinear_df``, ``nonlinear_p``) and
    ``reference`` are read from it (None without a curve) and written to JSON after the fields.
    """

    key: str
    label: str
    n: int
    events: int
    spline_reason: str | None
    per_doubling: PerDoubling | None
    doubling_reason: str | None
    curve: HRCurve | None = field(default=None, metadata=NOT_IN_JSON, repr=False)

    json_properties = ("knots", "nonlinear_chisq", "nonlinear_df", "nonlinear_p", "chisq", "df", "p_value",
                       "reference")

    def _of_curve(self, attr: str):
        return getattr(self.curve, attr) if self.curve is not None else None

    @property
    def knots(self) -> int | None:
        return len(self.curve.knots) if self.curve is not None else None

    @property
    def nonlinear_chisq(self) -> float | None:
        return self._of_curve("nonlinear_chisq")

    @property
    def nonlinear_df(self) -> int | None:
        return self._of_curve("nonlinear_df")

    @property
    def nonlinear_p(self) -> float | None:
        return self._of_curve("nonlinear_p")

    @property
    def chisq(self) -> float | None:
        return self._of_curve("chisq")

    @property
    def df(self) -> int | None:
        return self._of_curve("df")

    @property
    def p_value(self) -> float | None:
        return self._of_curve("p_value")

    @property
    def reference(self) -> float | None:
        return self._of_curve("ref")

    @property
    def estimable(self) -> bool:
        return self.curve is not None or self.per_doubling is not None

    def tidy(self) -> pl.DataFrame:
        """The curve (x, estimate, conf_low, conf_high), empty when no spline was fitted."""
        if self.curve is None:
            return pl.DataFrame(schema={"x": pl.Float64, "estimate": pl.Float64, "conf_low": pl.Float64,
                                        "conf_high": pl.Float64})
        return self.curve.tidy().select("x", "estimate", "conf_low", "conf_high")


@dataclass(frozen=True)
class ContinuousSection(Result):
    """The marker continuous, per endpoint (PFS, OS)."""

    marker: str
    column: str
    pfs: ContinuousEndpoint
    os: ContinuousEndpoint

    def endpoint(self, key: str) -> ContinuousEndpoint:
        return {"pfs": self.pfs, "os": self.os}[key]

    def tidy(self) -> pl.DataFrame:
        """One row per endpoint: knots, Wald tests, HR per doubling with CI, the reasons of what is missing."""
        rows = []
        for e in (self.pfs, self.os):
            d = e.per_doubling
            rows.append({"endpoint": e.key, "n": e.n, "events": e.events, "knots": e.knots,
                         "chisq": e.chisq, "df": e.df, "p_value": e.p_value, "nonlinear_chisq": e.nonlinear_chisq,
                         "nonlinear_df": e.nonlinear_df, "nonlinear_p": e.nonlinear_p,
                         "estimate": d.estimate if d else None, "conf_low": d.conf_low if d else None,
                         "conf_high": d.conf_high if d else None, "doubling_p": d.p_value if d else None,
                         "spline_reason": e.spline_reason, "doubling_reason": e.doubling_reason})
        return pl.DataFrame(rows, schema={"endpoint": pl.String, "n": pl.Int64, "events": pl.Int64,
                                          "knots": pl.Int64, "chisq": pl.Float64, "df": pl.Int64,
                                          "p_value": pl.Float64, "nonlinear_chisq": pl.Float64,
                                          "nonlinear_df": pl.Int64, "nonlinear_p": pl.Float64,
                                          "estimate": pl.Float64, "conf_low": pl.Float64, "conf_high": pl.Float64,
                                          "doubling_p": pl.Float64, "spline_reason": pl.String,
                                          "doubling_reason": pl.String})


def _fit(formula: str, data: pl.DataFrame):
    """Cox fit, or (None, reason): a monotone likelihood or a failed fit is not an estimate."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # rcs() knot adjustments: the knots are reported
            warnings.simplefilter("error", MonotoneLikelihoodWarning)  # added last, so checked first
            fit = coxph(formula, data)
    except _ESTIMATION_ERRORS as exc:
        return None, f"the Cox model could not be fitted ({exc})"
    if fit.monotone or not fit.converged or not all(math.isfinite(float(b)) for b in fit.coef):
        return None, "the Cox model has no finite estimate (monotone likelihood or no convergence)"
    return fit, None


def _endpoint(plan: StudyPlan, cohort: Cohort, key: str) -> ContinuousEndpoint:
    e = plan.endpoint(key)
    col = plan.marker_column
    data = plan.analysis_data(cohort, key).select(col, e.time, e.event)
    n = data.height
    events = int(data[e.event].cast(pl.Int64).sum() or 0) if n else 0
    epc = plan.events_per_coefficient
    nonpositive = int((data[col] <= 0).sum()) if n else 0
    k = choose_knots(events, epc)
    curve = None
    spline_reason = None
    if n < 6:
        spline_reason = f"not estimable: {n} patient{'' if n == 1 else 's'} (a spline needs at least 6)"
    elif k is None:
        spline_reason = (f"not estimable: {events} events, fewer than the {2 * epc} that 3 knots (2 coefficients) "
                         f"need at {epc} events per coefficient")
    else:
        fit, why = _fit(f"{e.formula} ~ rcs({col}, {k})", data)
        if fit is None:
            spline_reason = f"not estimable: {why}"
        else:
            try:
                curve = hr_curve(fit, col)
            except (ValueError, ArithmeticError) as exc:
                spline_reason = f"not estimable: {exc}"
    doubling, doubling_reason = None, None
    if events < max(epc, 1):
        doubling_reason = f"not estimable: {events} events, fewer than the {max(epc, 1)} one coefficient needs"
    elif nonpositive:
        doubling_reason = f"not estimable: {nonpositive} patient(s) with {plan.marker_label} <= 0 (log2 undefined)"
    else:
        fit, why = _fit(f"{e.formula} ~ log2({col})", data)
        if fit is None:
            doubling_reason = f"not estimable: {why}"
        else:
            doubling = hr_per_doubling(fit, col)
    return ContinuousEndpoint(key, e.label, n, events, spline_reason, doubling, doubling_reason, curve)


def continuous_section(plan: StudyPlan, cohort: Cohort) -> ContinuousSection:
    """The plan's marker as a continuous variable for PFS and OS (spline Cox model, HR per doubling)."""
    return ContinuousSection(plan.marker, plan.marker_column, _endpoint(plan, cohort, "pfs"),
                             _endpoint(plan, cohort, "os"))
