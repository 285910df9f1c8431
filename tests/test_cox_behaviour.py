"""coxph's behaviour beyond the R fixtures: the defect classes of issue 14, R's argument forms, errors.

Each defect test would have failed before its fix: aliasing that depended on the covariates'
units, Firth's penalised likelihood overflowing (NaN) far from 0, Firth profile limits of
+/-inf when the covariate's units made the first search step large, ZeroDivisionError without
events, cox_zph(transform="log") silently NaN at time 0.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.formula import FormulaError
from nlrstats.stats.survival import MonotoneLikelihoodWarning, anova, cox_zph, coxph, survfit
from nlrstats.stats.survival._coxfit import risk_sets
from nlrstats.stats.survival.firth import penalized_loglik
from tests.cox_r_cases import dataset


def _cohort(n=200, seed=4):
    rng = np.random.default_rng(seed)
    trt = rng.integers(0, 2, n)
    alk = rng.lognormal(7, 0.8, n)  # alkaline phosphatase, U/L: values in the thousands
    rate = 0.05 * np.exp(0.6 * trt + 0.0003 * alk)
    t = rng.exponential(1 / rate)
    c = rng.uniform(0, 40, n)
    return pl.DataFrame({"time": np.minimum(t, c), "status": (t <= c).astype(int), "trt": trt, "alk": alk,
                         "g": rng.choice(["x", "y", "z"], n), "age": rng.normal(60, 10, n).round()})


# --- issue 14: rank detection independent of scale ---------------------------------------
@pytest.mark.parametrize("scale", [1.0, 1e-6, 1e6, 1e9])
def test_large_variance_covariate_is_not_aliased(scale):
    d = _cohort().with_columns(pl.col("alk") * scale, pl.col("age") * scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "aliased" warning
        fit = coxph("Surv(time, status) ~ alk + trt + g + age", d)
    ref = coxph("Surv(time, status) ~ alk + trt + g + age", _cohort())
    assert np.isfinite(fit.coef).all()
    np.testing.assert_allclose(fit.coef * np.array([scale, 1, 1, 1, scale]), ref.coef, rtol=1e-8)
    assert fit.loglik == pytest.approx(ref.loglik, rel=1e-12)


def test_truly_collinear_column_is_aliased_at_any_scale():
    for scale in (1.0, 1e6):
        d = _cohort().with_columns(alk2=pl.col("alk") * 3 * scale)
        with pytest.warns(UserWarning, match=r"singular; variable 2 \(alk2\)"):
            fit = coxph("Surv(time, status) ~ alk + alk2 + trt", d)
        assert np.isnan(fit.coef[1]) and np.isfinite(fit.coef[[0, 2]]).all()
        assert fit.tidy()["std_error"][1] == 0.0  # R prints se(coef) 0 for an NA coefficient


# --- issue 14: Firth far from 0 and in small units ----------------------------------------
def _penalised_loop(t, e, x, b):
    """Breslow l(b) + 1/2 log I(b) for one covariate, each risk set shifted by its largest score and
    its variance taken about its mean (no cancellation)."""
    eta = b * x
    ll = info = 0.0
    for tt in np.unique(t[e == 1]):
        risk = t >= tt
        d = ((t == tt) & (e == 1)).sum()
        c = eta[risk].max()
        r = np.exp(eta[risk] - c)
        m = (r * x[risk]).sum() / r.sum()
        ll += eta[(t == tt) & (e == 1)].sum() - d * (math.log(r.sum()) + c)
        info += d * (r * (x[risk] - m) ** 2).sum() / r.sum()
    return ll + 0.5 * math.log(info)


def test_firth_penalised_loglik_is_right_with_a_huge_linear_predictor():
    rng = np.random.default_rng(5)
    n = 60
    x = np.linspace(0, 1e4, n)  # e.g. a laboratory value in U/L
    t = rng.exponential(1, n) * np.exp(-x / 4e3)
    e = rng.integers(0, 2, n)
    e[:3] = 1
    rs = risk_sets(t, e, x[:, None], None, "breslow")
    # linear predictor spreads of 800 and 1000: exp() over- and underflows unless each risk set is
    # shifted (further out the information itself, a difference of raw moments as in R, loses digits)
    for b in (0.08, -0.1):
        assert abs(b) * np.ptp(x) > 745
        ours = penalized_loglik(rs, [b])
        assert math.isfinite(ours)
        assert ours == pytest.approx(_penalised_loop(t, e, x - x.mean(), b), rel=1e-9)


def _separated(n=30, seed=2):
    rng = np.random.default_rng(seed)
    x = np.r_[np.ones(n // 2), np.zeros(n - n // 2)]
    t = np.where(x == 1, rng.uniform(0, 5, n), rng.uniform(5, 10, n))
    e = np.where(x == 1, 1, rng.integers(0, 2, n))
    return pl.DataFrame({"t": t, "e": e, "x": x, "z": rng.normal(size=n)})


@pytest.mark.parametrize("unit", [1.0, 1e-4, 1e4])
def test_firth_profile_limits_are_finite_and_follow_the_units(unit):
    d = _separated()
    with pytest.warns(MonotoneLikelihoodWarning):
        coxph("Surv(t, e) ~ x + z", d)  # ordinary ML diverges
    ref = coxph("Surv(t, e) ~ x + z", d, firth=True).tidy(exponentiate=False)
    fit = coxph("Surv(t, e) ~ x + z", d.with_columns(pl.col("x") * unit), firth=True).tidy(exponentiate=False)
    for col in ("estimate", "conf_low", "conf_high"):
        assert math.isfinite(fit[col][0])
        assert fit[col][0] * unit == pytest.approx(ref[col][0], rel=1e-6)
    assert fit["p_value"][0] == pytest.approx(ref["p_value"][0], rel=1e-6)
    assert fit["p_value"][0] < 0.05 and fit["conf_low"][0] > 0


def test_firth_profile_limits_solve_the_likelihood_ratio():
    from scipy.stats import chi2
    d = _separated()
    fit = coxph("Surv(t, e) ~ x + z", d, firth=True)
    rs = fit.fitdata.rs
    lo, hi = fit.tidy(exponentiate=False).row(0)[5:7]
    q = chi2.ppf(0.95, 1)
    for limit in (lo, hi):
        # the profile over z at x fixed at the limit drops l* by q / 2
        grid = np.linspace(-3, 3, 601)
        best = max(penalized_loglik(rs, [limit / rs.scale[0], zz]) for zz in grid)
        assert 2 * (fit.loglik + float(np.log(rs.scale).sum()) - best) == pytest.approx(q, abs=2e-3)


# --- issue 14: no events, zph at time 0 ---------------------------------------------------
def test_all_censored_gives_na_coefficients_and_lr_zero():
    d = _cohort().with_columns(status=pl.lit(0))
    fit = coxph("Surv(time, status) ~ trt + alk", d)
    assert np.isnan(fit.coef).all() and fit.nevent == 0 and fit.df == 0
    g = fit.glance().row(0, named=True)
    assert (g["statistic_log"], g["p_value_log"], g["statistic_wald"], g["p_value_sc"]) == (0, 1, 0, 1)
    assert g["concordance"] is None
    assert fit.tidy()["estimate"].null_count() == 2
    assert "number of events= 0" in repr(fit)
    with pytest.raises(ValueError, match="finite coefficients"):
        cox_zph(fit)


def test_zph_log_transform_refuses_time_zero():
    d = _cohort().with_columns(time=pl.when(pl.int_range(pl.len()) == 3).then(0.0).otherwise(pl.col("time")))
    fit = coxph("Surv(time, status) ~ trt", d)
    with pytest.raises(ValueError, match=r"transform='log'\) needs positive times; time 0 at row 3"):
        cox_zph(fit, transform="log")
    assert np.isfinite(cox_zph(fit, transform="km").tidy()["statistic"].to_numpy()).all()


# --- R's argument forms -----------------------------------------------------------------------
def test_status_codings_give_one_fit():
    d = _cohort()
    ref = coxph("Surv(time, status) ~ trt + alk", d)
    d = d.with_columns(s12=pl.col("status") + 1, dead=pl.col("status") == 1,
                       vital=pl.when(pl.col("status") == 1).then(pl.lit("dead")).otherwise(pl.lit("alive")))
    for f in ("Surv(time, s12) ~ trt + alk", "Surv(time, s12 == 2) ~ trt + alk", "Surv(time, dead) ~ trt + alk",
              'Surv(time, vital == "dead") ~ trt + alk', "Surv(time, status > 0) ~ trt + alk"):
        fit = coxph(f, d)
        np.testing.assert_allclose(fit.coef, ref.coef, rtol=1e-12)
        assert fit.nevent == ref.nevent


def test_subset_forms_agree_and_na_excludes():
    d = _cohort().with_columns(old=pl.col("age") >= 60)
    d = d.with_columns(old_na=pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("old")))
    ref = coxph("Surv(time, status) ~ trt + alk", d.filter(pl.col("age") >= 60))
    for subset in ("age >= 60", "old", pl.col("age") >= 60, (d["age"] >= 60).to_numpy()):
        fit = coxph("Surv(time, status) ~ trt + alk", d, subset=subset)
        np.testing.assert_allclose(fit.coef, ref.coef, rtol=1e-12)
        assert fit.n == ref.n and fit.n_missing == 0  # rows outside the subset are not "missing"
    fit = coxph("Surv(time, status) ~ trt + alk", d, subset="old_na")
    assert fit.n == d.filter(pl.col("old_na")).height
    with pytest.raises(FormulaError, match="subset must be TRUE/FALSE"):
        coxph("Surv(time, status) ~ trt", d, subset="age + 1")


def test_weights_are_checked_and_missing_ones_counted():
    d = _cohort().with_columns(w=pl.lit(1.0))
    with pytest.raises(FormulaError, match=r"weights must be finite and > 0.*found 0 at row 7"):
        coxph("Surv(time, status) ~ trt", d.with_columns(w=pl.when(pl.int_range(pl.len()) == 7).then(0.0)
                                                          .otherwise(pl.col("w"))), weights="w")
    fit = coxph("Surv(time, status) ~ trt", d.with_columns(w=pl.when(pl.int_range(pl.len()) < 3).then(None)
                                                            .otherwise(pl.col("w"))), weights="w")
    assert fit.n_missing == 3 and fit.n == d.height - 3
    with pytest.raises(FormulaError, match="weights column 'nope'"):
        coxph("Surv(time, status) ~ trt", d, weights="nope")


def test_fractional_weights_turn_robust_on_as_r():
    d = _cohort().with_columns(w=pl.lit(0.5) + pl.int_range(pl.len()) % 3)
    assert coxph("Surv(time, status) ~ trt", d, weights="w").robust
    assert not coxph("Surv(time, status) ~ trt", d, weights="w", robust=False).robust
    assert "robust_se" in coxph("Surv(time, status) ~ trt + cluster(g)", d).tidy().columns
    with pytest.warns(UserWarning, match="cluster ignored"):
        coxph("Surv(time, status) ~ trt + cluster(g)", d, robust=False)


def test_formula_errors_say_what_to_do():
    d = _cohort()
    for f, msg in (("Surv(time, status) ~ ns(age, 3)", "natural splines ns"),
                   ("Surv(time, status) ~ offset(age)", "offset"),
                   ("Surv(time, status) ~ age^2 + foo(age)", "function foo"),
                   ("Surv(time, status) ~ strata(g):age", r"strata\(\) cannot be in an interaction"),
                   ("Surv(time, status) ~ age + 2", "the number 2 is not a term"),
                   ("Surv(time, status) ~ nope", "column 'nope'"),
                   ("Surv(time, status) ~ cluster(g) + cluster(trt)", "multiple cluster")):
        with pytest.raises(FormulaError, match=msg):
            coxph(f, d)


def test_predict_on_new_levels_and_missing_columns_is_an_error():
    d = _cohort()
    fit = coxph("Surv(time, status) ~ g + log(alk)", d)
    with pytest.raises(FormulaError, match="factor g has new level 'w'"):
        fit.predict(d.head(3).with_columns(g=pl.lit("w")))
    with pytest.raises(FormulaError, match="newdata lacks column"):
        fit.predict(d.head(3).drop("alk"))
    np.testing.assert_allclose(fit.predict(d), fit.predict(), rtol=1e-12)


def test_survfit_of_a_cox_fit_through_the_r_verb():
    d = dataset("lung")
    fit = coxph("Surv(time, status) ~ age + sex", d)
    a = survfit(fit, d.head(2)).tidy()
    b = fit.survfit(d.head(2)).tidy()
    assert a.equals(b) and sorted(a["curve"].unique().to_list()) == ["1", "2"]


def test_anova_refuses_what_r_refuses():
    d = _cohort()
    a = coxph("Surv(time, status) ~ trt", d)
    with pytest.raises(ValueError, match="robust variances"):
        anova(a, coxph("Surv(time, status) ~ trt + cluster(g)", d))
    with pytest.raises(ValueError, match="same size"):
        anova(a, coxph("Surv(time, status) ~ trt + alk", d.head(150)))
    with pytest.raises(ValueError, match="ties"):
        anova(a, coxph("Surv(time, status) ~ trt + alk", d, ties="breslow"))


def test_collapsed_residuals_are_group_sums_and_give_the_robust_variance():
    d = _cohort()
    fit = coxph("Surv(time, status) ~ trt + alk + cluster(g)", d)
    dfb = fit.residuals("dfbeta", collapse=d["g"].to_numpy())
    per_row = fit.residuals("dfbeta").with_columns(g=d["g"]).group_by("g").sum().sort("g")
    np.testing.assert_allclose(dfb.drop("collapse").to_numpy(), per_row.drop("g").to_numpy(), rtol=1e-12)
    D = dfb.drop("collapse").to_numpy()
    np.testing.assert_allclose(D.T @ D, fit.var, rtol=1e-12)  # R: crossprod of the cluster dfbetas
    m = fit.residuals("martingale", collapse=d["g"].to_numpy())
    assert m.sum() == pytest.approx(fit.residuals("martingale").sum(), abs=1e-9)
