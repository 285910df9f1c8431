"""Survival curves from a Cox model, as R's ``survfit.coxph`` (``agsurv``) and ``basehaz``.

Per stratum and unique time R's ``agsurv`` forms the weighted number at risk, events and
censorings, the risk sums S0 = sum w r and S1 = sum w r x, and (Efron ties) the risk sums of
the deaths. The hazard increment is d / S0 (Breslow; R's ctype 1) or the mean over the d
Efron terms of d / (S0 - k/d D0) (ctype 2, the default with Efron ties). A curve for
covariates x2 has cumulative hazard risk2 * sum dH, risk2 = exp((x2 - means) beta), and
survival exp(-cumhaz) (R's stype 2). Its standard error is that of the cumulative hazard
(Tsiatis 1981): risk2 * sqrt(sum varhaz + dt' V dt), dt = sum (x2 dH - xbar dH), with
varhaz = d / S0^2 (Breslow) or the Efron mean of d / (S0 - k/d D0)^2, and V the model's
variance (robust if the fit is). CIs as R's ``survfit_confint`` on the cumulative-hazard
scale (``conf_type`` "log" default, "log-log", "plain", "none").
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.distributions import norm
from nlrstats.stats.result import Result
from nlrstats.stats.survival.newdata import newdata_design

__all__ = ["CoxSurvFit", "survfit_coxph", "basehaz", "agsurv", "strata_curves", "confint_cumhaz"]

_TOL = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True, eq=False)
class AgSurv:
    """R's ``agsurv`` for one stratum: per unique time."""

    time: np.ndarray
    n_risk: np.ndarray  # weighted count at risk
    n_event: np.ndarray  # weighted events
    n_censor: np.ndarray
    hazard: np.ndarray
    varhaz: np.ndarray
    xbar: np.ndarray  # times x p: the hazard-weighted risk-set means (R's xbar)


def agsurv(time, status, X, w, risk, efron: bool) -> AgSurv:
    """Hazard increments, their variance terms and xbar at each unique time of one stratum."""
    ut, inv = np.unique(time, return_inverse=True)
    k, p = len(ut), X.shape[1]
    death = status == 1
    nevent = np.bincount(inv, w * death, minlength=k)
    ncens = np.bincount(inv, w * ~death, minlength=k)
    wr = w * risk

    def rcum(v):
        return np.cumsum(v[::-1])[::-1]

    nrisk = rcum(np.bincount(inv, wr, minlength=k))
    irisk = rcum(np.bincount(inv, w, minlength=k))
    xsum = np.stack([rcum(np.bincount(inv, wr * X[:, j], minlength=k)) for j in range(p)], axis=1) \
        if p else np.zeros((k, 0))
    nd = np.bincount(inv, death.astype(float), minlength=k)  # unweighted deaths
    if not efron:
        haz = nevent / nrisk
        return AgSurv(ut, irisk, nevent, ncens, haz, nevent / nrisk ** 2, xsum / nrisk[:, None] * haz[:, None])
    erisk = np.bincount(inv, wr * death, minlength=k)
    xsum2 = np.stack([np.bincount(inv, wr * death * X[:, j], minlength=k) for j in range(p)], axis=1) \
        if p else np.zeros((k, 0))
    # R's agsurv5: the d Efron terms j = 0..d-1 of each death time, 1 / (S0 - j/d D0)
    idx = np.flatnonzero(nd > 0)
    d = nd[idx].astype(np.int64)
    rep = np.repeat(idx, d)
    frac = (np.arange(d.sum()) - np.repeat(np.cumsum(d) - d, d)) / nd[rep]
    inv = 1.0 / (nrisk[rep] - erisk[rep] * frac)
    sum1 = np.bincount(rep, inv / nd[rep], minlength=k)
    sum2 = np.bincount(rep, inv * inv / nd[rep], minlength=k)
    xb = np.stack([np.bincount(rep, (xsum[rep, j] - xsum2[rep, j] * frac) * inv * inv / nd[rep], minlength=k)
                   for j in range(p)], axis=1) if p else np.zeros((k, 0))
    return AgSurv(ut, irisk, nevent, ncens, nevent * sum1, nevent * sum2, nevent[:, None] * xb)


def confint_cumhaz(surv, se, conf_type: str, conf_level: float):
    """R's ``survfit_confint(logse = TRUE)``: limits from the standard error of the cumulative hazard."""
    z = norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lo = np.where(se == 0, surv, np.exp(np.log(xx) - z * se))
            hi = np.where(se == 0, surv, np.minimum(np.exp(np.log(xx) + z * se), 1))
        elif conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            s2 = z * se / np.log(xx)
            lo = np.where(se == 0, surv, np.exp(-np.exp(np.log(-np.log(xx)) - s2)))
            hi = np.where(se == 0, surv, np.exp(-np.exp(np.log(-np.log(xx)) + s2)))
        elif conf_type == "plain":
            s2 = se * surv * z
            lo, hi = np.maximum(surv - s2, 0), np.minimum(surv + s2, 1)
        else:
            raise ValueError("conf_type must be 'log', 'log-log', 'plain' or 'none'")
    return lo, hi


