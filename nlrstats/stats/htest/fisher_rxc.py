"""Fisher's exact test on r x c tables: exact network walk and Monte Carlo.

The exact p-value of Freeman-Halton sums the probabilities of all tables with the observed
margins that are no more likely than the observed one (FEXACT's tolerance on the log
scale). Columns are processed one at a time; partial tables with the same remaining row
margins share a node; a node is settled without enumeration when its longest (or
shortest) completion already decides it (Mehta & Patel, JASA 1983; ACM TOMS 643). Two-row
tables are vectorised with numpy; more rows use memoised Python.

Work is bounded, never memory: every array is counted against ``max_steps`` before it is
allocated, and :func:`fisher_feasible` computes, without allocating, the work the walk
cannot avoid (the longest-path table of two-row tables, the children of the root node
otherwise). R's FEXACT stops the same way when its ``workspace`` (200000 integers by
default) overflows; the budget here solves every table R solves by default and many more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["FisherTableTooLarge", "FisherFeasibility", "fisher_feasible", "fisher_rxc_exact", "DEFAULT_MAX_STEPS"]

_DBL_EPS = 2.220446049250313e-16
# FEXACT's tolerance on the log path length (square root of the relative spacing).
_FEXACT_TOL = 3.45254e-7


# Default work budget (array elements the walk creates): every table R solves with its default
# workspace, a few seconds and at most ~0.5 GB when a table needs more.
DEFAULT_MAX_STEPS = 5_000_000


class FisherTableTooLarge(ValueError):
    """The exact r x c enumeration would be too slow; use simulate_p_value=True."""


@dataclass(frozen=True)
class FisherFeasibility:
    """What the exact r x c walk would cost, known before it runs (:func:`fisher_feasible`).

    Attributes
    ----------
    feasible : bool
        False when the work the walk cannot avoid already exceeds the budget; True means
        the walk starts (it may still stop at the budget, which bounds its time and memory).
    work_lower_bound : float
        Array elements the walk creates at the least.
    max_steps : int
        The budget (``fisher_test(max_steps=)``).
    reason : str
        One sentence for a report.
    """

    feasible: bool
    work_lower_bound: float
    max_steps: int
    reason: str

    def __bool__(self) -> bool:
        return self.feasible


def _composition_counts(c: int, caps: np.ndarray) -> np.ndarray:
    """For each row of ``caps`` (m x r), the number of splits of ``c`` into r parts with part i <=
    caps[i], by inclusion-exclusion over the parts that overflow: exact in int64 while the binomials
    fit, else in floating point (then only a magnitude, which is all a work budget needs)."""
    caps = np.atleast_2d(np.asarray(caps, dtype=np.int64))
    m, r = caps.shape
    exact = math.comb(c + r - 1, r - 1) * r < 2 ** 62
    total = np.zeros(m, dtype=np.int64 if exact else float)
    for subset in range(1 << r):
        members = [i for i in range(r) if subset >> i & 1]
        rest = c - (caps[:, members].sum(axis=1) + len(members)) if members else np.full(m, c, dtype=np.int64)
        rest = np.maximum(rest, -1)
        if exact:
            term = np.ones(m, dtype=np.int64)
            for t in range(1, r):  # C(rest + r - 1, r - 1), built exactly one factor at a time
                term = term * (rest + t) // t
        else:
            term = np.exp(special.gammaln(rest + r.__float__()) - special.gammaln(rest + 1.0)
                          - special.gammaln(float(r)))
        term = np.where(rest >= 0, term, 0)
        total = total - term if len(members) % 2 else total + term
    return np.maximum(total.astype(float), 0.0)


def _compositions(c: int, caps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every split of ``c`` over the parts of each row of ``caps`` (m x r): ``(row index, split)``,
    rows in order. Partial splits are extended only where the remaining parts can absorb the rest."""
    m, r = caps.shape
    after = np.cumsum(caps[:, ::-1], axis=1)[:, ::-1] - caps  # capacity of the parts after i
    node = np.arange(m)
    parts = np.zeros((m, 0), dtype=np.int64)
    used = np.zeros(m, dtype=np.int64)
    for i in range(r - 1):
        rem = c - used
        lo = np.maximum(0, rem - after[node, i])
        hi = np.minimum(rem, caps[node, i])
        counts = np.maximum(hi - lo + 1, 0)
        rep = np.repeat(np.arange(len(used)), counts)
        offs = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        v = lo[rep] + offs
        parts = np.column_stack([parts[rep], v])
        used = used[rep] + v
        node = node[rep]
    return node, np.column_stack([parts, c - used])


