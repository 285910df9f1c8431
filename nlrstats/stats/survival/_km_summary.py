"""Rows of R's ``summary(survfit)`` and the text of ``print(survfit)``, for :class:`.km.SurvFit`.

Functions of a fitted curve object (duck-typed: the arrays of :class:`.km.SurvFit`), so this
module does not import :mod:`.km`.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

__all__ = ["curve_slices", "summary_rows", "table_text"]

_COLS = ("strata", "time", "n_risk", "n_event", "n_censor", "estimate", "std_error", "conf_low", "conf_high",
         "cumhaz", "std_chaz")


def _none(a) -> list:
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in np.asarray(a).tolist()]


def curve_slices(fit):
    """(label, slice) of each curve's rows; the label is None for a fit without strata."""
    bounds = np.searchsorted(fit.stratum, np.arange(len(fit.strata) + 1))
    for k, lab in enumerate(fit.strata):
        yield (None if fit.strata == ("",) else lab), slice(int(bounds[k]), int(bounds[k + 1]))


def _since(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """R's ``delta``: the sums of x over (previous idx, idx], for increasing 0-based idx (-1: none)."""
    cum = np.concatenate(([0], np.cumsum(x)))[idx + 1]
    return np.diff(np.concatenate(([0], cum)))


def summary_rows(fit, times, censored: bool, extend: bool, strict: bool) -> pl.DataFrame:
    """The rows of ``summary(fit, times, censored, extend)`` (see :meth:`.km.SurvFit.summary`).

    ``strict``: a stratum with no requested time left is an error (R) rather than left out.
    """
    out = {k: [] for k in _COLS}
    chaz, schaz = fit.cumhaz, fit.std_chaz
    req = None
    if times is not None:
        req = np.sort(np.asarray(np.atleast_1d(times), dtype=float))
        req = req[np.isfinite(req)]
    start = min(0.0, float(fit.time.min()))  # R's survfit0: the curves start at min(0, times)
    for lab, s in curve_slices(fit):
        t, nr, ne, nc = fit.time[s], fit.n_risk[s], fit.n_event[s], fit.n_censor[s]
        sv, se, lo, hi, ch, sc = fit.surv[s], fit.std_err[s], fit.lower[s], fit.upper[s], chaz[s], schaz[s]
        if req is None:
            idx = np.arange(len(t)) if censored else np.flatnonzero(ne > 0)
            vals = (t[idx], nr[idx], ne[idx], _since(nc, idx), sv[idx], se[idx], lo[idx], hi[idx], ch[idx], sc[idx])
        else:
            if t[0] != start:  # R's survfit0 row: S = 1 at the start, n at risk as at the first time
                t, nr, ne, nc = (np.concatenate(([v0], a)) for v0, a in ((start, t), (nr[0], nr), (0, ne), (0, nc)))
                sv, se, lo, hi, ch, sc = (np.concatenate(([v0], a)) for v0, a in
                                          ((1.0, sv), (0.0, se), (1.0, lo), (1.0, hi), (0.0, ch), (0.0, sc)))
            p = req if extend else req[req <= t[-1]]
            if not len(p):
                if strict:
                    raise ValueError("summary(times=): no points selected for one or more curves "
                                     f"({lab or 'the curve'} ends at {float(t[-1]):g}); consider "
                                     "extend=True (R's error)")
                continue
            i1 = np.searchsorted(t, p, side="right") - 1  # last time <= p (R's findInterval)
            i2 = np.searchsorted(t, p, side="left")  # first time >= p
            j = np.maximum(i1, 0)
            vals = (p, np.append(nr, 0)[i2], _since(ne, i1), _since(nc, i1), sv[j], se[j], lo[j], hi[j], ch[j],
                    sc[j])
        tt, nrisk, nev, ncen, est, std, cl, ch_, cz, scz = vals
        out["strata"] += [lab] * len(tt)
        for col, v in zip(_COLS[1:], (tt, nrisk, nev, ncen, est)):
            out[col] += np.asarray(v).tolist()
        with np.errstate(invalid="ignore"):
            out["std_error"] += _none(std * est)  # R's summary: std.err of S = std.err(log S) * S
        for col, v in zip(_COLS[7:], (cl, ch_, cz, scz)):
            out[col] += _none(v)
    count = pl.Int64 if np.issubdtype(np.asarray(fit.n_event).dtype, np.integer) else pl.Float64
    return pl.DataFrame(out, schema={"strata": pl.String, "time": pl.Float64, "n_risk": count, "n_event": count,
                                     "n_censor": count, **{c: pl.Float64 for c in _COLS[5:]}})


def _fmt(v) -> str:
    return "NA" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4g}"


def table_text(fit, rmean) -> str:
    """``print(fit, rmean = )`` as R lays it out (columns as R drops them, ``*`` footnote for rmean)."""
    tab = fit.table(rmean=rmean)
    lvl = f"{fit.conf_level:g}"
    lines = [f"Call: survfit({fit.formula})", ""]
    if fit.n_missing:
        lines.append(f"   {fit.n_missing} observation{'s' if fit.n_missing > 1 else ''} "
                     "deleted due to missingness ")
    cols = [("records", "records"), ("n_max", "n.max"), ("n_start", "n.start"), ("events", "events")]
    has_rmean = "rmean" in tab.columns
    if has_rmean:
        cols += [("rmean", "rmean*"), ("se_rmean", "se(rmean)")]
    cols += [("median", "median")]
    if fit.conf_type != "none":
        cols += [("conf_low", f"{lvl}LCL"), ("conf_high", f"{lvl}UCL")]
    # R drops n.max when it equals n.start everywhere (n.start becomes "n"), then records when equal to n
    if tab["n_max"].equals(tab["n_start"]):
        cols = [c for c in cols if c[0] != "n_max"]
        cols = [(c, "n" if c == "n_start" else h) for c, h in cols]
        if (tab["records"].cast(pl.Float64) == tab["n_start"]).all():
            cols = [c for c in cols if c[0] != "records"]
    names = [r or "" for r in tab["strata"].to_list()] if fit.strata != ("",) else ["[1,]"]
    w0 = max(len(x) for x in names)
    cells = [[_fmt(r[c]) for c, _ in cols] for r in tab.iter_rows(named=True)]
    widths = [max(len(h), *(len(c[j]) for c in cells)) for j, (_, h) in enumerate(cols)]
    lines.append(" " * w0 + " " + " ".join(h.rjust(w) for (_, h), w in zip(cols, widths)))
    for nm, c in zip(names, cells):
        lines.append(nm.ljust(w0) + " " + " ".join(v.rjust(w) for v, w in zip(c, widths)))
    if has_rmean:
        lines.append("   * restricted mean with variable upper limit" if rmean == "individual" else
                     f"    * restricted mean with upper limit =  {tab['rmean_end'][0]:g}")
    return "\n".join(lines)
