"""Counting-sort kernels for times on a decimal grid (e.g. days, or months to 2 decimals).

When every time is exactly ``round(t * 10^k) / 10^k`` for a small k (checked on all rows,
so the doubles are recovered exactly from their integer codes), the counts per (time,
stratum, group, status) come from one ``bincount`` of integer codes: O(n), no sort. The
kernels then run on the (few) unique times only.
"""

from __future__ import annotations

import numpy as np

from nlrstats.stats.survival import _data

__all__ = ["grid_codes", "grid_counts", "grid_table"]

_MAX_DECIMALS = 3
_MAX_CELLS = 1 << 24


def _grid_scale(time: np.ndarray):
    """The smallest of 1, 10, 100, 1000 that puts a sample of the times on an integer grid, or None."""
    sample = time[:: max(1, len(time) // 512)]
    for k in range(_MAX_DECIMALS + 1):
        scale = 10.0 ** k
        if (np.rint(sample * scale) / scale == sample).all():
            return scale
    return None


def grid_table(time: np.ndarray, event: np.ndarray, group: np.ndarray, ngroup: int,
               strata: np.ndarray | None = None, nstrat: int = 1, bounds=None):
    """Unique times and counts of shape (times, strata, groups, 2 = censored/event), or None.

    From :data:`._data.JIT_MIN_ROWS` rows one compiled pass codes, checks and counts
    (:func:`._jit.grid_count`); below, :func:`grid_codes` and :func:`grid_counts`.
    ``bounds``: (min, max) of ``time`` when the caller has them.
    """
    n = len(time)
    if n == 0:
        return None
    if n < _data.JIT_MIN_ROWS:
        grid = grid_codes(time)
        return None if grid is None else grid_counts(*grid, event, group, ngroup, strata, nstrat)
    tmin, tmax = _data.min_max(time) if bounds is None else bounds
    scale = None if tmin < 0 else _grid_scale(time)
    if scale is None:
        return None
    ncode = int(np.rint(tmax * scale)) + 1  # rint is monotone: every code is below
    width = nstrat * ngroup * 2
    if ncode - 1 >= _MAX_CELLS or ncode * width > max(8 * n, 1 << 16):
        return None
    from nlrstats.stats.survival._jit import grid_count
    counts = grid_count(time, scale, event, group, strata, ngroup, nstrat, ncode)
    if counts is None:
        return None
    counts = counts.reshape(ncode, nstrat, ngroup, 2)
    present = np.flatnonzero(counts.reshape(ncode, -1).any(axis=1))
    return present / scale, counts[present]


def grid_codes(time: np.ndarray):
    """(integer codes as floats, scale, spare buffer) with ``codes / scale == time`` exactly, or None.

    Scales 1, 10, 100, 1000 are tried on a sample first, so continuous times cost one
    short check.
    """
    n = len(time)
    if n == 0 or time.min() < 0:
        return None
    scale = _grid_scale(time)
    if scale is None:
        return None
    c = time * scale
    np.rint(c, out=c)
    back = c / scale
    if not np.array_equal(back, time):
        return None
    if c.max() >= _MAX_CELLS:
        return None
    # integer-valued floats (exact below 2^53); ``back``'s memory is handed on for the integer keys
    return c, scale, back


def grid_counts(codes: np.ndarray, scale: float, spare: np.ndarray | None, event: np.ndarray,
                group: np.ndarray, ngroup: int, strata: np.ndarray | None = None, nstrat: int = 1):
    """Unique times and counts of shape (times, strata, groups, 2 = censored/event).

    ``codes`` (from :func:`grid_codes`) is overwritten, and ``spare`` (its third item, a free
    buffer of n doubles, or None) is reused for the integer keys.

    None when the table would be large relative to n (then the sorting kernels are cheaper).
    """
    n = len(codes)
    ncode = int(codes.max()) + 1
    width = nstrat * ngroup * 2
    if ncode * width > max(8 * n, 1 << 16):
        return None
    # the key is built in place in the codes array (integer-valued doubles, exact below 2^53)
    key = codes
    key *= width
    if strata is not None and nstrat > 1:
        key += strata * (ngroup * 2)
    if ngroup > 1:
        key += group  # twice: 2 * group without a temporary
        key += group
    key += event
    if spare is not None and spare.dtype.itemsize == np.dtype(np.intp).itemsize and spare.flags.c_contiguous:
        ikey = spare.view(np.intp)  # reuse a free buffer: no fresh pages
        np.copyto(ikey, key, casting="unsafe")
        key = ikey
    else:
        key = key.astype(np.intp)
    counts = np.bincount(key, minlength=ncode * width).reshape(ncode, nstrat, ngroup, 2)
    present = np.flatnonzero(counts.reshape(ncode, -1).any(axis=1))
    ut = present / scale
    counts = counts[present]
    # R's timefix cannot merge grid times: codes < 2^24 keep every time below 2^24 / scale, so
    # the tolerance sqrt(eps) * max(1, mean time) stays below the grid step 1 / scale.
    return ut, counts
