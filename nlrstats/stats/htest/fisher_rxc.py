"""Fisher's exact test on r x c tables: exact network walk and Monte Carlo.

The exact p-value of Freeman-Halton sums the probabilities of all tables with the observed
margins that are no more likely than the observed one (FEXACT's tolerance on the log
scale). Columns are processed one at a time; partial tables with the same remaining row
margins share a node; a node is settled without enumeration when its longest (or
shortest) completion already decides it (Mehta & Patel, JASA 1983; ACM TOMS 643). Two-row
tables are vectorised with numpy; more rows use memoised Python.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["FisherTableTooLarge", "fisher_rxc_exact", "fisher_simulated", "random_tables"]

_DBL_EPS = 2.220446049250313e-16
# FEXACT's tolerance on the log path length (square root of the relative spacing).
_FEXACT_TOL = 3.45254e-7


class FisherTableTooLarge(ValueError):
    """The exact r x c enumeration would be too slow; use simulate_p_value=True."""


def _lfact(n: int) -> np.ndarray:
    return special.gammaln(np.arange(n + 1) + 1.0)


def fisher_rxc_exact(tab: np.ndarray, max_steps: int) -> float:
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return 1.0  # one margin left: a single table is possible
    if tab.shape[0] > tab.shape[1]:
        tab = tab.T  # fewer rows -> fewer nodes
    # Larger columns first: the bounds settle nodes earlier.
    tab = tab[:, np.argsort(-tab.sum(axis=0), kind="stable")]
    if tab.shape[0] == 2:
        return _fexact_two_rows(tab, 50 * max_steps)
    return _fexact_general(tab, 50 * max_steps)


def _fexact_two_rows(tab: np.ndarray, max_steps: int) -> float:
    """Two rows: node = remaining first-row total; completions counted by Vandermonde."""
    cols = tab.sum(axis=0)
    k = len(cols)
    r1 = int(tab[0].sum())
    N = int(cols.sum())
    lf = _lfact(N)
    lc = [lf[c] - lf[: c + 1] - lf[c - np.arange(c + 1)] for c in cols]  # log C(c, x)
    suffix = np.concatenate([np.cumsum(cols[::-1])[::-1], [0]])  # T_j
    s_all = np.arange(r1 + 1)
    # Longest / shortest completion of node (j, s), by dynamic programming from the end.
    mx = np.full((k + 1, r1 + 1), -np.inf)
    mn = np.full((k + 1, r1 + 1), np.inf)
    mx[k, 0] = mn[k, 0] = 0.0
    for j in range(k - 1, -1, -1):
        for xv in range(cols[j] + 1):
            src = s_all - xv
            ok = src >= 0
            cand_mx = np.where(ok, lc[j][xv] + mx[j + 1][np.clip(src, 0, None)], -np.inf)
            cand_mn = np.where(ok, lc[j][xv] + mn[j + 1][np.clip(src, 0, None)], np.inf)
            mx[j] = np.maximum(mx[j], cand_mx)
            mn[j] = np.minimum(mn[j], cand_mn)
    # log of the number of completions (weighted): log C(T_j, s)
    def log_tot(j, s):
        t = suffix[j]
        return lf[t] - lf[s] - lf[t - s]

    log_all = lf[N] - lf[r1] - lf[N - r1]
    obs = sum(lc[j][tab[0, j]] for j in range(k)) + _FEXACT_TOL
    S = np.array([r1])
    P = np.array([0.0])
    LW = np.array([0.0])
    pval = 0.0
    steps = 0
    for j in range(k):
        nxt_S, nxt_P, nxt_LW = [], [], []
        for xv in range(cols[j] + 1):
            s2 = S - xv
            ok = (s2 >= 0) & (s2 <= suffix[j + 1])
            if ok.any():
                nxt_S.append(s2[ok])
                nxt_P.append(P[ok] + lc[j][xv])
                nxt_LW.append(LW[ok] + lc[j][xv])
        S2 = np.concatenate(nxt_S)
        P2 = np.concatenate(nxt_P)
        LW2 = np.concatenate(nxt_LW)
        steps += S2.size
        if steps > max_steps:
            raise FisherTableTooLarge(_too_large_message(tab))
        upper = P2 + mx[j + 1][S2]
        lower = P2 + mn[j + 1][S2]
        done = upper <= obs
        if done.any():
            pval += float(np.exp(LW2[done] + log_tot(j + 1, S2[done]) - log_all).sum())
        keep = ~done & (lower <= obs)
        S2, P2, LW2 = S2[keep], P2[keep], LW2[keep]
        if S2.size == 0:
            break
        # Merge partial tables that reach the same node with the same path length.
        key = np.round(P2 * 1e9)
        order = np.lexsort((key, S2))
        S2, P2, LW2, key = S2[order], P2[order], LW2[order], key[order]
        first = np.ones(S2.size, dtype=bool)
        first[1:] = (S2[1:] != S2[:-1]) | (key[1:] != key[:-1])
        starts = np.flatnonzero(first)
        grp_max = np.maximum.reduceat(LW2, starts)
        idx = np.cumsum(first) - 1
        LW_m = grp_max + np.log(np.add.reduceat(np.exp(LW2 - grp_max[idx]), starts))
        S, P, LW = S2[starts], P2[starts], LW_m
    return pval


def _composition_array(c: int, caps: np.ndarray) -> np.ndarray:
    """All splits of ``c`` into len(caps) parts with part i <= caps[i], as an (m x r) array."""
    r = len(caps)
    after = np.concatenate([np.cumsum(caps[::-1])[::-1][1:], [0]])  # capacity of the rows after i
    parts = np.zeros((1, 0), dtype=np.int64)
    used = np.zeros(1, dtype=np.int64)
    for i in range(r - 1):
        rem = c - used
        lo = np.maximum(0, rem - after[i])
        hi = np.minimum(rem, caps[i])
        counts = np.maximum(hi - lo + 1, 0)
        rep = np.repeat(np.arange(len(used)), counts)
        offs = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        v = lo[rep] + offs
        parts = np.column_stack([parts[rep], v])
        used = used[rep] + v
    return np.column_stack([parts, c - used])


def _fexact_general(tab: np.ndarray, max_steps: int) -> float:
    """Three or more rows: nodes keyed by the sorted remaining row margins (equal multisets of
    remaining margins have equal futures), encoded as integers; edges and bounds as arrays."""
    cols = [int(c) for c in tab.sum(axis=0)]
    rows = np.sort(tab.sum(axis=1).astype(np.int64))
    r = len(rows)
    k = len(cols)
    N = sum(cols)
    lf = _lfact(N)
    base = np.int64(N + 1)
    weights = base ** np.arange(r - 1, -1, -1, dtype=np.int64)
    steps = [0]

    def spend(n):
        steps[0] += n
        if steps[0] > max_steps:
            raise FisherTableTooLarge(_too_large_message(tab))

    def decode(key: int) -> np.ndarray:
        return (key // weights) % base

    index: list[dict[int, int]] = [{} for _ in range(k + 1)]
    keys: list[list[int]] = [[] for _ in range(k + 1)]

    def node_ids(j, enc: np.ndarray) -> np.ndarray:
        ids, ks = index[j], keys[j]
        out = np.empty(len(enc), dtype=np.int64)
        for i, e in enumerate(enc.tolist()):
            v = ids.get(e)
            if v is None:
                v = ids[e] = len(ks)
                ks.append(e)
            out[i] = v
        return out

    root = int(node_ids(0, np.array([int(rows @ weights)]))[0])
    edges: list[dict[int, tuple[np.ndarray, np.ndarray]]] = [{} for _ in range(k)]

    def children(j, nid):
        got = edges[j].get(nid)
        if got is None:
            node = decode(keys[j][nid])
            comps = _composition_array(cols[j], node)
            spend(len(comps))
            w = lf[cols[j]] - lf[comps].sum(axis=1)
            enc = np.sort(node[None, :] - comps, axis=1) @ weights
            uniq, inv = np.unique(enc, return_inverse=True)
            got = edges[j][nid] = (w, node_ids(j + 1, uniq)[inv.ravel()])
        return got

    # enumerate the reachable nodes stage by stage, then the longest / shortest completions backwards
    for j in range(k):
        for nid in range(len(keys[j])):
            children(j, nid)
    BH: list[np.ndarray] = [np.zeros(0)] * (k + 1)
    BL: list[np.ndarray] = [np.zeros(0)] * (k + 1)
    BH[k] = np.zeros(len(keys[k]))
    BL[k] = np.zeros(len(keys[k]))
    for j in range(k - 1, -1, -1):
        hi = np.empty(len(keys[j]))
        lo = np.empty(len(keys[j]))
        for nid in range(len(keys[j])):
            w, kids = edges[j][nid]
            hi[nid] = np.max(w + BH[j + 1][kids])
            lo[nid] = np.min(w + BL[j + 1][kids])
        BH[j], BL[j] = hi, lo
    LT = []
    for j in range(k + 1):
        margins = (np.array(keys[j], dtype=np.int64)[:, None] // weights) % base
        LT.append(lf[margins.sum(axis=1)] - lf[margins].sum(axis=1))
    log_all = float(LT[0][root])
    obs = sum(lf[cols[j]] - sum(lf[int(v)] for v in tab[:, j]) for j in range(k)) + _FEXACT_TOL
    # stage: node id -> (path lengths, log masses) of the partial tables reaching it
    stage: dict[int, tuple[np.ndarray, np.ndarray]] = {root: (np.zeros(1), np.zeros(1))}
    pval = 0.0
    for j in range(k):
        kid_all, p_all, lw_all = [], [], []
        bh_j, bl_j, lt_j = BH[j + 1], BL[j + 1], LT[j + 1]
        for nid, (P, LW) in stage.items():
            w, kids = children(j, nid)
            P2 = w[:, None] + P[None, :]
            spend(P2.size)
            LW2 = w[:, None] + LW[None, :]
            done = P2 + bh_j[kids][:, None] <= obs
            if done.any():
                pval += float(np.exp((LW2 + (lt_j[kids] - log_all)[:, None])[done]).sum())
            keep = ~done & (P2 + bl_j[kids][:, None] <= obs)
            if keep.any():
                r_idx, _ = np.nonzero(keep)
                kid_all.append(kids[r_idx])
                p_all.append(P2[keep])
                lw_all.append(LW2[keep])
        if not kid_all:
            break
        K = np.concatenate(kid_all)
        P = np.concatenate(p_all)
        LW = np.concatenate(lw_all)
        # merge partial tables reaching the same node with the same path length
        key = np.round(P * 1e9)
        order = np.lexsort((key, K))
        K, P, LW, key = K[order], P[order], LW[order], key[order]
        first = np.ones(K.size, dtype=bool)
        first[1:] = (K[1:] != K[:-1]) | (key[1:] != key[:-1])
        starts = np.flatnonzero(first)
        gmax = np.maximum.reduceat(LW, starts)
        grp = np.cumsum(first) - 1
        LWm = gmax + np.log(np.add.reduceat(np.exp(LW - gmax[grp]), starts))
        K, P = K[starts], P[starts]
        cut = np.flatnonzero(np.concatenate([[True], K[1:] != K[:-1], [True]]))
        stage = {int(K[a]): (P[a:b], LWm[a:b]) for a, b in zip(cut[:-1], cut[1:])}
    return pval


def _too_large_message(tab: np.ndarray) -> str:
    return (
        f"exact Fisher test on this {tab.shape[0]} x {tab.shape[1]} table (n = {int(tab.sum())}) needs too "
        "many enumeration steps; use fisher_test(..., simulate_p_value=True, B=...) for a Monte Carlo "
        "p-value (R's simulate.p.value), raise max_steps, or use chisq_test"
    )


# ----------------------------------------------------------------------------- Monte Carlo
def random_tables(rows: np.ndarray, cols: np.ndarray, B: int, rng: np.random.Generator):
    """Yield batches of random tables (B x r x c) with the given margins, uniformly as r2dtable."""
    N = int(rows.sum())
    r, c = len(rows), len(cols)
    labels = np.repeat(np.arange(r), rows)
    col_of = np.repeat(np.arange(c), cols)
    batch = max(1, min(B, 5_000_000 // max(N, 1)))
    done = 0
    while done < B:
        b = min(batch, B - done)
        perm = rng.permuted(np.tile(labels, (b, 1)), axis=1)
        flat = perm * c + col_of[None, :] + (np.arange(b) * r * c)[:, None]
        counts = np.bincount(flat.ravel(), minlength=b * r * c).reshape(b, r, c)
        yield counts
        done += b


def fisher_simulated(tab: np.ndarray, B: int, seed) -> float:
    rng = np.random.default_rng(seed)
    stat = -special.gammaln(tab + 1.0).sum()
    almost_1 = 1 + 64 * _DBL_EPS
    hits = 0
    for sims in random_tables(tab.sum(axis=1), tab.sum(axis=0), B, rng):
        t = -special.gammaln(sims + 1.0).sum(axis=(1, 2))
        hits += int(np.sum(t <= stat / almost_1))
    return (1 + hits) / (B + 1)
