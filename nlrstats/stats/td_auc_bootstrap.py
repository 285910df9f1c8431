"""Bootstrap of the time-dependent AUC, all resamples at once: each resample is the data with row counts.

A resample of ``n`` patients drawn with replacement is the original data with each row counted
``c_i`` times. Every quantity of :func:`nlrstats.stats.td_auc.cumulative_dynamic_auc` follows from the
counts without building the resample:

* the Kaplan-Meier curves (of the censoring, for the weights, and of survival, for the mean AUC) on
  the original distinct times: a time no resampled patient has changes nothing (its factor is 1.0
  exactly), so the curves are the per-resample curves to the bit;
* the ROC points: the counts weight the cumulative sums over the data sorted once by the marker;
  copies of a patient are tied, and of tied markers only the last present position is a threshold,
  as the loop's rule over the resample's own sorted values.

Only the order of additions in the cumulative sums differs from running the estimator on each
resample (``tests/test_td_auc.py`` holds the two equal to 1e-12). Failing resamples (a time outside
their follow-up, the censoring curve at 0 at a case, no case or no control) are marked as the loop
marks them. At 1,000 patients and three times, 200 resamples take 70 ms where the loop took 170 ms.

References
----------
Uno H, Cai T, Tian L, Wei LJ. Evaluating prediction rules for t-year survivors with censored
regression models. JASA 2007;102:527-37. Efron B, Tibshirani RJ. An Introduction to the Bootstrap. 1993.
"""

from __future__ import annotations

import numpy as np

__all__ = ["resample_counts", "bootstrap_auc", "km_by_counts", "step_index"]

_EPS = np.finfo(float).eps


def resample_counts(rng: np.random.Generator, n: int, B: int) -> np.ndarray:
    """B x n counts of each patient in B resamples, from the same draws as ``rng.integers(0, n, n)`` per resample."""
    counts = np.empty((B, n), dtype=np.int64)
    for b in range(B):
        counts[b] = np.bincount(rng.integers(0, n, n), minlength=n)
    return counts


def km_by_counts(inverse: np.ndarray, event: np.ndarray, counts: np.ndarray, reverse: bool) -> np.ndarray:
    """B x (distinct times) Kaplan-Meier estimates after each distinct time (``inverse`` codes each row's
    time) with each row counted ``counts[b]`` times: sksurv's ``kaplan_meier_estimator`` (the censoring
    distribution when ``reverse``: censorings are the events, events leave the risk set first)."""
    n_times = int(inverse.max()) + 1
    B = counts.shape[0]
    cell = (np.arange(B)[:, None] * n_times + inverse[None, :]).ravel()
    total = np.bincount(cell, weights=counts.ravel(), minlength=B * n_times).reshape(B, n_times).astype(np.int64)
    dead = np.bincount(cell, weights=(counts * event[None, :]).ravel(), minlength=B * n_times).reshape(B, n_times)
    n = counts.sum(axis=1, keepdims=True)
    at_risk = n - np.concatenate((np.zeros((B, 1), dtype=np.int64), np.cumsum(total, axis=1)[:, :-1]), axis=1)
    if reverse:
        at_risk = at_risk - dead
        dead = total - dead
    ratio = np.divide(dead, at_risk, out=np.zeros(dead.shape), where=dead != 0)
    return np.cumprod(1.0 - ratio, axis=1)


