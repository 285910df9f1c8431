"""Points of a ROC curve and their bootstrap intervals, as pROC's ``coords``, ``ci.thresholds``, ``ci.coords``.

``coords(roc, "best")`` takes pROC's optimality criteria with its ``best.weights =
c(1, 0.5)`` (cost ratio, prevalence; r = (1 - prevalence) / (cost * prevalence)):
``"youden"`` maximises ``se + r * sp``, ``"closest.topleft"`` minimises
``(1 - se)^2 + r * (1 - sp)^2``; every tied optimum is returned, in curve order. With a
partial AUC the points are those inside its range, as pROC does.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from nlrstats.stats.cutpoint.roc_bootstrap import boot_probs, bootstrap_codes, bootstrap_counts, check_boot, r_quantile
from nlrstats.stats.cutpoint.roc_curve import PARTIAL_FOCUS, area, curve, partial_area
from nlrstats.stats.rng import as_rng

__all__ = ["coords", "auc", "ci_thresholds", "ci_coords", "BEST_METHODS"]

BEST_METHODS = ("youden", "closest.topleft")
_RET = ("threshold", "specificity", "sensitivity")


def _weights_r(best_weights) -> float:
    try:
        cost, prev = (float(v) for v in best_weights)
    except (TypeError, ValueError):
        raise ValueError("'best_weights' must be a numeric vector of length 2") from None
    if not 0 < prev < 1:
        raise ValueError("prevalence ('best_weights[1]') must be in the interval ]0,1[.")
    return (1 - prev) / (cost * prev)


def _best_method(best_method: str) -> str:
    m = "closest.topleft" if best_method == "topleft" else best_method
    if m not in BEST_METHODS:
        raise ValueError(f"best_method must be 'youden' or 'closest.topleft', got {best_method!r}")
    return m


def _in_partial(roc, se, sp):
    if roc.partial_auc is None:
        return np.ones(se.size, dtype=bool)
    hi, lo = roc.partial_auc
    v = se if roc.partial_auc_focus == "sensitivity" else sp
    return (v <= hi) & (v >= lo)


def _local_maxima(se: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """pROC ``roc.utils.max.thresholds.idx`` on a curve sorted by increasing specificity."""
    seen: set = set()
    dup = np.zeros(se.size, dtype=bool)
    for i, p in enumerate(zip(sp.tolist(), se.tolist())):  # duplicated(data.frame(sp, se))
        dup[i] = p in seen
        seen.add(p)
    s, e = sp[~dup], se[~dup]
    m = s.size
    if m == 1:
        lm = np.array([True])
    elif m == 2:
        lm = np.array([e[0] > e[1], s[1] > s[0]])
    else:
        lm = [e[0] > e[1]]
        for i in range(1, m - 1):
            lm.append(bool((s[i] > s[i - 1] and e[i] > e[i + 1]) or (s[i] > s[i - 1] and e[i] == 0)
                           or (e[i] > e[i - 1] and s[i] == 1)))
        lm.append(s[m - 1] > s[m - 2])
        lm = np.array(lm)
    out = np.zeros(se.size, dtype=bool)
    out[~dup] = lm
    return out


def _coords_arrays(roc, thr, se, sp, x, best_method, r):
    """(threshold, specificity, sensitivity, criterion or None) for x = "all" / "local maximas" / "best"."""
    keep = _in_partial(roc, se, sp)
    if x == "all":
        return thr[keep], sp[keep], se[keep], None
    if x == "local maximas":
        lm = _local_maxima(se, sp)
        return thr[keep & lm], sp[keep & lm], se[keep & lm], None
    crit = se + r * sp if best_method == "youden" else -((1 - se) ** 2 + r * (1 - sp) ** 2)
    crit_k = crit[keep]
    top = crit_k == crit_k.max() if crit_k.size else np.zeros(0, dtype=bool)
    sign = 1.0 if best_method == "youden" else -1.0
    return thr[keep][top], sp[keep][top], se[keep][top], sign * crit_k[top]


def _perfs(roc_direction, controls, cases, t):
    if roc_direction == ">":
        tp, tn = np.sum(cases[:, None] <= t, axis=0), np.sum(controls[:, None] > t, axis=0)
    else:
        tp, tn = np.sum(cases[:, None] >= t, axis=0), np.sum(controls[:, None] < t, axis=0)
    return tn / controls.size, tp / cases.size


def coords(roc, x="best", input: str = "threshold", ret=_RET, best_method: str = "youden",
           best_weights=(1, 0.5)) -> pl.DataFrame:
    """Coordinates of a ROC curve, as pROC's ``coords``.

    Parameters
    ----------
    roc : RocResult
    x : "best", "all", "local maximas", or numbers
        Numbers are thresholds (``input="threshold"``): sensitivity and specificity of
        the rule the curve's direction implies at each (pROC's ``roc.utils.perfs``).
    ret : sequence of "threshold", "specificity", "sensitivity"
    best_method : {"youden", "closest.topleft"}
    best_weights : (cost, prevalence)
        pROC's ``best.weights``, default ``c(1, 0.5)``.

    Returns
    -------
    polars.DataFrame
        One row per point, the ``ret`` columns in order and, for ``x="best"``, the
        criterion as pROC reports it (``youden`` = se + r * sp; ``closest.topleft`` = the
        squared distance). No row (with pROC's warning) when a partial range holds no point.
    """
    if input != "threshold":
        raise ValueError("only input='threshold' is supported (pROC's default)")
    bad = [v for v in ret if v not in _RET]
    if bad:
        raise ValueError(f"ret must be among {_RET}; got {bad}")
    best_method = _best_method(best_method)
    r = _weights_r(best_weights)
    if isinstance(x, str):
        if x not in ("all", "local maximas", "best"):
            raise ValueError(f"x must be 'all', 'local maximas', 'best' or numbers, got {x!r}")
        t, spv, sev, crit = _coords_arrays(roc, roc.thresholds, roc.sensitivities, roc.specificities, x,
                                           best_method, r)
        if t.size == 0:
            warnings.warn("No coordinates found, returning NULL. This is possibly cased by a too small "
                          "partial AUC interval.", stacklevel=2)
    else:
        t = np.atleast_1d(np.asarray(x, dtype=float))
        spv, sev = _perfs(roc.direction, roc.controls, roc.cases, t)
        crit = None
    cols = {"threshold": t, "specificity": spv, "sensitivity": sev}
    out = {k: cols[k] for k in ret}
    if crit is not None:
        out[best_method] = crit
    return pl.DataFrame(out, schema={k: pl.Float64 for k in out})


def auc(roc, partial_auc=None, partial_auc_focus: str = "specificity", partial_auc_correct: bool = False) -> float:
    """The area under a curve, as pROC's ``auc(roc, partial.auc =, partial.auc.focus =, partial.auc.correct =)``.

    ``partial_auc=None`` gives the full AUC; ``(1, 0.8)`` the area over that range of
    specificity (or sensitivity with ``partial_auc_focus="sensitivity"``), McClish-corrected
    with ``partial_auc_correct=True`` (a ValueError below the diagonal, where pROC returns NA
    with a warning).
    """
    if partial_auc is None:
        return area(roc.sensitivities, roc.specificities)
    if partial_auc_focus not in PARTIAL_FOCUS:
        raise ValueError(f"partial_auc_focus must be 'specificity' or 'sensitivity', got {partial_auc_focus!r}")
    a = partial_area(roc.sensitivities, roc.specificities, partial_auc, partial_auc_focus, partial_auc_correct)
    if a is None:
        raise ValueError("Partial AUC correction not defined for ROC curves below the diagonal.")
    return a


def _perfs_at(thr: np.ndarray, values: np.ndarray, cc: np.ndarray, cx: np.ndarray, direction: str):
    """pROC ``roc.utils.perfs`` at each threshold from counts per sorted distinct value."""
    cum_c, cum_x = np.r_[0, np.cumsum(cc)], np.r_[0, np.cumsum(cx)]
    ny, nx = cum_c[-1], cum_x[-1]
    if direction == ">":
        k = np.searchsorted(values, thr, side="right")   # values <= t
        tp, tn = cum_x[k], ny - cum_c[k]
    else:
        k = np.searchsorted(values, thr, side="left")    # values < t
        tp, tn = nx - cum_x[k], cum_c[k]
    return tn / ny, tp / nx


def ci_thresholds(roc, thresholds="local maximas", conf_level: float = 0.95, boot_n: int = 2000,
                  boot_stratified: bool = True, seed=None) -> pl.DataFrame:
    """Bootstrap intervals of specificity and sensitivity at given thresholds, as pROC's ``ci.thresholds``.

    ``thresholds``: numbers, or ``"local maximas"`` (pROC's default), ``"best"`` or
    ``"all"`` (the thresholds of :func:`coords`). Returns one row per threshold:
    ``threshold``, ``specificity_low/_median/_high``, ``sensitivity_low/_median/_high``.
    Draws as pROC (``seed`` as :func:`nlrstats.stats.cutpoint.ci_auc`).
    """
    if isinstance(thresholds, str):
        thr = coords(roc, thresholds)["threshold"].to_numpy()
    else:
        thr = np.atleast_1d(np.asarray(thresholds, dtype=float))
    check_boot(boot_n, conf_level)
    rng = as_rng(seed)
    sample = roc.boot_sample()
    sp = np.empty((int(boot_n), thr.size))
    se = np.empty_like(sp)
    for b in range(int(boot_n)):
        cc, cx = bootstrap_counts(sample, boot_stratified, rng)
        with np.errstate(invalid="ignore", divide="ignore"):
            sp[b], se[b] = _perfs_at(thr, sample.values, cc, cx, roc.direction)
    ok = ~(np.isnan(sp).any(axis=1) | np.isnan(se).any(axis=1))
    if not ok.all():
        warnings.warn("NA value(s) produced during bootstrap were ignored.", stacklevel=2)
    probs = boot_probs(conf_level)
    qs = [r_quantile(sp[ok, j], probs) for j in range(thr.size)]
    qe = [r_quantile(se[ok, j], probs) for j in range(thr.size)]
    return pl.DataFrame({
        "threshold": thr, "specificity_low": [q[0] for q in qs], "specificity_median": [q[1] for q in qs],
        "specificity_high": [q[2] for q in qs], "sensitivity_low": [q[0] for q in qe],
        "sensitivity_median": [q[1] for q in qe], "sensitivity_high": [q[2] for q in qe]})


def ci_coords(roc, x="best", input: str = "threshold", ret=_RET, best_method: str = "youden",
              best_weights=(1, 0.5), best_policy: str = "stop", conf_level: float = 0.95, boot_n: int = 2000,
              boot_stratified: bool = True, seed=None) -> pl.DataFrame:
    """Bootstrap intervals of ROC coordinates, as pROC's ``ci.coords``.

    ``x="best"`` recomputes the best point on every resampled curve (pROC rebuilds the
    curve); a replicate with several best points follows ``best_policy``: ``"stop"``
    (pROC's default: an error), ``"omit"`` (left out) or ``"random"`` (one drawn with
    R's ``sample``, as pROC). Numeric ``x`` are thresholds. Returns one row per ``x`` and
    ``<ret>_low``, ``<ret>_median``, ``<ret>_high`` columns.
    """
    if input != "threshold":
        raise ValueError("only input='threshold' is supported (pROC's default)")
    if best_policy not in ("stop", "omit", "random"):
        raise ValueError(f"best_policy must be 'stop', 'omit' or 'random', got {best_policy!r}")
    if isinstance(x, str) and x != "best":
        raise ValueError("'all' and 'local maximas' are not available for confidence intervals.")
    best_method = _best_method(best_method)
    r = _weights_r(best_weights)
    check_boot(boot_n, conf_level)
    rng = as_rng(seed)
    sample = roc.boot_sample()
    xs = None if isinstance(x, str) else np.atleast_1d(np.asarray(x, dtype=float))
    width = 1 if xs is None else xs.size
    res = np.full((int(boot_n), width, len(ret)), np.nan)
    for b in range(int(boot_n)):
        cc, cx = bootstrap_codes(sample, boot_stratified, rng)
        controls, cases = sample.values[cc], sample.values[cx]
        if xs is not None:
            if controls.size and cases.size:
                spv, sev = _perfs(roc.direction, controls, cases, xs)
                cols = {"threshold": xs, "specificity": spv, "sensitivity": sev}
                res[b] = np.column_stack([cols[k] for k in ret])
            continue
        if not (controls.size and cases.size):
            continue
        thr, se, sp = curve(controls, cases, roc.direction)
        t, spv, sev, _ = _coords_arrays(roc, thr, se, sp, "best", best_method, r)
        if t.size > 1:
            if best_policy == "stop":
                raise ValueError('More than one "best" threshold was found, aborting. Change '
                                 "'best_policy' to alter this behavior.")
            if best_policy == "omit":
                continue
            k = int(rng.sample_int(t.size, 1)[0]) - 1
            t, spv, sev = t[k:k + 1], spv[k:k + 1], sev[k:k + 1]
        if t.size:
            cols = {"threshold": t, "specificity": spv, "sensitivity": sev}
            res[b, 0] = [cols[k][0] for k in ret]
    if np.isnan(res).all(axis=(1, 2)).any():
        warnings.warn(f"{int(np.isnan(res).all(axis=(1, 2)).sum())} NA value(s) produced during bootstrap "
                      "were ignored.", stacklevel=2)
    probs = boot_probs(conf_level)
    out: dict[str, list] = {"x": ["best"] if xs is None else xs.tolist()}
    for j, name in enumerate(ret):
        qs = [r_quantile(col[~np.isnan(col)], probs) for col in res[:, :, j].T]
        for q_i, suffix in enumerate(("low", "median", "high")):
            out[f"{name}_{suffix}"] = [float(q[q_i]) for q in qs]
    return pl.DataFrame(out)
