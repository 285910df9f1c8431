"""The empirical ROC curve and its areas, computed as pROC 1.18 computes them (arrays in, numbers out).

pROC's conventions: the first outcome level is the controls, the second the cases;
``direction="<"`` means controls have lower marker values (a case is predicted when
``marker >= threshold``), ``">"`` the reverse (``marker <= threshold``); thresholds are the
midpoints between sorted distinct marker values with ``-Inf`` / ``Inf`` at the ends
(``roc.utils.thresholds``). The curve is stored with increasing specificity
(``sort.roc``) and the area is the trapezoidal sum R forms (``auc.roc``), accumulated as
R's ``sum`` does (long double, left to right), so bootstrap replicates equal R's to the bit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["thresholds", "curve", "trapezoid", "area", "partial_area", "placements", "curve_from_counts",
           "PARTIAL_FOCUS"]

PARTIAL_FOCUS = ("specificity", "sensitivity")


def thresholds(values: np.ndarray, direction: str) -> np.ndarray:
    """pROC ``roc.utils.thresholds``: midpoints, with its fix for midpoints that round onto data."""
    u = np.unique(values)
    lo = np.r_[-np.inf, u]
    hi = np.r_[u, np.inf]
    with np.errstate(invalid="ignore", over="ignore"):
        t1 = (lo + hi) / 2
        t2 = lo / 2 + hi / 2
    thr = np.where(np.abs(t1) > 1e100, t2, t1)
    tied = np.flatnonzero(np.isin(thr, u))
    for j in tied:  # adjacent doubles: the midpoint equals one of the two values
        if direction == "<" and thr[j] == u[j - 1]:
            thr[j] = u[j]
        elif direction == ">" and thr[j] == u[j]:
            thr[j] = u[j - 1]
    return thr


def curve(controls: np.ndarray, cases: np.ndarray, direction: str):
    """``(thresholds, sensitivities, specificities)`` with specificities increasing (pROC ``sort.roc``)."""
    thr = thresholds(np.r_[controls, cases], direction)
    nx, ny = cases.size, controls.size
    sc, sx = np.sort(controls), np.sort(cases)
    if direction == "<":
        tp = nx - np.searchsorted(sx, thr, side="left")           # cases >= t
        fp = ny - np.searchsorted(sc, thr, side="left")           # controls >= t
    else:
        tp = np.searchsorted(sx, thr, side="right")               # cases <= t
        fp = np.searchsorted(sc, thr, side="right")               # controls <= t
    se = tp / nx
    sp = (ny - fp) / ny
    if np.any(np.diff(sp) < 0):
        thr, se, sp = thr[::-1], se[::-1], sp[::-1]
    return thr, se, sp


def curve_from_counts(ctrl_counts: np.ndarray, case_counts: np.ndarray, direction: str):
    """``(se, sp)`` of the curve from counts per sorted distinct value (values absent from both
    samples add zero-width points, which leave every area unchanged)."""
    nx, ny = case_counts.sum(), ctrl_counts.sum()
    cx = np.r_[0, np.cumsum(case_counts)]   # cases <= u_k
    cy = np.r_[0, np.cumsum(ctrl_counts)]
    if direction == "<":
        se = (nx - cx) / nx                   # cases above the threshold between u_k and u_k+1
        sp = cy / ny
    else:
        se = (cx / nx)[::-1]
        sp = ((ny - cy) / ny)[::-1]
    return se, sp


def trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    """``sum((y[-1] + y[-n]) / 2 * (x[-1] - x[-n]))`` with R's long-double left-to-right sum."""
    if x.size < 2:
        return 0.0
    terms = (y[1:] + y[:-1]) / 2 * (x[1:] - x[:-1])
    return float(np.cumsum(terms.astype(np.longdouble))[-1])


def area(se: np.ndarray, sp: np.ndarray) -> float:
    """Full AUC of a sorted curve (pROC ``auc.roc`` without ``partial.auc``)."""
    return trapezoid(sp, se)