def step_index(steps_t: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Index of the step in force at each ``at`` (-1 before the first), a step time within machine eps
    of ``at`` counting as reached (sksurv's ``StepFunction``)."""
    idx = np.searchsorted(steps_t, at)
    exact = np.abs(steps_t[np.minimum(idx, len(steps_t) - 1)] - at) < _EPS
    return np.where(exact, idx, idx - 1)


def bootstrap_auc(time, event, marker, times, counts, train_g=None,
                  tied_tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """B x (len(times) + 1) AUC(t) and mean AUC of each counted resample (a row of nan where the
    resample gives no AUC), and whether each gave one.

    ``train_g``: the censoring weights' curve from other data as (times, probabilities) with the
    leading (-inf, 1) step, or None to re-estimate it on each resample (``td_auc``'s default).
    """
    time, event, marker = np.asarray(time, float), np.asarray(event, bool), np.asarray(marker, float)
    times = np.asarray(times, float)
    counts = np.asarray(counts, dtype=np.int64)
    B, n = counts.shape
    out = np.full((B, len(times) + 1), np.nan)
    present = counts > 0
    # follow-up of each resample: every requested time within [min, max) of its times
    tmin = np.where(present, time[None, :], np.inf).min(axis=1)
    tmax = np.where(present, time[None, :], -np.inf).max(axis=1)
    ok = (times.max() < tmax) & (times.min() >= tmin)

    ut, inverse = np.unique(time, return_inverse=True)
    used = event & (time <= times.max())
    if train_g is None:
        g = km_by_counts(inverse, event.astype(float), counts, reverse=True)
        ghat = g[:, inverse]  # every row's own time is a step of its resample's curve
    else:
        g_t, g_p = train_g
        beyond = time > g_t[-1]
        if g_p[-1] > 0:
            # a case beyond the last time of the other data's censoring curve: unknown weight
            ok &= ~(present & (used & beyond)[None, :]).any(axis=1)
        row_g = np.zeros(n)
        row_g[~beyond] = g_p[step_index(g_t, time[~beyond])]
        ghat = np.broadcast_to(row_g, (B, n))
    weighted = present & used[None, :]
    ok &= ~((ghat == 0) & weighted).any(axis=1)
    with np.errstate(divide="ignore"):
        ipcw = np.where(weighted, 1.0 / np.where(ghat == 0, 1.0, ghat), 0.0)

    order = np.argsort(-marker, kind="stable")
    t_o, e_o, m_o = time[order], event[order], marker[order]
    c_o, w_o, p_o = counts[:, order], ipcw[:, order], present[:, order]
    # a present position is a threshold unless the next present marker is tied to it
    pos = np.where(p_o, np.arange(n)[None, :], n)
    next_present = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1]
    after = np.concatenate((next_present[:, 1:], np.full((B, 1), n)), axis=1)
    m_ext = np.concatenate((m_o, [np.nan]))
    with np.errstate(invalid="ignore"):
        kept = p_o & ~(np.abs(m_ext[after] - m_o[None, :]) <= tied_tol)
    last_kept = np.maximum.accumulate(np.where(kept, np.arange(n)[None, :], -1), axis=1)
    prev = np.concatenate((np.full((B, 1), -1), last_kept[:, :-1]), axis=1)
    rows = np.arange(B)[:, None]

    auc = np.empty((B, len(times)))
    for k, t in enumerate(times):
        case = (t_o <= t) & e_o
        control = t_o > t
        n_case = (c_o * case[None, :]).sum(axis=1)
        n_control = (c_o * control[None, :]).sum(axis=1)
        ok &= (n_case > 0) & (n_control > 0)
        tp = np.cumsum(c_o * (case[None, :] * w_o), axis=1)
        fp = np.cumsum(c_o * control[None, :], axis=1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            tp = tp / tp[:, -1:]
            fp = fp / n_control[:, None]
        tp_prev = np.where(prev >= 0, tp[rows, np.maximum(prev, 0)], 0.0)
        fp_prev = np.where(prev >= 0, fp[rows, np.maximum(prev, 0)], 0.0)
        area = np.where(kept, (fp - fp_prev) * (tp + tp_prev) / 2.0, 0.0)
        auc[:, k] = area.sum(axis=1)
    if len(times) == 1:
        mean = auc[:, 0]
    else:
        s = km_by_counts(inverse, event.astype(float), counts, reverse=False)
        idx = step_index(ut, times)
        s_at = np.where(idx[None, :] >= 0, s[:, np.maximum(idx, 0)], 1.0)
        d = -np.diff(np.concatenate((np.ones((B, 1)), s_at), axis=1), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (auc * d).sum(axis=1) / (1.0 - s_at[:, -1])
    out[ok, :-1] = auc[ok]
    out[ok, -1] = mean[ok]
    return out, ok
