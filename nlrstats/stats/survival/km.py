"""Kaplan-Meier (and Fleming-Harrington) survival curves, as R's ``survfit``.

The curves come from the reference kernel :func:`._km_kernels.km_arrays` (an argsort, then
run counts) or, from ``JIT_MIN_ROWS`` rows, from one of two fast kernels that give the same
arrays to the bit: counting on a decimal grid (:func:`._fastpaths.grid_table`) or, for one
or two groups, compiled passes over one sort of packed keys (:func:`._jit.km_two`).
What R reads off a curve (CIs, medians, quantiles, restricted means) is in :mod:`._km_estimates`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl

from nlrstats.stats.result import Result
from nlrstats.stats.survival._data import Factor, SurvData, combine_factors, factor, prepare
from nlrstats.stats.survival._fastpaths import compiled_keys, grid_table
from nlrstats.stats.survival._km_estimates import (CONF_TYPES, TOL, confint, findq, first_true, minmin,
                                                    minmin_bisect, minmin_scan, restricted_mean)
from nlrstats.stats.survival._km_kernels import cumulative_hazard, km_arrays, km_arrays_grid
from nlrstats.stats.survival._km_summary import curve_slices, summary_rows, table_text

__all__ = ["survfit", "SurvFit"]

_RMEAN = ("none", "common", "individual")


def _none(a) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in a.tolist()]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class SurvFit(Result):
    """Survival curves per stratum (R's ``survfit`` object).

    Arrays hold one row per unique time (event or censoring) within stratum, in stratum
    order. ``surv`` is the Kaplan-Meier estimate (``stype = 1``) or exp(-cumhaz)
    (``stype = 2``); ``std_err`` is R's ``std.err``, the standard error of log S (Greenwood
    for ``stype = 1``, the hazard's for ``stype = 2``); the CI is computed on the
    ``conf_type`` scale. ``cumhaz`` / ``std_chaz`` are R's, computed on first use
    (Nelson-Aalen for ``ctype = 1``, Fleming-Harrington for ``ctype = 2``).
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
    stype: int = 1
    ctype: int = 1
    event_rows: np.ndarray | None = field(default=None, repr=False)  # unweighted deaths, with case weights

    @cached_property
    def _band(self):
        if self.conf_type == "none":
            nan = np.full(len(self.surv), np.nan)
            return nan, nan
        return confint(self.surv, self.std_err, self.conf_type, self.conf_level)

    @property
    def lower(self) -> np.ndarray:
        """Pointwise lower confidence limit (computed on first use; NaN for ``conf_type="none"``)."""
        return self._band[0]

    @property
    def upper(self) -> np.ndarray:
        """Pointwise upper confidence limit (computed on first use; NaN for ``conf_type="none"``)."""
        return self._band[1]

    @cached_property
    def _hazard(self):
        bounds = np.searchsorted(self.stratum, np.arange(len(self.strata) + 1))
        return cumulative_hazard(self.n_risk, self.n_event, bounds, self.ctype, self.event_rows)

    @property
    def cumhaz(self) -> np.ndarray:
        """R's ``cumhaz``: Nelson-Aalen (``ctype = 1``) or Fleming-Harrington (``ctype = 2``) cumulative hazard."""
        return self._hazard[0]

    @property
    def std_chaz(self) -> np.ndarray:
        """R's ``std.chaz``: standard error of the cumulative hazard."""
        return self._hazard[1]

    def _median_ci(self, s: slice, t: np.ndarray):
        """:func:`minmin` of the band without forming it over all times (log scale band).

        The lower limit is nonincreasing where S > 0 (log S falls, the std.err grows) and NaN
        after, so its first crossing is found by bisection; the upper limit is >= S, so its
        crossing lies at or after S's and is found by a forward scan in growing chunks.
        """
        if self.conf_type == "none":
            return None, None
        if self.conf_type != "log" or "_band" in self.__dict__:
            return minmin(self.lower[s], t), minmin(self.upper[s], t)
        surv, se = self.surv[s], self.std_err[s]
        band = lambda i, j: confint(surv[i:j], se[i:j], "log", self.conf_level)  # noqa: E731
        npos = first_true(lambda i: surv[i] <= 0, len(surv))  # S > 0 before npos
        lo = minmin_bisect(lambda i: band(i, i + 1)[0][0], npos, t)
        # upper >= S up to rounding: start where S is below the threshold with a margin
        start = first_true(lambda i: surv[i] < (0.5 + TOL) * (1 + 1e-9), npos)
        hi = minmin_scan(lambda i, j: band(i, j)[1], start, npos, t)
        return lo, hi

    def tidy(self) -> pl.DataFrame:
        """One row per stratum and time: strata, time, n_risk, n_event, n_censor, estimate,
        std_error (R's std.err, of log S), conf_low, conf_high, cumhaz, std_chaz."""
        lab = [None] * len(self.time) if self.strata == ("",) else \
            np.asarray(self.strata, dtype=object)[self.stratum].tolist()
        return pl.DataFrame({
            "strata": pl.Series(lab, dtype=pl.String), "time": self.time, "n_risk": self.n_risk,
            "n_event": self.n_event, "n_censor": self.n_censor, "estimate": self.surv,
            "std_error": pl.Series(_none(self.std_err), dtype=pl.Float64),
            "conf_low": pl.Series(_none(self.lower), dtype=pl.Float64),
            "conf_high": pl.Series(_none(self.upper), dtype=pl.Float64),
            "cumhaz": self.cumhaz, "std_chaz": pl.Series(_none(self.std_chaz), dtype=pl.Float64),
        })

    def median(self) -> pl.DataFrame:
        """Median survival and its CI per stratum, exactly as R's ``print(survfit)``.

        The CI limits are where the pointwise lower/upper bands first reach 0.5
        (Brookmeyer-Crowley style inversion of the band, as R). ``None`` where not reached.
        """
        rows = {"strata": [], "records": [], "events": [], "median": [], "conf_low": [], "conf_high": []}
        for k, (lab, s) in enumerate(curve_slices(self)):
            t = self.time[s]
            rows["strata"].append(lab)
            rows["records"].append(int(self.n[k]))
            rows["events"].append(int(round(float(self.n_event[s].sum()))))
            rows["median"].append(minmin_bisect(self.surv[s].__getitem__, len(t), t))  # S is never NaN
            lo, hi = self._median_ci(s, t)
            rows["conf_low"].append(lo)
            rows["conf_high"].append(hi)
        return pl.DataFrame(rows, schema={"strata": pl.String, "records": pl.Int64, "events": pl.Int64,
                                          "median": pl.Float64, "conf_low": pl.Float64,
                                          "conf_high": pl.Float64})

    def quantile(self, probs=(0.25, 0.5, 0.75), conf_int: bool = True) -> pl.DataFrame:
        """Quantiles of survival time and their CIs per stratum, as R's ``quantile(fit, probs, conf.int)``.

        The p-quantile is the first time S drops to 1 - p or below (R's ``findq``: the
        midpoint to the next drop when S is flat at 1 - p, within sqrt(eps)); its CI limits
        are the same quantiles of the lower and upper bands. One row per stratum and
        probability: strata, prob, quantile, conf_low, conf_high (null where R has NA).
        """
        p = np.atleast_1d(np.asarray(probs, dtype=float))
        if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
            raise ValueError(f"probs must be probabilities in [0, 1], got {list(p)}")
        ci = conf_int and self.conf_type != "none"
        out = {"strata": [], "prob": [], "quantile": [], "conf_low": [], "conf_high": []}
        for lab, s in curve_slices(self):
            x = np.concatenate(([0.0], self.time[s]))
            out["strata"] += [lab] * len(p)
            out["prob"] += p.tolist()
            out["quantile"] += _none(findq(x, np.concatenate(([0.0], 1 - self.surv[s])), p))
            for col, band in (("conf_low", self.lower), ("conf_high", self.upper)):
                out[col] += _none(findq(x, np.concatenate(([0.0], 1 - band[s])), p)) if ci else [None] * len(p)
        return pl.DataFrame(out, schema={"strata": pl.String, **{c: pl.Float64 for c in list(out)[1:]}})

    def table(self, rmean="common") -> pl.DataFrame:
        """Per stratum what R's ``summary(fit)$table`` holds: records, n_max, n_start, events,
        rmean, se_rmean, median, conf_low, conf_high.

        ``rmean``: the upper limit of the restricted mean, as R's argument: "common" (R's
        default in ``summary``: the last follow-up time over all strata), "individual" (each
        stratum's last time), a number, or "none" (no rmean columns). The limit used is in
        the column ``rmean_end``.
        """
        ends = self._rmean_ends(rmean)
        med = self.median()
        rows = {"strata": [], "records": [], "n_max": [], "n_start": [], "events": [], "rmean": [],
                "se_rmean": [], "rmean_end": []}
        start = min(0.0, float(self.time.min()))
        for k, (lab, s) in enumerate(curve_slices(self)):
            rows["strata"].append(lab)
            rows["records"].append(int(self.n[k]))
            rows["n_max"].append(float(self.n_risk[s].max()))
            rows["n_start"].append(float(self.n_risk[s][0]))
            rows["events"].append(float(self.n_event[s].sum()))
            if ends is None:
                continue
            m, se = restricted_mean(self.time[s], self.surv[s], self.n_risk[s], self.n_event[s], start, ends[k])
            rows["rmean"].append(m)
            rows["se_rmean"].append(se)
            rows["rmean_end"].append(ends[k])
        if ends is None:
            for c in ("rmean", "se_rmean", "rmean_end"):
                del rows[c]
        out = pl.DataFrame(rows, schema={"strata": pl.String, "records": pl.Int64,
                                         **{c: pl.Float64 for c in list(rows)[2:]}})
        return out.with_columns(med.select("median", "conf_low", "conf_high"))

    def _rmean_ends(self, rmean):
        if isinstance(rmean, str):
            if rmean not in _RMEAN:
                raise ValueError(f"rmean must be one of {_RMEAN} or a number, got {rmean!r}")
            if rmean == "none":
                return None
            last = [float(self.time[s][-1]) for _, s in curve_slices(self)]
            return [max(last)] * len(last) if rmean == "common" else last
        end = float(rmean)
        if end < float(self.time.min()):
            raise ValueError(f"rmean = {end:g}: the truncation point for the mean is < smallest survival "
                             f"time ({float(self.time.min()):g}), as R refuses it")
        return [end] * len(self.strata)

    def summary(self, times=None, censored: bool = False, extend: bool = False) -> pl.DataFrame:
        """The rows of R's ``summary(fit, times = , censored = , extend = )``.

        Without ``times``: the event times (all times with ``censored=True``), ``n_censor``
        counting the censorings since the previous row. With ``times``: S(t) at the last
        time <= t, ``n_risk`` at t, ``n_event`` / ``n_censor`` since the previous requested
        time; times beyond a stratum's last follow-up are dropped unless ``extend`` (then
        n_risk is 0), and a stratum left with no time is an error, as in R. ``std_error`` is
        the standard error of S (R's summary scales ``std.err`` by S).
        """
        return summary_rows(self, times, censored, extend, strict=True)

    def at(self, times) -> pl.DataFrame:
        """Survival at given times as R's ``summary(fit, times = )``.

        ``estimate`` is S(t) at the last time <= t, ``std_error`` the standard error of
        S(t) (R's summary scales ``std.err`` by S), ``n_risk`` the number at risk at t,
        ``n_event`` the events since the previous requested time. Times beyond a stratum's
        last follow-up are dropped for that stratum (R's ``extend = FALSE``); unlike R, a
        stratum left with no time is left out, not an error.
        """
        return summary_rows(self, times, False, False, strict=False).drop("n_censor", "cumhaz", "std_chaz")

    def format(self, rmean="none") -> str:
        """The text of R's ``print(fit, rmean = )``: n, events, (rmean, se(rmean)), median and CI."""
        return table_text(self, rmean)

    def __repr__(self) -> str:
        return self.format()


def survfit(formula, data=None, conf_type: str = "log", conf_level: float = 0.95, stype: int = 1,
            ctype: int = 1, weights=None, subset=None, timefix: bool = True) -> SurvFit:
    """Kaplan-Meier survival curves, as R's ``survfit(formula, data)``.

    Parameters
    ----------
    formula : str or CoxPH
        ``"Surv(time, event) ~ 1"`` or ``"Surv(time, event) ~ g1 + g2 + strata(s)"``; every
        right-hand-side variable defines strata (numeric ones by their distinct values). A
        fitted :func:`coxph` model gives its predicted curves (R's ``survfit(fit, newdata)``,
        ``CoxPH.survfit``), ``data`` then being ``newdata``.
    data : polars.DataFrame or pandas.DataFrame
    conf_type : {"log", "log-log", "plain", "logit", "arcsin", "none"}
        Scale of the pointwise CI (R's ``conf.type``; default "log" as R).
    conf_level : float
        Confidence level (R's ``conf.int``).
    stype, ctype : {1, 2}
        R's ``stype`` (1: Kaplan-Meier, 2: exp(-cumulative hazard), Fleming & Harrington 1984)
        and ``ctype`` (1: Nelson-Aalen hazard, 2: Fleming-Harrington correction for ties).
    weights : str, polars expression or array, optional
        Case weights (R's ``weights =``). Whole numbers only: R switches to a robust
        (infinitesimal jackknife) variance for fractional weights, which is not implemented.
    subset : str, polars expression or boolean array, optional
        Rows to use (R's ``subset =``: a boolean column name or an R condition).
    timefix : bool
        Merge times closer than sqrt(machine eps), as R's ``aeqSurv`` (default True).

    Returns
    -------
    SurvFit
        Greenwood standard errors (Kaplan & Meier 1958; Greenwood 1926); median CI as printed
        by R (Brookmeyer & Crowley 1982 inversion of the pointwise band). Strata are
        labelled ``"var=level"`` as R. Rows with missing values are dropped and counted in
        ``n_missing`` (R's na.omit). Levels absent from the data (e.g. unused Enum
        categories) give no stratum, as in R. With case weights n_risk, n_event and
        n_censor are weighted (R's), the records ``n`` are rows.
    """
    if not isinstance(formula, str) and callable(getattr(formula, "survfit", None)):
        # R's survfit(coxph_fit, newdata): the fit's own curves (CoxPH.survfit)
        return formula.survfit(data, conf_type=conf_type, conf_level=conf_level)
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1")
    if stype not in (1, 2) or ctype not in (1, 2):
        raise ValueError(f"stype and ctype must be 1 or 2 (R's), got stype={stype!r}, ctype={ctype!r}")
    d: SurvData = prepare(formula, data, timefix=timefix, weights=weights, subset=subset)
    if d.n == 0:
        raise ValueError(f"{d.formula.text}: no complete observations")
    w = d.weights
    if w is not None and (np.any(w < 0) or np.any(w != np.floor(w))):
        raise ValueError(f"survfit({d.formula.text}): case weights must be whole numbers >= 0; with fractional "
                         "weights R uses a robust (infinitesimal jackknife) variance, which nlrstats does not "
                         "implement. Round the weights, or replicate rows.")
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
    ngroup = len(labels)
    gc = grid_table(d.raw_time, d.event, codes, ngroup, bounds=d.time_range) if w is None else None
    jk = compiled_keys(d, codes, ngroup) if gc is None and w is None else None
    rows = None
    if gc is not None:  # many rows on a decimal grid: counts, no sort
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_arrays_grid(*gc, ngroup)
    elif jk is not None:  # many rows, one or two groups: compiled passes over one sort
        from nlrstats.stats.survival._jit import km_two  # numba only for large cohorts
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_two(jk, lambda: compiled_keys(d, codes, ngroup))
    else:
        ug, ut, nrisk, nev, ncen, surv, se, gsize = km_arrays(d.time, d.event, codes, ngroup, d.order, w)
        if w is not None and ctype == 2:  # R's Fleming-Harrington steps count the deaths as rows
            rows = km_arrays(d.time, d.event, codes, ngroup, d.order)[3]
    if stype == 2:  # S = exp(-H), its std.err that of H (R's survfitkm types 3 and 4)
        chaz, se = cumulative_hazard(nrisk, nev, np.searchsorted(ug, np.arange(ngroup + 1)), ctype, rows)
        surv = np.exp(-chaz)
    return SurvFit(d.formula.text, tuple(labels), ug, ut, nrisk, nev, ncen, surv, se, gsize,
                   conf_type, conf_level, d.n_missing, stype, ctype, rows)
