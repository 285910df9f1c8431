"""Time-dependent AUC: cumulative cases / dynamic controls with inverse probability of censoring weights.

AUC(t) = P(marker_i > marker_j | T_i <= t, T_j > t), estimated as in Uno et al. (2007) and Hung &
Chiang (2010): cases (event by t) weighted by 1 / G(T_i), controls (still event-free after t)
unweighted, G the Kaplan-Meier estimate of the censoring distribution (censorings as events,
events removed from the risk set first), the ROC curve's area by the trapezoid rule with tied
markers as one threshold. This is scikit-survival's ``sksurv.metrics.cumulative_dynamic_auc``
to the bit, including its tie tolerance and its summary ``mean_auc`` (AUC(t) integrated over the
Kaplan-Meier estimate of the survival function, divided by S(t_1^-) - S(t_K)). Note R's
``timeROC`` (weighting = "marginal") weights cases by 1 / G(T_i-) instead: the two differ when
censorings coincide with event times. Bootstrap percentile CIs resample patients with a seed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError, parse_surv_formula
from nlrstats.stats.result import Result
from nlrstats.stats.td_auc_bootstrap import bootstrap_auc, km_by_counts, resample_counts, step_index

__all__ = ["td_auc", "TdAUC", "cumulative_dynamic_auc", "censoring_curve"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class TdAUC(Result):
    """Result of :func:`td_auc`: AUC(t) per requested time, its summary and bootstrap percentile CIs."""

    formula: str
    times: np.ndarray = field(repr=False)
    auc: np.ndarray = field(repr=False)
    mean_auc: float = math.nan
    n_cases: np.ndarray = field(default=None, repr=False)
    n_controls: np.ndarray = field(default=None, repr=False)
    conf_low: np.ndarray | None = field(default=None, repr=False)
    conf_high: np.ndarray | None = field(default=None, repr=False)
    mean_conf: tuple[float, float] | None = None
    B: int = 0
    seed: int | None = None
    conf_level: float = 0.95
    n_boot_failed: int = 0
    boot: np.ndarray | None = field(default=None, repr=False)  # B x (times + 1): AUC(t) and mean_auc
    n: int = 0
    n_missing: int = 0
    direction: str = "higher"

    def tidy(self) -> pl.DataFrame:
        """One row per time: time, estimate (AUC), conf_low, conf_high (bootstrap percentile), n_cases, n_controls."""
        none = [None] * len(self.times)
        lo = none if self.conf_low is None else [None if math.isnan(v) else float(v) for v in self.conf_low]
        hi = none if self.conf_high is None else [None if math.isnan(v) else float(v) for v in self.conf_high]
        return pl.DataFrame({"time": self.times.astype(float), "estimate": self.auc.astype(float),
                             "conf_low": pl.Series(lo, dtype=pl.Float64), "conf_high": pl.Series(hi, dtype=pl.Float64),
                             "n_cases": self.n_cases.astype(np.int64), "n_controls": self.n_controls.astype(np.int64)})

    def glance(self) -> pl.DataFrame:
        """One row: mean_auc with its bootstrap CI, n, n_missing, B, seed, failed resamples, conf_level."""
        lo, hi = self.mean_conf if self.mean_conf is not None else (None, None)
        return pl.DataFrame({"mean_auc": [self.mean_auc], "conf_low": [lo], "conf_high": [hi], "n": [self.n],
                             "n_missing": [self.n_missing], "B": [self.B], "seed": [self.seed],
                             "n_boot_failed": [self.n_boot_failed], "conf_level": [self.conf_level]},
                            schema={"mean_auc": pl.Float64, "conf_low": pl.Float64, "conf_high": pl.Float64,
                                    "n": pl.Int64, "n_missing": pl.Int64, "B": pl.Int64, "seed": pl.Int64,
                                    "n_boot_failed": pl.Int64, "conf_level": pl.Float64})

    def __repr__(self) -> str:
        pct = f"{100 * self.conf_level:g}%"
        lines = [f"Time-dependent AUC (cumulative/dynamic, IPCW): {self.formula}",
                 f"n = {self.n}" + (f" ({self.n_missing} deleted due to missingness)" if self.n_missing else "")
                 + ("" if self.direction == "higher" else "; lower marker values = higher risk"), ""]
        head = ["time", "AUC", f"{pct} CI" if self.B else "", "cases", "controls"]
        rows = []
        for i, t in enumerate(self.times):
            ci = "" if self.conf_low is None else f"{self.conf_low[i]:.3f}-{self.conf_high[i]:.3f}"
            rows.append([f"{t:g}", f"{self.auc[i]:.3f}", ci, str(int(self.n_cases[i])), str(int(self.n_controls[i]))])
        widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(head)]
        lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths)))
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
        mean = f"\nIntegrated (mean) AUC over [{self.times[0]:g}, {self.times[-1]:g}]: {self.mean_auc:.3f}"
        if self.mean_conf is not None:
            mean += f" ({pct} CI {self.mean_conf[0]:.3f}-{self.mean_conf[1]:.3f}; B = {self.B}, seed = {self.seed})"
        return "\n".join(lines) + mean


def _km_steps(time: np.ndarray, event: np.ndarray, reverse: bool):
    """Distinct times and the Kaplan-Meier estimate after each, as sksurv's ``kaplan_meier_estimator``.

    ``reverse``: the censoring distribution (censorings are the events; events leave the risk set first).
    """
    ut, inv = np.unique(time, return_inverse=True)
    return ut, km_by_counts(inv, event.astype(float), np.ones((1, len(time)), dtype=np.int64), reverse)[0]


def censoring_curve(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps (times, probabilities) of the Kaplan-Meier censoring distribution G, from a leading
    (-inf, 1) step; without censorings G is 1 at every time (scikit-survival's ``CensoringDistributionEstimator``)."""
    if event.all():
        ut = np.unique(time)
        return ut, np.ones(len(ut))
    g_t, g_p = _km_steps(time, event, reverse=True)
    return np.concatenate(([-np.inf], g_t)), np.concatenate(([1.0], g_p))


