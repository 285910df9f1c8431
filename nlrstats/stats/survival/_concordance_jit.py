"""Compiled (numba) concordance sums: R's ``concordance3`` loop with Fenwick trees over the x ranks.

The rows arrive as R's ``docount`` sorts them: by stratum, then descending time, censorings
before deaths at a tied time. Two trees hold weights per x rank: the subjects already passed
(the risk set of later times) and the deaths already passed, each death weighted by its time
weight. A censored subject is added to the subject tree; at a death time each death is first
compared with the subject tree (the concordant / discordant / tied-on-x sums and its own
influence), then enters the death tree, then the subject tree. A subject's influence as the
later member of its pairs is the death tree's growth between its entry and the end of its
stratum. O(n log u) for u distinct x values; the same sums as the reference
:func:`._concordance_counts.pair_sums` (``tests/test_concordance_kernels.py``).

Importing this module imports numba; :mod:`._concordance_counts` imports it lazily for large
cohorts, and it imports nothing of the package.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["tree_sums"]


@njit(cache=True, nogil=True, inline="always")
def _add(tree, node, r, v):
    node[r] += v
    i = r + 1
    while i < len(tree):
        tree[i] += v
        i += i & -i


@njit(cache=True, nogil=True, inline="always")
def _clear(tree, node, r):
    """Zero rank r's entries (exactly: no residue from subtracting floating-point weights)."""
    node[r] = 0.0
    i = r + 1
    while i < len(tree):
        tree[i] = 0.0
        i += i & -i


@njit(cache=True, nogil=True, inline="always")
def _below(tree, r):
    """Weight of the ranks < r."""
    s = 0.0
    i = r
    while i > 0:
        s += tree[i]
        i -= i & -i
    return s


@njit(cache=True, nogil=True)
def _tree_sums(rank, event, wt, tw, newtime, newstrat, nuniq):
    n = len(rank)
    subj, subj_node = np.zeros(nuniq + 1), np.zeros(nuniq)
    dead, dead_node = np.zeros(nuniq + 1), np.zeros(nuniq)
    below = np.empty(nuniq + 1)  # prefix sums of the death tree's node weights, at a stratum's end
    subj_tot, dead_tot = 0.0, 0.0
    imat = np.zeros((n, 3))  # concordant, discordant, tied.x (R's orientation: larger x lives longer)
    count = np.zeros(3)
    sstart = 0
    i = 0
    while i <= n:
        if i == n or (newstrat[i] and i > 0):  # end of a stratum: the later members' influence, then empty
            dense = (i - sstart) * 8 >= nuniq  # a large stratum: one prefix sum over the ranks, O(u)
            if dense:
                below[0] = 0.0
                for r in range(1, nuniq + 1):
                    below[r] = below[r - 1] + dead_node[r - 1]
            for q in range(sstart, i):
                r = rank[q]
                lo = below[r] if dense else _below(dead, r)
                eq = dead_node[r]
                imat[q, 0] += lo
                imat[q, 1] += dead_tot - lo - eq
                imat[q, 2] += eq
            if i < n:
                if dense:
                    subj[:] = 0.0
                    subj_node[:] = 0.0
                    dead[:] = 0.0
                    dead_node[:] = 0.0
                else:
                    for q in range(sstart, i):
                        _clear(subj, subj_node, rank[q])
                        _clear(dead, dead_node, rank[q])
            subj_tot, dead_tot = 0.0, 0.0
            sstart = i
            if i == n:
                break
        r = rank[i]
        if event[i] == 0:  # censored: influence counts deaths from here on; join the risk set
            lo = _below(dead, r)
            eq = dead_node[r]
            imat[i, 0] -= lo
            imat[i, 1] -= dead_tot - lo - eq
            imat[i, 2] -= eq
            _add(subj, subj_node, r, wt[i])
            subj_tot += wt[i]
            i += 1
            continue
        j = i + 1  # the deaths at this time: the rest of its block
        while j < n and not newtime[j]:
            j += 1
        for q in range(i, j):  # each death against the subjects that live longer
            rq = rank[q]
            lo = _below(subj, rq)
            eq = subj_node[rq]
            hi = subj_tot - lo - eq
            count[0] += wt[q] * tw[q] * hi
            count[1] += wt[q] * tw[q] * lo
            count[2] += wt[q] * tw[q] * eq
            imat[q, 0] += tw[q] * hi
            imat[q, 1] += tw[q] * lo
            imat[q, 2] += tw[q] * eq
            _add(dead, dead_node, rq, tw[q] * wt[q])
            dead_tot += tw[q] * wt[q]
        for q in range(i, j):  # tied deaths are not pairs: start their influence after them
            rq = rank[q]
            lo = _below(dead, rq)
            eq = dead_node[rq]
            imat[q, 0] -= lo
            imat[q, 1] -= dead_tot - lo - eq
            imat[q, 2] -= eq
            _add(subj, subj_node, rq, wt[q])
            subj_tot += wt[q]
        i = j
    return count, imat


def tree_sums(rank, event, wt, tw, newtime, newstrat, nuniq: int):
    """(concordant, discordant, tied.x) sums and the (n x 3) influence of R's ``concordance3``.

    Inputs in R's sort order (stratum, descending time, censorings first): 0-based dense
    ``rank`` of x, 0/1 ``event``, case weights ``wt``, time weights ``tw`` of the deaths,
    and flags for the first row of each (stratum, time) block and of each stratum.
    """
    return _tree_sums(np.ascontiguousarray(rank, dtype=np.int64), np.ascontiguousarray(event, dtype=np.int64),
                      np.ascontiguousarray(wt, dtype=np.float64), np.ascontiguousarray(tw, dtype=np.float64),
                      np.ascontiguousarray(newtime, dtype=np.bool_), np.ascontiguousarray(newstrat, dtype=np.bool_),
                      int(nuniq))
