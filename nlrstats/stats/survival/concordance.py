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
one pass). With few distinct values (u x n/32 cells affordable) the same queries
are O(1) each from per-(rank, 32-position chunk) counts plus a popcount of the
chunk's bitmask; with tied times and few values, from per-(time block, rank)
histograms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlrstats.stats.survival import _data

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
    """Wavelet matrix over integer ranks: counts of values < r / == r in a position range.

    int32 throughout (positions < 2^31) to halve the memory traffic of the per-level gathers.
    """

    def __init__(self, ranks: np.ndarray, nbits: int):
        self.levels = []
        seq = ranks.astype(np.int32)
        n = len(seq)
        for b in reversed(range(nbits)):
            bits = ((seq >> b) & 1).astype(bool)
            ones = np.empty(n + 1, dtype=np.int32)
            ones[0] = 0
            np.cumsum(bits, out=ones[1:], dtype=np.int32)
            nz = n - int(ones[-1])
            self.levels.append((b, ones, np.int32(nz)))
            if b:
                seq = np.concatenate((seq[~bits], seq[bits]))

    def prefix(self, hi: np.ndarray, r: np.ndarray, nuniq: int):
        """(count < r, count == r) among positions [0, hi), for ranks r < nuniq.

        A query starting at 0 walks the matrix with a lower end that depends on r alone:
        its contribution is tabulated once over the nuniq ranks, so each level costs one
        gather (``ones[hi]``) per query instead of two.
        """
        hi = hi.astype(np.int32)
        r = r.astype(np.int32)
        v = np.arange(nuniq, dtype=np.int32)
        lo_v = np.zeros(nuniq, dtype=np.int32)
        less_v = np.zeros(nuniq, dtype=np.int32)
        less = np.zeros(len(r), dtype=np.int32)
        for b, ones, nz in self.levels:
            bv = ((v >> b) & 1).astype(bool)
            olo = ones[lo_v]
            zlo = lo_v - olo
            less_v += np.where(bv, zlo, 0).astype(np.int32, copy=False)
            lo_v = np.where(bv, olo + nz, zlo).astype(np.int32, copy=False)
            bit = ((r >> b) & 1).astype(bool)
            ohi = ones[hi]
            zhi = hi - ohi
            less += np.where(bit, zhi, 0).astype(np.int32, copy=False)
            hi = np.where(bit, ohi + nz, zhi).astype(np.int32, copy=False)
        less -= less_v[r]
        return less.astype(np.int64), (hi - lo_v[r]).astype(np.int64)

    def less_equal(self, lo: np.ndarray, hi: np.ndarray, r: np.ndarray, nuniq: int):
        """(count < r, count == r) among positions [lo, hi)."""
        less, eq = self.prefix(hi, r, nuniq)
        if lo.any():
            less0, eq0 = self.prefix(lo, r, nuniq)
            less -= less0
            eq -= eq0
        return less, eq