def partial_area(se: np.ndarray, sp: np.ndarray, bounds, focus: str = "specificity",
                 correct: bool = False, allow_invalid_correct: bool = False) -> float | None:
    """Partial AUC over ``bounds`` of specificity (or sensitivity), as pROC's ``auc.roc``.

    The curve is cut at the bounds with linear interpolation; ``correct=True`` applies
    McClish's correction ``(1 + (pAUC - min) / (max - min)) / 2`` (1 for a perfect curve,
    0.5 for the diagonal). A corrected pAUC below the diagonal's is undefined: None, with
    pROC's warning, unless ``allow_invalid_correct`` (pROC's bootstrap keeps them).
    """
    hi, lo = sorted((float(bounds[0]), float(bounds[1])), reverse=True)
    if focus == "sensitivity":
        x, y = se[::-1], sp[::-1]
    else:
        x, y = sp, se
    inc = (x <= hi) & (x >= lo)
    xi, yi = x[inc], y[inc]
    auc = trapezoid(xi, yi)
    if xi.size == 0:
        idx_hi = int(np.argmax(~(x < hi)))      # match(FALSE, x < hi)
        idx_lo = idx_hi - 1
        p_hi = (x[idx_hi] - hi) / (x[idx_hi] - x[idx_lo])
        p_lo = (lo - x[idx_lo]) / (x[idx_hi] - x[idx_lo])
        y_hi = y[idx_hi] + p_hi * (y[idx_lo] - y[idx_hi])
        y_lo = y[idx_lo] - p_lo * (y[idx_lo] - y[idx_hi])
        auc = (y_hi + y_lo) / 2 * (hi - lo)
    else:
        if hi not in xi:
            idx_out = int(np.argmax(~(x < hi)))
            idx_in = idx_out - 1
            prop = (hi - x[idx_out]) / (x[idx_in] - x[idx_out])
            y_int = y[idx_out] + prop * (y[idx_in] - y[idx_out])
            auc = auc + (hi - x[idx_in]) * (y[idx_in] + y_int) / 2
        if lo not in xi:
            idx_out = int(np.argmax(x > lo)) - 1  # match(TRUE, x > lo) - 1
            idx_in = idx_out + 1
            prop = (x[idx_in] - lo) / (x[idx_in] - x[idx_out])
            y_int = y[idx_in] + prop * (y[idx_out] - y[idx_in])
            auc = auc + (x[idx_in] - lo) * (y[idx_in] + y_int) / 2
    auc = float(auc)
    if correct:
        mn = ((1 - hi) + (1 - lo)) * abs(hi - lo) / 2   # roc.utils.min.partial.auc: the diagonal
        mx = abs(hi - lo)                               # roc.utils.max.partial.auc: a perfect curve
        if not allow_invalid_correct and auc < mn:
            return None
        auc = (1 + (auc - mn) / (mx - mn)) / 2
    return auc


def placements(controls: np.ndarray, cases: np.ndarray, direction: str, ordered: bool = True):
    """DeLong (1988) placement values: for each case the share of controls it beats (ties 1/2),
    for each control the share of cases that beat it. ``ordered=False`` returns them in
    sorted order (enough for the variance; pairing two markers needs input order)."""
    if direction == ">":
        controls, cases = -controls, -cases
    oc, ox = np.argsort(controls), np.argsort(cases)
    sc, sx = controls[oc], cases[ox]
    # sorted queries against sorted arrays: cache-friendly binary searches
    lo_x, hi_x = np.searchsorted(sc, sx, side="left"), np.searchsorted(sc, sx, side="right")
    x = (lo_x + 0.5 * (hi_x - lo_x)) / sc.size
    lo_y, hi_y = np.searchsorted(sx, sc, side="left"), np.searchsorted(sx, sc, side="right")
    y = (sx.size - hi_y + 0.5 * (hi_y - lo_y)) / sx.size
    if not ordered:
        return x, y
    xo, yo = np.empty_like(x), np.empty_like(y)
    xo[ox], yo[oc] = x, y
    return xo, yo
