"""Cox model of a categorical group stratified by site, from per-(site, event time) counts.

With treatment-coded dummies the linear predictor of group g is b_g (b_ref = 0), so at an
event time with deaths d_g and numbers at risk r_g the Efron terms k = 0..D-1 (D = sum d_g)
have denominators sum_g (r_g - k/D d_g) exp(b_g), and the log partial likelihood, score and
information are sums over those terms: the same quantities R's ``coxfit6`` sums over
patients. The iteration is coxfit6's (start at 0, Newton steps, step halving while the
log-likelihood falls, stop when |1 - l_old / l_new| <= eps, at most ``iter_max``), so the
estimates equal ``coxph(Surv(t, e) ~ group + strata(site), ties = )`` on the patient rows.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl

from nlrstats.stats.distributions import chi2, norm
from nlrstats.stats.multisite.concordance import grouped_concordance
from nlrstats.stats.result import Result
from nlrstats.stats.survival import MonotoneLikelihoodWarning

__all__ = ["PooledCoxPH", "cox_counts"]


def _f(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class PooledCoxPH(Result):
    """Cox model fitted from site summaries (R's ``coxph`` with ``strata(site)``).

    ``tidy()`` and ``glance()`` have the columns of :class:`nlrstats.stats.survival.CoxPH`
    (and ``n_sites``); the concordance and its standard error come from the count grids.
    """

    formula: str
    terms: tuple[str, ...]
    coef: np.ndarray = field(repr=False)
    var: np.ndarray = field(repr=False)
    loglik: float = 0.0
    loglik_null: float = 0.0
    score_test: float | None = 0.0
    wald_test: float | None = None
    n: int = 0
    nevent: int = 0
    ties: str = "efron"
    iterations: int = 0
    converged: bool = True
    monotone: bool = False
    infinite: tuple[bool, ...] = ()
    warnings: tuple[str, ...] = ()
    references: dict = field(default_factory=dict)
    n_sites: int = 0
    concordance_args: tuple = field(default=(), repr=False, compare=False)  # (count grids, group effects)

    @cached_property
    def _concordance(self) -> tuple[float | None, float | None]:
        return grouped_concordance(*self.concordance_args) if self.concordance_args else (None, None)

    @property
    def concordance(self) -> float | None:
        """Harrell's C as ``coxph`` reports it (pairs within site), computed on first use."""
        return self._concordance[0]

    @property
    def std_error_concordance(self) -> float | None:
        """Its infinitesimal-jackknife standard error, as R's."""
        return self._concordance[1]

    @property
    def df(self) -> int:
        return int(np.isfinite(self.coef).sum() + sum(self.infinite))

    @property
    def std_error(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.var))

    def tidy(self, exponentiate: bool = True, conf_level: float = 0.95) -> pl.DataFrame:
        """term, estimate, std_error, statistic, p_value, conf_low, conf_high (Wald; hazard ratios when ``exponentiate``)."""
        z = norm.ppf(1 - (1 - conf_level) / 2)
        tr = np.exp if exponentiate else (lambda v: v)
        rows = {k: [] for k in ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")}
        se = self.std_error
        for i, name in enumerate(self.terms):
            b = float(self.coef[i])
            rows["term"].append(name)
            if math.isnan(b):  # no information: no coefficient, as R's NA
                for k in list(rows)[1:]:
                    rows[k].append(None)
                continue
            if self.infinite[i]:
                rows["estimate"].append(float(tr(b)))
                for k in ("std_error", "statistic", "p_value"):
                    rows[k].append(None)
                rows["conf_low"].append(float(tr(b)) if b < 0 else None)
                rows["conf_high"].append(float(tr(b)) if b > 0 else None)
                continue
            stat = b / se[i]
            rows["estimate"].append(float(tr(b)))
            rows["std_error"].append(float(se[i]))
            rows["statistic"].append(float(stat))
            rows["p_value"].append(float(2 * norm.sf(abs(stat))))
            rows["conf_low"].append(float(tr(b - z * se[i])))
            rows["conf_high"].append(float(tr(b + z * se[i])))
        return pl.DataFrame(rows, schema={"term": pl.String, **{k: pl.Float64 for k in list(rows)[1:]}})

    def glance(self) -> pl.DataFrame:
        """n, nevent, loglik, loglik_null, LR / score / Wald tests and their p-values, concordance, n_sites."""
        df = self.df
        lr = 2 * (self.loglik - self.loglik_null)
        row = {"n": self.n, "nevent": self.nevent, "loglik": self.loglik, "loglik_null": self.loglik_null,
               "statistic_log": lr, "p_value_log": float(chi2.sf(lr, df)),
               "statistic_sc": self.score_test,
               "p_value_sc": None if self.score_test is None else float(chi2.sf(self.score_test, df)),
               "statistic_wald": self.wald_test,
               "p_value_wald": None if self.wald_test is None else float(chi2.sf(self.wald_test, df)),
               "concordance": self.concordance, "std_error_concordance": self.std_error_concordance,
               "n_sites": self.n_sites}
        return pl.DataFrame({k: [_f(v) if not isinstance(v, int) else v] for k, v in row.items()},
                            schema={"n": pl.Int64, "nevent": pl.Int64, **{k: pl.Float64 for k in list(row)[2:-1]},
                                    "n_sites": pl.Int64})

    def __repr__(self) -> str:
        t = self.tidy(exponentiate=False)
        lines = [f"Call:\ncoxph({self.formula}{', ties = ' + repr(self.ties) if self.ties != 'efron' else ''})",
                 f"  (pooled from {self.n_sites} site summaries)", ""]
        head = ["coef", "exp(coef)", "se(coef)", "z", "p"]
        w0 = max(len(x) for x in self.terms)
        fmt = lambda v: "NA" if v is None else f"{v:.4g}"  # noqa: E731
        cells = [[fmt(r["estimate"]), fmt(None if r["estimate"] is None else math.exp(r["estimate"])),
                  fmt(r["std_error"]), fmt(r["statistic"]), fmt(r["p_value"])] for r in t.iter_rows(named=True)]
        widths = [max(len(h), *(len(c[j]) for c in cells)) for j, h in enumerate(head)]
        lines.append(" " * w0 + " " + " ".join(h.rjust(w) for h, w in zip(head, widths)))
        lines += [nm.ljust(w0) + " " + " ".join(v.rjust(w) for v, w in zip(c, widths))
                  for nm, c in zip(self.terms, cells)]
        lr = 2 * (self.loglik - self.loglik_null)
        lines += ["", f"Likelihood ratio test={lr:.4g}  on {self.df} df, p={chi2.sf(lr, self.df):.4g}",
                  f"n= {self.n}, number of events= {self.nevent} "]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class _Terms:
    """Per-block counts expanded to the likelihood's terms (one per death with Efron, one per block with
    Breslow), held group by group (contiguous vectors: no reductions along a short axis)."""

    def __init__(self, risk: np.ndarray, dead: np.ndarray, ties: str):
        self.dsum = dead.sum(axis=0)  # deaths per group
        nd = dead.sum(axis=1).astype(np.int64)
        if ties == "efron":
            rep = np.repeat(np.arange(len(nd)), nd)
            first = np.repeat(np.cumsum(nd) - nd, nd)
            frac = (np.arange(len(rep)) - first) / nd[rep]  # k / D for k = 0..D-1
            self.r = [risk[rep, g] - frac * dead[rep, g] for g in range(risk.shape[1])]
            self.w = np.ones(len(rep))
        else:
            self.r = [np.ascontiguousarray(risk[:, g]) for g in range(risk.shape[1])]
            self.w = nd.astype(np.float64)

    def at(self, eta: np.ndarray, cols):
        """Log partial likelihood, and score and information of the groups ``cols``, at group effects ``eta``."""
        ng = len(self.r)
        a = [self.r[g] * math.exp(eta[g]) if eta[g] != 0 else self.r[g] for g in range(ng)]
        den = a[0].copy()
        for g in range(1, ng):
            den += a[g]
        ll = float(self.dsum @ eta - np.dot(self.w, np.log(den)))
        p = [a[g] / den for g in cols]  # share of each group in the (Efron-adjusted) risk set
        wp = [self.w * x for x in p]
        u = self.dsum[cols] - np.array([float(x.sum()) for x in wp])
        m = len(cols)
        info = np.empty((m, m))
        for j in range(m):
            for k in range(j, m):
                info[j, k] = info[k, j] = -float(np.dot(p[j], wp[k]))
            info[j, j] += float(wp[j].sum())
        return ll, u, info


def _solve(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def _estimable(info: np.ndarray) -> list[int]:
    """Columns kept by R's ``cholesky2`` (``toler.chol = eps^0.75`` times the largest diagonal): a column
    whose information is (numerically) a combination of earlier ones is singular and gets no coefficient.

    In a grouped design this is structural (which groups share risk sets with events), not a matter of b.
    """
    tol = np.finfo(float).eps ** 0.75 * max(float(np.max(np.diag(info), initial=0.0)), 0.0)
    keep: list[int] = []
    for j in range(info.shape[0]):
        resid = info[j, j]
        if keep:
            resid -= info[j, keep] @ _solve(info[np.ix_(keep, keep)], info[keep, j])
        if resid > tol and info[j, j] > 0:
            keep.append(j)
    return keep


def _newton(at, p: int, eps: float, iter_max: int):
    """coxfit6's iteration on ``at(beta) -> (loglik, score, information)``."""
    beta = np.zeros(p)
    ll0, u0, info0 = at(beta)
    step = _solve(info0, u0)
    sctest = float(u0 @ step)
    best, newbeta, halving = ll0, beta + step, False
    converged, it, ll, u, info = False, 0, ll0, u0, info0
    for it in range(1, iter_max + 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            newlk, u, info = at(newbeta)
        finite = math.isfinite(newlk) and np.isfinite(u).all() and np.isfinite(info).all()
        if finite and (newlk == best or abs(1 - best / newlk) <= eps) and not halving:
            beta, ll, converged = newbeta, newlk, True
            break
        if it == iter_max:  # as coxfit6: the last step is kept, its information gives the variance
            beta, ll = newbeta, newlk
            break
        if not finite or newlk < best:  # not converging: halve the step
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving, best, beta = False, newlk, newbeta
            newbeta = beta + _solve(info, u)
    return beta, ll0, ll, sctest, u, info, it, converged


def cox_counts(risk: np.ndarray, dead: np.ndarray, ref: int, ties: str = "efron", eps: float = 1e-9,
               iter_max: int = 20, labels=None):
    """Newton-Raphson of R's coxfit6 on (block x group) numbers at risk and deaths.

    A level without information (e.g. never at risk beside another group at an event time of
    its site) gets no coefficient (NaN, as R's "X matrix deemed to be singular"). Returns a dict:
    coef (non-reference groups, level order; +/-inf when monotone), var, loglik, loglik_null,
    score test, Wald test, iterations, converged, infinite flags, warnings.
    """
    ngroup = risk.shape[1]
    allcols = [g for g in range(ngroup) if g != ref]
    terms = _Terms(risk, dead, ties)
    _, _, info_all = terms.at(np.zeros(ngroup), allcols)
    keep = _estimable(info_all)
    cols = [allcols[j] for j in keep]
    msgs: list[str] = []
    if len(cols) < len(allcols):
        msgs.append("X matrix deemed to be singular; no coefficient for level(s) without information (not at "
                    "risk beside other groups at event times of their sites): "
                    + ", ".join(str(allcols[j] if labels is None else labels[allcols[j]])
                                for j in range(len(allcols)) if j not in keep))

    def at(beta):
        eta = np.zeros(ngroup)
        eta[cols] = beta
        return terms.at(eta, cols)

    beta, ll0, ll, sctest, u, info, it, converged = _newton(at, len(cols), eps, iter_max)
    try:
        vsub = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        vsub = np.linalg.pinv(info)
    # R's rule: at convergence the remaining Newton step is large relative to beta
    infs = np.abs(u @ vsub)
    flagged = ~np.isfinite(u) | ((infs > eps) & (infs > math.sqrt(eps) * np.abs(beta)))
    dsum = dead.sum(axis=0)
    for j, g in enumerate(cols):  # a dummy whose level (or whose complement) has no events
        if dsum[g] == 0 or dsum[g] == dsum.sum():
            flagged[j] = True
    p = len(allcols)
    coef, var = np.full(p, np.nan), np.full((p, p), np.nan)
    coef[keep] = beta
    var[np.ix_(keep, keep)] = vsub
    infinite = np.zeros(p, dtype=bool)
    infinite[keep] = flagged
    if not converged and cols:
        msgs.append("Ran out of iterations and did not converge")
    if infinite.any():
        msgs.append("monotone likelihood: a group has no events (or all of them); its coefficient is infinite")
        coef = np.where(infinite, np.sign(coef) * np.inf, coef)
    for m in msgs:
        warnings.warn(m, MonotoneLikelihoodWarning if "monotone" in m else UserWarning, stacklevel=3)
    fin = np.isfinite(coef)
    wald = None
    if not infinite.any() and fin.any():
        wald = float(coef[fin] @ _solve(var[np.ix_(fin, fin)], coef[fin]))
    return {"coef": coef, "var": var, "loglik": ll, "loglik_null": ll0, "score": sctest if cols else None,
            "wald": wald, "iterations": it, "converged": converged, "infinite": tuple(bool(x) for x in infinite),
            "warnings": tuple(msgs)}
