"""Random two-way tables with given margins, drawn as R draws them (``r2dtable``, ``simulate.p.value``).

R's ``fisher.test(simulate.p.value = TRUE)`` and ``chisq.test(simulate.p.value = TRUE)``
draw ``B`` tables with the observed margins by Patefield's algorithm (AS 159, R's
``rcont2``) from R's uniform stream, and compare a statistic of each with the observed
one. :func:`simulate_statistics` does the same with :class:`nlrstats.stats.rng.RRNG`, so
that after ``set.seed(s)`` in R and ``seed=s`` here the two simulated p-values are equal.
The log-factorials are built as R's ``C_Fisher_sim`` / ``C_chisq_sim`` build them
(``fact[i] = fact[i - 1] + log(i)``), which matters because the algorithm compares
probabilities with uniforms.

Cost: one uniform per free cell per table, and a walk from the conditional mode that
grows with the square root of the counts; small jobs run as Python, large ones in the
compiled kernel (same source, same tables).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from nlrstats.stats.htest._rcont_kernel import STAT_CHISQ, STAT_FISHER, STAT_TABLE
from nlrstats.stats.htest._rcont_kernel import sim_tables as sim_tables_py
from nlrstats.stats.rng import RRNG, as_rng

__all__ = ["log_factorials", "simulate_statistics", "r2dtable", "simulation_work"]

# Estimated kernel steps above which the compiled kernel pays for importing numba.
_JIT_WORK = 300_000


def log_factorials(n: int) -> np.ndarray:
    """``log(i!)`` for i = 0..n, summed in R's order (``fact[i] = fact[i - 1] + log(i)``)."""
    logs = np.zeros(n + 1)
    if n >= 2:
        logs[2:] = [math.log(i) for i in range(2, n + 1)]
    return np.cumsum(logs)


def simulation_work(rows, cols, B: int) -> float:
    """Rough number of kernel steps to draw ``B`` tables: free cells times the walk length."""
    rows = np.asarray(rows)
    n = float(np.sum(rows))
    cells = (len(rows) - 1) * (np.size(cols) - 1)
    return float(B) * cells * (2.0 + math.sqrt(n / max(cells, 1)) / 2)


def _run(rows, cols, B, rng: RRNG, kind, fact, expected=None, jit: bool | None = None):
    nrowt = np.ascontiguousarray(rows, dtype=np.int64)
    ncolt = np.ascontiguousarray(cols, dtype=np.int64)
    if jit is None:
        jit = simulation_work(nrowt, ncolt, B) > _JIT_WORK
    if jit:
        from nlrstats.stats.htest._rcont_jit import sim_tables
    else:
        sim_tables = sim_tables_py
    exp_flat = np.zeros(1) if expected is None else np.ascontiguousarray(expected, dtype=float).ravel(order="F")
    stats = np.zeros(B if kind != STAT_TABLE else 1)
    tables = np.zeros((B if kind == STAT_TABLE else 1, nrowt.size * ncolt.size), dtype=np.int64)
    per = (nrowt.size - 1) * (ncolt.size - 1)
    if jit:
        args = (nrowt, ncolt, fact, exp_flat)
        jwork, matrix = np.zeros(ncolt.size, dtype=np.int64), np.zeros(nrowt.size * ncolt.size, dtype=np.int64)
    else:  # Python scalars: the uncompiled kernel is many times faster on lists than on arrays
        args = (nrowt.tolist(), ncolt.tolist(), fact.tolist(), exp_flat.tolist())
        jwork, matrix = [0] * ncolt.size, [0] * (nrowt.size * ncolt.size)
    it = 0
    extra = 64
    while it < B:
        size = (B - it) * per + extra
        u = rng.peek(size)
        nxt, used = sim_tables(*args, kind, it, B, u if jit else u.tolist(), stats, tables, jwork, matrix)
        rng.advance(used)
        extra = extra if nxt > it else 2 * extra + size  # a table needed more draws than offered
        it = nxt
    return stats, tables


def simulate_statistics(rows, cols, B: int, rng: RRNG, statistic: str, expected=None,
                        jit: bool | None = None) -> np.ndarray:
    """``B`` simulated statistics as R's ``C_Fisher_sim`` (``"fisher"``: ``-sum(log(x!))``) or
    ``C_chisq_sim`` (``"chisq"``: Pearson's X^2 against ``expected``)."""
    kind = {"fisher": STAT_FISHER, "chisq": STAT_CHISQ}[statistic]
    fact = log_factorials(int(np.sum(rows)))
    stats, _ = _run(rows, cols, int(B), rng, kind, fact, expected, jit)
    return stats


def r2dtable(n: int, r, c, seed=None, jit: bool | None = None) -> list[np.ndarray]:
    """``n`` random tables with row sums ``r`` and column sums ``c``, as R's ``r2dtable(n, r, c)``.

    ``seed``: an integer (``set.seed(seed)`` first), an :class:`~nlrstats.stats.rng.RRNG`
    stream to continue, or None (a fresh stream). R's ``r2dtable`` takes the
    log-factorials from ``lgammafn``; scipy's ``gammaln`` is used here, which can differ
    in the last bit and so could change a table only if a uniform fell within ~1e-16 of a
    cumulative probability.
    """
    r = np.asarray(r)
    c = np.asarray(c)
    if r.size <= 1 or c.size <= 1 or np.any(r < 0) or np.any(c < 0):
        raise ValueError("'r' and 'c' must each hold at least 2 nonnegative totals")
    if int(r.sum()) != int(c.sum()):
        raise ValueError(f"arguments 'r' and 'c' must have the same sums ({int(r.sum())} vs {int(c.sum())})")
    rng = as_rng(seed)
    total = int(r.sum())
    fact = special.gammaln(np.arange(total + 1) + 1.0)
    _, tables = _run(r, c, int(n), rng, STAT_TABLE, fact, None, jit)
    return [t.reshape((r.size, c.size), order="F") for t in tables[:int(n)]]
