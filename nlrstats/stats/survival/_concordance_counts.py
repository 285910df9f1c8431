"""Concordance sums and their influence, as R's ``concordancefit`` (survival 3.5).

For every event i and every subject j of its stratum that lives longer (a later time, or
the same time and censored) the pair is concordant when x_j > x_i, discordant when
x_j < x_i, tied on x otherwise; each pair counts w_i w_j W(t_i) (case weights w, time
weight W of the event's time, R's ``timewt``). Pairs of events at one time are tied on y
(and on x and y when their x agree). The infinitesimal-jackknife standard error comes from
each subject's share of the concordant, discordant and tied-on-x sums (R's ``influence``):
``dfbeta_i = w_i ((c_i - d_i) / npair - somers_d / npair (c_i + d_i + t_i))``,
``var = sum(dfbeta^2) / 4``.

Two ways to the sums: :func:`pair_sums` compares every event with every subject (numpy,
O(events x n): the definition, used for small cohorts and as the reference in the tests),
and :func:`._concordance_jit.tree_sums` walks R's ``concordance3`` loop with Fenwick trees
(compiled, O(n log u)), used when there are many pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlrstats.stats.survival import _data

__all__ = ["ConcordanceCore", "TIMEWT", "concordance_core", "pair_sums", "tied_sums", "time_weights"]

TIMEWT = ("n", "S", "S/G", "n/G2", "I")
PAIRWISE_MAX_PAIRS = 250_000  # events x subjects (~10 ms); above, the compiled tree walk (numba import ~0.4 s once)


def time_weights(time: np.ndarray, event: np.ndarray, wt: np.ndarray, timewt: str) -> np.ndarray:
    """R's time weight W(t) of each event of one stratum (0 for censored rows).

    From R's ``fastkm1`` at the unique event times: S(t-) and G(t-), the left-continuous
    Kaplan-Meier curves of the event and of the censoring (censorings at a death time leave
    after the deaths), and n(t) the weight at risk. "n": 1; "S": sum(w) S / n; "S/G":
    sum(w) S / (G n); "n/G2": 1 / G^2 (Uno's weights); "I": 1 / n. With fewer than 2
    events R uses "n".
    """
    out = np.zeros(len(time))
    ev = event == 1
    if timewt == "n" or ev.sum() < 2:
        out[ev] = 1.0
        return out
    ut, inv = np.unique(time, return_inverse=True)
    wd = np.bincount(inv, weights=np.where(ev, wt, 0.0), minlength=len(ut))
    wc = np.bincount(inv, weights=np.where(ev, 0.0, wt), minlength=len(ut))
    nrisk = np.cumsum((wd + wc)[::-1])[::-1]  # weight with time >= t
    with np.errstate(divide="ignore", invalid="ignore"):
        s_step = np.where(wd > 0, (nrisk - wd) / nrisk, 1.0)
        g_step = np.where(wc > 0, (nrisk - wd - wc) / (nrisk - wd), 1.0)
    s_left = np.concatenate(([1.0], np.cumprod(s_step)[:-1]))
    g_left = np.concatenate(([1.0], np.cumprod(g_step)[:-1]))
    total = wt.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        w = {"S": total * s_left / nrisk, "S/G": total * s_left / (g_left * nrisk),
             "n/G2": 1.0 / g_left ** 2, "I": 1.0 / nrisk}[timewt]
    out[ev] = w[inv[ev]]
    return out


def pair_sums(time, event, x, wt, tw):
    """(concordant, discordant, tied.x) sums and the (n x 3) influence of one stratum, pair by pair.

    The reference: a matrix of events x subjects per chunk, ``later`` marking the subjects
    that live longer than the event (R's orientation: concordant when the longer-lived has
    the larger x). Each subject's influence is its share as the event (weighted by W(t))
    plus its share as the longer-lived member (weighted by the event's w W).
    """
    n = len(time)
    count, imat = np.zeros(3), np.zeros((n, 3))
    events = np.flatnonzero(event == 1)
    unit = bool((wt == 1).all())
    step = max(1, PAIRWISE_MAX_PAIRS // max(n, 1) // 4)
    for a in range(0, len(events), step):
        i = events[a:a + step]
        ti, xi = time[i][:, None], x[i][:, None]
        later = (time > ti) | ((time == ti) & (event == 0))
        wi = (wt[i] * tw[i])[:, None]
        for k, rel in enumerate((x > xi, x < xi, x == xi)):
            pair = later & rel
            # masked sums, not matrix products: BLAS threads stall on a busy machine
            per_event = pair.sum(axis=1) if unit else np.where(pair, wt, 0.0).sum(axis=1)  # partners' weight
            imat[i, k] += tw[i] * per_event
            count[k] += np.sum(wi[:, 0] * per_event)
            imat[:, k] += np.where(pair, wi, 0.0).sum(axis=0)
    return count, imat


def tied_sums(tgroup, event, xrank, wt, tw):
    """Tied on y only and tied on x and y: pairs of events in one (stratum, time) group ``tgroup``,
    w_i w_j W(t) each.

    Per group of events with one time (and one x rank), the pairs' weight is
    ((sum w)^2 - sum w^2) / 2; only groups of two or more events count.
    """
    ev = np.flatnonzero(event == 1)
    if len(ev) < 2:
        return 0.0, 0.0
    gt = tgroup[ev]
    tied = np.bincount(gt)[gt] > 1
    if not tied.any():
        return 0.0, 0.0
    gt, xr, w, W = gt[tied], xrank[ev][tied], wt[ev][tied], tw[ev][tied]  # W: one value per time
    gtx = np.unique(gt * (int(xr.max()) + 1) + xr, return_inverse=True)[1].ravel()

    def pairs(g):
        s1, s2 = np.bincount(g, weights=w), np.bincount(g, weights=w * w)
        wg = np.zeros(len(s1))
        wg[g] = W
        return float(np.sum(wg * (s1 * s1 - s2) / 2))

    both = pairs(gtx)
    return pairs(gt) - both, both


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class ConcordanceCore:
    """R's ``concordancefit`` for one predictor: the estimate, counts, variance and dfbeta."""

    concordance: float | None
    count: np.ndarray  # concordant, discordant, tied.x, tied.y, tied.xy (after ``reverse``)
    var: float | None
    dfbeta: np.ndarray | None  # R's influence = 1 output (dfbeta / 2), per subject or cluster
    n: int


def _in_r_order(strata, time, event) -> bool:
    """Sorted by stratum, then descending time, then censorings before deaths?"""
    ds, dt, de = np.diff(strata), np.diff(time), np.diff(event)
    return bool(np.all((ds > 0) | ((ds == 0) & ((dt < 0) | ((dt == 0) & (de >= 0))))))


def _r_order(strata, time, event) -> np.ndarray:
    """The permutation into R's order: one value sort of (time bits, 1 - event) keys for
    non-negative times (a lexsort otherwise), then a stable sort by stratum."""
    if len(time) and time.min() < 0:
        return np.lexsort((event, -time, strata))
    keys = ((time + 0.0).view(np.uint64) << np.uint64(1)) | (1 - event).astype(np.uint64)
    order = np.argsort(keys)[::-1]  # descending time; at a tied time 1 - event = 1 (censored) first
    if strata.max(initial=0) > 0:
        order = order[np.argsort(strata[order], kind="stable")]
    return order


def _ranks(x: np.ndarray):
    """Dense ranks 0..u-1 and u: a value sort for the distinct values, then, for few of them, a
    binary search that stays in cache; for many, an argsort (random binary searches miss the cache)."""
    xs = np.sort(x)
    brk = np.empty(len(x), dtype=bool)
    brk[:1] = True
    np.not_equal(xs[1:], xs[:-1], out=brk[1:])
    u = xs[brk]
    if len(u) <= 65536:
        return np.searchsorted(u, x), len(u)
    r = np.empty(len(x), dtype=np.int64)
    r[np.argsort(x)] = np.cumsum(brk) - 1
    return r, len(u)


def concordance_core(time, event, x, strata=None, weights=None, timewt: str = "n", reverse: bool = False,
                     cluster=None, std_err: bool = True, method: str = "auto") -> ConcordanceCore:
    """R's ``concordancefit(y, x, strata, weights, timewt = , reverse = , cluster = )``.

    ``time`` must already carry R's timefix. ``method``: "pairs" (:func:`pair_sums`),
    "tree" (compiled :func:`._concordance_jit.tree_sums`) or "auto" (pairs while events x
    subjects stays below :data:`PAIRWISE_MAX_PAIRS` and rows below ``JIT_MIN_ROWS``).
    """
    n = len(time)
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event).astype(np.int64)
    x = np.asarray(x, dtype=np.float64)
    wt = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    strata = np.zeros(n, dtype=np.int64) if strata is None else \
        np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    rank, nuniq = _ranks(x)
    if strata.max(initial=0) == 0:
        members = [slice(None)]
    else:  # R's docount runs per stratum
        by = np.argsort(strata, kind="stable")
        members = np.split(by, np.flatnonzero(np.diff(strata[by])) + 1)
    tw = np.zeros(n)
    pairs = 0
    for m in members:
        tw[m] = time_weights(time[m], event[m], wt[m], timewt)
        pairs += int(event[m].sum()) * len(time[m])
    if method == "auto":
        method = "tree" if n >= _data.JIT_MIN_ROWS or pairs > PAIRWISE_MAX_PAIRS else "pairs"
    if method == "tree":
        from nlrstats.stats.survival._concordance_jit import tree_sums  # numba only for many pairs
        # R's docount order: by stratum, descending time, censorings first at a tied time
        # (a Cox fit's risk sets come in it already: then no sort)
        order = None if _in_r_order(strata, time, event) else _r_order(strata, time, event)
        so, to = (strata, time) if order is None else (strata[order], time[order])
        newstrat = np.concatenate(([True], so[1:] != so[:-1]))
        newtime = newstrat | np.concatenate(([True], to[1:] != to[:-1]))
        r, e, w, tws = (rank, event, wt, tw) if order is None else (rank[order], event[order], wt[order], tw[order])
        count3, imat = tree_sums(r, e, w, tws, newtime, newstrat, nuniq)
        if order is not None:
            imat[order] = imat.copy()  # back to the rows' order
        ty, txy = tied_sums(np.cumsum(newtime) - 1, e, r, w, tws)  # the sorted rows' (stratum, time) blocks
    elif method == "pairs":
        count3, imat = np.zeros(3), np.zeros((n, 3))
        for m in members:
            c, imat[m] = pair_sums(time[m], event[m], x[m], wt[m], tw[m])
            count3 += c
        tgroup = np.unique(np.column_stack((strata, time)), axis=0, return_inverse=True)[1].ravel()
        ty, txy = tied_sums(tgroup, event, rank, wt, tw)
    else:
        raise ValueError(f"method must be 'auto', 'pairs' or 'tree', got {method!r}")
    count = np.array([count3[0], count3[1], count3[2], ty, txy])
    npair = count3.sum()
    if npair == 0:
        return ConcordanceCore(None, count[[1, 0, 2, 3, 4]] if reverse else count, None, None, n)
    somer = (count[0] - count[1]) / npair
    conc = (somer + 1) / 2
    var = dfb = None
    if std_err:
        dfbeta = wt * ((imat[:, 0] - imat[:, 1]) / npair - (somer / npair) * imat.sum(axis=1))
        if cluster is not None:  # R: the grouped jackknife, dfbeta summed within clusters
            _, g = np.unique(np.asarray(cluster), return_inverse=True)
            dfbeta = np.bincount(g.ravel(), weights=dfbeta)
        var = float(np.sum(dfbeta ** 2) / 4)
        dfb = dfbeta / 2
    if reverse:
        conc = 1 - conc
        count = count[[1, 0, 2, 3, 4]]
        dfb = None if dfb is None else -dfb
    return ConcordanceCore(float(conc), count, var, dfb, n)
