"""P-values for a maximally selected standardised statistic (Lausen & Schumacher; Hothorn & Lausen).

Each function takes the observed maximum ``b`` and the group sizes ``m`` (number of
patients at or below each candidate cut, out of ``n``) that the scan used, so every
approximation refers to exactly the cuts that were searched.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["p_lausen92", "p_lausen94", "p_exact_gauss", "p_permutation", "critical_value",
           "EXACT_GAUSS_MAX_WORK", "exact_gauss_work", "exact_gauss_feasible"]

# Work limit (cuts x grid points^2) above which the exact Gaussian integral is refused.
EXACT_GAUSS_MAX_WORK = 1e8


def _dnorm(b: float) -> float:
    return math.exp(-b * b / 2) / math.sqrt(2 * math.pi)


def p_lausen92(b: float, minprop: float, maxprop: float) -> float:
    """Lausen & Schumacher (1992) improved Bonferroni bound, as R's ``maxstat:::pLausen92``.

    Depends only on ``minprop``/``maxprop`` (an asymptotic Brownian-bridge bound), not on
    the cuts. Returns 1 for ``b < 1`` and, as R, ``inf`` when ``minprop = 0`` or
    ``maxprop = 1`` (the bound diverges).
    """
    if b < 1:
        return 1.0
    db = _dnorm(b)
    with np.errstate(divide="ignore"):
        ratio = np.float64(maxprop * (1 - minprop)) / np.float64((1 - maxprop) * minprop)
        lg = float(np.log(ratio))
    p = 4 * db / b + db * (b - 1 / b) * lg
    return max(p, 0.0)


def p_lausen94(b: float, n: int, m: np.ndarray) -> float:
    """Lausen, Sauerbrei & Schumacher (1994) bound over the searched cuts, as ``maxstat:::pLausen94``."""
    m = np.asarray(m, dtype=float)
    if m.size <= 1:
        d = 0.0
    else:
        m1, m2 = m[:-1], m[1:]
        t = np.sqrt(1 - m1 * (n - m2) / ((n - m1) * m2))
        d = float(np.sum(1 / math.pi * math.exp(-b * b / 2) * (t - (b * b / 4 - 1) * t ** 3 / 6)))
    return 1 - (special.ndtr(b) - special.ndtr(-b)) + d


def _gauss_chain(n: int, m: np.ndarray):
    """Lag-one correlations of consecutive standardised statistics (a Gaussian Markov chain)."""
    m = np.asarray(m, dtype=float)
    rho = np.sqrt(m[:-1] * (n - m[1:]) / ((n - m[:-1]) * m[1:]))
    return rho


def _gauss_nodes(b: float, sig_min: float) -> int:
    # Gauss-Legendre spacing mid-interval is ~pi b / nodes; 0.75 sigma resolves the narrowest
    # Gaussian kernel to ~1e-13 (trapezoid-type error exp(-2 pi^2 (sigma / h)^2)).
    return int(min(max(48, math.ceil(math.pi * b / (0.75 * sig_min))), 100000))


def exact_gauss_work(b: float, n: int, m: np.ndarray) -> float:
    """Operations (cuts x nodes^2) the exact Gaussian integral of :func:`p_exact_gauss` needs."""
    m = np.asarray(m, dtype=float)
    if b <= 0 or m.size <= 1:
        return 0.0
    sig = np.sqrt(np.clip(1 - _gauss_chain(n, m) ** 2, 0, None))
    smin = float(sig.min())
    if smin == 0:
        return math.inf
    return float((m.size - 1) * _gauss_nodes(b, smin) ** 2)


def exact_gauss_feasible(b: float, n: int, m: np.ndarray) -> bool:
    """Whether ``pmethod="exactGauss"`` is affordable for the maximum ``b`` over the cuts ``m``
    (at most :data:`EXACT_GAUSS_MAX_WORK` operations; beyond, "Lau94" is the choice)."""
    return exact_gauss_work(b, n, m) <= EXACT_GAUSS_MAX_WORK


def p_exact_gauss(b: float, n: int, m: np.ndarray, nodes: int | None = None) -> float:
    """P(max_k |Z_k| > b) for the limiting Gaussian law of the scan, as ``pmethod="exactGauss"``.

    R's ``maxstat`` integrates the multivariate normal with correlations
    ``sqrt(m_i (n - m_j) / ((n - m_i) m_j))`` (Hothorn & Lausen 2003) by Genz-Bretz
    Monte Carlo (about 1e-3 accurate by default). That matrix is the correlation of a
    Brownian bridge standardised at the cuts, i.e. a stationary Ornstein-Uhlenbeck chain:
    ``Z_k = rho_k Z_{k-1} + sqrt(1 - rho_k^2) e_k``. The probability is therefore a
    product of one-dimensional transition integrals over [-b, b], computed here by
    Gauss-Legendre (Nystrom) quadrature with enough nodes to resolve the narrowest
    transition kernel: deterministic and accurate to about 1e-9.

    Raises
    ------
    ValueError
        When (cuts x nodes^2) exceeds ``EXACT_GAUSS_MAX_WORK`` (very many close cuts,
        e.g. 10^5 patients); use ``"Lau94"`` there, which is then excellent, or
        ``pmethod="auto"``, which does.
    """
    m = np.asarray(m, dtype=float)
    if b <= 0:
        return 1.0
    if m.size == 1:
        return float(2 * special.ndtr(-b))
    rho = _gauss_chain(n, m)
    sig = np.sqrt(np.clip(1 - rho ** 2, 0, None))
    smin = float(sig.min())
    if smin == 0:
        raise ValueError("exactGauss: two candidate cuts give identical groups")
    if nodes is None:
        nodes = _gauss_nodes(b, smin)
    work = rho.size * nodes ** 2
    if work > EXACT_GAUSS_MAX_WORK:
        raise ValueError(f"exactGauss is not feasible here ({m.size} cuts need about {work:.1e} "
                         "operations); use pmethod='Lau94', which is accurate for many cuts, or 'auto'")
    x, w = np.polynomial.legendre.leggauss(nodes)
    z, w = b * x, b * w
    f = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    for r, s in zip(rho, sig):
        kern = np.exp(-((z[:, None] - r * z[None, :]) / s) ** 2 / 2) / (s * math.sqrt(2 * math.pi))
        f = kern @ (w * f)
    return float(min(max(1 - np.dot(w, f), 0.0), 1.0))


def permutation_max(scores: np.ndarray, m: np.ndarray, e: np.ndarray, sd: np.ndarray,
                    n_perm: int, rng: np.random.Generator, chunk_cells: int = 2_000_000) -> np.ndarray:
    """Maximum standardised statistic over the cuts for ``n_perm`` random permutations of the scores."""
    n = scores.size
    rows = max(1, chunk_cells // max(n, 1))
    out = np.empty(n_perm)
    idx = m.astype(np.int64) - 1
    done = 0
    while done < n_perm:
        k = min(rows, n_perm - done)
        perm = rng.permuted(np.broadcast_to(scores, (k, n)), axis=1)
        cs = np.cumsum(perm, axis=1)[:, idx]
        out[done:done + k] = np.max(np.abs(cs - e) / sd, axis=1)
        done += k
    return out


def p_permutation(b: float, perm_max: np.ndarray) -> float:
    """Share of permutations whose maximum reaches the observed one (ties within 1e-10 count)."""
    return float(np.mean(perm_max >= b * (1 - 1e-10)))


def critical_value(pfun, alpha: float) -> float:
    """The statistic whose adjusted p equals ``alpha`` (R's ``q*`` functions use ``optimize`` on
    [0, 10], accurate to about 1e-4; the root is solved to 1e-10 here)."""
    g = lambda x: pfun(x) - alpha  # noqa: E731
    lo, hi = 1.0, 10.0
    if g(lo) < 0:
        return lo
    if g(hi) > 0:
        return hi
    # imported here: scipy.optimize costs 0.3 s at start-up, and only a critical value needs it
    from scipy.optimize import brentq

    return float(brentq(g, lo, hi, xtol=1e-12))
