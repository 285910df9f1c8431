"""Array kernels of site summaries: the life table of a site and the pooled count grids.

Value sorts of the times, counts per (time, group) by ``bincount`` and numbers at risk as reverse
cumulative sums: O(n log n), no Python loop over rows.
"""

from __future__ import annotations

import numpy as np

__all__ = ["life_table", "timefix_blocks", "grid", "stack_tables"]

_TOL = float(np.sqrt(np.finfo(float).eps))


def timefix_blocks(y: np.ndarray):
    """R's ``aeqSurv`` on distinct ascending times: runs closer than sqrt(eps) (absolute, or relative to
    the mean |time|) merge into the first time of the run. Returns (block of each time, block times)."""
    if len(y) < 2:
        return np.zeros(len(y), dtype=np.int64), y
    dy = np.diff(y)
    tied = (dy <= _TOL) | (dy / np.mean(np.abs(y)) <= _TOL)
    if not tied.any():
        return np.arange(len(y)), y
    keep = np.concatenate(([True], ~tied))
    return np.cumsum(keep) - 1, y[keep]


def life_table(t: np.ndarray, e: np.ndarray, g: np.ndarray, ngroup: int, censoring: str = "exact",
               fix: bool = True):
    """(time, group, n_risk, n_event, n_censor) of the (time, group) cells with any record, by time then group.

    Value sorts only (all times, then each group x status subset; positions by ``searchsorted`` of
    sorted queries): no argsort, no gathers. ``censoring = "event_times"`` reports each censoring at
    the last event time at or before it (the site's first time when none): every number at risk at
    an event time stays the same.
    """
    ts = np.sort(t)
    new = np.empty(len(ts), dtype=bool)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    uraw = ts[new]
    if fix:
        bid, ut = timefix_blocks(uraw)
    else:
        bid, ut = np.arange(len(uraw)), uraw
    nb = len(ut)
    cnt = np.zeros((nb, ngroup), dtype=np.int64)
    ev = np.zeros((nb, ngroup), dtype=np.int64)
    cens = []
    for gi in range(ngroup):
        ing = g == gi
        for status in (1, 0):
            sub = np.sort(t[ing & (e == status)])
            c = np.bincount(bid[np.searchsorted(uraw, sub)], minlength=nb)
            if status:
                ev[:, gi] = c
                cnt[:, gi] += c
            else:
                cens.append((gi, c))
    if censoring == "event_times":
        has = ev.sum(axis=1) > 0
        target = np.maximum(np.maximum.accumulate(np.where(has, np.arange(nb), -1)), 0)
        cens = [(gi, np.bincount(target, weights=c, minlength=nb).astype(np.int64)) for gi, c in cens]
    for gi, c in cens:
        cnt[:, gi] += c
    risk = np.cumsum(cnt[::-1], axis=0)[::-1]
    bi, gi = np.nonzero(cnt)  # row-major: by time, then group
    return ut[bi], gi, risk[bi, gi], ev[bi, gi], cnt[bi, gi] - ev[bi, gi]


def grid(time: np.ndarray, g: np.ndarray, n_event: np.ndarray, n_censor: np.ndarray, ngroup: int):
    """A site's (events, censored) counts as (distinct time x group) grids, times ascending."""
    ut, ti = np.unique(time, return_inverse=True)
    key = ti * ngroup + g
    size = len(ut) * ngroup
    ev = np.bincount(key, weights=n_event, minlength=size).reshape(len(ut), ngroup)
    cen = np.bincount(key, weights=n_censor, minlength=size).reshape(len(ut), ngroup)
    return ut, ev, cen


def stack_tables(parts, ngroup: int):
    """Merge (stratum code, time, group, n_event, n_censor) arrays of several tables into one table sorted by
    stratum then time, with cells of equal (stratum, time) summed; returns stratum, time, n_event, n_censor."""
    s = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    ev = np.concatenate([p[3] for p in parts]).astype(np.int64)
    cn = np.concatenate([p[4] for p in parts]).astype(np.int64)
    order = np.lexsort((t, s))
    s, t, ev, cn = s[order], t[order], ev[order], cn[order]
    brk = np.empty(len(t), dtype=bool)
    brk[0] = True
    brk[1:] = (t[1:] != t[:-1]) | (s[1:] != s[:-1])
    starts = np.flatnonzero(brk)
    return s[starts], t[starts], np.add.reduceat(ev, starts), np.add.reduceat(cn, starts)
