"""Compiled (numba) Mersenne-Twister blocks for long runs of R's ``unif_rand()``.

The same recurrence and tempering as :func:`nlrstats.stats.rng` computes with numpy,
one scalar loop per block; importing this module imports numba (~0.3 s, kernel from
numba's cache), so :class:`nlrstats.stats.rng.RRNG` uses it only for long draws.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["mt_blocks", "unif_index_fill"]


@njit(cache=True, nogil=True)
def mt_blocks(mt0, nblocks):
    """States after each of ``nblocks`` refills of ``mt0`` and their 624 uniforms each (R's fixup applied)."""
    n, m = 624, 397
    states = np.empty((nblocks, n), dtype=np.uint32)
    u = np.empty(nblocks * n)
    mt = mt0.astype(np.uint64)
    upper, lower, matrix_a = np.uint64(0x80000000), np.uint64(0x7FFFFFFF), np.uint64(0x9908B0DF)
    for b in range(nblocks):
        for kk in range(n - m):
            y = (mt[kk] & upper) | (mt[kk + 1] & lower)
            mt[kk] = mt[kk + m] ^ (y >> np.uint64(1)) ^ (matrix_a if y & np.uint64(1) else np.uint64(0))
        for kk in range(n - m, n - 1):
            y = (mt[kk] & upper) | (mt[kk + 1] & lower)
            mt[kk] = mt[kk + (m - n)] ^ (y >> np.uint64(1)) ^ (matrix_a if y & np.uint64(1) else np.uint64(0))
        y = (mt[n - 1] & upper) | (mt[0] & lower)
        mt[n - 1] = mt[m - 1] ^ (y >> np.uint64(1)) ^ (matrix_a if y & np.uint64(1) else np.uint64(0))
        for k in range(n):
            states[b, k] = np.uint32(mt[k])
            y = mt[k]
            y ^= y >> np.uint64(11)
            y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
            y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
            y ^= y >> np.uint64(18)
            v = float(y & np.uint64(0xFFFFFFFF)) * 2.3283064365386963e-10
            u[b * n + k] = v if v > 0.0 else 0.5 * 2.328306437080797e-10
    return states, u


@njit(cache=True, nogil=True)
def unif_index_fill(u, dn, bits, chunks, out):
    """R's ``R_unif_index(dn)`` into ``out`` from the uniforms ``u`` (``chunks`` per candidate);
    returns the uniforms used, or -1 when ``u`` ran out first."""
    mask = (np.int64(1) << bits) - 1
    pos = 0
    k = 0
    while k < out.size:
        if pos + chunks > u.size:
            return -1
        v = np.int64(0)
        for c in range(chunks):
            v = 65536 * v + np.int64(u[pos + c] * 65536)
        pos += chunks
        v &= mask
        if v < dn:
            out[k] = v
            k += 1
    return pos
