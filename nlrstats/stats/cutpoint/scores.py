"""Scores of the response for maximally selected rank statistics, as R's ``exactRankTests::cscores``.

``maxstat(smethod=...)`` standardises the sum of these scores over the patients at or
below each cut: log-rank scores of a censored time (``"LogRank"``), ranks
(``"Wilcoxon"``), van der Waerden's normal quantiles of the ranks (``"NormalQuantil"``),
indicators of a rank above the median (``"Median"``) or the values themselves
(``"Data"``). Ties get average ranks, as R's ``rank``.
"""

from __future__ import annotations

import numpy as np

from nlrstats.stats import distributions as stats
from nlrstats.stats.htest.rmath import qnorm

__all__ = ["SMETHODS", "logrank_scores", "rank_scores", "integer_scores"]

SMETHODS = ("LogRank", "Wilcoxon", "Median", "NormalQuantil", "Data")


def _sorted_tie_end(ts: np.ndarray) -> np.ndarray:
    """Index of the last element of each element's tie group in sorted ``ts``."""
    n = ts.size
    last = np.ones(n, dtype=bool)
    last[:-1] = ts[1:] != ts[:-1]
    pos = np.flatnonzero(last)
    return np.repeat(pos, np.diff(np.r_[-1, pos]))


def logrank_scores(time: np.ndarray, event: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Log-rank scores as R's ``exactRankTests::cscores(Surv(time, event), type = "LogRank")``.

    ``score_i = event_i - sum_{j: t_j <= t_i} event_j / (n - r_j + 1)`` with ``r_j`` the
    highest rank among times tied with ``t_j`` (``irank``), which is what ``maxstat`` uses.
    """
    n = time.size
    ot = np.argsort(time, kind="stable") if order is None else order
    ts, es = time[ot], event[ot]
    end = _sorted_tie_end(ts)                             # max rank - 1
    # R's cumsum accumulates in long double: the scores are R's to the bit
    cs = np.cumsum((es / (n - end)).astype(np.longdouble)).astype(float)
    out = np.empty(n)
    out[ot] = es - cs[end]
    return out


def rank_scores(y: np.ndarray, smethod: str) -> np.ndarray:
    """Scores of a numeric response: ``"Wilcoxon"``, ``"Median"``, ``"NormalQuantil"`` or ``"Data"``."""
    n = y.size
    if smethod == "Data":
        return y.astype(float)
    r = stats.rankdata(y)
    if smethod == "Wilcoxon":
        return r
    if smethod == "NormalQuantil":
        return np.array([qnorm(v) for v in r / (n + 1)])  # R's qnorm, to the bit
    if smethod == "Median":
        return np.where(r <= (n + 1) / 2, 0.0, 1.0)
    raise ValueError(f"smethod must be one of {', '.join(SMETHODS)}; got {smethod!r}")


def integer_scores(scores: np.ndarray) -> np.ndarray:
    """R maxstat's ``iscores``: half-integers doubled, other fractional scores shifted to 0 and
    rounded to 0..n (``round((s - min) * n / max)``), as the exact ``"HL"`` distribution needs."""
    frac = scores - np.floor(scores)
    if np.sum(frac) == 0:
        return scores
    if np.all(frac[frac != 0] == 0.5):
        return 2 * scores
    s = scores - scores.min()
    return np.round(s * s.size / s.max())
