"""Cox proportional hazards regression, as R's ``coxph`` (survival 3.5)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from nlrstats.stats.survival._cholesky import TOLER_CHOL, chsolve2, cholesky2
from nlrstats.stats.survival._coxfit import newton, risk_sets
from nlrstats.stats.survival._data import combine_factors, factor, prepare
from nlrstats.stats.survival._design import model_matrix
from nlrstats.stats.survival.coxmodel import CoxData, CoxPH, MonotoneLikelihoodWarning
from nlrstats.stats.survival.firth import firth_fit
from nlrstats.stats.survival.residuals import score_residuals

__all__ = ["coxph", "CoxPH", "MonotoneLikelihoodWarning", "wald_test", "rowsum"]

TOLER_INF = math.sqrt(1e-9)  # coxph.control(toler.inf) at the default eps


def wald_test(var: np.ndarray, b: np.ndarray, toler: float = TOLER_CHOL) -> float:
    """R's ``coxph.wtest``: b' V^- b with the generalised inverse of :func:`cholesky2`."""
    if len(b) == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(b[0] ** 2 / var[0, 0])
    fac, _ = cholesky2(var, toler)
    return float(b @ chsolve2(fac, b))


def _cluster_codes(d, f) -> np.ndarray | None:
    if not f.cluster:
        return None
    return factor(d.frame[f.cluster]).codes


def coxph(formula: str, data, ties: str | None = None, firth: bool = False, reference=None,
          eps: float = 1e-9, iter_max: int = 20, weights=None, subset=None, robust: bool | None = None,
          init=None) -> CoxPH:
    """Cox proportional hazards model, as R's ``coxph`` (``survival`` 3.5).

    Parameters
    ----------
    formula : str
        R's model formula (:func:`nlrstats.stats.formula.parse_surv_formula`):
        ``"Surv(time, status == 2) ~ age + factor(ecog) * sex + log(bili) + rcs(age, 4) +
        strata(site) + cluster(id)"``. Strings, booleans and Enums are factors with treatment
        contrasts (first level = reference, as R); numbers enter linearly.
    data : polars.DataFrame or pandas.DataFrame
    ties : {"efron", "breslow"}, optional
        Handling of tied event times: default Efron as R's ``coxph``; with ``firth=True``
        the default is Breslow, as R's ``coxphf`` (Efron may still be asked for).
    firth : bool
        Firth's penalised partial likelihood (Heinze & Schemper 2001, R's ``coxphf``);
        see :func:`nlrstats.stats.survival.firth.firth_fit`.
    reference : dict or str, optional
        Reference level per categorical variable (R's ``relevel``), e.g. ``{"nlr_group": "NLR ≥ 8"}``.
    eps, iter_max : float, int
        Convergence control as R's ``coxph.control``.
    weights : str or array-like, optional
        Case weights (R's ``weights =``): a column name or one positive number per row.
    subset : str, polars expression or boolean array, optional
        Rows to use (R's ``subset =``): a boolean column, an R condition (``"age >= 65"``),
        a polars expression (``pl.col("age") >= 65``) or a boolean mask; NA excludes a row.
    robust : bool, optional
        Sandwich variance (Lin & Wei 1989) from the dfbeta residuals summed per cluster, as R:
        default True when the formula has ``cluster(id)`` or the weights are not whole
        numbers, else False. ``robust=True`` without a cluster treats each row as one.
    init : array-like, optional
        Starting coefficients (R's ``init``); the Wald test is then of ``coef - init``.

    Returns
    -------
    CoxPH
        Aliased columns (the information matrix of the centred and scaled covariates has a
        pivot below ``toler.chol``, as R's ``cholesky2``) get NA coefficients with a
        warning. Monotone likelihood is flagged with R's rule (the remaining Newton step is
        large relative to the coefficient; R's warning "Loglik converged before variable
        ...") and an exact check for 0/1 columns without events at one level: a
        :class:`MonotoneLikelihoodWarning` is issued, ``monotone`` is True and the
        coefficient is reported as +/-inf. No events at all gives NA coefficients and LR 0
        on 0 df, as R.
    """
    if ties is None:
        ties = "breslow" if firth else "efron"
    if ties not in ("efron", "breslow"):
        raise ValueError("ties must be 'efron' or 'breslow' (R's 'exact' is not supported)")
    d = prepare(formula, data, weights=weights, subset=subset)
    f = d.formula
    if not f.terms:
        raise ValueError(f"{f.text}: coxph needs at least one covariate")
    if d.n == 0:
        raise ValueError(f"{f.text}: no complete observations (R: No (non-missing) observations)")
    des = model_matrix(d.frame, f, reference, d.knots)
    p = des.X.shape[1]
    sfac = combine_factors([factor(d.frame[v]) for v in f.strata]) if f.strata else None
    strata = None if sfac is None else sfac.codes
    cluster = _cluster_codes(d, f)
    if robust is None:
        robust = cluster is not None or (d.weights is not None and bool((d.weights != np.floor(d.weights)).any()))
    if robust and cluster is None:
        cluster = np.arange(d.n)
    if cluster is not None and not robust:
        warnings.warn("cluster specified with robust=FALSE, cluster ignored", UserWarning, stacklevel=2)
        cluster = None
    slabels = () if sfac is None else sfac.labels
    if d.event.sum() == 0:
        return _no_events(d, des, strata, slabels, ties)
    if firth:
        if d.weights is not None or robust:
            raise ValueError(f"{f.text}: firth=True supports neither weights nor a robust variance")
        return firth_fit(d, des, strata, slabels, ties)
    rs = risk_sets(d.raw_time, d.event, des.X, strata, ties, d.order, d.sorted_time, d.weights, des.nocenter)
    nr = newton(rs, eps=eps, iter_max=iter_max, init=init)
    var = nr.var
    alias = (np.diag(var) == 0) if nr.flag < p else np.zeros(p, dtype=bool)
    coef = nr.beta.copy()
    lp = des.X @ coef - float(coef @ rs.means)
    msgs: list[str] = []
    infinite = _infinite(nr, var, coef, lp, iter_max, eps, des, d, alias, msgs)
    if alias.any():
        msgs.append("X matrix deemed to be singular; variable " + " ".join(str(i + 1) for i in np.flatnonzero(alias))
                    + " (" + ", ".join(n for n, a in zip(des.names, alias) if a) + ") gets an NA coefficient")
    coef = np.where(alias, np.nan, coef)
    monotone = bool(infinite.any())
    reported = np.where(infinite, np.sign(coef) * np.inf, coef)
    for m in msgs:
        warnings.warn(m, MonotoneLikelihoodWarning if "infinite" in m else UserWarning, stacklevel=2)
    fd = CoxData(d, des, alias, strata, slabels, cluster, rs, nr.beta, rs.means, lp)
    naive, rscore = None, None
    if robust:
        # R: var = crossprod(dfbeta summed per cluster), robust score test from score residuals at init
        w = np.ones(d.n) if d.weights is None else d.weights
        naive = var
        D = rowsum((score_residuals(rs, lp, ties) @ var) * w[:, None], cluster)
        var = D.T @ D
        lp0 = np.zeros(d.n) if init is None else des.X @ np.asarray(init, dtype=float)
        S = rowsum(score_residuals(rs, lp0, ties) * w[:, None], cluster)
        rscore = wald_test(S.T @ S, S.sum(axis=0))
    fin = ~alias
    wald = None
    if fin.any() and not monotone:
        b = coef[fin] - (0 if init is None else np.asarray(init, dtype=float)[fin])
        wald = wald_test(var[np.ix_(fin, fin)], b)
    return CoxPH(f.text, des.names, reported, var, nr.loglik, nr.loglik0, nr.sctest, wald, d.n,
                 int(d.event.sum()), ties, nr.iterations, nr.converged, monotone, tuple(bool(x) for x in infinite),
                 tuple(msgs), des.references, d.n_missing, False, None, fd, naive, rscore, d.weights is not None)


def rowsum(M: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """R's ``rowsum``: sums of rows by group (groups 0..k-1)."""
    k = int(groups.max()) + 1
    return np.stack([np.bincount(groups, M[:, j], minlength=k) for j in range(M.shape[1])], axis=1)


def _infinite(nr, var, coef, lp, iter_max, eps, des, d, alias, msgs) -> np.ndarray:
    """R's checks for infinite coefficients, and an exact one for 0/1 columns without events."""
    p = len(coef)
    infinite = np.zeros(p, dtype=bool)
    with np.errstate(invalid="ignore"):
        infs = np.abs(nr.score @ var)
    if iter_max > 1:
        if not nr.converged:
            msgs.append("Ran out of iterations and did not converge")
            if lp.max() > 500 or not np.isfinite(infs).all():
                msgs.append("one or more coefficients may be infinite")
        else:
            flag = ~np.isfinite(nr.score) | ((infs > eps) & (infs > TOLER_INF * np.abs(coef)))
            flag &= ~alias
            if flag.any():
                msgs.append("Loglik converged before variable " + ",".join(str(i + 1) for i in np.flatnonzero(flag))
                            + " (" + ", ".join(n for n, fl in zip(des.names, flag) if fl) + "); coefficient may be"
                            " infinite (monotone likelihood; consider coxph(..., firth=True))")
            infinite |= flag
    ev = d.event.astype(bool)
    exact = []
    for j in range(p):
        if des.binary[j] and not alias[j] and not infinite[j]:
            x = des.X[:, j] == 1
            if (ev & x).sum() == 0 or (ev & ~x).sum() == 0:
                exact.append(j)
    if exact:
        infinite[exact] = True
        msgs.append("monotone likelihood: " + ", ".join(des.names[j] for j in exact) + " has no events at one "
                    "level, so its coefficient is infinite; consider coxph(..., firth=True)")
    return infinite


def _no_events(d, des, strata, slabels, ties) -> CoxPH:
    """R's coxph without events: NA coefficients, zero variance, loglik 0, all tests 0 on 0 df."""
    p = des.X.shape[1]
    means = des.X.mean(axis=0)
    fd = CoxData(d, des, np.ones(p, dtype=bool), strata, slabels, None, None, np.zeros(p), means, np.zeros(d.n))
    return CoxPH(d.formula.text, des.names, np.full(p, np.nan), np.zeros((p, p)), 0.0, 0.0, 0.0, 0.0, d.n, 0,
                 ties, 0, True, False, tuple(False for _ in range(p)), ("no events: every coefficient is NA",),
                 des.references, d.n_missing, False, None, fd)
