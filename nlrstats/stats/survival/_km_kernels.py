"""Kaplan-Meier kernels: per (group, unique time) counts, survival, Greenwood and hazard sums.

:func:`km_arrays` is the reference: rows sorted by (group, time), one run per unique time
within group, then :func:`km_curves`, which follows R's ``survfitkm.c`` line by line. The
fast kernels reach the same arrays by other routes and are tested against it: counting on a
decimal grid (:func:`km_arrays_grid`, same floating-point operations, equal to the bit) and
the compiled two-group passes of :mod:`._jit` (the same operations in a compiled loop).
"""

from __future__ import annotations

import numpy as np

__all__ = ["cumulative_hazard", "group_time_order", "km_arrays", "km_arrays_grid", "km_curves"]


def group_time_order(time, group, ngroup, order=None):
    """Stable order by group then ascending time, reusing a time order when given."""
    if order is None:
        order = np.argsort(time)
    if ngroup > 1:
        # int16 codes let numpy's stable argsort use a radix sort
        order = order[np.argsort(group[order].astype(np.int16 if ngroup < 2 ** 15 else np.int64), kind="stable")]
    return order


def km_curves(n_risk: np.ndarray, n_event: np.ndarray, bounds: np.ndarray):
    """Kaplan-Meier survival and Greenwood std.err per curve, as R's ``survfitkm.c`` (type 1).

    Rows are the unique times of each curve in order, curves one after another (``bounds``
    delimit them). At each time with deaths: ``S *= (n - d) / n`` and the Greenwood sum
    ``v += d / (n (n - d))`` (Inf once everyone at risk dies, as in R); ``std_err = sqrt(v)``
    is the standard error of log S (R's ``std.err``). Counts may be case-weighted.
    """
    nf = n_risk.astype(np.float64)
    df = n_event.astype(np.float64)
    surv = np.empty(len(nf))
    var = np.empty(len(nf))
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (nf - df) / nf
        hz = df / ((nf - df) * nf)
    if (df <= 0).any():  # no (weighted) deaths: R leaves S and v as they were
        frac[df <= 0] = 1.0
        hz[df <= 0] = 0.0
    for k in range(len(bounds) - 1):
        s = slice(int(bounds[k]), int(bounds[k + 1]))
        np.cumprod(frac[s], out=surv[s])
        np.cumsum(hz[s], out=var[s])
    return surv, np.sqrt(var, out=var)


def cumulative_hazard(n_risk: np.ndarray, n_event: np.ndarray, bounds: np.ndarray, ctype: int = 1,
                      event_rows: np.ndarray | None = None):
    """Cumulative hazard and its std.err per curve, as R's ``survfitkm.c`` stores ``cumhaz``.

    ``ctype = 1``: Nelson-Aalen, ``H += d / n``, ``var += d / n^2``. ``ctype = 2``: the
    Fleming-Harrington correction for ties, the d0 tied deaths (``event_rows``; the weighted
    deaths d when None) leaving one at a time: with n_j = n - j d / d0, ``H += sum_j
    d / (d0 n_j)``, ``var += sum_j d / (d0 n_j^2)`` for j = 0..d0-1 (1 / (n - j) unweighted).
    """
    nf = n_risk.astype(np.float64)
    df = n_event.astype(np.float64)
    chaz = np.empty(len(nf))
    var = np.empty(len(nf))
    with np.errstate(divide="ignore", invalid="ignore"):
        inc, vinc = df / nf, df / (nf * nf)
    inc[df <= 0] = 0.0
    vinc[df <= 0] = 0.0
    for k in range(len(bounds) - 1):
        a, b = int(bounds[k]), int(bounds[k + 1])
        if ctype == 1:
            np.cumsum(inc[a:b], out=chaz[a:b])
            np.cumsum(vinc[a:b], out=var[a:b])
            continue
        # one term per death in R's order; the running sum after each time's last term
        d1 = df[a:b]
        d0 = np.maximum(n_event[a:b] if event_rows is None else event_rows[a:b], 0).astype(np.int64)
        last = np.cumsum(d0)
        j = np.arange(int(last[-1]) if len(last) else 0) - np.repeat(last - d0, d0)
        d1r, d0r = np.repeat(d1, d0), np.repeat(d0, d0).astype(np.float64)
        dt = np.repeat(nf[a:b], d0) - j * d1r / d0r  # R: nrisk - j * d1 / d0
        with np.errstate(divide="ignore", invalid="ignore"):
            term, vterm = d1r / (d0r * dt), d1r / (d0r * dt * dt)
        chaz[a:b] = np.concatenate(([0.0], np.cumsum(term)))[last]
        var[a:b] = np.concatenate(([0.0], np.cumsum(vterm)))[last]
    return chaz, np.sqrt(var, out=var)


