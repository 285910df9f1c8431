"""The fitted Cox model (R's ``coxph`` object): coefficients, tests, and R's extractor functions.

``tidy()`` / ``glance()`` give broom's columns; ``vcov()``, ``confint()``, ``aic()``,
``predict()``, ``residuals()``, ``basehaz()`` and ``survfit()`` follow R's methods for
``coxph`` objects (the last four live in :mod:`.predict`, :mod:`.residuals` and
:mod:`.coxsurv`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import polars as pl

from nlrstats.stats.distributions import chi2, norm
from nlrstats.stats.result import Result
from nlrstats.stats.survival.concordance import Concordance, concordance_sorted
from nlrstats.stats.survival.coxsurv import basehaz, survfit_coxph
from nlrstats.stats.survival.predict import predict_coxph
from nlrstats.stats.survival.residuals import cox_residuals

__all__ = ["CoxPH", "CoxData", "MonotoneLikelihoodWarning", "chisq_sf"]


class MonotoneLikelihoodWarning(UserWarning):
    """The partial likelihood keeps increasing: some coefficient is infinite."""


def chisq_sf(stat, df) -> float | None:
    """P(chi^2_df > stat) as R's ``pchisq(stat, df, lower.tail = FALSE)`` (1 on 0 df)."""
    if stat is None or (isinstance(stat, float) and math.isnan(stat)):
        return None
    if df == 0:
        return 1.0 if stat <= 0 else 0.0  # R: a point mass at 0
    return float(chi2.sf(stat, df))


