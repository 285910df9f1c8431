"""Residuals of a Cox model, as R's ``residuals.coxph`` (``coxmart``, ``coxscore2``, ``coxscho``).

All are sums over the Efron terms of :func:`._coxfit.term_sums`: each term t has a hazard
increment dL_t = w_t / S0_t and risk-set mean xbar_t = S1_t / S0_t. A subject at risk at
term t (its time >= the term's) is charged r_i dL_t, r_i = exp(lp_i); for a death at its
own tied time Efron's term k only charges the fraction 1 - k/d (R's Efron residuals).

* martingale: delta_i - r_i * sum dL (as charged);
* deviance: sign(m) sqrt(-2 (m + delta log(delta - m)));
* score: delta_i (x_i - mean of the xbar_t of its block) - r_i sum (x_i - xbar_t) dL_t (as charged);
* dfbeta = score residuals %*% var (times the case weights, R's default ``weighted``),
  dfbetas = dfbeta / se;
* schoenfeld: x_i - mean of the xbar_t of its death block, one row per death;
  scaledsch = schoenfeld %*% var * (number of deaths) + coef (Grambsch & Therneau 1994).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from nlrstats.stats.survival._coxfit import RiskSets, risk_scores, term_sums

__all__ = ["cox_residuals", "score_residuals", "martingale_residuals", "TYPES"]

TYPES = ("martingale", "deviance", "score", "schoenfeld", "dfbeta", "dfbetas", "scaledsch")


def _terms(rs: RiskSets, eta_sorted: np.ndarray, with_x: bool):
    """Per term: hazard increment dL_t and (p x terms) risk-set means; the risk score r of each row."""
    r, cblock, segs = risk_scores(rs, eta_sorted)
    p = rs.XT.shape[0]
    V = np.vstack([r[None, :], rs.XT * r]) if with_x else r[None, :]
    T = term_sums(rs, V, segs)
    dL = rs.twt / T[0] * np.exp(-cblock[rs.rep])
    xbar = T[1:1 + p] / T[0] if with_x else None
    return dL, xbar


def _block_of_row(rs: RiskSets) -> tuple[np.ndarray, np.ndarray]:
    """For each sorted row, the first death block at or after it in its stratum (-1 if none),
    i.e. the latest death time <= its time; and whether the row is a death of that block."""
    n = rs.n
    b = np.searchsorted(rs.end, np.arange(n), side="left")
    ok = b < len(rs.end)
    bb = np.where(ok, b, 0)
    ok &= rs.base[bb] < np.arange(n)  # the block is in the row's stratum
    blk = np.where(ok, bb, -1)
    own = ok & (rs.event == 1)  # a death's first block at or after it is its own
    return blk, own


def _rev_cumsum_by_stratum(v: np.ndarray, rs: RiskSets) -> np.ndarray:
    """Sum over blocks b' >= b of the same stratum (blocks in sorted order), along the last axis."""
    out = np.flip(np.cumsum(np.flip(v, axis=-1), axis=-1), axis=-1)
    if rs.strata is not None and v.shape[-1]:
        sb = rs.strata[rs.end]
        last = np.append(np.flatnonzero(sb[1:] != sb[:-1]), len(sb) - 1)  # last block of each stratum
        nxt = np.searchsorted(last, np.arange(len(sb)), side="left")
        tail = np.append(out[..., 1:], np.zeros(v.shape[:-1] + (1,)), axis=-1)  # sum over blocks after b
        out = out - tail[..., last[nxt]]
    return out


def martingale_residuals(rs: RiskSets, eta_rows: np.ndarray) -> np.ndarray:
    """delta - r * cumulative hazard (Efron: a death is charged (1 - k/d) of its own block's terms)."""
    es = eta_rows[rs.order]
    dL, _ = _terms(rs, es, False)
    nb = len(rs.end)
    H = np.bincount(rs.rep, dL, minlength=nb)
    E = np.bincount(rs.rep, (1 - rs.frac) * dL, minlength=nb)
    RH = _rev_cumsum_by_stratum(H, rs)
    blk, own = _block_of_row(rs)
    lam = np.where(blk >= 0, RH[np.maximum(blk, 0)], 0.0)
    lam = np.where(own, lam - H[np.maximum(blk, 0)] + E[np.maximum(blk, 0)], lam)
    out = np.empty(rs.n)
    out[rs.order] = rs.event - np.exp(es) * lam
    return out


def score_residuals(rs: RiskSets, eta_rows: np.ndarray, ties: str | None = None) -> np.ndarray:
    """n x p score residuals (R's ``coxscore2``), rows in data order, columns on the original scale."""
    es = eta_rows[rs.order]
    dL, xbar = _terms(rs, es, True)
    nb = len(rs.end)
    p = rs.XT.shape[0]
    H = np.bincount(rs.rep, dL, minlength=nb)
    XH = np.stack([np.bincount(rs.rep, xbar[j] * dL, minlength=nb) for j in range(p)])
    # a death's own block: mean of its terms' xbar, and the hazard fractions it is not charged
    inv_d = 1.0 / np.bincount(rs.rep)[rs.rep]  # the mean over the block's terms (Breslow: 1)
    XA = np.stack([np.bincount(rs.rep, xbar[j] * inv_d, minlength=nb) for j in range(p)])
    F = np.bincount(rs.rep, rs.frac * dL, minlength=nb)
    XF = np.stack([np.bincount(rs.rep, xbar[j] * rs.frac * dL, minlength=nb) for j in range(p)])
    RH, RXH = _rev_cumsum_by_stratum(H, rs), _rev_cumsum_by_stratum(XH, rs)
    blk, own = _block_of_row(rs)
    has = blk >= 0
    k = np.maximum(blk, 0)
    r = np.exp(es)
    x = rs.XT
    lam = np.where(has, RH[k], 0.0)
    xlam = np.where(has, RXH[:, k], 0.0)
    res = -r * (x * lam - xlam)
    res += np.where(own, (x - XA[:, k]) + r * (x * F[k] - XF[:, k]), 0.0)
    out = np.empty((rs.n, p))
    out[rs.order] = (res / rs.scale[:, None]).T
    return out