def _median(y: np.ndarray, x: np.ndarray):
    """First time a curve reaches 0.5, midpoint rule for a flat 0.5 stretch (R's survmean)."""
    keep = ~np.isnan(y) & (y < 0.5 + _TOL)
    if not keep.any():
        return None
    xs, ys = x[keep], y[keep]
    if abs(ys[0] - 0.5) < _TOL:
        below = np.flatnonzero(ys < ys[0])
        if len(below):
            return float((xs[0] + xs[below[0]]) / 2)
    return float(xs[0])


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class CoxSurvFit(Result):
    """Predicted survival curves of a Cox model (R's ``survfitcox``): one curve per ``curve`` label."""

    curve: tuple  # label of each curve (row of newdata, "1", "2", ...)
    strata: tuple  # stratum label of each curve (None without strata)
    records: tuple  # subjects in each curve's stratum
    time: tuple = field(repr=False)  # per curve: arrays
    n_risk: tuple = field(repr=False)
    n_event: tuple = field(repr=False)
    n_censor: tuple = field(repr=False)
    surv: tuple = field(repr=False)
    cumhaz: tuple = field(repr=False)
    std_err: tuple = field(repr=False)
    lower: tuple = field(repr=False)
    upper: tuple = field(repr=False)
    conf_type: str = "log"
    conf_level: float = 0.95

    def tidy(self) -> pl.DataFrame:
        """One row per curve and time: curve, strata, time, n_risk, n_event, n_censor, estimate,
        std_error (of the cumulative hazard, R's ``std.err``), conf_low, conf_high, cumhaz."""
        parts = []
        for i, lab in enumerate(self.curve):
            k = len(self.time[i])

            def col(a):
                return pl.Series([None if a is None or not math.isfinite(v) else float(v)
                                  for v in (a if a is not None else [math.nan] * k)], dtype=pl.Float64)

            parts.append(pl.DataFrame({
                "curve": [lab] * k, "strata": pl.Series([self.strata[i]] * k, dtype=pl.String),
                "time": self.time[i], "n_risk": self.n_risk[i], "n_event": self.n_event[i],
                "n_censor": self.n_censor[i], "estimate": self.surv[i], "std_error": col(self.std_err[i]),
                "conf_low": col(self.lower[i]), "conf_high": col(self.upper[i]), "cumhaz": self.cumhaz[i]}))
        return pl.concat(parts)

    def median(self) -> pl.DataFrame:
        """Median and its CI per curve, as R's ``print(survfit(fit, newdata))``."""
        rows = {"curve": [], "strata": [], "records": [], "events": [], "median": [], "conf_low": [],
                "conf_high": []}
        for i, lab in enumerate(self.curve):
            t = self.time[i]
            rows["curve"].append(lab)
            rows["strata"].append(self.strata[i])
            rows["records"].append(int(self.records[i]))
            rows["events"].append(float(self.n_event[i].sum()))
            rows["median"].append(_median(self.surv[i], t))
            rows["conf_low"].append(None if self.lower[i] is None else _median(self.lower[i], t))
            rows["conf_high"].append(None if self.upper[i] is None else _median(self.upper[i], t))
        return pl.DataFrame(rows, schema={"curve": pl.String, "strata": pl.String, "records": pl.Int64,
                                          "events": pl.Float64, "median": pl.Float64, "conf_low": pl.Float64,
                                          "conf_high": pl.Float64})

    def __repr__(self) -> str:
        return "Call: survfit(coxph fit)\n\n" + repr(self.median())


def strata_curves(fd, efron: bool):
    """agsurv per stratum on the fitted data (X centred by R's means: same curves, stabler sums)."""
    d = fd.surv
    Xc = fd.design.X - fd.means
    beta = np.where(fd.alias, 0.0, fd.beta)
    risk = np.exp(Xc @ beta)
    w = np.ones(d.n) if d.weights is None else d.weights
    codes = np.zeros(d.n, dtype=np.int64) if fd.strata is None else fd.strata
    out = []
    for s in range(int(codes.max()) + 1):
        m = codes == s
        out.append((int(m.sum()), agsurv(d.time[m], d.event[m], Xc[m], w[m], risk[m], efron)))
    return out, beta


