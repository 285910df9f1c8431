"""R's normal quantile, bit for bit: Wichura's AS 241 (PPND16), as R 4.2's ``qnorm``.

scipy's ``ndtri`` differs from R by a few ulps. That is irrelevant for p-values, but the
Wilcoxon confidence limits are roots of a step function searched by ``uniroot``, and a
few ulps in the target quantile can move a trial point across a tie and change R's
reported limit in the fifth decimal. Reference: Wichura MJ. Algorithm AS 241: the
percentage points of the normal distribution. Appl Stat 1988;37:477-84.
"""

from __future__ import annotations

import math

__all__ = ["qnorm"]

_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
      45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)
_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
      39307.89580009271061, 28729.085735721942674, 5226.495278852854561)
_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
      1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4)
_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
      0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)
_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
      0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)
_F = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
      7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)


def _horner(coef, r):
    # Same evaluation order as R's nested expression: ((c7 r + c6) r + ...) r + c0
    v = coef[7]
    for c in coef[6::-1]:
        v = v * r + c
    return v


def qnorm(p: float, lower_tail: bool = True) -> float:
    """Standard normal quantile as R's ``qnorm(p, lower.tail=)`` (not log scale)."""
    if math.isnan(p) or p < 0 or p > 1:
        return math.nan
    if p == 0:
        return -math.inf if lower_tail else math.inf
    if p == 1:
        return math.inf if lower_tail else -math.inf
    p_ = p if lower_tail else (0.5 - p + 0.5)
    q = p_ - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner(_A, r) / _horner(_B, r)
    if q > 0:
        r = (0.5 - p + 0.5) if lower_tail else p
    else:
        r = p_
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r += -1.6
        val = _horner(_C, r) / _horner(_D, r)
    else:
        r += -5.0
        val = _horner(_E, r) / _horner(_F, r)
    return -val if q < 0 else val
