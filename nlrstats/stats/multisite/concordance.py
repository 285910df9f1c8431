"""Harrell's concordance of a grouped Cox model and its standard error, from per-site count grids.

R's ``coxph`` reports ``concordancefit(y, lp, strata, reverse = TRUE)``: pairs within a stratum of
an event and a subject still at risk after it (censored at the same time count as longer, tied
event times are not compared); concordant when the earlier event has the larger linear
predictor, ties in it count 1/2. Its standard error is the infinitesimal jackknife:
``dfbeta_i = (c_i - d_i)/N - somer/N (c_i + d_i + t_i)`` over every subject's concordant,
discordant and tied pairs, ``var = sum(dfbeta^2)/4``. Subjects of one (site, time, group,
status) cell share c_i, d_i, t_i, so the sums run over cells (Harrell et al. 1982; Therneau &
Atkinson, survival's "concordance" vignette).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["grouped_concordance"]


def _small_matmul(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """x @ m for a tall x and a small 0/1 m, as column sums (numpy's matmul is slow on a short inner axis)."""
    out = np.zeros((x.shape[0], m.shape[1]))
    for j in range(m.shape[0]):
        for k in range(m.shape[1]):
            if m[j, k]:
                out[:, k] += x[:, j]
    return out


def grouped_concordance(grids, eta: np.ndarray):
    """(concordance, std_error) for group linear predictors ``eta`` and per-site (events, censored) grids.

    Each grid pair holds (time x group) counts of one site over its distinct times, ascending.
    """
    gt = (eta[:, None] > eta[None, :]).astype(float)  # [g, h]: g has the larger risk score
    eq = (eta[:, None] == eta[None, :]).astype(float)
    mul = _small_matmul
    cells = []  # (count, c, d, t) per cell
    conc = disc = tied = 0.0
    for ev, cen in grids:
        risk = np.cumsum((ev + cen)[::-1], axis=0)[::-1]
        later = risk - ev
        # as the event of a pair: against everyone later
        c_ev, d_ev, t_ev = mul(later, gt.T), mul(later, gt), mul(later, eq)
        conc += float((ev * c_ev).sum())
        disc += float((ev * d_ev).sum())
        tied += float((ev * t_ev).sum())
        # as the later subject of a pair: against the events before (and at its time if censored)
        before = np.cumsum(ev, axis=0) - ev
        upto = before + ev
        for cnt, c, d, t in ((ev, c_ev + mul(before, gt), d_ev + mul(before, gt.T), t_ev + mul(before, eq)),
                             (cen, mul(upto, gt), mul(upto, gt.T), mul(upto, eq))):
            m = cnt > 0
            cells.append((cnt[m], c[m], d[m], t[m]))
    n = conc + disc + tied
    if n == 0:
        return None, None
    somer = (conc - disc) / n
    var = 0.0
    for cnt, c, d, t in cells:
        dfb = (c - d) / n - somer / n * (c + d + t)
        var += float((cnt * dfb ** 2).sum())
    return (conc + tied / 2) / n, math.sqrt(var / 4)
