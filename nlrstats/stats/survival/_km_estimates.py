"""What R reads off a Kaplan-Meier curve: pointwise CIs, medians, quantiles, restricted means.

Each function follows the R code named in its docstring (survival 3.5): ``survfit_confint``,
``survmean`` (the median and restricted mean of ``print`` / ``summary(fit)$table``) and
``quantile.survfit``'s ``findq``. They work on one curve's arrays.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from nlrstats.stats.distributions import norm

__all__ = ["CONF_TYPES", "TOL", "confint", "findq", "first_true", "minmin", "minmin_bisect", "minmin_scan",
           "restricted_mean", "z_value"]

CONF_TYPES = ("log", "log-log", "plain", "logit", "arcsin", "none")
TOL = math.sqrt(np.finfo(float).eps)  # R: .Machine$double.eps^0.5


@lru_cache(maxsize=16)
def z_value(conf_level: float) -> float:
    """qnorm(1 - (1 - conf.int) / 2); cached: the median search calls it often (~0.2 ms per scipy call)."""
    return float(norm.ppf(1 - (1 - conf_level) / 2))


def confint(surv: np.ndarray, se: np.ndarray, conf_type: str, conf_level: float):
    """Pointwise CI from the std.err of log S, as R's ``survfit_confint(logse = TRUE, ulimit = TRUE)``.

    "log" (R's default): exp(log S -/+ z se), the upper limit capped at 1; "log-log": on
    log(-log S), NA where S is 0 or 1; "plain": S -/+ z se S within [0, 1]; "logit": on
    log(S / (1 - S)); "arcsin": on asin(sqrt(S)) within [0, pi/2]. NaN where R has NA.
    """
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se / np.log(xx)
            return np.exp(-np.exp(np.log(-np.log(xx)) - se2)), np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        xx = np.where(surv == 0, np.nan, surv)
        if conf_type == "logit":
            se2 = z * se * (1 + xx / (1 - xx))
            lg = np.log(surv / (1 - surv))
            return 1 - 1 / (1 + np.exp(lg - se2)), 1 - 1 / (1 + np.exp(lg + se2))
        if conf_type == "arcsin":
            se2 = 0.5 * z * se * np.sqrt(xx / (1 - xx))
            a = np.arcsin(np.sqrt(xx))
            return np.sin(np.maximum(0.0, a - se2)) ** 2, np.sin(np.minimum(np.pi / 2, a + se2)) ** 2
    raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")


def minmin(y: np.ndarray, x: np.ndarray):
    """First time a curve reaches 0.5, midpoint rule for a flat 0.5 stretch (R's ``survmean``).

    None where R has NA (the curve never drops to 0.5).
    """
    keep = ~np.isnan(y) & (y < 0.5 + TOL)
    if not keep.any():
        return None
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < TOL:
        below = np.flatnonzero(ys < ys[0])
        if len(below):
            return float((xs[0] + xs[below[0]]) / 2)
    return float(xs[0])


def first_true(pred, n: int) -> int:
    """Smallest i in [0, n) with pred(i) for a predicate that is monotone (False then True); n if none."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def minmin_bisect(y, n: int, x: np.ndarray):
    """:func:`minmin` of a curve that is nonincreasing and not NaN on [0, n), by bisection.

    ``y(i)`` gives the curve's value at i, so a band need not be formed over all times.
    """
    c = 0.5 + TOL
    i0 = first_true(lambda i: y(i) < c, n)
    if i0 == n:
        return None
    y0 = y(i0)
    if abs(y0 - 0.5) < TOL:
        i1 = first_true(lambda i: i > i0 and y(i) < y0, n)
        if i1 < n:
            return float((x[i0] + x[i1]) / 2)
    return float(x[i0])


def minmin_scan(band, start: int, stop: int, x: np.ndarray):
    """:func:`minmin` of a curve evaluated chunk by chunk from ``start`` (values before it are
    known to be >= the threshold, values from ``stop`` on are NaN)."""
    c = 0.5 + TOL
    i, size, first, y0 = start, 1024, None, None
    while i < stop:
        j = min(stop, i + size)
        y = band(i, j)
        if first is None:
            hit = np.flatnonzero(~np.isnan(y) & (y < c))
            if len(hit):
                first, y0 = i + int(hit[0]), float(y[hit[0]])
                if abs(y0 - 0.5) >= TOL:
                    return float(x[first])
                y, i = y[hit[0] + 1:], first + 1
        if first is not None:
            below = np.flatnonzero(~np.isnan(y) & (y < y0))
            if len(below):
                return float((x[first] + x[i + int(below[0])]) / 2)
        i, size = j, size * 2
    return None if first is None else float(x[first])


def findq(x: np.ndarray, y: np.ndarray, probs: np.ndarray, tol: float = TOL) -> np.ndarray:
    """Quantiles of a CDF curve as R's ``findq`` (``quantile.survfit``); NaN where R has NA.

    ``x`` = (start, times), ``y`` = (0, 1 - S) (or 1 - a band). The p-quantile is where a
    horizontal line at p first meets the curve (``approx(y + tol, 1:n, p, "constant", f = 1)``
    after dropping repeated y), the midpoint to the next jump when the curve is flat at p
    within ``tol``, the midpoint to the last time for a flat end at p, and the start for p = 0.
    """
    probs = np.asarray(probs, dtype=float)
    if not np.any(~np.isnan(y)) or np.nanmax(y) < probs.min():
        return np.full(len(probs), np.nan)
    xmax = x[-1]
    _, first = np.unique(np.where(np.isnan(y), np.inf, y), return_index=True)  # R's !duplicated(y)
    keep = np.zeros(len(y), dtype=bool)
    keep[first] = True
    x, y = x[keep], y[keep]
    pos = np.flatnonzero(~np.isnan(y))  # approx drops NA points; the indices 1..n stay

    def first_at_least(v):
        """approx(v, 1:n, probs, method = "constant", f = 1) (rule 1: -1 outside the range), 0-based."""
        o = np.argsort(v, kind="stable")
        sv = v[o]
        j = np.searchsorted(sv, probs, side="left")
        inside = (probs >= sv[0]) & (probs <= sv[-1])
        return np.where(inside, pos[o[np.minimum(j, len(sv) - 1)]], -1)

    y_ok = y[pos]
    i1, i2 = first_at_least(y_ok + tol), first_at_least(y_ok - tol)
    xs = np.append(x, np.nan)  # index -1 reads NaN: R's x[NA]
    quant = (xs[i1] + xs[i2]) / 2
    quant[probs == 0] = x[0]
    if not np.isnan(y[-1]):
        last = np.abs(probs - y[-1]) < tol
        quant[last] = (xs[i1[last]] + xmax) / 2
    return quant


def restricted_mean(time, surv, n_risk, n_event, start: float, end: float):
    """Restricted mean survival up to ``end`` and its standard error, as R's ``survmean``.

    The area under S from ``start`` to ``end`` (S = 1 before the first time), and
    var = sum over times t_i <= end of d / (n (n - d)) * (area from t_i to end)^2
    (0 where n = d), as ``print(fit, rmean = )`` and ``summary(fit)$table`` report it.
    """
    keep = time <= end
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    if not keep.any():
        temptime, tempsurv, hh = np.array([end]), np.array([1.0]), np.array([0.0])
    else:
        temptime = np.append(time[keep], end)
        tempsurv = np.append(surv[keep], surv[keep][-1])
        hh = np.append(hh[keep], 0.0)
    delta = np.diff(np.concatenate(([start], temptime)))
    rectangles = delta * np.concatenate(([1.0], tempsurv[:-1]))
    after = np.cumsum(rectangles[1:][::-1])  # area from each time to the end, latest first
    var = float(np.sum(after ** 2 * hh[::-1][1:]))
    return float(np.sum(rectangles) + start), math.sqrt(var)
