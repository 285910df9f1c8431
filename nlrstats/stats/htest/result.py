"""The ``HTest`` result object shared by every hypothesis test, and R's root finder.

``HTest`` mirrors R's ``htest`` list: a statistic, a parameter (degrees of freedom,
number of trials, ...), a p-value, an estimate with its confidence interval, the
method's name and the alternative. ``tidy()`` is broom's one-row summary with a
fixed schema (absent numbers are null) so that rows from different tests stack.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Callable

import polars as pl

from nlrstats.stats.result import Result

__all__ = ["HTest", "uniroot", "ALTERNATIVES", "check_alternative", "check_conf_level", "as_probability"]

ALTERNATIVES = ("two.sided", "less", "greater")
_DBL_EPS = 2.220446049250313e-16


def check_alternative(alternative: str) -> str:
    """Expand an abbreviated alternative as R's ``match.arg`` does ("two" -> "two.sided")."""
    if not isinstance(alternative, str):
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    hits = [a for a in ALTERNATIVES if a.startswith(alternative)] if alternative else []
    if len(hits) != 1:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    return hits[0]


def check_conf_level(conf_level: float) -> float:
    if not (isinstance(conf_level, (int, float)) and math.isfinite(conf_level) and 0 < conf_level < 1):
        raise ValueError(f"conf_level must be a single number between 0 and 1, got {conf_level!r}")
    return float(conf_level)


def as_probability(p: float) -> float:
    """A sum of probabilities clamped to [0, 1], as R's ``max(0, min(1, PVAL))``.

    Sums of many probabilities (Fisher's tables, exact rank distributions, binomial
    tails) can land an ulp above 1 in floating point; every test that sums probabilities
    passes its p-value through here, and :class:`HTest` refuses any p-value outside [0, 1].
    """
    p = float(p)
    if math.isnan(p):
        return p
    return 0.0 if p < 0.0 else (1.0 if p > 1.0 else p)


def _clean(v):
    """None for absent/NaN numbers; plain floats otherwise (infinities kept)."""
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def _r_format(x: float | None, digits: int) -> str:
    """Approximately R's ``format(x, digits=)``: significant digits, trailing zeros dropped."""
    if x is None:
        return "NA"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == 0:
        return "0"
    s = f"{x:.{digits}g}"
    if "e" in s:
        mant, exp = s.split("e")
        e = int(exp)
        return f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return s


def _r_format_common(xs: list[float | None], digits: int) -> list[str]:
    """R's ``format()`` of a vector: fixed notation with the decimals the most demanding element needs."""
    decs = 0
    for x in xs:
        if x is None or not math.isfinite(x) or x == 0:
            continue
        s = f"{x:.{digits}g}"
        if "e" in s:
            return [_r_format(x, digits) for x in xs]
        decs = max(decs, len(s.split(".")[1]) if "." in s else 0)
    return [_r_format(x, digits) if x is None or not math.isfinite(x) else f"{x:.{decs}f}" for x in xs]


def _format_pval(p: float | None, digits: int = 4) -> str:
    """R's ``format.pval``: values below machine epsilon print as ``< 2.2e-16``."""
    if p is None:
        return "= NA"
    if p < _DBL_EPS:
        return "< 2.2e-16"
    return "= " + _r_format(p, digits)


