"""Compiled (numba) single passes over a column, for the data preparation of large cohorts.

Smallest and largest time (one read instead of numpy's two), 0/1 codes of a two-level
string column from its Arrow string views, and counts of decimal-grid times per (time,
stratum, group, status). Nothing here imports the rest of the package: :mod:`._data` and
:mod:`._grid` import this module lazily, from :data:`._data.JIT_MIN_ROWS` rows, so that
small cohorts never import numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["grid_count", "min_max", "two_level_codes"]

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_OPTS)
def _view_codes(views):
    """0/1 codes of Arrow string views against the first view, and the first row of code 1
    (-1: one value only; -2: a third value or a string of more than 12 bytes, which is not
    inlined in its view). Branch-free after the second value is found."""
    n = len(views) // 2
    codes = np.empty(n, np.int64)
    a0, a1 = views[0], views[1]
    second = -1
    for i in range(n):
        if views[2 * i] != a0 or views[2 * i + 1] != a1:
            second = i
            break
    b0, b1 = (a0, a1) if second < 0 else (views[2 * second], views[2 * second + 1])
    bad = (a0 & np.uint64(0xFFFFFFFF)) > np.uint64(12) or (b0 & np.uint64(0xFFFFFFFF)) > np.uint64(12)
    nbad = 0
    for i in range(n):
        v0, v1 = views[2 * i], views[2 * i + 1]
        isa = (v0 == a0) & (v1 == a1)
        isb = (v0 == b0) & (v1 == b1)
        nbad += np.int64(not (isa | isb))
        codes[i] = np.int64(not isa)
    return codes, -2 if bad or nbad else second


def two_level_codes(series):
    """Codes 0/1 of a string column with one or two distinct values, from its Arrow string
    views (zero copy); None when it has nulls, more values, long strings or another layout.

    Returns ``(codes, second_row)``: code 0 is the first row's value, code 1 the value
    first seen at ``second_row`` (-1 when there is one value).
    """
    import sys

    import polars as pl
    import pyarrow as pa

    if sys.byteorder != "little" or not (hasattr(pa, "string_view") and hasattr(pl, "CompatLevel")):
        return None  # the view layout below is little-endian; older pyarrow / polars have no views
    arr = series.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks != 1:
            return None
        arr = arr.chunk(0)
    if arr.type != pa.string_view() or arr.null_count or len(arr) == 0:
        return None
    # strings of <= 12 bytes live in their 16-byte view: length (4 bytes little-endian), data, zero padding
    views = np.frombuffer(arr.buffers()[1], dtype=np.uint64)[2 * arr.offset: 2 * (arr.offset + len(arr))]
    codes, second = _view_codes(views)
    return None if second == -2 else (codes, second)


@njit(**_OPTS)
def _grid_count(time, scale, event, group, strata, width, gw, ncode):
    """Counts per (code, stratum, group, status); False as soon as a time is off the grid."""
    counts = np.zeros(ncode * width, np.int64)
    for i in range(len(time)):
        t = time[i]
        c = np.rint(t * scale)
        if c / scale != t:  # off the grid: the caller sorts instead
            return counts, False
        s = 0 if len(strata) == 0 else strata[i] * gw
        counts[np.int64(c) * width + s + group[i] * 2 + event[i]] += 1
    return counts, True


def grid_count(time, scale, event, group, strata, ngroup, nstrat, ncode):
    """Counts per (code, stratum, group, status) of times ``code / scale`` in one pass, or None
    when a time is off the grid. ``ncode`` bounds the codes (from the largest time)."""
    st = np.zeros(0, dtype=np.int64) if strata is None or nstrat == 1 else strata
    counts, ok = _grid_count(time, float(scale), event, group, st, nstrat * ngroup * 2, ngroup * 2, ncode)
    return counts if ok else None


@njit(**_OPTS)
def min_max(x):
    """Smallest and largest of a float array (finite values) in one pass (numpy's min and
    max read the array twice)."""
    lo, hi = np.inf, -np.inf
    for v in x:
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi
