"""When the fast kernels run instead of the reference kernels, and their inputs: counts or packed keys.

Both fast paths start at :data:`._data.JIT_MIN_ROWS` rows, where importing numba pays off;
below, the reference kernels (an argsort, then run counts) take a few milliseconds
(``benchmarks/bench_survival.py --paths`` measures each path).

Decimal grid (:func:`grid_table`): when every time is exactly ``round(t * 10^k) / 10^k``
for a small k (checked on all rows in the compiled counting pass, so the doubles are
recovered exactly from their integer codes), the counts per (time, stratum, group, status)
come from one pass over the rows: O(n), no sort. The Kaplan-Meier and log-rank kernels then
run on the (few) unique times only.

One or two groups, no strata (:func:`compiled_keys`): one value sort of packed (time, group,
status) keys and linear compiled passes (:mod:`._jit`).
"""

from __future__ import annotations

import numpy as np

from nlrstats.stats.survival import _data

__all__ = ["compiled_keys", "grid_scale", "grid_table"]

_MAX_DECIMALS = 3
_MAX_CELLS = 1 << 24


def grid_scale(time: np.ndarray):
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

    None below :data:`._data.JIT_MIN_ROWS` rows, for negative times, times off the grid, or
    a table large relative to the rows (then sorting is cheaper). ``bounds``: (min, max) of
    ``time`` when the caller has them.

    R's timefix cannot merge grid times: codes < 2^24 keep every time below 2^24 / scale, so
    the tolerance sqrt(eps) * max(1, mean time) stays below the grid step 1 / scale.
    """
    n = len(time)
    if n < max(1, _data.JIT_MIN_ROWS):
        return None
    tmin, tmax = _data.min_max(time) if bounds is None else bounds
    scale = None if tmin < 0 else grid_scale(time)
    if scale is None:
        return None
    ncode = int(np.rint(tmax * scale)) + 1  # rint is monotone: every code is below
    width = nstrat * ngroup * 2
    if ncode - 1 >= _MAX_CELLS or ncode * width > max(8 * n, 1 << 16):
        return None
    from nlrstats.stats.survival._scan_jit import grid_count  # numba only for large cohorts
    counts = grid_count(time, scale, event, group, strata, ngroup, nstrat, ncode)
    if counts is None:
        return None
    counts = counts.reshape(ncode, nstrat, ngroup, 2)
    present = np.flatnonzero(counts.reshape(ncode, -1).any(axis=1))
    return present / scale, counts[present]


def compiled_keys(d, codes: np.ndarray, ngroup: int):
    """Sorted packed keys for the compiled two-group passes (:func:`._jit.jit_keys`), or None.

    None for more than two groups, below :data:`._data.JIT_MIN_ROWS` rows, or times that
    cannot be packed (negative, or so small that scaling them is inexact).
    """
    if ngroup > 2 or d.n < _data.JIT_MIN_ROWS:
        return None
    from nlrstats.stats.survival._jit import jit_keys  # numba only for large cohorts
    return jit_keys(d.raw_time, d.event, codes, d.timefix, d.time_range)