@dataclass(frozen=True)
class HTest(Result):
    """Result of a hypothesis test, as R's ``htest``.

    Attributes
    ----------
    statistic, parameter, p_value, estimate, conf_low, conf_high : float or None
        ``None`` where R reports nothing (e.g. no estimate for a chi-square test).
    method : str
        R's method string, e.g. ``"Fisher's Exact Test for Count Data"``.
    alternative : str
        ``"two.sided"``, ``"less"`` or ``"greater"`` (``None`` when the test has none,
        as Kruskal-Wallis and chi-square).
    statistic_name, parameter_name, estimate_name : str or None
        The names R prints (``"X-squared"``, ``"df"``, ``"odds ratio"``).
    null_value : float or None
        The hypothesised value (``p`` of a binomial test, the odds ratio 1, ...).
    conf_level : float or None
        Level of ``[conf_low, conf_high]`` (R may lower it when unachievable).
    data_name : str
        What R prints after ``data:``.
    replicates, seed : int or None
        Monte Carlo p-values only: the number of simulated tables (R's ``B``) and the seed
        of R's generator they were drawn with (``set.seed(seed)`` in R gives the same p).
    """

    statistic: float | None
    parameter: float | None
    p_value: float | None
    estimate: float | None
    conf_low: float | None
    conf_high: float | None
    method: str
    alternative: str | None
    statistic_name: str | None = None
    parameter_name: str | None = None
    estimate_name: str | None = None
    null_value: float | None = None
    null_name: str | None = None
    conf_level: float | None = None
    data_name: str = "x"
    replicates: int | None = None
    seed: int | None = None

    def __post_init__(self):
        for f in ("statistic", "parameter", "p_value", "estimate", "conf_low", "conf_high", "null_value"):
            object.__setattr__(self, f, _clean(getattr(self, f)))
        if self.p_value is not None and not 0.0 <= self.p_value <= 1.0:
            raise ValueError(f"{self.method}: p-value {self.p_value!r} outside [0, 1] (a probability sum that "
                             "was not clamped; please report)")

    def tidy(self) -> pl.DataFrame:
        """One row as broom's ``tidy.htest`` (all columns always present, absent values null)."""
        return pl.DataFrame(
            {
                "estimate": [self.estimate],
                "statistic": [self.statistic],
                "p_value": [self.p_value],
                "parameter": [self.parameter],
                "conf_low": [self.conf_low],
                "conf_high": [self.conf_high],
                "method": [self.method],
                "alternative": [self.alternative],
            },
            schema={
                "estimate": pl.Float64, "statistic": pl.Float64, "p_value": pl.Float64,
                "parameter": pl.Float64, "conf_low": pl.Float64, "conf_high": pl.Float64,
                "method": pl.String, "alternative": pl.String,
            },
        )

    def glance(self) -> pl.DataFrame:
        """Same as :meth:`tidy` (broom's ``glance.htest`` is the one-row summary too)."""
        return self.tidy()

    def __repr__(self) -> str:
        # Layout of R's print.htest with digits = 7 (the method is strwrap()ed to 72 columns).
        method = textwrap.fill(" ".join(self.method.split()), width=71, initial_indent="\t",
                               subsequent_indent="\t")
        lines = ["", method, "", f"data:  {self.data_name}"]
        out = []
        if self.statistic is not None:
            out.append(f"{self.statistic_name} = {_r_format(self.statistic, 5)}")
        if self.parameter is not None:
            out.append(f"{self.parameter_name} = {_r_format(self.parameter, 5)}")
        if self.p_value is not None:
            fp = _format_pval(self.p_value)
            out.append("p-value " + fp)
        lines.append(", ".join(out))
        if self.alternative is not None:
            if self.null_value is not None and self.null_name:
                alt = {"two.sided": "not equal to", "less": "less than", "greater": "greater than"}[
                    self.alternative
                ]
                lines.append(
                    f"alternative hypothesis: true {self.null_name} is {alt} {_r_format(self.null_value, 7)}"
                )
            else:
                lines.append(f"alternative hypothesis: {self.alternative}")
        if self.conf_level is not None and (self.conf_low is not None or self.conf_high is not None):
            lines.append(f"{_r_format(100 * self.conf_level, 15)} percent confidence interval:")
            lines.append(" " + " ".join(_r_format_common([self.conf_low, self.conf_high], 7)))
        if self.estimate is not None:
            lines.append("sample estimates:")
            name = self.estimate_name or "estimate"
            val = _r_format(self.estimate, 7)
            w = max(len(name), len(val))
            lines.append(name.rjust(w))
            lines.append(val.rjust(w))
        lines.append("")
        return "\n".join(lines)


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    f_lower: float | None = None,
    f_upper: float | None = None,
    tol: float = _DBL_EPS**0.25,
    maxiter: int = 1000,
) -> float:
    """Root of ``f`` in ``[lower, upper]`` by Brent's method, step for step as R's ``uniroot``.

    R's estimates that come from ``uniroot`` (Fisher's conditional MLE odds ratio and its
    CI, Wilcoxon's asymptotic CI) are only accurate to R's default ``tol``
    (``.Machine$double.eps^0.25``, about 1.2e-4); following R's ``zeroin.c`` iteration
    exactly reproduces R's printed numbers rather than the true roots.
    """
    fa = f(lower) if f_lower is None else f_lower
    fb = f(upper) if f_upper is None else f_upper
    if math.isnan(fa) or math.isnan(fb):
        raise ValueError("uniroot: f is NA at an end of the interval")
    if fa * fb > 0:
        raise ValueError("uniroot: f() values at end points not of opposite sign")
    a, b = float(lower), float(upper)
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    maxit = maxiter + 1
    while maxit > 0:
        maxit -= 1
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _DBL_EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b
