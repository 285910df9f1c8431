"""Harrell's concordance with its infinitesimal-jackknife standard error, as R's ``concordancefit``.

Comparable pairs: an event i and any subject j of the same stratum with a later
time, or the same time and censored. With ``reverse=True`` (what ``coxph``
reports) a pair is concordant when the earlier event has the larger linear
predictor. The standard error follows R: per-subject influence on the
concordant / discordant / tied counts, ``dfbeta = (c_i - d_i)/N - somer/N *
(c_i + d_i + t_i)``, ``var = sum(dfbeta^2) / 4``.

Counting is O(n log u) without Python loops: subjects sorted by time, each
query "how many of the subjects in positions [lo, hi) have rank < r" is
answered for all subjects at once by a wavelet matrix over the ranks of the
linear predictor (u = number of distinct values, so a binary covariate costs
one pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Concordance", "concordance"]


@dataclass(frozen=True)
class Concordance:
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    concordance: float | None
    std_error: float | None


class _Wavelet:
    """Wavelet matrix over integer ranks: counts of values < r / == r in a position range."""

    def __init__(self, ranks: np.ndarray, nbits: int):
        self.nbits = nbits
        self.levels = []
        seq = ranks.astype(np.int64)
        for b in reversed(range(nbits)):
            bits = ((seq >> b) & 1).astype(np.int32)
            ones = np.empty(len(seq) + 1, dtype=np.int64)
            ones[0] = 0
            np.cumsum(bits, out=ones[1:])
            nz = len(seq) - int(ones[-1])
            self.levels.append((b, ones, nz))
            m = bits.astype(bool)
            seq = np.concatenate((seq[~m], seq[m]))

    def less_equal(self, lo: np.ndarray, hi: np.ndarray, r: np.ndarray):
        """(count < r, count == r) among positions [lo, hi)."""
        lo = lo.astype(np.int64)
        hi = hi.astype(np.int64)
        less = np.zeros(len(r), dtype=np.int64)
        for b, ones, nz in self.levels:
            bit = ((r >> b) & 1).astype(bool)
            olo, ohi = ones[lo], ones[hi]
            zlo, zhi = lo - olo, hi - ohi
            less += np.where(bit, zhi - zlo, 0)
            lo = np.where(bit, nz + olo, zlo)
            hi = np.where(bit, nz + ohi, zhi)
        return less, hi - lo


def concordance(time, event, lp, strata=None, std_err: bool = True) -> Concordance:
    """Concordance of ``lp`` with survival (higher lp, earlier event), R's ``coxph`` convention."""
    n = len(time)
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    ev = np.asarray(event).astype(np.int64)
    order = np.lexsort((ev, -np.asarray(time, dtype=float), s))
    t, e, ss = time[order], ev[order], s[order]
    uniq, r = np.unique(np.asarray(lp, dtype=float)[order], return_inverse=True)
    r = r.astype(np.int64)
    nbits = max(1, int(np.ceil(np.log2(max(len(uniq), 2)))))
    pos = np.arange(n)
    # first / one-past-last position of each subject's stratum
    sbrk = np.empty(n, dtype=bool)
    sbrk[0] = True
    sbrk[1:] = ss[1:] != ss[:-1]
    sfirst = np.maximum.accumulate(np.where(sbrk, pos, 0))
    slast = np.append(np.flatnonzero(sbrk)[1:], n)[np.cumsum(sbrk) - 1]
    # event tie groups: same stratum, time, and status 1
    gbrk = np.empty(n, dtype=bool)
    gbrk[0] = True
    gbrk[1:] = sbrk[1:] | (t[1:] != t[:-1]) | (e[1:] != e[:-1])
    gstart = np.maximum.accumulate(np.where(gbrk, pos, 0))
    isev = e == 1
    evpos = np.flatnonzero(isev)
    if len(evpos) == 0:
        return Concordance(0.0, 0.0, 0.0, 0.0, 0.0, None, None)
    wm = _Wavelet(r, nbits)
    # 1) each event against later subjects: positions [stratum start, tie-group start)
    g = gstart[evpos]
    lo = sfirst[evpos]
    re = r[evpos]
    less, eq = wm.less_equal(lo, g, re)
    tot = g - lo
    conc_e = less.astype(float)
    tie_e = eq.astype(float)
    disc_e = (tot - less - eq).astype(float)
    C, D, T = conc_e.sum(), disc_e.sum(), tie_e.sum()
    # tied on time: pairs of events in the same tie group; tied_xy also equal lp
    grp = np.cumsum(gbrk)[evpos]
    _, gcount = np.unique(grp, return_counts=True)
    tied_y_all = float((gcount * (gcount - 1) / 2).sum())
    key = grp * (len(uniq) + 1) + re
    _, kcount = np.unique(key, return_counts=True)
    tied_xy = float((kcount * (kcount - 1) / 2).sum())
    tied_y = tied_y_all - tied_xy
    npair = C + D + T
    if npair == 0:
        return Concordance(C, D, T, tied_y, tied_xy, None, None)
    somer = (C - D) / npair
    cidx = (somer + 1) / 2
    if not std_err:
        return Concordance(C, D, T, tied_y, tied_xy, cidx, None)
    # 2) each subject as the later member: events i (sorted by g) with g_i > pos_j, same stratum
    og = np.argsort(g, kind="stable")
    gs, rs_ = g[og], re[og]
    wm2 = _Wavelet(rs_, nbits)
    lo2 = np.searchsorted(gs, pos, side="right")
    hi2 = np.searchsorted(gs, slast - 1, side="right")
    hi2 = np.maximum(hi2, lo2)
    less2, eq2 = wm2.less_equal(lo2, hi2, r)
    tot2 = hi2 - lo2
    # subject j is later: concordant when the event's lp is larger (rank > r_j)
    conc = (tot2 - less2 - eq2).astype(float)
    disc = less2.astype(float)
    tie = eq2.astype(float)
    conc[evpos] += conc_e
    disc[evpos] += disc_e
    tie[evpos] += tie_e
    dfbeta = (conc - disc) / npair - (somer / npair) * (conc + disc + tie)
    se = float(np.sqrt((dfbeta ** 2).sum() / 4))
    return Concordance(C, D, T, tied_y, tied_xy, cidx, se)