def survfit_coxph(fit, newdata=None, conf_type: str = "log", conf_level: float = 0.95,
                  se_fit: bool = True) -> CoxSurvFit:
    """Survival curves for covariate values, as R's ``survfit(fit, newdata)`` (stype 2, R's ctype).

    Parameters
    ----------
    fit : CoxPH
    newdata : polars.DataFrame, optional
        One curve per row, labelled by its 1-based row number; a row with a missing value gets
        none (with a warning; R's na.omit). When it has the strata columns each row's curve is its stratum's;
        otherwise every row gets a curve in every stratum. Default: one curve at R's
        ``fit$means`` (0/1 columns at 0, as survival 3.x).
    conf_type, conf_level, se_fit : as R's ``survfit.coxph``.
    """
    if fit.firth or fit.fitdata is None:
        raise ValueError("survfit needs an ordinary coxph fit (not Firth's penalised fit)")
    if fit.nevent == 0:
        raise ValueError("survfit: the model has no events")
    fd = fit.fitdata
    if conf_type not in ("log", "log-log", "plain", "none"):
        raise ValueError("conf_type must be 'log', 'log-log', 'plain' or 'none'")
    fits, beta = strata_curves(fd, fit.ties == "efron")
    V = fit.var
    labels = fd.strata_labels or (None,)
    if newdata is None:
        if len(fd.design.terms) and any(":" in t for t in fd.design.terms):
            warnings.warn("the model contains interactions; the default curve based on columm means of the X "
                          "matrix is almost certainly not useful. Consider adding a newdata argument.",
                          UserWarning, stacklevel=3)
        X2 = np.zeros((1, len(beta)))  # the means, centred
        pairs = [(str(1), s) for s in range(len(fits))]
        rows = [0] * len(fits)
    else:
        X2, srows, miss = newdata_design(fit, fd, newdata, strata=bool(fd.strata_labels))
        X2 = X2 - fd.means
        ok = np.flatnonzero(~miss)
        if miss.any():
            warnings.warn(f"survfit: newdata row(s) {', '.join(str(i + 1) for i in np.flatnonzero(miss))} have a "
                          "missing value and get no curve (as R's na.omit)", UserWarning, stacklevel=3)
            if not len(ok):
                raise ValueError("all rows of newdata have missing values")
        if srows is not None:
            pairs = [(str(i + 1), int(srows[i])) for i in ok]
            rows = list(ok)
        else:
            pairs = [(str(i + 1), s) for s in range(len(fits)) for i in ok]
            rows = [i for s in range(len(fits)) for i in ok]
    cols = {k: [] for k in ("curve", "strata", "records", "time", "n_risk", "n_event", "n_censor", "surv",
                            "cumhaz", "std_err", "lower", "upper")}
    for (lab, s), i in zip(pairs, rows):
        n_s, a = fits[s]
        x2 = X2[i]
        risk2 = math.exp(float(x2 @ beta))
        cum = np.cumsum(a.hazard)
        surv = np.exp(-cum * risk2)
        se = lo = hi = None
        if se_fit:
            dt = np.cumsum(np.outer(a.hazard, x2) - a.xbar, axis=0)
            se = np.sqrt((np.cumsum(a.varhaz) + ((dt @ V) * dt).sum(axis=1)) * risk2 ** 2)
            if conf_type != "none":
                lo, hi = confint_cumhaz(surv, se, conf_type, conf_level)
        for k, v in (("curve", lab), ("strata", labels[s] if fd.strata_labels else None), ("records", n_s),
                     ("time", a.time), ("n_risk", a.n_risk), ("n_event", a.n_event), ("n_censor", a.n_censor),
                     ("surv", surv), ("cumhaz", cum * risk2), ("std_err", se), ("lower", lo), ("upper", hi)):
            cols[k].append(v)
    return CoxSurvFit(**{k: tuple(v) for k, v in cols.items()}, conf_type=conf_type, conf_level=conf_level)


def basehaz(fit, centered: bool = True) -> pl.DataFrame:
    """R's ``basehaz(fit, centered = TRUE)``: the cumulative baseline hazard at every time.

    ``centered=True`` is the hazard at R's ``fit$means`` (0/1 columns at 0); ``False`` at
    all covariates 0. Columns hazard, time and, for a stratified model, strata.
    """
    sf = survfit_coxph(fit, None, se_fit=False)
    fd = fit.fitdata
    shift = 1.0 if centered else math.exp(-float(fd.means @ np.where(fd.alias, 0.0, fd.beta)))
    out = {"hazard": np.concatenate([c * shift for c in sf.cumhaz]), "time": np.concatenate(sf.time)}
    if fd.strata_labels:
        out["strata"] = [s for s, t in zip(sf.strata, sf.time) for _ in range(len(t))]
    return pl.DataFrame(out)