def _f(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class CoxData:
    """What the fit was computed from, for residuals, predictions and curves."""

    surv: object  # SurvData (complete cases, R's timefixed times)
    design: object  # Design: X with every column, names, terms, coding spec
    alias: np.ndarray  # columns with an NA coefficient (aliased)
    strata: np.ndarray | None  # stratum code of each complete case
    strata_labels: tuple[str, ...]
    cluster: np.ndarray | None  # cluster code of each complete case
    rs: object  # RiskSets of the non-aliased columns (sorted, centred, scaled)
    beta: np.ndarray  # fitted coefficients of the non-aliased columns (finite, as R's)
    means: np.ndarray  # coxfit6's centring of every column (0 for 0/1 columns), R's fit$means
    lp: np.ndarray  # R's linear.predictors: X beta - sum(beta * means)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class CoxPH(Result):
    """A fitted Cox model (R's ``coxph`` object).

    ``coef`` holds the log hazard ratios (``+inf``/``-inf`` where the likelihood is
    monotone, ``nan`` for aliased columns), ``var`` the variance R reports (the robust
    sandwich when ``robust``; then ``naive_var`` is the inverse information).
    """

    formula: str
    terms: tuple[str, ...]  # coefficient names, as R's names(coef(fit))
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
    fitdata: CoxData | None = field(default=None, repr=False, compare=False)
    naive_var: np.ndarray | None = field(default=None, repr=False)
    robust_score: float | None = None
    weighted: bool = False

    @property
    def robust(self) -> bool:
        return self.naive_var is not None

    @property
    def term_labels(self) -> tuple[str, ...]:
        """R's term labels (``attr(terms(fit), "term.labels")`` without strata and cluster)."""
        return tuple(self.fitdata.design.terms) if self.fitdata is not None else self.terms

    @property
    def df(self) -> int:
        return int(np.isfinite(self.coef).sum() + (0 if self.firth else sum(self.infinite)))

    @cached_property
    def _concordance(self) -> Concordance | None:
        """R's ``fit$concordance``: with the fit's strata, case weights and clusters (reverse)."""
        fd = self.fitdata
        if fd is None or self.nevent == 0:
            return None
        d = fd.surv
        return concordance_sorted(d.time, d.event, fd.lp, fd.strata, weights=d.weights, cluster=fd.cluster)

    @property
    def std_error(self) -> np.ndarray:
        """se(coef): from the inverse information (the naive variance of a robust fit)."""
        v = self.var if self.naive_var is None else self.naive_var
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(v))

    @property
    def robust_se(self) -> np.ndarray | None:
        if self.naive_var is None:
            return None
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.var))

    def _se_used(self) -> np.ndarray:
        return self.std_error if self.naive_var is None else self.robust_se

    def tidy(self, exponentiate: bool = True, conf_level: float = 0.95) -> pl.DataFrame:
        """term, estimate, std_error, [robust_se], statistic, p_value, conf_low, conf_high (as broom).

        ``estimate`` and the CI are hazard ratios when ``exponentiate`` (R's exp(coef)),
        ``std_error`` is always se(coef). A robust fit adds ``robust_se`` and its z, p and
        CI use it, as R's ``summary``. With ``firth=True`` the CI is the profile
        penalised-likelihood interval and the p-value the penalised LR test, as R's coxphf.
        Monotone terms: estimate inf (or 0), upper (lower) limit inf (0), other columns null.
        """
        with np.errstate(over="ignore"):  # exp() of a huge log hazard ratio is inf, as R prints it
            return self._tidy(exponentiate, conf_level)

    def _tidy(self, exponentiate: bool, conf_level: float) -> pl.DataFrame:
        z = norm.ppf(1 - (1 - conf_level) / 2)
        cols = ["term", "estimate", "std_error", *(["robust_se"] if self.robust else []), "statistic", "p_value",
                "conf_low", "conf_high"]
        rows = {k: [] for k in cols}
        se, used = self.std_error, self._se_used()
        tr = np.exp if exponentiate else (lambda v: v)
        for i, name in enumerate(self.terms):
            b = float(self.coef[i])
            rows["term"].append(name)
            if self.robust:
                rows["robust_se"].append(_f(used[i]) if math.isfinite(b) else None)
            if self.infinite and self.infinite[i] and not self.firth:
                for k, v in (("estimate", float(tr(b))), ("std_error", None), ("statistic", None),
                             ("p_value", None), ("conf_low", float(tr(b)) if b < 0 else None),
                             ("conf_high", float(tr(b)) if b > 0 else None)):
                    rows[k].append(v)
                continue
            if math.isnan(b):  # aliased: NA, with se(coef) 0 as R's summary prints it
                for k in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
                    rows[k].append(_f(se[i]) if k == "std_error" else None)
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                stat = b / used[i]
            rows["estimate"].append(float(tr(b)))
            rows["std_error"].append(float(se[i]))
            rows["statistic"].append(_f(stat))
            if self.firth and self.profile_ci is not None:
                lo, hi, p = self.profile_ci(i, conf_level)
                rows["p_value"].append(p)
                rows["conf_low"].append(float(tr(lo)))
                rows["conf_high"].append(float(tr(hi)))
            else:
                rows["p_value"].append(_f(2 * norm.sf(abs(stat))))
                rows["conf_low"].append(float(tr(b - z * used[i])))
                rows["conf_high"].append(float(tr(b + z * used[i])))
        return pl.DataFrame(rows, schema={"term": pl.String, **{k: pl.Float64 for k in cols[1:]}})

    def glance(self) -> pl.DataFrame:
        """n, nevent, loglik, loglik_null, LR / score / Wald tests and p-values, concordance (as broom);
        a robust fit adds R's robust score test (statistic_robust, p_value_robust). AIC: :meth:`aic`."""
        df = self.df
        lr = 2 * (self.loglik - self.loglik_null)
        c = self._concordance
        row = {
            "n": self.n, "nevent": self.nevent, "loglik": self.loglik, "loglik_null": self.loglik_null,
            "statistic_log": lr, "p_value_log": chisq_sf(lr, df),
            "statistic_sc": self.score_test, "p_value_sc": chisq_sf(self.score_test, df),
            "statistic_wald": self.wald_test, "p_value_wald": chisq_sf(self.wald_test, df),
            **({"statistic_robust": self.robust_score, "p_value_robust": chisq_sf(self.robust_score, df)}
               if self.robust else {}),
            "concordance": None if c is None else c.concordance,
            "std_error_concordance": None if c is None else c.std_error,
        }
        return pl.DataFrame({k: [_f(v) if not isinstance(v, int) else v] for k, v in row.items()},
                            schema={"n": pl.Int64, "nevent": pl.Int64, **{k: pl.Float64 for k in list(row)[2:]}})

    # --- R's extractor functions --------------------------------------------------------
    def vcov(self) -> pl.DataFrame:
        """The variance matrix R's ``vcov(fit)`` returns (robust when the fit is), one column per term."""
        return pl.DataFrame({"term": list(self.terms), **{t: self.var[:, j] for j, t in enumerate(self.terms)}})

    def confint(self, level: float = 0.95) -> pl.DataFrame:
        """Wald limits of the coefficients (log hazard ratios), R's ``confint(fit, level = )``."""
        z = norm.ppf(1 - (1 - level) / 2)
        se = self._se_used()
        with np.errstate(invalid="ignore"):
            lo, hi = self.coef - z * se, self.coef + z * se
        fin = np.isfinite(self.coef)
        return pl.DataFrame({"term": list(self.terms), "conf_low": [_f(v) if f else None for v, f in zip(lo, fin)],
                             "conf_high": [_f(v) if f else None for v, f in zip(hi, fin)]},
                            schema={"term": pl.String, "conf_low": pl.Float64, "conf_high": pl.Float64})

    def aic(self, k: float = 2.0) -> float:
        """R's ``AIC(fit)``: -2 loglik + k * (number of non-NA coefficients)."""
        return -2 * self.loglik + k * int((~np.isnan(self.coef)).sum())

    def bic(self) -> float:
        """R's ``BIC(fit)``: k = log(number of events), as ``nobs.coxph``."""
        return self.aic(k=math.log(self.nevent)) if self.nevent else math.nan

    def _need_data(self, what: str) -> CoxData:
        if self.fitdata is None or self.firth:
            raise ValueError(f"{what} needs an ordinary coxph fit (not Firth's penalised fit)")
        return self.fitdata

    def predict(self, newdata=None, type: str = "lp", se_fit: bool = False, reference: str | None = None):
        """R's ``predict(fit, newdata, type = "lp" | "risk" | "expected" | "terms" | "survival")``.

        See :func:`nlrstats.stats.survival.predict.predict_coxph`.
        """
        return predict_coxph(self, self._need_data("predict"), newdata, type, se_fit, reference)

    def residuals(self, type: str = "martingale", collapse=None, weighted: bool | None = None):
        """R's ``residuals(fit, type = )``; see :func:`nlrstats.stats.survival.residuals.cox_residuals`."""
        return cox_residuals(self, self._need_data("residuals"), type, collapse, weighted)

    def basehaz(self, centered: bool = True) -> pl.DataFrame:
        """R's ``basehaz(fit, centered = )``: hazard, time[, strata]."""
        return basehaz(self, centered)

    def survfit(self, newdata=None, conf_type: str = "log", conf_level: float = 0.95, se_fit: bool = True):
        """R's ``survfit(fit, newdata)``: predicted survival curves; see :mod:`.coxsurv`."""
        return survfit_coxph(self, newdata, conf_type, conf_level, se_fit)

    def __repr__(self) -> str:
        t = self.tidy(exponentiate=False)
        lines = [f"Call:\ncoxph({self.formula}{', ties = ' + repr(self.ties) if self.ties != 'efron' else ''}"
                 f"{', firth = True' if self.firth else ''})", ""]
        head = ["coef", "exp(coef)", "se(coef)", *(["robust se"] if self.robust else []), "z", "p"]
        w0 = max([len(x) for x in self.terms] or [0])
        fmt = lambda v: "NA" if v is None else f"{v:.4g}"  # noqa: E731
        cells = [[fmt(r["estimate"]), fmt(None if r["estimate"] is None else math.exp(r["estimate"])),
                  fmt(r["std_error"]), *([fmt(r["robust_se"])] if self.robust else []), fmt(r["statistic"]),
                  fmt(r["p_value"])] for r in t.iter_rows(named=True)]
        widths = [max(len(h), *(len(c[j]) for c in cells)) if cells else len(h) for j, h in enumerate(head)]
        lines.append(" " * w0 + " " + " ".join(h.rjust(w) for h, w in zip(head, widths)))
        lines += [nm.ljust(w0) + " " + " ".join(v.rjust(w) for v, w in zip(c, widths))
                  for nm, c in zip(self.terms, cells)]
        lr = 2 * (self.loglik - self.loglik_null)
        lines += ["", f"Likelihood ratio test={lr:.4g}  on {self.df} df, p={chisq_sf(lr, self.df):.4g}",
                  f"n= {self.n}, number of events= {self.nevent} "]
        if self.n_missing:
            lines[-1] += f"\n   ({self.n_missing} observation{'s' if self.n_missing > 1 else ''} "\
                         "deleted due to missingness)"
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)
