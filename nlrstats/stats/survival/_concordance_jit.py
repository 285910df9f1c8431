"""Compiled (numba) pair counts for Harrell's concordance: Fenwick trees over the lp ranks.

The counts are those of :func:`.concordance.concordance_sorted` (subjects sorted by
stratum, descending time, censorings first within a time): per event, the subjects of its
stratum before its tie group with a smaller / equal rank, and per subject, the events of
its stratum in later tie groups with a larger / smaller / equal rank. Two passes, forward
and backward, each inserting subjects into a Fenwick tree when their tie group is passed:
O(n log u) for u distinct ranks. Integer counts, so the results equal the numpy methods'
exactly (``tests/test_survival_behaviour.py``). Used from :data:`._data.JIT_MIN_ROWS` rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["pair_counts"]


@njit(cache=True, nogil=True, inline="always")
def _add(tree, r, v):
    i = r + 1
    while i < len(tree):
        tree[i] += v
        i += i & -i


@njit(cache=True, nogil=True, inline="always")
def _below(tree, r):
    """Count of inserted ranks < r."""
    s = 0
    i = r
    while i > 0:
        s += tree[i]
        i -= i & -i
    return s


@njit(cache=True, nogil=True)
def _pair_counts(r, e, gbrk, sbrk, nuniq):
    n = len(r)
    nev = 0
    for i in range(n):
        nev += e[i]
    tree = np.zeros(nuniq + 1, np.int64)
    cnt = np.zeros(nuniq, np.int64)
    less = np.empty(nev, np.int64)
    eq = np.empty(nev, np.int64)
    tot = np.empty(nev, np.int64)
    # forward: each event against the subjects of its stratum before its tie group
    k, pending, sstart = 0, 0, 0
    for i in range(n):
        if sbrk[i] and i > 0:  # a new stratum: take the last one's subjects out
            for q in range(sstart, pending):
                _add(tree, r[q], -1)
                cnt[r[q]] -= 1
            sstart = pending = i
        if gbrk[i]:  # a new tie group: the subjects before it become comparable
            for q in range(pending, i):
                _add(tree, r[q], 1)
                cnt[r[q]] += 1
            pending = i
        if e[i]:
            less[k] = _below(tree, r[i])
            eq[k] = cnt[r[i]]
            tot[k] = pending - sstart
            k += 1
    for q in range(sstart, pending):
        _add(tree, r[q], -1)
        cnt[r[q]] -= 1
    # backward: each subject against the events of its stratum in later tie groups
    conc = np.empty(n, np.int64)
    disc = np.empty(n, np.int64)
    tie = np.empty(n, np.int64)
    ins_lo, send, inserted = n, n, 0
    for j in range(n - 1, -1, -1):
        if j + 1 < n and sbrk[j + 1]:  # crossed into an earlier stratum: empty the tree
            for q in range(ins_lo, send):
                if e[q]:
                    _add(tree, r[q], -1)
                    cnt[r[q]] -= 1
            ins_lo = send = j + 1
            inserted = 0
        elif j + 1 < n and gbrk[j + 1]:  # the tie group after j is passed: its events count
            for q in range(j + 1, ins_lo):
                if e[q]:
                    _add(tree, r[q], 1)
                    cnt[r[q]] += 1
                    inserted += 1
            ins_lo = j + 1
        lo = _below(tree, r[j])
        same = cnt[r[j]]
        disc[j] = lo
        tie[j] = same
        conc[j] = inserted - lo - same
    return less, eq, tot, conc, disc, tie


def pair_counts(r: np.ndarray, e: np.ndarray, gbrk: np.ndarray, sbrk: np.ndarray, nuniq: int):
    """(less, equal, total) per event and (larger, smaller, equal) per subject, as int64."""
    return _pair_counts(np.ascontiguousarray(r, dtype=np.int64), np.ascontiguousarray(e, dtype=np.int64),
                        gbrk, sbrk, int(nuniq))
