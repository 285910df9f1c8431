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
    return _fexact_general(tab, max_steps)


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


def _compositions(c: int, caps: tuple[int, ...]):
    """All ways to split ``c`` into len(caps) nonnegative parts with part i <= caps[i]."""
    r = len(caps)
    if r == 1:
        if c <= caps[0]:
            yield (c,)
        return
    rest_cap = sum(caps[1:])
    for v in range(max(0, c - rest_cap), min(c, caps[0]) + 1):
        for tail in _compositions(c - v, caps[1:]):
            yield (v,) + tail


def _fexact_general(tab: np.ndarray, max_steps: int) -> float:
    """Three or more rows: nodes keyed by the sorted remaining row margins."""
    cols = [int(c) for c in tab.sum(axis=0)]
    rows = tuple(sorted(int(r) for r in tab.sum(axis=1)))
    k = len(cols)
    N = sum(cols)
    lf = _lfact(N)
    steps = [0]

    def check():
        steps[0] += 1
        if steps[0] > max_steps:
            raise FisherTableTooLarge(_too_large_message(tab))

    edges: dict[tuple[int, tuple], list] = {}

    def children(j, node):
        key = (j, node)
        if key not in edges:
            out = []
            lcj = lf[cols[j]]
            for comp in _compositions(cols[j], node):
                check()
                w = lcj - sum(lf[v] for v in comp)
                out.append((w, tuple(sorted(a - b for a, b in zip(node, comp)))))
            edges[key] = out
        return edges[key]

    bounds: dict[tuple[int, tuple], tuple[float, float]] = {}

    def bound(j, node):
        key = (j, node)
        if key in bounds:
            return bounds[key]
        if j == k:
            res = (0.0, 0.0)
        else:
            hi, lo = -math.inf, math.inf
            for w, child in children(j, node):
                b_hi, b_lo = bound(j + 1, child)
                hi = max(hi, w + b_hi)
                lo = min(lo, w + b_lo)
            res = (hi, lo)
        bounds[key] = res
        return res

    def log_tot(node):
        return lf[sum(node)] - sum(lf[v] for v in node)

    log_all = log_tot(rows)
    obs = sum(lf[cols[j]] - sum(lf[int(v)] for v in tab[:, j]) for j in range(k)) + _FEXACT_TOL
    bound(0, rows)
    # stage: node -> {rounded path length: [path length, log mass]}
    stage: dict[tuple, dict[float, list]] = {rows: {0.0: [0.0, 0.0]}}
    pval = 0.0
    for j in range(k):
        nxt: dict[tuple, dict[float, list]] = {}
        for node, paths in stage.items():
            for w, child in children(j, node):
                b_hi, b_lo = bounds[(j + 1, child)]
                for past, lw in paths.values():
                    check()
                    p2 = past + w
                    if p2 + b_hi <= obs:
                        pval += math.exp(lw + w + log_tot(child) - log_all)
                    elif p2 + b_lo <= obs:
                        slot = nxt.setdefault(child, {})
                        kk = round(p2 * 1e9)
                        if kk in slot:
                            slot[kk][1] = float(np.logaddexp(slot[kk][1], lw + w))
                        else:
                            slot[kk] = [p2, lw + w]
        stage = nxt
        if not stage:
            break
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
