"""Restricted cubic splines as rms's ``rcs()`` (Hmisc ``rcspline.eval``, ``inclx = TRUE``, ``norm = 2``).

Default knots are Harrell's quantiles of the non-missing values: 3 knots at the 10th, 50th
and 90th percentiles; 4-6 knots equally spaced from the 5th to the 95th; 7 or more from the
2.5th to the 97.5th (R's type-7 quantiles). With fewer than 100 values the outer knots move
to the 5th smallest and 5th largest value; a tail value holding >= 5% of the data (while no
interior value does) becomes its own knot's neighbour (``fractied``); with at most ``k + 2``
distinct values the knots are the interior distinct values. The basis is x and, per interior
knot j, (x - t_j)+^3 - ((t_k - t_j)(x - t_{k-1})+^3 - (t_{k-1} - t_j)(x - t_k)+^3)/(t_k - t_{k-1}),
every (.)+ divided by (t_k - t_1)^(2/3).
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["rcs_knots", "rcs_basis", "rcs_names"]


def _quantile7(sorted_x: np.ndarray, p) -> np.ndarray:
    return np.quantile(sorted_x, p, method="linear")


def rcs_knots(x: np.ndarray, nk: int = 5, fractied: float = 0.05) -> np.ndarray:
    """Knot locations of ``rcs(x, nk)`` from the non-missing values of ``x``."""
    xx = np.asarray(x, dtype=float)
    xx = xx[~np.isnan(xx)]
    n = len(xx)
    if n < 6:
        raise ValueError("rcs(): knots not specified, and < 6 non-missing observations")
    if nk < 3:
        raise ValueError("rcs(): the number of knots must be >= 3")
    xu = np.unique(xx)
    if len(xu) - 2 <= nk:
        warnings.warn(f"rcs(): {nk} knots requested with {len(xu)} unique values of x; knots set to "
                      f"{len(xu) - 2} interior values", UserWarning, stacklevel=3)
        knots = xu[1:-1]
    else:
        outer = 0.025 if nk > 6 else (0.05 if nk > 3 else 0.1)
        nke = nk
        first = last = None
        over_first = over_last = False
        if 0 < fractied < 1:
            vals, counts = np.unique(xx, return_counts=True)
            f = counts / n
            if f[1:-1].max() < fractied:
                if f[0] >= fractied:
                    first = xx[xx > xx.min()].min()
                    xx = xx[xx > first]
                    nke -= 1
                    over_first = True
                if f[-1] >= fractied:
                    last = xx[xx < xx.max()].max()
                    xx = xx[xx < last]
                    nke -= 1
                    over_last = True
        xs = np.sort(xx)
        if nke == 1:
            knots = np.array([np.median(xs)])
        else:
            if len(xu) <= nke:
                knots = xu.copy()
            else:
                p = np.linspace(0.5, 1 - outer, nke) if nke == 2 else np.linspace(outer, 1 - outer, nke)
                knots = _quantile7(xs, p)
                if len(np.unique(knots)) < min(nke, 3):
                    raise ValueError("rcs(): could not place distinct knots; give them, e.g. rcs(x, c(1, 5, 9))")
            if len(xs) < 100:
                if not over_first:
                    knots[0] = xs[4]
                if not over_last:
                    knots[nke - 1] = xs[len(xs) - 5]
        knots = np.concatenate(([first] if first is not None else [], knots, [last] if last is not None else []))
    knots = np.unique(knots)
    if len(knots) < 3:
        raise ValueError("rcs(): fewer than 3 unique knots")
    return knots


def rcs_basis(x: np.ndarray, knots) -> np.ndarray:
    """The n x (k - 1) basis: x and the k - 2 nonlinear terms (Hmisc ``rcspline.eval``)."""
    t = np.asarray(knots, dtype=float)
    k = len(t)
    x = np.asarray(x, dtype=float)
    kd = (t[-1] - t[0]) ** (2 / 3)
    out = np.empty((len(x), k - 1))
    out[:, 0] = x

    def pos3(v):
        return np.maximum(v / kd, 0) ** 3

    for j in range(k - 2):
        out[:, j + 1] = pos3(x - t[j]) + ((t[-2] - t[j]) * pos3(x - t[-1])
                                          - (t[-1] - t[j]) * pos3(x - t[-2])) / (t[-1] - t[-2])
    return out


def rcs_names(name: str, k: int) -> list[str]:
    """rms's column names: x, x', x'', ..."""
    return [name + "'" * j for j in range(k - 1)]
