"""The hazard ratio across a continuous variable's range, as rms's ``Predict(fit, x, ref.zero = TRUE)``.

For a Cox model with the variable as a restricted cubic spline (``rcs(x, k)``) or a plain linear
term, the log hazard ratio of a value ``x`` against the reference value ``ref`` is
``(B(x) - B(ref))' beta`` over the variable's columns ``B`` (the fitted knots), with the Wald
variance ``d' V d`` from the fit's variance matrix and normal limits (rms ``Predict`` with
``conf.type = "mean"``: ``qnorm``, cph has no residual df).

Reference value: as rms's ``datadist`` "Adjust to" value of a continuous variable, the median, here
taken over the fit's complete cases (rms takes the rows given to ``datadist``; the two agree when no
row is incomplete). The default grid is rms's: 200 equally spaced values between datadist's prediction
limits (:func:`default_grid`).

The Wald tests are those of rms's ``anova(cph fit)`` for the variable: all its coefficients
(``chisq``, ``df``, ``p_value``) and the nonlinear ones, the spline terms beyond the linear column
(``nonlinear_chisq``, ``nonlinear_df``, ``nonlinear_p``), each ``b' V^-1 b``.

References: Harrell, Regression Modeling Strategies (2nd ed., 2015), sections 2.4.5 and 9.3; rms
``Predict``, ``contrast.rms`` and ``anova.rms``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.distributions import norm
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.stats.survival.coxmodel import chisq_sf
from nlrstats.stats.survival.splines import rcs_basis

__all__ = ["hr_curve", "HRCurve", "hr_per_doubling", "PerDoubling"]


@dataclass(frozen=True)
class HRCurve(Result):
    """Hazard ratio of each ``x`` against ``ref`` with Wald limits, and the Wald tests of the variable."""

    term: str
    ref: float
    x: tuple[float, ...]
    log_hr: tuple[float, ...]
    std_error: tuple[float, ...]
    conf_level: float
    knots: tuple[float, ...]  # () for a linear term
    chisq: float
    df: int
    p_value: float | None
    nonlinear_chisq: float | None
    nonlinear_df: int
    nonlinear_p: float | None
    n: int
    nevent: int
    # the fit's values of the variable (the figure's rug): an array, not a tuple of 10^6 Python floats
    values: np.ndarray = field(default_factory=lambda: np.empty(0), metadata=NOT_IN_JSON, repr=False,
                               compare=False)

    def _limits(self):
        z = norm.ppf(1 - (1 - self.conf_level) / 2)
        lhr, se = np.asarray(self.log_hr), np.asarray(self.std_error)
        return np.exp(lhr), np.exp(lhr - z * se), np.exp(lhr + z * se)

    def tidy(self) -> pl.DataFrame:
        """x, estimate (hazard ratio against ``ref``), conf_low, conf_high, log_hr, std_error."""
        est, lo, hi = self._limits()
        return pl.DataFrame({"x": list(self.x), "estimate": est, "conf_low": lo, "conf_high": hi,
                             "log_hr": list(self.log_hr), "std_error": list(self.std_error)},
                            schema={k: pl.Float64 for k in ("x", "estimate", "conf_low", "conf_high", "log_hr",
                                                            "std_error")})

    def glance(self) -> pl.DataFrame:
        """term, ref, knots, chisq, df, p_value (all the variable's coefficients), nonlinear_chisq,
        nonlinear_df, nonlinear_p (rms ``anova``'s Nonlinear row; null for a linear term), n, nevent."""
        row = {"term": self.term, "ref": self.ref, "knots": len(self.knots), "chisq": self.chisq, "df": self.df,
               "p_value": self.p_value, "nonlinear_chisq": self.nonlinear_chisq, "nonlinear_df": self.nonlinear_df,
               "nonlinear_p": self.nonlinear_p, "n": self.n, "nevent": self.nevent}
        return pl.DataFrame({k: [v] for k, v in row.items()},
                            schema={"term": pl.String, "ref": pl.Float64, "knots": pl.Int64, "chisq": pl.Float64,
                                    "df": pl.Int64, "p_value": pl.Float64, "nonlinear_chisq": pl.Float64,
                                    "nonlinear_df": pl.Int64, "nonlinear_p": pl.Float64, "n": pl.Int64,
                                    "nevent": pl.Int64})


def _variable(fit, term: str):
    """(coding, column indices) of the main-effect term whose variable is ``term`` or ``rcs(term, ...)``."""
    fd = fit.fitdata
    if fd is None or fit.firth:
        raise ValueError("hr_curve needs an ordinary coxph fit (not Firth's penalised fit)")
    spec = fd.design.spec
    f = spec.formula
    found = []
    for vi, (v, c) in enumerate(zip(f.variables, spec.codings)):
        if (c.kind == "rcs" and c.inner == term) or (c.kind == "numeric" and v.text == term):
            found.append(vi)
    if not found:
        raise ValueError(f"hr_curve: {term!r} is not a numeric or rcs() variable of {fit.formula} "
                         f"(terms: {', '.join(fit.term_labels)})")
    vi = found[0]
    terms = [ti for ti, tv in enumerate(f.term_vars) if vi in tv]
    if len(terms) != 1 or f.term_vars[terms[0]] != (vi,):
        raise ValueError(f"hr_curve: {term!r} is in an interaction in {fit.formula}; its hazard ratio depends on "
                         "the other variable, give a model without the interaction")
    cols = np.flatnonzero(np.asarray(fd.design.assign) == terms[0])
    return spec.codings[vi], cols


def _basis(coding, x: np.ndarray) -> np.ndarray:
    return rcs_basis(x, coding.knots) if coding.kind == "rcs" else x[:, None]


def _wald(b: np.ndarray, V: np.ndarray) -> float:
    return float(b @ np.linalg.solve(V, b))


def default_grid(values: np.ndarray, n: int = 200) -> np.ndarray:
    """rms's default: ``n`` equally spaced values between datadist's prediction limits, the ``q`` and
    ``1 - q`` quantiles (R type 7) with ``q = 10 / max(N, 200)`` over the ``N`` values (Hmisc ``datadist``
    ``q.display``: the 5th and 95th percentiles below 200 values, about the 10th smallest and largest above)."""
    v = np.asarray(values, dtype=float)
    q = 10 / max(len(v), 200)
    lo, hi = np.quantile(v, [q, 1 - q], method="linear")
    return np.linspace(lo, hi, n)


def hr_curve(fit, term: str, ref: float | None = None, x=None, conf_level: float = 0.95) -> HRCurve:
    """Hazard ratio of ``term`` at each ``x`` against ``ref`` (rms ``Predict(..., ref.zero = TRUE)``).

    Parameters
    ----------
    fit : CoxPH
        A ``coxph`` fit with ``term`` as ``rcs(term, k)`` or as a linear numeric term, not in an interaction.
    term : str
        The variable (column) name, e.g. ``"nlr_d0"``.
    ref : float, optional
        Reference value (hazard ratio 1); default the median over the fit's complete cases (rms datadist).
    x : sequence of float, optional
        Values to evaluate; default rms's 200 values between datadist's prediction limits (:func:`default_grid`).
    conf_level : float
        Level of the Wald limits.

    Returns
    -------
    HRCurve
        ``tidy()``: x, estimate, conf_low, conf_high; ``glance()``: the Wald tests of rms ``anova``.
    """
    coding, cols = _variable(fit, term)
    b = np.asarray(fit.coef, dtype=float)[cols]
    V = np.asarray(fit.var, dtype=float)[np.ix_(cols, cols)]
    if not np.all(np.isfinite(b)):
        raise ValueError(f"hr_curve: the coefficients of {term!r} are not all finite (aliased or a monotone "
                         "likelihood); the curve is not estimable")
    values = fit.fitdata.design.X[:, cols[0]]
    ref = float(np.median(values)) if ref is None else float(ref)
    xs = default_grid(values) if x is None else np.asarray(x, dtype=float).ravel()
    if not math.isfinite(ref) or not np.all(np.isfinite(xs)):
        raise ValueError("hr_curve: ref and x must be finite numbers")
    D = _basis(coding, xs) - _basis(coding, np.array([ref]))
    lhr = D @ b
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", D, V, D), 0.0))
    chisq = _wald(b, V)
    nl = len(cols) - 1
    nl_chisq = _wald(b[1:], V[1:, 1:]) if nl > 0 else None
    return HRCurve(term, ref, tuple(map(float, xs)), tuple(map(float, lhr)), tuple(map(float, se)), conf_level,
                   tuple(coding.knots), chisq, len(cols), chisq_sf(chisq, len(cols)), nl_chisq, nl,
                   chisq_sf(nl_chisq, nl) if nl > 0 else None, fit.n, fit.nevent, np.array(values, dtype=float))


@dataclass(frozen=True)
class PerDoubling(Result):
    """Hazard ratio per doubling of a marker: exp(coef) of ``log2(marker)`` with Wald limits and p."""

    term: str
    estimate: float | None
    conf_low: float | None
    conf_high: float | None
    p_value: float | None
    n: int
    nevent: int

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({k: [getattr(self, k)] for k in ("term", "estimate", "conf_low", "conf_high", "p_value")},
                            schema={"term": pl.String, **{k: pl.Float64 for k in ("estimate", "conf_low",
                                                                                  "conf_high", "p_value")}})


def hr_per_doubling(fit, term: str, conf_level: float = 0.95) -> PerDoubling:
    """Hazard ratio per doubling of ``term`` from a fit with ``log2(term)`` (a hazard ratio per unit of log2).

    A fit with ``term`` linear on its own scale is refused: its per-doubling ratio depends on the value.
    """
    name = f"log2({term})"
    if name not in fit.terms:
        raise ValueError(f"hr_per_doubling: the fit has no {name} term (terms: {', '.join(fit.terms)}); "
                         f"fit Surv(...) ~ {name} + ...")
    row = fit.tidy(conf_level=conf_level).filter(pl.col("term") == name).row(0, named=True)
    return PerDoubling(name, row["estimate"], row["conf_low"], row["conf_high"], row["p_value"], fit.n, fit.nevent)
