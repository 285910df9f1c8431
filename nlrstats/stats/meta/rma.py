"""Random- and fixed-effects meta-analysis of log hazard ratios, as R's ``metafor::rma`` (3.8).

Intercept-only models (no moderators) of ``rma.uni`` with ``method = "REML"`` (Fisher scoring
from the Hedges estimate, metafor's step halving at ``tau2.min = 0``, its threshold
``|change of tau^2| <= 1e-5`` and its check against a local maximum), ``"DL"`` (DerSimonian &
Laird 1986) or ``"FE"``; Wald ``test = "z"`` or Knapp & Hartung (2003) ``test = "knha"`` with a
t distribution on k - 1 df; Cochran's Q test; I^2 and H^2 as metafor defines them per method
(Higgins & Thompson 2002 with the "typical" sampling variance for random effects, from Q for
FE); prediction intervals as ``predict.rma`` (Riley et al. 2011 with ``pi_type = "riley"``).
References: Viechtbauer W (2005) J Educ Behav Stat 30:261-93; Viechtbauer W (2010) J Stat Softw
36(3).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.distributions import chi2, norm, t as t_dist
from nlrstats.stats.meta.printing import format_rma
from nlrstats.stats.result import Result

__all__ = ["rma", "RMA", "MetaInputError", "se_from_ci"]

_THRESHOLD = 1e-5  # metafor's rma.uni control: threshold, maxiter, tol, evtol
_MAXITER = 100
_TOL = np.finfo(float).eps ** 0.25
_EVTOL = 1e-7


class MetaInputError(ValueError):
    """Effect sizes, standard errors or confidence limits that cannot be pooled."""


def se_from_ci(conf_low, conf_high, conf_level: float = 0.95) -> np.ndarray:
    """Standard error of a log ratio from its confidence limits: (log(hi) - log(lo)) / (2 z)."""
    z = norm.ppf(1 - (1 - conf_level) / 2)
    return (np.log(np.asarray(conf_high, float)) - np.log(np.asarray(conf_low, float))) / (2 * z)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class RMA(Result):
    """Result of :func:`rma` (R's ``rma.uni`` object with an intercept only).

    ``estimate``, ``conf_low``, ``conf_high``, ``pi_low``, ``pi_high`` are on the log scale;
    ``tidy()`` and ``glance()`` exponentiate them by default (hazard ratios).
    """

    labels: tuple[str, ...]
    yi: np.ndarray = field(repr=False)
    vi: np.ndarray = field(repr=False)
    method: str = "REML"
    test: str = "z"
    conf_level: float = 0.95
    pi_type: str = "default"
    tau2: float = 0.0
    se_tau2: float | None = None
    estimate: float = 0.0
    std_error: float = 0.0
    statistic: float = 0.0
    p_value: float = 1.0
    conf_low: float = 0.0
    conf_high: float = 0.0
    df: int | None = None
    q: float = 0.0
    q_p_value: float = 1.0
    i2: float = 0.0
    h2: float = 1.0
    pi_low: float | None = None
    pi_high: float | None = None
    loglik: float = 0.0
    iterations: int = 0

    @property
    def k(self) -> int:
        return len(self.yi)

    @property
    def weights(self) -> np.ndarray:
        """Percentage weight of each study in the pooled estimate (R's ``weights(fit)``)."""
        w = 1.0 / (self.vi + self.tau2)
        return 100 * w / w.sum()

    @property
    def model_label(self) -> str:
        return "FE Model" if self.method == "FE" else "RE Model"

    def tidy(self, exponentiate: bool = True, conf_level: float | None = None) -> pl.DataFrame:
        """One row per study (``type`` "study": its Wald z CI and weight) and the pooled row ("summary").

        Columns: term, type, estimate, std_error, statistic, p_value, conf_low, conf_high, weight
        (percent; as broom's ``tidy.rma(include_studies = TRUE)``). ``std_error`` is on the log scale.
        """
        level = self.conf_level if conf_level is None else conf_level
        z = norm.ppf(1 - (1 - level) / 2)
        sei = np.sqrt(self.vi)
        tr = np.exp if exponentiate else (lambda v: v)
        stat = self.yi / sei
        study = pl.DataFrame({
            "term": list(self.labels), "type": ["study"] * self.k, "estimate": tr(self.yi), "std_error": sei,
            "statistic": stat, "p_value": 2 * norm.sf(np.abs(stat)), "conf_low": tr(self.yi - z * sei),
            "conf_high": tr(self.yi + z * sei), "weight": self.weights})
        lo, hi = self.conf_low, self.conf_high
        if conf_level is not None and conf_level != self.conf_level:
            crit = t_dist.ppf(1 - (1 - level) / 2, self.df) if self.df else z
            lo, hi = self.estimate - crit * self.std_error, self.estimate + crit * self.std_error
        pooled = pl.DataFrame({
            "term": [self.model_label], "type": ["summary"], "estimate": [float(tr(self.estimate))],
            "std_error": [self.std_error], "statistic": [self.statistic], "p_value": [self.p_value],
            "conf_low": [float(tr(lo))], "conf_high": [float(tr(hi))], "weight": [100.0]})
        return pl.concat([study, pooled])

    def glance(self, exponentiate: bool = True) -> pl.DataFrame:
        """One row: pooled estimate, CI, p_value, tau2, tau, i2, h2, q, q_df, q_p_value, pi_low, pi_high, ...

        ``estimate``, ``conf_low``, ``conf_high``, ``pi_low``, ``pi_high`` are hazard ratios when
        ``exponentiate``; ``std_error`` and ``statistic`` (z, or t with ``df`` for Knapp-Hartung) are on
        the log scale; ``i2`` is a percentage as metafor prints it.
        """
        tr = math.exp if exponentiate else (lambda v: v)
        opt = lambda v: None if v is None else float(tr(v))  # noqa: E731
        row = {"k": self.k, "estimate": float(tr(self.estimate)), "std_error": self.std_error,
               "statistic": self.statistic, "df": self.df, "p_value": self.p_value,
               "conf_low": float(tr(self.conf_low)), "conf_high": float(tr(self.conf_high)),
               "tau2": self.tau2, "se_tau2": self.se_tau2, "tau": math.sqrt(self.tau2), "i2": self.i2,
               "h2": self.h2, "q": self.q, "q_df": self.k - 1, "q_p_value": self.q_p_value,
               "pi_low": opt(self.pi_low), "pi_high": opt(self.pi_high), "loglik": self.loglik,
               "method": self.method, "test": self.test}
        schema = {k: pl.Float64 for k in row}
        schema.update(k=pl.Int64, df=pl.Int64, q_df=pl.Int64, method=pl.String, test=pl.String)
        return pl.DataFrame({k: [v] for k, v in row.items()}, schema=schema)

    def __repr__(self) -> str:
        return format_rma(self)


def _check_inputs(yi, sei, hr, conf_low, conf_high, labels, input_level):
    if hr is not None or conf_low is not None or conf_high is not None:
        if yi is not None or sei is not None:
            raise MetaInputError("give either yi and sei (log hazard ratios and their standard errors) "
                                 "or hr, conf_low and conf_high, not both")
        if hr is None or conf_low is None or conf_high is None:
            raise MetaInputError("hr, conf_low and conf_high are needed together (hazard ratios and their CIs)")
        hr, lo, hi = (np.asarray(v, dtype=float).ravel() for v in (hr, conf_low, conf_high))
        if not len(hr) == len(lo) == len(hi):
            raise MetaInputError(f"hr, conf_low and conf_high differ in length ({len(hr)}, {len(lo)}, {len(hi)})")
        labels = _labels(labels, len(hr))
        for i, name in enumerate(labels):
            h, a, b = hr[i], lo[i], hi[i]
            if not (np.isfinite(h) and np.isfinite(a) and np.isfinite(b)):
                raise MetaInputError(f"row {i + 1} ({name}): hr, conf_low, conf_high must be finite numbers, "
                                     f"got {h}, {a}, {b}")
            if not (a > 0 and h > 0 and b > 0):
                raise MetaInputError(f"row {i + 1} ({name}): hazard ratios and their limits must be positive, "
                                     f"got {h} ({a} to {b}); give log hazard ratios as yi instead")
            if not a < h < b:
                raise MetaInputError(f"row {i + 1} ({name}): need conf_low < hr < conf_high, got {h} ({a} to {b});"
                                     " are the limits swapped or from another row?")
        return np.log(hr), se_from_ci(lo, hi, input_level), labels
    if yi is None or sei is None:
        raise MetaInputError("give yi and sei (log hazard ratios and standard errors), or hr, conf_low, conf_high")
    yi, sei = np.asarray(yi, dtype=float).ravel(), np.asarray(sei, dtype=float).ravel()
    if len(yi) != len(sei):
        raise MetaInputError(f"yi and sei differ in length ({len(yi)} and {len(sei)})")
    labels = _labels(labels, len(yi))
    for i, name in enumerate(labels):
        if not (np.isfinite(yi[i]) and np.isfinite(sei[i])):
            raise MetaInputError(f"row {i + 1} ({name}): yi and sei must be finite numbers, got {yi[i]}, {sei[i]}")
        if sei[i] <= 0:
            raise MetaInputError(f"row {i + 1} ({name}): the standard error must be positive, got {sei[i]}")
    return yi, sei, labels


def _labels(labels, k):
    if labels is None:
        return tuple(f"Study {i + 1}" for i in range(k))
    labels = tuple(str(x) for x in labels)
    if len(labels) != k:
        raise MetaInputError(f"{len(labels)} labels for {k} studies")
    return labels


def _p_matrix_sums(w: np.ndarray, y: np.ndarray):
    """For P = W - w w'/sum(w) (intercept only): y'P y, y'P P y, tr(P), tr(PP)."""
    sw = w.sum()
    py = w * y - w * (w @ y) / sw
    sw2 = w @ w
    tr_pp = sw2 - 2 * (w ** 3).sum() / sw + sw2 ** 2 / sw ** 2
    return float(y @ py), float(py @ py), float(sw - sw2 / sw), float(tr_pp)


def _reml_ll(y, v):
    """Restricted log-likelihood of metafor's ll0check (without the constant 1/2 log|X'X|)."""
    w = 1.0 / v
    beta = (w @ y) / w.sum()
    rss = float(w @ (y - beta) ** 2)
    k = len(y)
    return -0.5 * (k - 1) * math.log(2 * math.pi) - 0.5 * np.log(v).sum() - 0.5 * math.log(w.sum()) - 0.5 * rss


def _tau2_reml(y: np.ndarray, v: np.ndarray):
    """REML tau^2 by Fisher scoring exactly as metafor's ``rma.uni``; returns (tau2, iterations)."""
    k = len(y)
    ymc = y - y.mean()
    # Hedges (HE) starting value: (RSS - tr(PV)) / (k - p) with P = I - J/k
    tau2 = max(0.0, (float(ymc @ ymc) - v.sum() * (1 - 1 / k)) / (k - 1))
    change, it = _THRESHOLD + 1, 0
    while change > _THRESHOLD:
        it += 1
        old = tau2
        _, ypp, tr_p, tr_pp = _p_matrix_sums(1.0 / (v + tau2), ymc)
        adj = (ypp - tr_p) / tr_pp
        if math.isnan(adj):
            adj = 0.0
        while tau2 + adj < 0:  # step halving at tau2.min = 0
            adj /= 2
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if it > _MAXITER:
            raise MetaInputError("Fisher scoring algorithm did not converge (as metafor's rma, "
                                 "method = 'REML'); try method = 'DL'")
    ll0, ll = _reml_ll(ymc, v), _reml_ll(ymc, v + tau2)
    if ll0 - ll > _TOL and tau2 > _THRESHOLD:
        warnings.warn("Fisher scoring algorithm may have gotten stuck at a local maximum. Setting tau^2 = 0.",
                      UserWarning, stacklevel=3)
        tau2 = 0.0
    return max(0.0, tau2), it


def rma(yi=None, sei=None, *, hr=None, conf_low=None, conf_high=None, labels=None, method: str = "REML",
        test: str = "z", conf_level: float = 0.95, input_conf_level: float = 0.95,
        pi_type: str = "default") -> RMA:
    """Meta-analysis of log hazard ratios, as R's ``metafor::rma(yi, sei = sei, method, test)``.

    Parameters
    ----------
    yi, sei : array-like, optional
        Log hazard ratios and their standard errors (any effect size on a log-ratio scale works).
    hr, conf_low, conf_high : array-like, keyword-only, optional
        Published hazard ratios with their confidence limits instead of ``yi``/``sei``:
        ``yi = log(hr)``, ``sei = (log(conf_high) - log(conf_low)) / (2 qnorm(1 - (1 - input_conf_level) / 2))``.
        Each row must have 0 < conf_low < hr < conf_high (the error names the row).
    labels : sequence of str, optional
        Study names (default "Study 1", "Study 2", ...).
    method : {"REML", "DL", "FE"}
        tau^2 estimator: restricted maximum likelihood (metafor's default), DerSimonian-Laird, or
        a fixed-effect (common-effect) model with tau^2 = 0.
    test : {"z", "knha"}
        Wald z test and CI, or Knapp & Hartung's adjustment with a t distribution on k - 1 df.
    conf_level : float
        Level of the CIs and of the prediction interval (R's ``level = 95``).
    input_conf_level : float
        Level of the given ``conf_low``/``conf_high``.
    pi_type : {"default", "riley", "t"}
        Prediction interval as ``predict.rma(pi.type = )``: "default" uses the CI's critical value
        (normal for z, t on k - 1 df for knha), "riley" a t on k - 2 df, "t" a t on k - 1 df.
        No prediction interval for ``method = "FE"`` (as metafor).

    Returns
    -------
    RMA
        With ``tidy()`` (per study and pooled) and ``glance()`` (pooled HR, CI, p, tau2, I^2, Q, PI).

    Notes
    -----
    Deviations from ``rma``: at least 2 studies and positive standard errors are required
    (metafor also fits k = 1 and zero variances, where Q, I^2 and DL are undefined).
    """
    if method not in ("REML", "DL", "FE"):
        raise MetaInputError(f"method must be 'REML', 'DL' or 'FE', got {method!r}")
    if test not in ("z", "knha"):
        raise MetaInputError(f"test must be 'z' or 'knha', got {test!r}")
    if pi_type not in ("default", "riley", "t"):
        raise MetaInputError(f"pi_type must be 'default', 'riley' or 't', got {pi_type!r}")
    if not 0 < conf_level < 1 or not 0 < input_conf_level < 1:
        raise MetaInputError("conf_level and input_conf_level must be between 0 and 1 (0.95, not 95)")
    y, se, labels = _check_inputs(yi, sei, hr, conf_low, conf_high, labels, input_conf_level)
    k = len(y)
    if k < 2:
        raise MetaInputError(f"pooling needs at least 2 studies, got {k}")
    v = se ** 2
    if v.max() / v.min() >= 1 / _EVTOL:
        warnings.warn("Ratio of largest to smallest sampling variance extremely large. "
                      "May not be able to obtain stable results.", UserWarning, stacklevel=2)
    w_fe = 1.0 / v
    q, _, tr_p_fe, tr_pp_fe = _p_matrix_sums(w_fe, y - y.mean())
    q = max(0.0, q)
    it, se_tau2 = 0, None
    if method == "REML":
        tau2, it = _tau2_reml(y, v)
        _, _, _, tr_pp = _p_matrix_sums(1.0 / (v + tau2), y)
        se_tau2 = math.sqrt(2 / tr_pp)
    elif method == "DL":
        tau2 = max(0.0, (q - (k - 1)) / tr_p_fe)
        se_tau2 = math.sqrt((2 * (k - 1) + 4 * tau2 * tr_p_fe + 2 * tau2 ** 2 * tr_pp_fe) / tr_p_fe ** 2)
    else:
        tau2 = 0.0
        if test == "knha":
            warnings.warn("Knapp & Hartung method is not meant to be used in the context of FE models.",
                          UserWarning, stacklevel=2)
    w = 1.0 / (v + tau2)
    beta = float(w @ y / w.sum())
    vb = 1.0 / w.sum()
    rss = float(w @ (y - beta) ** 2)
    alpha = 1 - conf_level
    if test == "knha":
        vb *= 0.0 if rss <= np.finfo(float).eps else rss / (k - 1)
        df = k - 1
        crit = float(t_dist.ppf(1 - alpha / 2, df))
    else:
        df = None
        crit = float(norm.ppf(1 - alpha / 2))
    se_b = math.sqrt(vb)
    with np.errstate(divide="ignore"):
        stat = beta / se_b if se_b > 0 else math.copysign(math.inf, beta)
    pval = float(2 * (t_dist.sf(abs(stat), df) if df else norm.sf(abs(stat))))
    vt = (k - 1) / tr_p_fe  # metafor's "typical" within-study variance (i2def = "1")
    if method == "FE":
        i2 = max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0
        h2 = q / (k - 1)
        pi = (None, None)
    else:
        i2 = 100 * tau2 / (vt + tau2)
        h2 = tau2 / vt + 1
        pcrit = crit if pi_type == "default" else float(t_dist.ppf(1 - alpha / 2, max(1, k - 2) if pi_type == "riley"
                                                                   else k - 1))
        half = pcrit * math.sqrt(vb + tau2)
        pi = (beta - half, beta + half)
    if method == "REML":
        loglik = (-0.5 * (k - 1) * math.log(2 * math.pi) + 0.5 * math.log(k) - 0.5 * np.log(v + tau2).sum()
                  - 0.5 * math.log(w.sum()) - 0.5 * rss)
    else:  # metafor's logLik for non-REML fits is the ML log-likelihood
        loglik = -0.5 * k * math.log(2 * math.pi) - 0.5 * np.log(v + tau2).sum() - 0.5 * rss
    return RMA(labels, y, v, method, test, conf_level, pi_type, float(tau2), se_tau2, beta, se_b, float(stat),
               pval, beta - crit * se_b, beta + crit * se_b, df, float(q), float(chi2.sf(q, k - 1)), float(i2),
               float(h2), pi[0], pi[1], float(loglik), it)