def _predict(steps_t: np.ndarray, steps_p: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Step function at ``at`` as sksurv's ``predict_proba`` (exact matches within machine eps; 0 beyond a
    curve that reached 0; an error beyond the last time of a curve that did not)."""
    extends = at > steps_t[-1]
    if steps_p[-1] > 0 and extends.any():
        raise ValueError(f"time {at[extends].max():g} is beyond the last time of the censoring (or survival) "
                         f"curve ({steps_t[-1]:g}), where it is unknown")
    out = np.zeros(len(at))
    out[~extends] = steps_p[step_index(steps_t, at[~extends])]
    return out


def cumulative_dynamic_auc(time, event, marker, times, train_time=None, train_event=None, tied_tol: float = 1e-8):
    """AUC(t) at each of ``times`` and their survival-weighted mean (arrays in, as sksurv's function).

    Returns (auc, mean_auc, n_cases, n_controls). ``train_*`` give the censoring distribution (default:
    the same data).
    """
    time, event, marker = np.asarray(time, float), np.asarray(event, bool), np.asarray(marker, float)
    times = np.unique(np.asarray(times, float))
    if times.max() >= time.max() or times.min() < time.min():
        raise ValueError(f"all times must be within the follow-up of the data: [{time.min():g}, {time.max():g}) "
                         f"(got {times.min():g} to {times.max():g})")
    tt, te = (time, event) if train_time is None else (np.asarray(train_time, float), np.asarray(train_event, bool))
    g_t, g_p = censoring_curve(tt, te)
    # weights of the events that can be cases (T_i <= max(times)); scikit-survival computes them for all
    # events and fails when G reaches 0 after the last requested time, where no weight is used
    used = event & (time <= times.max())
    ghat = _predict(g_t, g_p, time[used])
    if (ghat == 0).any():
        raise ValueError("the censoring survival function is zero at an event time (no one left uncensored); "
                         "choose earlier times or check the censoring")
    ipcw = np.zeros(len(time))
    ipcw[used] = 1.0 / ghat
    order = np.argsort(-marker, kind="stable")
    t_o, e_o, w_o, m_o = time[order], event[order], ipcw[order], marker[order]
    tied = np.abs(np.diff(np.concatenate(([np.inf], m_o)))) <= tied_tol
    drop = np.flatnonzero(tied) - 1  # of tied markers keep the last position: one threshold
    auc, n_cases, n_controls = np.empty(len(times)), np.empty(len(times)), np.empty(len(times))
    for k, t in enumerate(times):
        case = (t_o <= t) & e_o
        control = t_o > t
        if not case.any() or not control.any():  # sksurv returns NaN here
            raise ValueError(f"no {'cases (events by t)' if not case.any() else 'controls (event-free after t)'} "
                             f"at t = {t:g}; choose times with both")
        tp = np.cumsum(case * w_o)
        fp = np.cumsum(control)
        tp = np.delete(tp / tp[-1], drop)
        fp = np.delete(fp / control.sum(), drop)
        auc[k] = np.trapezoid(np.concatenate(([0.0], tp)), np.concatenate(([0.0], fp)))
        n_cases[k], n_controls[k] = case.sum(), control.sum()
    if len(times) == 1:
        mean = float(auc[0])
    else:
        s_t, s_p = _km_steps(time, event, reverse=False)
        s = _predict(np.concatenate(([-np.inf], s_t)), np.concatenate(([1.0], s_p)), times)
        d = -np.diff(np.concatenate(([1.0], s)))
        mean = float((auc * d).sum() / (1.0 - s[-1]))
    return auc, mean, n_cases, n_controls


def _columns(data, formula):
    f = parse_surv_formula(formula)
    if len(f.terms) != 1 or f.strata:
        raise FormulaError(f"{f.text}: td_auc needs one marker: 'Surv(time, event) ~ marker'")
    frame = data if isinstance(data, pl.DataFrame) else pl.from_pandas(data)
    f.check(frame)
    marker = f.terms[0]
    if not frame.schema[marker].is_numeric():
        raise FormulaError(f"{f.text}: marker '{marker}' must be numeric, found {frame.schema[marker]}")
    sub = frame.select(pl.col(f.time).cast(pl.Float64), pl.col(f.event).cast(pl.Float64),
                       pl.col(marker).cast(pl.Float64)).fill_nan(None)
    full = sub.drop_nulls()
    ev = full[f.event].to_numpy()
    if not np.isin(ev, (0.0, 1.0)).all():
        raise FormulaError(f"{f.text}: event column '{f.event}' must be 0/1 (or boolean)")
    return f, full[f.time].to_numpy(), ev.astype(bool), full[marker].to_numpy(), sub.height - full.height


def td_auc(data, formula: str, times, *, direction: str = "higher", censoring_data=None, B: int = 0,
           seed: int | None = None, conf_level: float = 0.95, tied_tol: float = 1e-8) -> TdAUC:
    """Cumulative/dynamic time-dependent AUC of a marker with IPCW (Uno et al. 2007; Hung & Chiang 2010).

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
    formula : str
        ``"Surv(time, event) ~ marker"``, e.g. ``"Surv(os_months, os_event) ~ nlr_d0"``.
    times : float or sequence of float
        Times t for AUC(t); each within [min time, max time) of the data (as scikit-survival).
    direction : {"higher", "lower"}
        "higher": higher marker values mean higher risk (NLR); "lower": the reverse.
    censoring_data : DataFrame, optional
        Data whose Kaplan-Meier censoring distribution gives the weights (scikit-survival's
        ``survival_train``, e.g. the development cohort); default ``data`` itself.
    B : int
        Bootstrap resamples of the patients (with replacement) for percentile CIs; 0 for none.
        Each resample re-estimates the censoring distribution when ``censoring_data`` is not given.
    seed : int, optional
        Seed of numpy's ``default_rng`` for the resamples (needed with ``B > 0`` for a reproducible CI).
    conf_level : float
    tied_tol : float
        Markers within this distance are one threshold (scikit-survival's ``tied_tol``).

    Returns
    -------
    TdAUC
        Equal to ``sksurv.metrics.cumulative_dynamic_auc`` (AUC(t) and ``mean_auc``) wherever it gives a
        result. Deviations: events after the last requested time get no censoring weight (they are never
        cases; scikit-survival fails when G reaches 0 there), and a time without cases or controls is an
        error (scikit-survival returns NaN). Resamples in
        which a time falls outside the follow-up or the censoring curve reaches 0 are dropped and
        counted (``n_boot_failed``, with a warning).
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must be between 0 and 1 (0.95, not 95)")
    if B < 0 or int(B) != B:
        raise ValueError(f"B must be a non-negative integer, got {B!r}")
    f, t, e, m, n_missing = _columns(data, formula)
    if direction == "lower":
        m = -m
    times = np.unique(np.atleast_1d(np.asarray(times, dtype=float)))
    if not np.isfinite(times).all() or len(times) == 0:
        raise ValueError("times must be finite numbers")
    if len(t) == 0 or not e.any():
        raise ValueError(f"{f.text}: no events in the complete observations")
    if times.max() >= t.max() or times.min() < t.min():
        raise ValueError(f"{f.text}: every time must lie in [{t.min():g}, {t.max():g}) (the follow-up of the "
                         f"data); got {', '.join(f'{x:g}' for x in times)}")
    train = None
    if censoring_data is not None:
        _, tt, te, _, _ = _columns(censoring_data, formula)
        train = (tt, te)
    auc, mean, ncase, nctrl = cumulative_dynamic_auc(t, e, m, times, *(train or (None, None)), tied_tol=tied_tol)
    lo = hi = boot = mean_conf = None
    failed = 0
    if B:
        rng = np.random.default_rng(seed)
        train_g = None if train is None else censoring_curve(*train)
        # all resamples at once as row counts (td_auc_bootstrap), in blocks of about 10^6 counted rows
        block = max(1, 1_000_000 // len(t))
        parts = [bootstrap_auc(t, e, m, times, resample_counts(rng, len(t), min(block, B - start)), train_g,
                               tied_tol=tied_tol) for start in range(0, B, block)]
        boot = np.concatenate([p[0] for p in parts])
        failed = int((~np.concatenate([p[1] for p in parts])).sum())
        if failed:
            warnings.warn(f"{failed} of {B} bootstrap resamples gave no AUC (a time outside their follow-up, no "
                          "case or control, or no one left uncensored) and were dropped", UserWarning, stacklevel=2)
        ok = boot[np.isfinite(boot).all(axis=1)]
        alpha = 1 - conf_level
        if len(ok):
            q = np.quantile(ok, [alpha / 2, 1 - alpha / 2], axis=0)  # R's quantile type 7
            lo, hi, mean_conf = q[0, :-1], q[1, :-1], (float(q[0, -1]), float(q[1, -1]))
    return TdAUC(f.text, times, auc, mean, ncase, nctrl, lo, hi, mean_conf, int(B), seed, conf_level, failed, boot,
                 len(t), n_missing, direction)
