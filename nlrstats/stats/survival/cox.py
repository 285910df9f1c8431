"""Cox proportional hazards regression, as R's ``coxph``."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl
from scipy.stats import chi2, norm

from nlrstats.stats.result import Result
from nlrstats.stats.survival._coxfit import _matvec, newton, risk_sets
from nlrstats.stats.survival._data import combine_factors, factor, prepare
from nlrstats.stats.survival._design import model_matrix
from nlrstats.stats.survival.concordance import Concordance, concordance_sorted

__all__ = ["coxph", "CoxPH", "MonotoneLikelihoodWarning"]


class MonotoneLikelihoodWarning(UserWarning):
    """The partial likelihood keeps increasing: some coefficient is infinite."""


def _f(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class CoxPH(Result):
    """A fitted Cox model (R's ``coxph`` object).

    ``coef`` holds the log hazard ratios (``+inf``/``-inf`` where the likelihood is
    monotone, ``nan`` for aliased columns), ``var`` the inverse information.
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
    n_missing: int = 0
    firth: bool = False
    profile_ci: object = field(default=None, repr=False, compare=False)  # (index, level) -> (lo, hi, p)
    _conc_args: tuple = field(default=(), repr=False, compare=False)
    _fit_data: tuple = field(default=(), repr=False, compare=False)  # SurvData, X, strata, beta, ties, sources

    @property
    def df(self) -> int:
        return int(np.isfinite(self.coef).sum() + (0 if self.firth else sum(self.infinite)))

    @cached_property
    def _concordance(self) -> Concordance:
        rs, beta = self._conc_args
        return concordance_sorted(rs.time, rs.event, _matvec(beta, rs.XT), rs.strata)

    @property
    def std_error(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.var))

    def tidy(self, exponentiate: bool = True, conf_level: float = 0.95) -> pl.DataFrame:
        """term, estimate, std_error, statistic, p_value, conf_low, conf_high (Wald; as broom).

        ``estimate`` and the CI are hazard ratios when ``exponentiate`` (R's exp(coef)),
        ``std_error`` is always se(coef). With ``firth=True`` the CI is the profile
        penalised-likelihood interval and the p-value the penalised LR test, as R's coxphf.
        Monotone terms: estimate inf (or 0), upper (lower) limit inf (0), other columns null.
        """
        z = norm.ppf(1 - (1 - conf_level) / 2)
        rows = {k: [] for k in ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")}
        se = self.std_error
        tr = np.exp if exponentiate else (lambda v: v)
        for i, name in enumerate(self.terms):
            b = float(self.coef[i])
            rows["term"].append(name)
            if self.infinite and self.infinite[i] and not self.firth:
                rows["estimate"].append(float(tr(b)))
                rows["std_error"].append(None)
                rows["statistic"].append(None)
                rows["p_value"].append(None)
                rows["conf_low"].append(float(tr(b)) if b < 0 else None)
                rows["conf_high"].append(float(tr(b)) if b > 0 else None)
                continue
            if math.isnan(b):
                for k in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
                    rows[k].append(None)
                continue
            stat = b / se[i]
            rows["estimate"].append(float(tr(b)))
            rows["std_error"].append(float(se[i]))
            rows["statistic"].append(float(stat))
            if self.firth and self.profile_ci is not None:
                lo, hi, p = self.profile_ci(i, conf_level)
                rows["p_value"].append(p)
                rows["conf_low"].append(float(tr(lo)))
                rows["conf_high"].append(float(tr(hi)))
            else:
                rows["p_value"].append(float(2 * norm.sf(abs(stat))))
                rows["conf_low"].append(float(tr(b - z * se[i])))
                rows["conf_high"].append(float(tr(b + z * se[i])))
        return pl.DataFrame(rows, schema={"term": pl.String, **{k: pl.Float64 for k in list(rows)[1:]}})

    def glance(self) -> pl.DataFrame:
        """n, nevent, loglik, loglik_null, LR / score / Wald tests and p-values, concordance (as broom)."""
        df = self.df
        lr = 2 * (self.loglik - self.loglik_null)
        c = self._concordance
        row = {
            "n": self.n, "nevent": self.nevent, "loglik": self.loglik, "loglik_null": self.loglik_null,
            "statistic_log": lr, "p_value_log": float(chi2.sf(lr, df)),
            "statistic_sc": self.score_test,
            "p_value_sc": None if self.score_test is None else float(chi2.sf(self.score_test, df)),
            "statistic_wald": self.wald_test,
            "p_value_wald": None if self.wald_test is None else float(chi2.sf(self.wald_test, df)),
            "concordance": c.concordance, "std_error_concordance": c.std_error,
        }
        return pl.DataFrame({k: [_f(v) if not isinstance(v, int) else v] for k, v in row.items()},
                            schema={"n": pl.Int64, "nevent": pl.Int64, **{k: pl.Float64 for k in list(row)[2:]}})

    def __repr__(self) -> str:
        t = self.tidy(exponentiate=False)
        lines = [f"Call:\ncoxph({self.formula}{', ties = ' + repr(self.ties) if self.ties != 'efron' else ''}"
                 f"{', firth = True' if self.firth else ''})", ""]
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
        if self.n_missing:
            lines[-1] += f"\n   ({self.n_missing} observation{'s' if self.n_missing > 1 else ''} "\
                         "deleted due to missingness)"
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _aliased(X: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Columns linearly dependent on earlier ones (R gives them NA coefficients)."""
    p = X.shape[1]
    out = np.zeros(p, dtype=bool)
    if p == 0:
        return out
    XcT = np.array(X.T, order="C", copy=True)  # a copy: centred in place below
    XcT -= XcT.mean(axis=1)[:, None]
    # pairwise sums rather than a BLAS Gram product (threaded BLAS stalls on a busy machine)
    G = np.array([[float(np.multiply(XcT[i], XcT[j]).sum()) for j in range(p)] for i in range(p)])
    keep: list[int] = []
    for j in range(p):
        idx = keep + [j]
        sub = G[np.ix_(idx, idx)]
        scale = np.sqrt(np.maximum(np.diag(sub), 1e-300))
        ev = np.linalg.eigvalsh(sub / np.outer(scale, scale))
        if G[j, j] <= tol * max(1.0, np.abs(G).max()) or ev.min() <= tol:
            out[j] = True
        else:
            keep.append(j)
    return out


def coxph(formula: str, data, ties: str | None = None, firth: bool = False, reference=None,
          eps: float = 1e-9, iter_max: int = 20) -> CoxPH:
    """Cox proportional hazards model, as R's ``coxph`` (``survival`` 3.5).

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ x1 + x2 + strata(s)"``. Strings, booleans and Enums are
        factors with treatment contrasts (first level = reference, as R); numbers enter
        linearly. ``strata()`` gives separate baseline hazards.
    data : polars.DataFrame or pandas.DataFrame
    ties : {"efron", "breslow"}, optional
        Handling of tied event times: default Efron as R's ``coxph``; with ``firth=True``
        the default is Breslow, as R's ``coxphf`` (Efron may still be asked for).
    firth : bool
        Firth's penalised partial likelihood (Heinze & Schemper 2001, R's ``coxphf``):
        finite estimates under monotone likelihood, profile penalised-likelihood CIs
        and penalised likelihood-ratio p-values in ``tidy()``; ``std_error`` and the
        Wald test use I(b)^-1 at the penalised estimate; ``loglik`` and ``loglik_null``
        are penalised; no score test.
    reference : dict or str, optional
        Reference level per categorical term (R's ``relevel``), e.g. ``{"nlr_group": "NLR ≥ 8"}``.
    eps, iter_max : float, int
        Convergence control as R's ``coxph.control``.

    Returns
    -------
    CoxPH
        Monotone likelihood (a group without events, or separation) is detected with R's
        rule (score still large relative to the coefficient at convergence) and an exact
        check for 0/1 columns without events at one level: a
        :class:`MonotoneLikelihoodWarning` is issued, ``monotone`` is True and the
        coefficient is reported as +/-inf.
    """
    if ties is None:
        ties = "breslow" if firth else "efron"
    if ties not in ("efron", "breslow"):
        raise ValueError("ties must be 'efron' or 'breslow'")
    d = prepare(formula, data)
    f = d.formula
    if not f.terms:
        raise ValueError(f"{f.text}: coxph needs at least one covariate")
    if d.n == 0:
        raise ValueError(f"{f.text}: no complete observations")
    des = model_matrix(d.frame, f.terms, reference, f.text)
    strata = combine_factors([factor(d.frame[v]) for v in f.strata]).codes if f.strata else None
    alias = _aliased(des.X)
    Xa = des.X[:, ~alias]
    if firth:
        from nlrstats.stats.survival.firth import firth_fit
        return firth_fit(d, des, Xa, alias, strata, ties, eps, iter_max)
    rs = risk_sets(d.raw_time, d.event, Xa, strata, ties, d.order, d.sorted_time)
    nr = newton(rs, eps=eps, iter_max=iter_max)
    p = des.X.shape[1]
    coef = np.full(p, np.nan)
    var = np.full((p, p), np.nan)
    coef[~alias] = nr.beta
    try:
        vsub = np.linalg.inv(nr.info)
    except np.linalg.LinAlgError:
        vsub = np.linalg.pinv(nr.info)
    var[np.ix_(~alias, ~alias)] = vsub
    msgs: list[str] = []
    if alias.any():
        msgs.append("aliased (collinear) terms get no coefficient: "
                    + ", ".join(n for n, a in zip(des.names, alias) if a))
    # R's rule: at convergence the remaining Newton step is large relative to beta.
    infs_r = np.abs(nr.score @ vsub)
    flagged = ~np.isfinite(nr.score) | ((infs_r > eps) & (infs_r > math.sqrt(eps) * np.abs(nr.beta)))
    infinite = np.zeros(p, dtype=bool)
    infinite[np.flatnonzero(~alias)[flagged]] = True
    ev = d.event.astype(bool)
    for j in range(p):
        if des.binary[j] and not alias[j]:
            x = des.X[:, j] == 1
            if (ev & x).sum() == 0 or (ev & ~x).sum() == 0:
                infinite[j] = True
    if not nr.converged:
        msgs.append("Ran out of iterations and did not converge")
    monotone = bool(infinite.any())
    if monotone:
        bad = [n for n, i in zip(des.names, infinite) if i]
        msgs.append("monotone likelihood: the coefficient of " + ", ".join(bad)
                    + " is infinite (a group without events or complete separation); "
                    "consider coxph(..., firth=True)")
        coef = np.where(infinite, np.sign(coef) * np.inf, coef)
    for m in msgs:
        warnings.warn(m, MonotoneLikelihoodWarning if "monotone" in m else UserWarning, stacklevel=2)
    fin = np.isfinite(coef)
    wald = None
    if not monotone and fin.any():
        b = coef[fin]
        wald = float(b @ np.linalg.solve(var[np.ix_(fin, fin)], b))
    return CoxPH(f.text, des.names, coef, var, nr.loglik, nr.loglik0, nr.sctest, wald, d.n,
                 int(d.event.sum()), ties, nr.iterations, nr.converged, monotone, tuple(bool(x) for x in infinite),
                 tuple(msgs), des.references, d.n_missing, False, None,
                 (rs, nr.beta), (d, Xa, strata, nr.beta, ties,
                  tuple(src for src, al in zip(des.source, alias) if not al)))