def _two_column_tables(rows: np.ndarray, c1: int, c2: int) -> float:
    """Number of ordered pairs of columns (x, y) with sums c1, c2 and x_i + y_i <= rows_i:
    the coefficient of s^c1 t^c2 in prod_i sum_{a + b <= rows_i} s^a t^b, by dynamic programming."""
    dp = np.zeros((c1 + 1, c2 + 1))
    dp[0, 0] = 1.0
    for cap in rows:
        cap = int(cap)
        new = np.zeros_like(dp)
        cs = np.concatenate([np.zeros((c1 + 1, 1)), np.cumsum(dp, axis=1)], axis=1)
        b = np.arange(c2 + 1)
        for a in range(min(cap, c1) + 1):
            lo = np.maximum(b - (cap - a), 0)
            new[a:, :] += cs[: c1 + 1 - a, b + 1] - cs[: c1 + 1 - a, lo]  # sum over y_i <= cap - a
        dp = new
    return float(dp[c1, c2])


def _key_fits(n: int, r: int) -> bool:
    return (n + 1) ** r < 2 ** 62  # nodes are encoded as integers in base n + 1


def _work_lower_bound(tab: np.ndarray, max_steps: int) -> float:
    tab = _prepare(tab)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return 0.0
    cols = tab.sum(axis=0)
    r1 = int(tab[0].sum())
    if tab.shape[0] == 2:  # the longest / shortest completion tables: (c_j + 1) passes over r1 + 1 sums
        return float(np.sum((cols.astype(float) + 1) * (r1 + 1)))
    if not _key_fits(int(tab.sum()), tab.shape[0]):
        return math.inf
    rows = np.sort(tab.sum(axis=1).astype(np.int64))
    # the root's children: every split of the largest column over the rows
    first = float(_composition_counts(int(cols[0]), rows[None, :])[0])
    if first > max_steps or tab.shape[1] < 3:
        return first
    c1, c2 = int(cols[0]), int(cols[1])
    if (min(int(rows.max()), c1) + 1) * (c1 + 1) * (c2 + 1) * len(rows) <= 2e7:
        # ordered two-column partial tables / r!: each node stands for at most r! orderings
        second = _two_column_tables(rows, c1, c2) / math.factorial(len(rows))
        if first + second > max_steps or first > 1_000_000:
            return first + second
    elif first > 1_000_000:
        return first
    # ... and their children (distinct multisets of remaining margins), counted without listing them
    _, comps = _compositions(int(cols[0]), rows[None, :])
    weights = np.int64(tab.sum() + 1) ** np.arange(len(rows) - 1, -1, -1, dtype=np.int64)
    keys = np.unique(np.sort(rows[None, :] - comps, axis=1) @ weights)
    nodes = (keys[:, None] // weights) % np.int64(tab.sum() + 1)
    return first + float(_composition_counts(int(cols[1]), nodes).sum())


def fisher_feasible(table, max_steps: int = DEFAULT_MAX_STEPS) -> FisherFeasibility:
    """Can the exact r x c Fisher test run within ``max_steps``? Answered without allocating the walk.

    2 x 2 tables are always feasible (a sum over one hypergeometric support). Otherwise
    the work the walk cannot avoid is computed from the margins; when it exceeds the
    budget the answer is False and ``fisher_test(..., simulate_p_value=True)`` (or
    ``"auto"``) is the way, as R's error message advises.
    """
    tab = np.asarray(table)
    if tab.shape == (2, 2):
        return FisherFeasibility(True, float(tab.sum() + 1), int(max_steps), "2 x 2 table: always exact")
    lb = _work_lower_bound(tab, int(max_steps))
    n = int(tab.sum())
    shape = f"{tab.shape[0]} x {tab.shape[1]} table (n = {n})"
    if lb > max_steps:
        return FisherFeasibility(False, lb, int(max_steps),
                                 f"exact test on this {shape} needs at least {lb:.3g} steps (budget {max_steps:,})")
    return FisherFeasibility(True, lb, int(max_steps),
                             f"exact test on this {shape} fits the budget of {max_steps:,} steps at the least")


def _prepare(tab: np.ndarray) -> np.ndarray:
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return tab
    if tab.shape[0] > tab.shape[1]:
        tab = tab.T  # fewer rows -> fewer nodes
    # Larger columns first: the bounds settle nodes earlier.
    return tab[:, np.argsort(-tab.sum(axis=0), kind="stable")]


def _lfact(n: int) -> np.ndarray:
    return special.gammaln(np.arange(n + 1) + 1.0)


def fisher_rxc_exact(tab: np.ndarray, max_steps: int = DEFAULT_MAX_STEPS) -> float:
    """Freeman-Halton exact p-value of an r x c table; :class:`FisherTableTooLarge` beyond ``max_steps``."""
    feas = fisher_feasible(tab, max_steps)
    if not feas:
        raise FisherTableTooLarge(_too_large_message(np.asarray(tab), feas.reason))
    tab = _prepare(tab)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return 1.0  # one margin left: a single table is possible
    if tab.shape[0] == 2:
        return _fexact_two_rows(tab, max_steps)
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
        steps += S.size * (int(cols[j]) + 1)  # counted before the arrays exist
        if steps > max_steps:
            raise FisherTableTooLarge(_too_large_message(tab))
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

    # enumerate the reachable nodes stage by stage: a node's children are its remaining row margins
    # minus every split of the next column, sorted (equal multisets have equal futures) and encoded
    keys: list[np.ndarray] = [np.array([int(rows @ weights)], dtype=np.int64)]
    edge_w: list[np.ndarray] = []
    edge_kid: list[np.ndarray] = []
    edge_off: list[np.ndarray] = []
    for j in range(k):
        nodes = (keys[j][:, None] // weights) % base
        spend(float(_composition_counts(cols[j], nodes).sum()))  # counted before the splits exist
        owner, comps = _compositions(cols[j], nodes)
        enc = np.sort(nodes[owner] - comps, axis=1) @ weights
        keys.append(np.unique(enc))
        edge_w.append(lf[cols[j]] - lf[comps].sum(axis=1))
        edge_kid.append(np.searchsorted(keys[j + 1], enc))
        edge_off.append(np.r_[0, np.cumsum(np.bincount(owner, minlength=len(nodes)))])
    root = 0
    # the longest / shortest completion of every node, backwards
    BH: list[np.ndarray] = [np.zeros(0)] * (k + 1)
    BL: list[np.ndarray] = [np.zeros(0)] * (k + 1)
    BH[k] = np.zeros(len(keys[k]))
    BL[k] = np.zeros(len(keys[k]))
    for j in range(k - 1, -1, -1):
        starts = edge_off[j][:-1]
        BH[j] = np.maximum.reduceat(edge_w[j] + BH[j + 1][edge_kid[j]], starts)
        BL[j] = np.minimum.reduceat(edge_w[j] + BL[j + 1][edge_kid[j]], starts)
    LT = []
    for j in range(k + 1):
        margins = (np.array(keys[j], dtype=np.int64)[:, None] // weights) % base
        LT.append(lf[margins.sum(axis=1)] - lf[margins].sum(axis=1))
    log_all = float(LT[0][root])
    obs = sum(lf[cols[j]] - sum(lf[int(v)] for v in tab[:, j]) for j in range(k)) + _FEXACT_TOL
    # the partial tables alive after column j: their node, path length P and log mass LW
    K = np.array([root], dtype=np.int64)
    P = np.zeros(1)
    LW = np.zeros(1)
    pval = 0.0
    for j in range(k):
        off = edge_off[j]
        cnt = off[K + 1] - off[K]
        total = int(cnt.sum())
        spend(total)  # counted before the expansion exists
        ent = np.repeat(np.arange(K.size), cnt)
        e = off[K][ent] + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        kids = edge_kid[j][e]
        w = edge_w[j][e]
        P2 = P[ent] + w
        LW2 = LW[ent] + w
        done = P2 + BH[j + 1][kids] <= obs
        if done.any():
            pval += float(np.exp(LW2[done] + LT[j + 1][kids[done]] - log_all).sum())
        keep = ~done & (P2 + BL[j + 1][kids] <= obs)
        K, P, LW = kids[keep], P2[keep], LW2[keep]
        if K.size == 0:
            break
        # merge partial tables reaching the same node with the same path length
        key = np.round(P * 1e9)
        order = np.lexsort((key, K))
        K, P, LW, key = K[order], P[order], LW[order], key[order]
        first = np.ones(K.size, dtype=bool)
        first[1:] = (K[1:] != K[:-1]) | (key[1:] != key[:-1])
        starts = np.flatnonzero(first)
        gmax = np.maximum.reduceat(LW, starts)
        grp = np.cumsum(first) - 1
        LW = gmax + np.log(np.add.reduceat(np.exp(LW - gmax[grp]), starts))
        K, P = K[starts], P[starts]
    return pval


def _too_large_message(tab: np.ndarray, reason: str | None = None) -> str:
    why = reason or (f"exact Fisher test on this {tab.shape[0]} x {tab.shape[1]} table (n = {int(tab.sum())}) "
                     "needs more enumeration steps than its budget")
    return (
        f"{why}; use fisher_test(..., simulate_p_value=True, B=2000, seed=...) for R's Monte Carlo "
        "p-value, simulate_p_value='auto' to fall back to it, raise max_steps, or use chisq_test"
    )
