"""R survival's generalised Cholesky routines (``cholesky2.c``, ``chsolve2.c``, ``chinv2.c``).

``coxph`` decides which covariates are aliased here, not from the data: the information
matrix of the centred and scaled covariates is factored as F D F' and a pivot below
``toler.chol`` (eps^0.75) times the largest diagonal marks its column as redundant; its
row and column of the inverse are zero and R reports the coefficient as NA. Because the
covariates are scaled first (:func:`nlrstats.stats.survival._coxfit.newton`), the decision
does not depend on their units. The matrices are p x p (p covariates): plain loops.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["TOLER_CHOL", "cholesky2", "chsolve2", "chinv2"]

TOLER_CHOL = np.finfo(float).eps ** 0.75  # coxph.control(toler.chol)


def cholesky2(matrix: np.ndarray, toler: float = TOLER_CHOL) -> tuple[np.ndarray, int]:
    """F D F' factorisation of a symmetric matrix (upper triangle read); returns (factor, rank).

    The factor holds F below the diagonal and D on it; a redundant column has D = 0. The
    rank is negative when the matrix is not non-negative definite, as R's.
    """
    n = matrix.shape[0]
    m = np.array(matrix, dtype=float)
    for i in range(n):
        for j in range(i + 1, n):
            m[j, i] = m[i, j]
    diag = [m[i, i] for i in range(n)]
    eps = max([0.0, *[d for d in diag if d > 0]])
    eps = toler if eps == 0 else eps * toler
    rank, nonneg = 0, 1
    for i in range(n):
        pivot = m[i, i]
        if not math.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
            continue
        rank += 1
        for j in range(i + 1, n):
            temp = m[j, i] / pivot
            m[j, i] = temp
            m[j, j] -= temp * temp * pivot
            for k in range(j + 1, n):
                m[k, j] -= temp * m[k, i]
    return m, rank * nonneg


def chsolve2(factor: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve (F D F') b = y from :func:`cholesky2`; redundant columns get 0."""
    n = factor.shape[0]
    b = np.array(y, dtype=float)
    for i in range(n):
        b[i] -= sum(b[j] * factor[i, j] for j in range(i))
    for i in range(n - 1, -1, -1):
        if factor[i, i] == 0:
            b[i] = 0.0
        else:
            b[i] = b[i] / factor[i, i] - sum(b[j] * factor[j, i] for j in range(i + 1, n))
    return b


def chinv2(factor: np.ndarray) -> np.ndarray:
    """Inverse of the factored matrix (symmetric); rows and columns of redundant columns are 0."""
    n = factor.shape[0]
    m = np.array(factor, dtype=float)
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                for k in range(i):
                    m[j, k] += m[j, i] * m[i, k]
    for i in range(n):
        if m[i, i] == 0:
            m[:i, i] = 0.0
            m[i, i:] = 0.0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                for k in range(i, j):
                    m[i, k] += temp * m[j, k]
    out = np.triu(m)
    return out + np.triu(out, 1).T