def km_arrays(time: np.ndarray, event: np.ndarray, group: np.ndarray, ngroup: int, order=None, weights=None):
    """Reference Kaplan-Meier kernel: per (group, unique time) counts, survival and Greenwood std.err.

    Rows are sorted by group then time (``order``: an ascending time order to reuse); each run
    of equal times within a group is one row of the curve: n_risk = rows (or weights) at or
    after it in the group, n_event, n_censor. Returns arrays sorted by group then time:
    stratum, time, n_risk, n_event, n_censor, surv, std_err, and the records per group.
    """
    n = len(time)
    order = group_time_order(time, group, ngroup, order)
    g = group[order] if ngroup > 1 else np.zeros(n, dtype=np.int64)
    t = time[order]
    brk = np.empty(n, dtype=bool)
    brk[:1] = True
    np.not_equal(t[1:], t[:-1], out=brk[1:])
    if ngroup > 1:
        brk[1:] |= g[1:] != g[:-1]
    starts = np.flatnonzero(brk)
    ug, ut = g[starts], t[starts]
    gsize = np.bincount(g, minlength=ngroup)
    bounds = np.searchsorted(ug, np.arange(ngroup + 1))
    if weights is None:
        e = event[order].astype(np.int64)
        nev = np.add.reduceat(e, starts) if n else np.zeros(0, dtype=np.int64)
        ncen = np.diff(np.append(starts, n)) - nev
        gstart = np.concatenate(([0], np.cumsum(gsize)[:-1]))
        nrisk = gsize[ug] - (starts - gstart[ug])
    else:
        w = weights[order].astype(np.float64)
        we = np.where(event[order] == 1, w, 0.0)
        nev = np.add.reduceat(we, starts) if n else np.zeros(0)
        ncen = np.add.reduceat(w, starts) - nev if n else np.zeros(0)
        tot = nev + ncen
        nrisk = np.empty(len(starts))
        for k in range(ngroup):  # weight at or after each time: reversed running sums per group
            s = slice(int(bounds[k]), int(bounds[k + 1]))
            nrisk[s] = np.cumsum(tot[s][::-1])[::-1]
    surv, se = km_curves(nrisk, nev, bounds)
    return ug, ut, nrisk, nev, ncen, surv, se, gsize


def km_arrays_grid(ut: np.ndarray, counts: np.ndarray, ngroup: int):
    """Kaplan-Meier kernel from per-(time, stratum = 1, group, status) counts (:func:`._grid.grid_table`).

    The numbers per (group, time) are those :func:`km_arrays` counts, so :func:`km_curves`
    gives the same arrays to the bit.
    """
    c = counts[:, 0]  # (times, groups, status)
    tot = (c[:, :, 0] + c[:, :, 1]).T  # groups x times
    gi, ti = np.nonzero(tot)  # group-major: each group's times in order
    bounds = np.searchsorted(gi, np.arange(ngroup + 1))
    cnt, nev = tot[gi, ti], c[ti, gi, 1]
    gsize = np.zeros(ngroup, dtype=np.int64)
    nrisk = np.empty(len(cnt), dtype=np.int64)
    for k in range(ngroup):
        s = slice(int(bounds[k]), int(bounds[k + 1]))
        cs = np.cumsum(cnt[s])
        gsize[k] = int(cs[-1]) if len(cs) else 0
        nrisk[s] = gsize[k] - (cs - cnt[s])
    surv, se = km_curves(nrisk, nev, bounds)
    return gi, ut[ti], nrisk, nev, cnt - nev, surv, se, gsize