def schoenfeld_residuals(rs: RiskSets, eta_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted-row index of each death, deaths x p residuals on the original scale)."""
    es = eta_rows[rs.order]
    _, xbar = _terms(rs, es, True)
    nb = len(rs.end)
    p = rs.XT.shape[0]
    inv_d = 1.0 / np.bincount(rs.rep)[rs.rep]  # the mean over the block's terms (Breslow: 1)
    XA = np.stack([np.bincount(rs.rep, xbar[j] * inv_d, minlength=nb) for j in range(p)])
    dead = rs.dead
    blk = np.repeat(np.arange(nb), rs.d)
    res = (rs.XT[:, dead] - XA[:, blk]) / rs.scale[:, None]
    return dead, res.T


def _frame(names, M: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({nm: M[:, j] for j, nm in enumerate(names)})


def _rowsum(M: np.ndarray, groups) -> tuple[np.ndarray, np.ndarray]:
    keys, g = np.unique(np.asarray(groups), return_inverse=True)
    if M.ndim == 1:
        return keys, np.bincount(g, M, minlength=len(keys))
    return keys, np.stack([np.bincount(g, M[:, j], minlength=len(keys)) for j in range(M.shape[1])], axis=1)


def cox_residuals(fit, fd, type: str = "martingale", collapse=None, weighted: bool | None = None):
    """Residuals of a :class:`~nlrstats.stats.survival.coxmodel.CoxPH` fit, as R's ``residuals.coxph``.

    Parameters
    ----------
    type : {"martingale", "deviance", "score", "schoenfeld", "dfbeta", "dfbetas", "scaledsch"}
    collapse : array-like, optional
        A group per complete case (R's ``collapse``): residuals are summed per group
        (deviance residuals from the summed martingale residuals and events, as R).
    weighted : bool, optional
        Multiply by the case weights; default True for dfbeta / dfbetas, else False (R's).

    Returns
    -------
    numpy.ndarray or polars.DataFrame
        martingale / deviance: one value per complete case (data order); score / dfbeta /
        dfbetas: a frame with one column per coefficient; schoenfeld / scaledsch: a frame
        with ``time`` (and ``strata``) and one column per coefficient, one row per event in
        order of stratum and time, as R.
    """
    if type not in TYPES:
        raise ValueError(f"type must be one of {', '.join(TYPES)}; got {type!r}")
    rs, lp = fd.rs, fd.lp
    w = fd.rs.weights[np.argsort(rs.order)]  # case weights in data order
    if weighted is None:
        weighted = type in ("dfbeta", "dfbetas")
    vv = fit.var if fit.naive_var is None else fit.naive_var
    names = list(fit.terms)
    if type in ("martingale", "deviance"):
        m = martingale_residuals(rs, lp)
        if weighted:
            m = m * w
        status = fd.surv.event.astype(float)
        if collapse is not None:
            _, m = _rowsum(m, collapse)
            _, status = _rowsum(status, collapse)
        if type == "martingale":
            return m
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.where(status == 0, 0.0, status * np.log(np.where(status == 0, 1.0, status - m)))
        return np.sign(m) * np.sqrt(-2 * (m + inner))
    if type in ("schoenfeld", "scaledsch"):
        dead, res = schoenfeld_residuals(rs, lp)
        if weighted:
            res = res * rs.weights[dead][:, None]
        if type == "scaledsch":
            coef = np.where(np.isfinite(fit.coef), fit.coef, np.where(np.isnan(fit.coef), 0.0, fd.beta))
            res = res @ vv * len(dead) + coef
        rows = rs.order[dead]
        s = None if rs.strata is None else rs.strata[dead]
        srt = np.lexsort((rows, rs.time[dead])) if s is None else np.lexsort((rows, rs.time[dead], s))
        out = {"time": rs.time[dead][srt]}
        if s is not None:
            out["strata"] = [fd.strata_labels[i] for i in s[srt]]
        return pl.DataFrame({**out, **{nm: res[srt, j] for j, nm in enumerate(names)}})
    U = score_residuals(rs, lp)
    if type == "dfbeta":
        U = U @ vv
    elif type == "dfbetas":
        with np.errstate(divide="ignore", invalid="ignore"):
            U = (U @ vv) / np.sqrt(np.diag(vv))
    if weighted:
        U = U * w[:, None]
    if collapse is not None:
        keys, U = _rowsum(U, collapse)
        return pl.DataFrame({"collapse": keys}).hstack(_frame(names, U))
    return _frame(names, U)
