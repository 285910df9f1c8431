"""Kaplan-Meier estimates with Greenwood standard errors, as R's ``survfit``.

Kernels, all giving the same arrays to the bit: counting on a decimal grid
(:mod:`._grid`); from ``JIT_MIN_ROWS`` rows and one or two groups, compiled passes over
one sort of packed keys (:mod:`._jit`); below, numpy kernels (a value sort of packed
keys for two groups, per-group value sorts for few groups, one argsort otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import polars as pl
from scipy.stats import norm

from nlrstats.stats.result import Result
from nlrstats.stats.survival._data import Factor, SurvData, combine_factors, factor, prepare
from nlrstats.stats.survival._grid import grid_table
from nlrstats.stats.survival._km_kernels import km_arrays, km_arrays_by_value, km_arrays_grid, km_arrays_packed
from nlrstats.stats.survival._packed import jit_prepared, packed_runs

__all__ = ["survfit", "SurvFit"]

_CONF_TYPES = ("log", "log-log", "plain")
_TOL = math.sqrt(np.finfo(float).eps)


@lru_cache(maxsize=16)
def _z(conf_level: float) -> float:
    return float(norm.ppf(1 - (1 - conf_level) / 2))  # ~0.2 ms per scipy call: the median search calls often


def _confint(surv: np.ndarray, se: np.ndarray, conf_type: str, conf_level: float):
    """Pointwise CI from the log-scale std.err, as R's ``survfit_confint`` (logse = TRUE, ulimit)."""
    z = _z(conf_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se * surv * z
            lo = np.maximum(surv - se2, 0.0)
            hi = np.minimum(surv + se2, 1.0)
            bad = ~np.isfinite(se2)
            lo[bad] = np.nan
            hi[bad] = np.nan
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lo = np.exp(np.log(xx) - z * se)
            hi = np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        else:  # log-log
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se / np.log(xx)
            lo = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            hi = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    return lo, hi


def _minmin(y: np.ndarray, x: np.ndarray):
    """First time a curve reaches 0.5, midpoint rule for a flat 0.5 stretch (R's ``survmean``)."""
    keep = ~np.isnan(y) & (y < 0.5 + _TOL)
    if not keep.any():
        return None
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < _TOL:
        below = np.flatnonzero(ys < ys[0])
        if len(below):
            return float((xs[0] + xs[below[0]]) / 2)
    return float(xs[0])


def _minmin_bisect(y, n: int, x: np.ndarray):
    """:func:`_minmin` of a curve that is nonincreasing and not NaN on [0, n), by bisection.

    ``y(i)`` gives the curve's value at i, so a band need not be formed over all times.
    """
    c = 0.5 + _TOL
    i0 = _first_true(lambda i: y(i) < c, n)
    if i0 == n:
        return None
    y0 = y(i0)
    if abs(y0 - 0.5) < _TOL:
        i1 = _first_true(lambda i: i > i0 and y(i) < y0, n)
        if i1 < n:
            return float((x[i0] + x[i1]) / 2)
    return float(x[i0])


def _first_true(pred, n: int) -> int:
    """Smallest i in [0, n) with pred(i) for a predicate that is monotone (False then True); n if none."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _minmin_scan(band, start: int, stop: int, x: np.ndarray):
    """:func:`_minmin` of a curve evaluated chunk by chunk from ``start`` (values before it are
    known to be >= the threshold, values from ``stop`` on are NaN)."""
    c = 0.5 + _TOL
    i, size, first, y0 = start, 1024, None, None
    while i < stop:
        j = min(stop, i + size)
        y = band(i, j)
        if first is None:
            hit = np.flatnonzero(~np.isnan(y) & (y < c))
            if len(hit):
                first, y0 = i + int(hit[0]), float(y[hit[0]])
                if abs(y0 - 0.5) >= _TOL:
                    return float(x[first])
                y, i = y[hit[0] + 1:], first + 1
        if first is not None:
            below = np.flatnonzero(~np.isnan(y) & (y < y0))
            if len(below):
                return float((x[first] + x[i + int(below[0])]) / 2)
        i, size = j, size * 2
    return None if first is None else float(x[first])


def _none(a) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in a.tolist()]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class SurvFit(Result):
    """Kaplan-Meier fit per stratum (R's ``survfit`` object).

    Arrays hold one row per unique time (event or censoring) within stratum, in
    stratum order; ``std_err`` is R's ``std.err`` (standard error of the
    cumulative hazard, Greenwood), the CI is computed on the ``conf_type`` scale.
    """

    formula: str
    strata: tuple[str, ...]
    stratum: np.ndarray = field(repr=False)
    time: np.ndarray = field(repr=False)
    n_risk: np.ndarray = field(repr=False)
    n_event: np.ndarray = field(repr=False)
    n_censor: np.ndarray = field(repr=False)
    surv: np.ndarray = field(repr=False)
    std_err: np.ndarray = field(repr=False)
    n: np.ndarray = field(repr=False)  # records per stratum
    conf_type: str = "log"
    conf_level: float = 0.95
    n_missing: int = 0

    @cached_property
    def _band(self):
        return _confint(self.surv, self.std_err, self.conf_type, self.conf_level)

    @property
    def lower(self) -> np.ndarray:
        """Pointwise lower confidence limit (computed on first use)."""
        return self._band[0]

    @property
    def upper(self) -> np.ndarray:
        """Pointwise upper confidence limit (computed on first use)."""
        return self._band[1]

    def _median_ci(self, s: slice, t: np.ndarray):
        """:func:`_minmin` of the band without forming it over all times (log scale band).

        The lower limit is nonincreasing where S > 0 (log S falls, the std.err grows) and NaN
        after, so its first crossing is found by bisection; the upper limit is >= S, so its
        crossing lies at or after S's and is found by a forward scan in growing chunks.
        """
        if self.conf_type != "log" or "_band" in self.__dict__:
            return _minmin(self.lower[s], t), _minmin(self.upper[s], t)
        surv, se = self.surv[s], self.std_err[s]
        band = lambda i, j: _confint(surv[i:j], se[i:j], "log", self.conf_level)  # noqa: E731
        npos = _first_true(lambda i: surv[i] <= 0, len(surv))  # S > 0 before npos
        lo = _minmin_bisect(lambda i: band(i, i + 1)[0][0], npos, t)
        # upper >= S up to rounding: start where S is below the threshold with a margin
        start = _first_true(lambda i: surv[i] < (0.5 + _TOL) * (1 + 1e-9), npos)
        hi = _minmin_scan(lambda i, j: band(i, j)[1], start, npos, t)
        return lo, hi

    def _labels(self, idx: np.ndarray) -> list:
        if self.strata == ("",):
            return [None] * len(idx)
        lab = np.asarray(self.strata, dtype=object)
        return lab[idx].tolist()

    def tidy(self) -> pl.DataFrame:
        """One row per stratum and time: strata, time, n_risk, n_event, n_censor, estimate, std_error, conf_low, conf_high."""
        return pl.DataFrame({
            "strata": pl.Series(self._labels(self.stratum), dtype=pl.String),
            "time": self.time,
            "n_risk": self.n_risk,
            "n_event": self.n_event,
            "n_censor": self.n_censor,
            "estimate": self.surv,
            "std_error": pl.Series(_none(self.std_err), dtype=pl.Float64),
            "conf_low": pl.Series(_none(self.lower), dtype=pl.Float64),
            "conf_high": pl.Series(_none(self.upper), dtype=pl.Float64),
        })

    def _slices(self):
        bounds = np.searchsorted(self.stratum, np.arange(len(self.strata) + 1))
        for k in range(len(self.strata)):
            yield k, slice(bounds[k], bounds[k + 1])

    def median(self) -> pl.DataFrame:
        """Median survival and its CI per stratum, exactly as R's ``print(survfit)``.

        The CI limits are where the pointwise lower/upper bands first reach 0.5
        (Brookmeyer-Crowley style inversion of the band, as R). ``None`` where not reached.
        """
        rows = {"strata": [], "records": [], "events": [], "median": [], "conf_low": [], "conf_high": []}
        for k, s in self._slices():
            t = self.time[s]
            rows["strata"].append(None if self.strata == ("",) else self.strata[k])
            rows["records"].append(int(self.n[k]))
            rows["events"].append(int(self.n_event[s].sum()))
            rows["median"].append(_minmin_bisect(self.surv[s].__getitem__, len(t), t))  # S is never NaN
            lo, hi = self._median_ci(s, t)
            rows["conf_low"].append(lo)
            rows["conf_high"].append(hi)
        return pl.DataFrame(rows, schema={"strata": pl.String, "records": pl.Int64, "events": pl.Int64,
                                          "median": pl.Float64, "conf_low": pl.Float64,
                                          "conf_high": pl.Float64})

    def at(self, times) -> pl.DataFrame:
        """Survival at given times as R's ``summary(fit, times = )``.

        ``estimate`` is S(t) at the last time <= t, ``std_error`` the standard error of
        S(t) (R's summary scales ``std.err`` by S), ``n_risk`` the number at risk at t,
        ``n_event`` the events since the previous requested time. Times beyond a stratum's
        last follow-up are dropped for that stratum (R's ``extend = FALSE``).
        """
        req = np.sort(np.asarray(np.atleast_1d(times), dtype=float))
        req = req[np.isfinite(req)]
        start = min(0.0, float(self.time.min())) if len(self.time) else 0.0
        out = {k: [] for k in ("strata", "time", "n_risk", "n_event", "estimate", "std_error",
                               "conf_low", "conf_high")}
        for k, s in self._slices():
            t = np.concatenate(([start], self.time[s]))
            nr = np.concatenate((self.n_risk[s][:1], self.n_risk[s], [0]))
            ne = np.concatenate(([0], self.n_event[s]))
            sv = np.concatenate(([1.0], self.surv[s]))
            se = np.concatenate(([0.0], self.std_err[s]))
            lo = np.concatenate(([1.0], self.lower[s]))
            hi = np.concatenate(([1.0], self.upper[s]))
            p = req[req <= t[-1]]
            if not len(p):
                continue
            i1 = np.maximum(np.searchsorted(t, p, side="right") - 1, 0)
            i2 = np.searchsorted(t, p, side="left")
            cum = np.cumsum(ne)[i1]
            out["strata"] += [None if self.strata == ("",) else self.strata[k]] * len(p)
            out["time"] += p.tolist()
            out["n_risk"] += nr[i2].tolist()
            out["n_event"] += np.diff(np.concatenate(([0], cum))).tolist()
            out["estimate"] += sv[i1].tolist()
            with np.errstate(invalid="ignore"):
                out["std_error"] += _none(se[i1] * sv[i1])
            out["conf_low"] += _none(lo[i1])
            out["conf_high"] += _none(hi[i1])
        return pl.DataFrame(out, schema={"strata": pl.String, "time": pl.Float64, "n_risk": pl.Int64,
                                         "n_event": pl.Int64, "estimate": pl.Float64,
                                         "std_error": pl.Float64, "conf_low": pl.Float64,
                                         "conf_high": pl.Float64})

    def __repr__(self) -> str:
        med = self.median()
        lvl = f"{self.conf_level:g}"
        lines = [f"Call: survfit({self.formula})", ""]
        if self.n_missing:
            lines.append(f"   {self.n_missing} observation{'s' if self.n_missing > 1 else ''} "
                         "deleted due to missingness ")
        head = ["n", "events", "median", f"{lvl}LCL", f"{lvl}UCL"]
        names = [r or "" for r in med["strata"].to_list()] if self.strata != ("",) else ["[1,]"]
        w0 = max(len(x) for x in names)
        fmt = lambda v: "NA" if v is None else f"{v:.4g}"  # noqa: E731
        cells = [[str(r["records"]), str(r["events"]), fmt(r["median"]), fmt(r["conf_low"]),
                  fmt(r["conf_high"])] for r in med.iter_rows(named=True)]
        widths = [max(len(h), *(len(c[j]) for c in cells)) for j, h in enumerate(head)]
        lines.append(" " * w0 + " " + " ".join(h.rjust(w) for h, w in zip(head, widths)))
        for nm, c in zip(names, cells):
            lines.append(nm.ljust(w0) + " " + " ".join(v.rjust(w) for v, w in zip(c, widths)))
        return "\n".join(lines)


def survfit(formula: str, data, conf_type: str = "log", conf_level: float = 0.95) -> SurvFit:
    """Kaplan-Meier survival curves, as R's ``survfit(formula, data)``.

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ 1"`` or ``"Surv(time, event) ~ g1 + g2 + strata(s)"``; every
        right-hand-side variable defines strata (numeric ones by their distinct values).
    data : polars.DataFrame or pandas.DataFrame
    conf_type : {"log", "log-log", "plain"}
        Scale of the pointwise CI (R's ``conf.type``; default "log" as R).
    conf_level : float
        Confidence level (R's ``conf.int``).

    Returns
    -------
    SurvFit
        Greenwood standard errors; median CI as printed by R (Brookmeyer & Crowley 1982
        inversion of the pointwise band). Strata are labelled ``"var=level"`` as R.
        Rows with missing values are dropped and counted in ``n_missing`` (R's na.omit).
        Levels absent from the data (e.g. unused Enum categories) give no stratum, as in R.
    """
    if conf_type not in _CONF_TYPES:
        raise ValueError(f"conf_type must be one of {_CONF_TYPES}, got {conf_type!r}")
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1")
    d: SurvData = prepare(formula, data)
    if d.n == 0:
        raise ValueError(f"{d.formula.text}: no complete observations")
    vars_ = list(d.formula.terms) + list(d.formula.strata)
    # strata(x) labels character levels as they are, numeric and logical ones as "x=level" (R's strata()).
    prefixes = list(d.formula.terms) + [
        f"strata({s})" + ("" if d.frame.schema[s] in (pl.String, pl.Categorical)
                          or isinstance(d.frame.schema[s], (pl.Enum, pl.Categorical)) else f"={s}")
        for s in d.formula.strata]
    if vars_:
        fac: Factor = combine_factors([factor(d.frame[v]) for v in vars_], prefixes)
        codes, labels = fac.codes, fac.labels
    else:
        codes, labels = np.zeros(d.n, dtype=np.int64), ("",)
    gc = grid_table(d.raw_time, d.event, codes, len(labels), bounds=d.time_range)
    jit = jit_prepared(d, codes, len(labels)) if gc is None else None
    runs = packed_runs(d.raw_time, d.event, codes, d.timefix) \
        if gc is None and jit is None and len(labels) == 2 else None
    if gc is not None:  # times on a decimal grid: counting sort
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_arrays_grid(*gc, len(labels))
    elif jit is not None:  # many rows, one or two groups: compiled passes over one sort
        from nlrstats.stats.survival._jit import km_two
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_two(jit, lambda: jit_prepared(d, codes, len(labels)))
    elif runs is not None:  # two groups: one sort of packed keys
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_arrays_packed(runs)
    elif len(labels) <= 16 and d.keys is not None:  # a pass per group beats an argsort and gathers
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_arrays_by_value(d, codes, len(labels))
    else:
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_arrays(d.time, d.event, codes, len(labels), d.order)
    return SurvFit(d.formula.text, tuple(labels), ug, ut, nrisk, nev, ncen, surv, se, gsize,
                   conf_type, conf_level, d.n_missing)