class _Chunks:
    """Rank counts in position prefixes for few distinct ranks: per 32-position chunk and rank,
    counts before the chunk plus a bitmask of the chunk's positions (popcount of the part below
    the query position). O(n + n/32 x ranks) to build, O(1) per query, exact integers throughout.
    """

    WIDTH = 32

    def __init__(self, ranks: np.ndarray, nuniq: int):
        n = len(ranks)
        u = self.u = nuniq
        nch = self.nch = n // self.WIDTH + 1
        pos = np.arange(n)
        # rank-major cells (rank, chunk): both running sums then run along contiguous memory
        key = ranks * nch + (pos >> 5)
        G = np.bincount(key, minlength=u * nch).reshape(u, nch)
        heq = np.empty((u, nch), dtype=np.int32)
        heq[:, 0] = 0
        np.cumsum(G[:, :-1], axis=1, out=heq[:, 1:])
        # distinct powers of two below 2^32 add exactly in float64: the sum is the bitwise or
        bits = np.tile(np.ldexp(1.0, np.arange(32)), nch)[:n]
        E = np.bincount(key, weights=bits, minlength=u * nch).astype(np.uint32).reshape(u, nch)
        hless = np.empty_like(heq)
        mless = np.empty_like(E)
        hless[0] = 0
        mless[0] = 0
        if u <= 4096:  # row additions are SIMD; a cumsum down the rank axis is strided
            for v in range(1, u):
                np.add(hless[v - 1], heq[v - 1], out=hless[v])
                np.add(mless[v - 1], E[v - 1], out=mless[v])  # disjoint bits: sum = or
        else:
            np.cumsum(heq[:-1], axis=0, out=hless[1:])
            np.cumsum(E[:-1], axis=0, out=mless[1:])
        self.heq, self.hless, self.eqm, self.mless = heq.ravel(), hless.ravel(), E.ravel(), mless.ravel()

    @staticmethod
    def cells(n: int, nuniq: int) -> int:
        return (n // 32 + 1) * nuniq

    def prefix(self, hi: np.ndarray, r: np.ndarray, nuniq: int):
        """(count < r, count == r) among positions [0, hi)."""
        idx = r * self.nch + (hi >> 5)
        low = np.left_shift(np.uint32(1), (hi & 31).astype(np.uint32)) - np.uint32(1)
        less = self.hless[idx] + np.bitwise_count(self.mless[idx] & low)
        eq = self.heq[idx] + np.bitwise_count(self.eqm[idx] & low)
        return less.astype(np.int64), eq.astype(np.int64)

    def less_equal(self, lo: np.ndarray, hi: np.ndarray, r: np.ndarray, nuniq: int):
        less, eq = self.prefix(hi, r, nuniq)
        if lo.any():
            less0, eq0 = self.prefix(lo, r, nuniq)
            less -= less0
            eq -= eq0
        return less, eq


def _dense_rank(x: np.ndarray):
    """Ranks 0..u-1 of the distinct values of x (ties share a rank)."""
    xs = np.sort(x)  # a value sort; the argsort is needed only when there are many distinct values
    brk = np.empty(len(x), dtype=bool)
    brk[0] = True
    np.not_equal(xs[1:], xs[:-1], out=brk[1:])
    u = xs[brk]
    if len(u) <= 65536:
        return _table_rank(x, u), len(u)
    o = np.argsort(x)
    r = np.empty(len(x), dtype=np.int64)
    r[o] = np.cumsum(brk) - 1
    return r, len(u)


def _table_rank(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of each x in the sorted distinct values u (every x is in u).

    Equal-width buckets over [u0, u_last] map a value to the first distinct value of its
    bucket (the same float formula for x and u, so monotone and consistent); a few vectorised
    steps then walk to the exact value. Falls back to a binary search when buckets are crowded.
    """
    m = len(u)
    span = float(u[-1] - u[0])
    if m < 2 or not np.isfinite(span) or span == 0:
        return np.searchsorted(u, x)
    nb = 4 * m
    scale = nb / span
    bu = np.minimum(((u - u[0]) * scale).astype(np.int64), nb - 1)
    if np.bincount(bu, minlength=nb).max() > 4:
        return np.searchsorted(u, x)
    first = np.searchsorted(bu, np.arange(nb), side="left")
    r = first[np.minimum(((x - u[0]) * scale).astype(np.int64), nb - 1)]
    for _ in range(4):
        step = u[np.minimum(r, m - 1)] < x
        if not step.any():
            break
        r += step
    return r
def concordance(time, event, lp, strata=None, std_err: bool = True, method: str = "auto") -> Concordance:
    """Concordance of ``lp`` with survival (higher lp, earlier event), R's ``coxph`` convention."""
    time = np.asarray(time, dtype=float)
    ev = np.asarray(event).astype(np.int64)
    # stratum, descending time, censorings before events at the same time
    order = np.lexsort((ev, -time) if strata is None else (ev, -time, np.asarray(strata)))
    s = None if strata is None else np.asarray(strata)[order]
    return concordance_sorted(time[order], ev[order], np.asarray(lp, dtype=float)[order], s, std_err, method)


_MAX_CELLS = 3_000_000
_MAX_CHUNK_CELLS = 8_000_000  # 32-position chunks x distinct lp values  # time blocks x distinct lp values for the histogram method


def _block_counts(blk, sblk, e, r, nblock, nuniq):
    """Pair counts from per-(time block, lp rank) histograms: O(n + blocks x ranks).

    Comparable sets are unions of whole time blocks (plus censorings of the event's own
    block), so histograms at block granularity give exact counts. Returns, per event,
    (less, equal, total) among its comparable subjects, and per subject as the later
    member of a pair (greater, less, equal) among the events it is compared with.
    """
    u = nuniq
    key = blk * u + r
    ev = e == 1
    E = np.bincount(key[ev], minlength=nblock * u).reshape(nblock, u).astype(np.int64)
    Cc = np.bincount(key[~ev], minlength=nblock * u).reshape(nblock, u).astype(np.int64)
    # strata: first and last block of each block's stratum
    sb = np.empty(nblock, dtype=bool)
    sb[0] = True
    sb[1:] = sblk[1:] != sblk[:-1]
    first = np.maximum.accumulate(np.where(sb, np.arange(nblock), 0))
    last = np.append(np.flatnonzero(sb)[1:], nblock)[np.cumsum(sb) - 1] - 1
    A = E + Cc
    cumA = np.cumsum(A, axis=0)
    # subjects in earlier blocks of the stratum (later times) plus censorings of the same block
    W = cumA - A - np.where((first > 0)[:, None], cumA[np.maximum(first - 1, 0)], 0) + Cc
    del cumA, A
    cw = np.cumsum(W, axis=1)
    idx = key[ev]
    eq1 = W.ravel()[idx]
    less1 = cw.ravel()[idx] - eq1
    tot1 = cw[:, -1][blk[ev]]
    del W, cw
    # events in later blocks of the stratum (earlier times), and for censorings the same block
    cumE = np.cumsum(E, axis=0)
    F = cumE[last] - cumE
    del cumE
    cf = np.cumsum(F, axis=1)
    eq2 = F.ravel()[key]
    less2 = cf.ravel()[key] - eq2
    gt2 = cf[:, -1][blk] - cf.ravel()[key]
    del F, cf
    ce = np.cumsum(E, axis=1)
    c = ~ev
    kc = key[c]
    eqc = E.ravel()[kc]
    lessc = ce.ravel()[kc] - eqc
    eq2[c] += eqc
    less2[c] += lessc
    gt2[c] += ce[:, -1][blk[c]] - ce.ravel()[kc]
    return less1, eq1, tot1, gt2, less2, eq2


def concordance_sorted(t, e, lp, s=None, std_err: bool = True, method: str = "auto") -> Concordance:
    """:func:`concordance` on data already sorted by stratum and descending time.

    Within a tied time, censorings must precede events; this is checked and repaired.
    ``method``: "blocks" (histograms per time block and lp value, used when blocks x
    distinct values is small: tied times or few covariate patterns), "wavelet"
    (O(n log u) rank counting), "chunks" (few distinct values), "compiled" (Fenwick
    trees, :mod:`._concordance_jit`; "auto" takes it from ``JIT_MIN_ROWS`` rows), or "auto".
    """
    n = len(t)
    e = np.asarray(e).astype(np.int64)
    b = np.empty(n, dtype=bool)
    b[0] = True
    np.not_equal(t[1:], t[:-1], out=b[1:])
    if s is not None:
        b[1:] |= s[1:] != s[:-1]
    bad = np.flatnonzero((e[1:] < e[:-1]) & ~b[1:])
    if len(bad):
        # reorder only the tied blocks out of order (times merged by timefix), stably by status
        bid = np.cumsum(b) - 1
        pos = np.flatnonzero(np.isin(bid, np.unique(bid[bad + 1])))
        fix = np.arange(n)
        fix[pos] = pos[np.argsort(bid[pos] * 2 + e[pos], kind="stable")]
        t, e, lp = t[fix], e[fix], lp[fix]
        s = None if s is None else s[fix]
    ss = np.zeros(n, dtype=np.int64) if s is None else s
    r, nuniq = _dense_rank(lp)
    nbits = max(1, int(np.ceil(np.log2(max(nuniq, 2)))))
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
    re = r[evpos]
    blk = np.cumsum(b) - 1
    nblock = int(blk[-1]) + 1
    cells = nblock * nuniq
    if method == "auto" and n >= _data.JIT_MIN_ROWS:
        method = "compiled"
    compiled = None
    if method == "compiled":  # Fenwick trees in two compiled passes
        from nlrstats.stats.survival._concordance_jit import pair_counts
        compiled = pair_counts(r, e, gbrk, sbrk, nuniq)
    # histograms cost ~10 passes over the cells, the wavelet ~25 passes over n per bit
    use_blocks = (cells <= _MAX_CELLS and cells <= n * nbits) if method == "auto" else method == "blocks"
    # few distinct lp values and many times: chunk bitmasks (O(1) per query) beat the wavelet's log u levels
    use_chunks = (_Chunks.cells(n, nuniq) <= _MAX_CHUNK_CELLS) if method == "auto" else method == "chunks"
    if compiled is not None:
        less, eq, tot = compiled[:3]
    elif use_blocks:
        less, eq, tot, gt2b, less2b, eq2b = _block_counts(blk, ss[np.flatnonzero(b)], e, r, nblock, nuniq)
    else:
        wm = _Chunks(r, nuniq) if use_chunks else _Wavelet(r, nbits)
        # 1) each event against later subjects: positions [stratum start, tie-group start)
        g = gstart[evpos]
        lo = sfirst[evpos]
        less, eq = wm.less_equal(lo, g, re, nuniq)
        tot = g - lo
    conc_e = less.astype(float)
    tie_e = eq.astype(float)
    disc_e = (tot - less - eq).astype(float)
    C, D, T = conc_e.sum(), disc_e.sum(), tie_e.sum()
    # tied on time: pairs of events in the same tie group; tied_xy also equal lp
    grp = np.cumsum(gbrk)[evpos]  # nondecreasing
    gcount = np.diff(np.append(np.flatnonzero(np.diff(grp, prepend=-1)), len(grp)))
    tied_y_all = float((gcount * (gcount - 1) / 2).sum())
    tied_xy = 0.0
    if (gcount > 1).any():
        inb = np.repeat(gcount > 1, gcount)
        _, kcount = np.unique(grp[inb] * (nuniq + 1) + re[inb], return_counts=True)
        tied_xy = float((kcount * (kcount - 1) / 2).sum())
    tied_y = tied_y_all - tied_xy
    npair = C + D + T
    if npair == 0:
        return Concordance(C, D, T, tied_y, tied_xy, None, None)
    somer = (C - D) / npair
    cidx = (somer + 1) / 2
    if not std_err:
        return Concordance(C, D, T, tied_y, tied_xy, cidx, None)
    # 2) each subject as the later member: events i (sorted by g) with g_i > pos_j, same stratum;
    # subject j is later: concordant when the event's lp is larger (rank > r_j)
    if compiled is not None:
        conc, disc, tie = (c.astype(float) for c in compiled[3:])
    elif use_blocks:
        conc, disc, tie = gt2b.astype(float), less2b.astype(float), eq2b.astype(float)
    else:
        # events are in position order and their tie-group starts g are nondecreasing
        wm2 = _Chunks(re, nuniq) if use_chunks else _Wavelet(re, nbits)
        lo2 = np.cumsum(np.bincount(g, minlength=n))  # events with g <= pos
        hi2 = lo2[slast - 1]
        hi2 = np.maximum(hi2, lo2)
        if s is None:  # the whole event list: counts from the rank histogram
            hist = np.bincount(re, minlength=nuniq)
            less_all = np.cumsum(hist) - hist
            lessp, eqp = wm2.prefix(lo2, r, nuniq)
            less2, eq2 = less_all[r] - lessp, hist[r] - eqp
        else:
            less2, eq2 = wm2.less_equal(lo2, hi2, r, nuniq)
        conc = (hi2 - lo2 - less2 - eq2).astype(float)
        disc = less2.astype(float)
        tie = eq2.astype(float)
    conc[evpos] += conc_e
    disc[evpos] += disc_e
    tie[evpos] += tie_e
    dfbeta = (conc - disc) / npair - (somer / npair) * (conc + disc + tie)
    se = float(np.sqrt((dfbeta ** 2).sum() / 4))
    return Concordance(C, D, T, tied_y, tied_xy, cidx, se)
