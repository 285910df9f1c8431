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
PAIRWISE_MAX_PAIRS = 4_000_000  # events x subjects; above, the compiled tree walk (numba import ~0.4 s)


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
    step = max(1, PAIRWISE_MAX_PAIRS // max(n, 1) // 4)
    for a in range(0, len(events), step):
        i = events[a:a + step]
        ti, xi = time[i][:, None], x[i][:, None]
        later = (time > ti) | ((time == ti) & (event == 0))
        for k, rel in enumerate((x > xi, x < xi, x == xi)):
            pair = (later & rel).astype(np.float64)
            per_event = pair @ wt  # weight of the event's partners in this relation
            imat[i, k] += tw[i] * per_event
            count[k] += np.sum(wt[i] * tw[i] * per_event)
            imat[:, k] += (wt[i] * tw[i]) @ pair
    return count, imat


def tied_sums(time, event, x, wt, tw):
    """Tied on y only and tied on x and y: pairs of events at one time, w_i w_j W(t) each."""
    ev = event == 1
    if not ev.any():
        return 0.0, 0.0
    t, xx, w, W = time[ev], x[ev], wt[ev], tw[ev]

    def pairs(*keys):
        _, g = np.unique(np.column_stack(keys), axis=0, return_inverse=True)
        g = g.ravel()
        s1 = np.bincount(g, weights=w)
        s2 = np.bincount(g, weights=w * w)
        return float(np.sum(np.bincount(g, weights=W, minlength=len(s1)) / np.bincount(g) * (s1 * s1 - s2) / 2))

    both = pairs(t, xx)
    return pairs(t) - both, both


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class ConcordanceCore:
    """R's ``concordancefit`` for one predictor: the estimate, counts, variance and dfbeta."""

    concordance: float | None
    count: np.ndarray  # concordant, discordant, tied.x, tied.y, tied.xy (after ``reverse``)
    var: float | None
    dfbeta: np.ndarray | None  # R's influence = 1 output (dfbeta / 2), per subject or cluster
    n: int


def _ranks(x: np.ndarray):
    u, r = np.unique(x, return_inverse=True)
    return r.ravel(), len(u)


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
    strata = np.zeros(n, dtype=np.int64) if strata is None else np.unique(np.asarray(strata), return_inverse=True)[1]
    strata = strata.ravel()
    tw = np.zeros(n)
    sizes = np.bincount(strata)
    for k in range(len(sizes)):  # R's docount: time weights within each stratum
        m = strata == k
        tw[m] = time_weights(time[m], event[m], wt[m], timewt)
    pairs = sum(int((event[strata == k] == 1).sum()) * int(sizes[k]) for k in range(len(sizes)))
    if method == "auto":
        method = "tree" if n >= _data.JIT_MIN_ROWS or pairs > PAIRWISE_MAX_PAIRS else "pairs"
    if method == "tree":
        from nlrstats.stats.survival._concordance_jit import tree_sums  # numba only for many pairs
        order = np.lexsort((event, -time, strata))  # R's docount order: censorings first at a tied time
        rank, nuniq = _ranks(x)
        so, to = strata[order], time[order]
        newstrat = np.concatenate(([True], so[1:] != so[:-1]))
        newtime = newstrat | np.concatenate(([True], to[1:] != to[:-1]))
        count3, imat_sorted = tree_sums(rank[order], event[order], wt[order], tw[order], newtime, newstrat, nuniq)
        imat = np.empty_like(imat_sorted)
        imat[order] = imat_sorted
    elif method == "pairs":
        count3, imat = np.zeros(3), np.zeros((n, 3))
        for k in range(len(sizes)):
            m = np.flatnonzero(strata == k)
            c, im = pair_sums(time[m], event[m], x[m], wt[m], tw[m])
            count3 += c
            imat[m] = im
    else:
        raise ValueError(f"method must be 'auto', 'pairs' or 'tree', got {method!r}")
    ty = txy = 0.0
    for k in range(len(sizes)):
        m = strata == k
        a, b = tied_sums(time[m], event[m], x[m], wt[m], tw[m])
        ty, txy = ty + a, txy + b
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
