"""Kaplan-Meier kernels: per (group, unique time) counts, products and Greenwood sums.

Four ways to the same arrays (and the same floating-point operations): an argsort by
(group, time) (:func:`km_arrays`, any times); value sorts of packed (time, status) keys
per group (:func:`km_arrays_by_value`, few groups); one sort of packed (time, group,
status) keys (:func:`km_arrays_packed`, two groups); counting on a decimal grid
(:func:`km_arrays_grid`).
"""

from __future__ import annotations

import numpy as np

from nlrstats.stats.survival._data import decode_keys

__all__ = ["km_arrays", "km_arrays_by_value", "km_arrays_grid", "km_arrays_packed", "group_time_order"]


def _small(codes: np.ndarray, k: int) -> np.ndarray:
    """Narrow integer codes so numpy's stable argsort uses radix sort."""
    return codes.astype(np.int16 if k < 2 ** 15 else np.int64)


def group_time_order(time, group, ngroup, order=None):
    """Stable order by group then ascending time, reusing a time order when given."""
    if order is None:
        order = np.argsort(time)
    if ngroup > 1:
        order = order[np.argsort(_small(group[order], ngroup), kind="stable")]
    return order


def km_arrays(time: np.ndarray, event: np.ndarray, group: np.ndarray, ngroup: int, order=None):
    """Kaplan-Meier kernel: per (group, unique time) counts, survival and Greenwood variance.

    Returns arrays sorted by group then time: stratum, time, n_risk, n_event,
    n_censor, surv, std_err, plus records per group.
    """
    n = len(time)
    order = group_time_order(time, group, ngroup, order)
    g = group[order] if ngroup > 1 else np.zeros(n, dtype=np.int64)
    t = time[order]
    e = event[order]
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    np.not_equal(t[1:], t[:-1], out=brk[1:])
    if ngroup > 1:
        brk[1:] |= g[1:] != g[:-1]
    starts = np.flatnonzero(brk)
    ut = t[starts]
    ug = g[starts]
    cnt = np.diff(np.append(starts, n))
    nev = np.add.reduceat(e.astype(np.int64), starts)
    ncen = cnt - nev
    gsize = np.bincount(g, minlength=ngroup)
    gstart = np.concatenate(([0], np.cumsum(gsize)[:-1]))
    nrisk = gsize[ug] - (starts - gstart[ug])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (nrisk - nev) / nrisk
        # Greenwood: d / (n (n - d)); becomes Inf once everyone at risk dies, as in R.
        hz = np.where(nev > 0, nev / (nrisk * (nrisk - nev).astype(float)), 0.0)
    surv = np.empty(len(starts))
    var = np.empty(len(starts))
    bounds = np.searchsorted(ug, np.arange(ngroup + 1))
    for k in range(ngroup):
        s = slice(bounds[k], bounds[k + 1])
        surv[s] = np.cumprod(frac[s])
        var[s] = np.cumsum(hz[s])
    return ug, ut, nrisk, nev, ncen, surv, np.sqrt(var), gsize


def _sorted_unique_counts(sorted_vals: np.ndarray):
    """Unique values of a sorted array, their first positions and counts."""
    n = len(sorted_vals)
    if n == 0:
        return sorted_vals, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    np.not_equal(sorted_vals[1:], sorted_vals[:-1], out=brk[1:])
    starts = np.flatnonzero(brk)
    return sorted_vals[starts], starts, np.diff(np.append(starts, n))


def group_sorted(d, codes, ngroup):
    """Per group: sorted, timefixed (time, event) by one value sort of packed keys (no argsort)."""
    keys = d.keys
    for k in range(ngroup):
        t, e = decode_keys(d.sorted_keys if ngroup == 1 else np.sort(keys[codes == k]))
        yield k, d.fix_sorted(t), e


