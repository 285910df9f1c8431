"""Two groups, one value sort: (time, group, status) packed into one uint64 key.

The bit pattern of a non-negative double sorts like the double. Scaling all times by
the same power of two (exact: no time becomes subnormal, checked) brings them below 2,
which frees the top exponent bit; with the sign bit that leaves two low bits for the
group and the status after a shift. One ``np.sort`` of the keys (SIMD, no argsort, no
gathers) then orders rows by time, group and status, and run boundaries give the counts
per (time, group). Times are decoded exactly; R's timefix is applied to the run times.
"""

from __future__ import annotations

import math

import numpy as np

from nlrstats.stats.survival import _data
from nlrstats.stats.survival._data import _timefix_map, apply_fix

__all__ = ["jit_prepared", "pack_exponent", "packed_runs"]


def pack_exponent(time: np.ndarray, bounds=None):
    """m such that ``time * 2^-m`` is below 2 and exact for every time, or None.

    None for no rows, a negative time, or times so small that the scaling would make
    them subnormal (inexact). ``bounds``: (min, max) of ``time`` when already known.
    """
    if len(time) == 0:
        return None
    tmin, tmax = _data.min_max(time) if bounds is None else bounds
    if tmin < 0:
        return None
    m = max(0, math.frexp(tmax)[1] - 1)  # tmax * 2^-m < 2
    if m > 1000:
        return None
    if m:
        tiny = math.ldexp(1.0, -1022 + m)  # below it, time * 2^-m would be subnormal (inexact)
        if tmin < tiny and np.any((time > 0) & (time < tiny)):
            return None
    return m


def packed_runs(time: np.ndarray, event: np.ndarray, group: np.ndarray, timefix: bool = True):
    """Per (time, group) run, sorted by time then group: time (timefixed), group, count, events.

    ``group`` holds codes 0/1. Returns ``(ut, grp, cnt, nev, merged)`` where ``merged`` says
    whether the timefix made run times equal (runs then still need merging within a group),
    or None when the times cannot be packed (negative, or so small that scaling is inexact).
    """
    n = len(time)
    m = pack_exponent(time)
    if m is None:
        return None
    scaled = time * math.ldexp(1.0, -m) if m else time + 0.0
    keys = scaled.view(np.uint64) << np.uint64(2)  # drops the (zero) sign and top exponent bits
    code = group * 2
    code += event
    keys |= code.view(np.uint64)
    keys.sort()
    tg = keys >> np.uint64(1)
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    np.not_equal(tg[1:], tg[:-1], out=brk[1:])
    starts = np.flatnonzero(brk)
    k0 = keys[starts]
    grp = ((k0 >> np.uint64(1)) & np.uint64(1)).view(np.int64)
    ut = (k0 >> np.uint64(2)).view(np.float64)
    if m:
        ut *= math.ldexp(1.0, m)
    cnt = np.empty(len(starts), dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=cnt[:-1])
    cnt[-1] = n - starts[-1]
    # events per run: a run of one row is its own status; in longer runs the events are the
    # last rows (status is the lowest key bit), found by a search for the first event key
    nev = (k0 & np.uint64(1)).view(np.int64)
    multi = np.flatnonzero(cnt > 1)
    if len(multi):
        first_event = np.searchsorted(keys, k0[multi] | np.uint64(1), side="left")
        nev[multi] = starts[multi] + cnt[multi] - first_event
    merged = False
    if timefix:
        fix = _timefix_map(ut)
        if fix is not None:
            ut = apply_fix(ut, fix)
            merged = True
    return ut, grp, cnt, nev, merged


def merge_runs(ut: np.ndarray, bounds: np.ndarray, *cols):
    """Sum the columns over equal times within each group delimited by ``bounds`` (sorted per group).

    Merges are rare (timefix near-ties): the few merged rows are added with ``np.add.at``
    instead of a segment sum over every row.
    """
    brk = np.empty(len(ut), dtype=bool)
    brk[:1] = True
    np.not_equal(ut[1:], ut[:-1], out=brk[1:])
    brk[bounds[1:-1][bounds[1:-1] < len(ut)]] = True
    starts = np.flatnonzero(brk)
    dup = np.flatnonzero(~brk)
    tgt = np.searchsorted(starts, dup, side="right") - 1
    out = []
    for c in cols:
        m = c[starts]
        np.add.at(m, tgt, c[dup])
        out.append(m)
    return (ut[starts], np.searchsorted(starts, bounds), *out)


def jit_prepared(d, codes: np.ndarray, ngroup: int):
    """Sorted packed keys for the compiled kernels (:func:`._jit.jit_keys`), or None.

    Only for one or two groups and at least :data:`._data.JIT_MIN_ROWS` rows, so small
    cohorts never import numba.
    """
    if ngroup > 2 or d.n < _data.JIT_MIN_ROWS:
        return None
    from nlrstats.stats.survival._jit import jit_keys
    return jit_keys(d.raw_time, d.event, codes, d.timefix, d.time_range)