def km_arrays_by_value(d, codes, ngroup):
    """Kaplan-Meier kernel for few groups and non-negative times: value sorts, no gathers.

    Same output as :func:`km_arrays`.
    """
    parts = []
    gsize = np.zeros(ngroup, dtype=np.int64)
    for k, t, e in group_sorted(d, codes, ngroup):
        ut, starts, cnt = _sorted_unique_counts(t)
        nev = np.add.reduceat(e, starts) if len(t) else np.zeros(0, dtype=np.int64)
        gsize[k] = len(t)
        parts.append((ut, starts, cnt, nev))
    sizes = [len(p[0]) for p in parts]
    m = sum(sizes)
    ut, nrisk, nev, ncen = np.empty(m), np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64), \
        np.empty(m, dtype=np.int64)
    surv, var = np.empty(m), np.empty(m)
    lo = 0
    for k, (u, starts, cnt, ne) in enumerate(parts):
        sl = slice(lo, lo + len(u))
        lo += len(u)
        ut[sl] = u
        nr = gsize[k] - starts
        nrisk[sl] = nr
        nev[sl] = ne
        ncen[sl] = cnt - ne
        with np.errstate(divide="ignore", invalid="ignore"):
            np.cumprod((nr - ne) / nr, out=surv[sl])
            # Greenwood: d / (n (n - d)); Inf once everyone at risk dies, as in R (0 where d = 0)
            np.cumsum(ne / (nr * (nr - ne).astype(np.float64)), out=var[sl])
    ug = np.repeat(np.arange(ngroup), sizes)
    return ug, ut, nrisk, nev, ncen, surv, np.sqrt(var, out=var), gsize


def _km_runs(u: np.ndarray, cnt: np.ndarray, ne: np.ndarray, bounds: np.ndarray):
    """Curves from counts per unique time, groups one after another (``bounds`` delimit them).

    Per group the operations of :func:`km_arrays_by_value`, written into shared arrays.
    """
    ng = len(bounds) - 1
    m = len(u)
    nr = np.empty(m, dtype=np.int64)
    surv = np.empty(m)
    var = np.empty(m)
    gsize = np.zeros(ng, dtype=np.int64)
    for k in range(ng):
        sl = slice(int(bounds[k]), int(bounds[k + 1]))
        ck, ek = cnt[sl], ne[sl]
        cs = np.cumsum(ck)
        gs = int(cs[-1]) if len(cs) else 0
        gsize[k] = gs
        np.subtract(gs, cs - ck, out=nr[sl])
        # integer counts are exact as doubles: the same values as the integer expressions
        nf = nr[sl].astype(np.float64)
        ef = ek.astype(np.float64)
        df = nf - ef
        with np.errstate(divide="ignore", invalid="ignore"):
            np.cumprod(df / nf, out=surv[sl])
            # Greenwood: d / (n (n - d)); Inf once everyone at risk dies, as in R (0 where d = 0)
            df *= nf
            np.divide(ef, df, out=df)
            np.cumsum(df, out=var[sl])
    ug = np.repeat(np.arange(ng), np.diff(bounds))
    return ug, u, nr, ne, cnt - ne, surv, np.sqrt(var, out=var), gsize


def km_arrays_grid(ut: np.ndarray, counts: np.ndarray, ngroup: int):
    """Kaplan-Meier kernel from per-(time, group, status) counts (:mod:`._grid`).

    Same output, with the same floating-point operations, as :func:`km_arrays_by_value`.
    """
    c = counts[:, 0]  # (times, groups, status)
    tot = (c[:, :, 0] + c[:, :, 1]).T  # groups x times
    gi, ti = np.nonzero(tot)  # group-major: each group's times in order
    bounds = np.searchsorted(gi, np.arange(ngroup + 1))
    return _km_runs(ut[ti], tot[gi, ti], c[ti, gi, 1], bounds)


def km_arrays_packed(runs):
    """Kaplan-Meier kernel for two groups from :func:`._packed.packed_runs` (one value sort)."""
    ut, grp, cnt, nev, merged = runs
    g1 = grp.astype(bool)
    i1 = np.flatnonzero(g1)  # index arrays: gathers beat boolean masks on mixed groups
    perm = np.empty(len(grp), dtype=np.int64)
    n0 = len(grp) - len(i1)
    perm[:n0] = np.flatnonzero(~g1)
    perm[n0:] = i1
    bounds = np.array([0, n0, len(perm)])
    u = ut[perm]
    if merged:  # timefix made some run times equal: merge them within each group
        brk = np.empty(len(u), dtype=bool)
        brk[0] = True
        np.not_equal(u[1:], u[:-1], out=brk[1:])
        brk[n0:n0 + 1] = True
        if not brk.all():
            starts = np.flatnonzero(brk)
            dup = np.flatnonzero(~brk)
            tgt = np.searchsorted(starts, dup, side="right") - 1
            keep, drop = perm[starts], perm[dup]  # one gather per column, straight from the runs
            c, e = cnt[keep], nev[keep]
            np.add.at(c, tgt, cnt[drop])
            np.add.at(e, tgt, nev[drop])
            return _km_runs(u[starts], c, e, np.searchsorted(starts, bounds))
    return _km_runs(u, cnt[perm], nev[perm], bounds)
