"""Defined behaviour of nlrstats.stats.survival: edge cases, errors, input types, Firth."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from nlrstats.stats.formula import FormulaError
from nlrstats.stats.result import json_safe
from nlrstats.stats.survival import MonotoneLikelihoodWarning, cox_zph, coxph, survdiff, survfit

FIX = Path(__file__).parent / "fixtures"
LOW, HIGH = "NLR < 8", "NLR \u2265 8"


@pytest.fixture(scope="module")
def fukuda():
    return pl.read_csv(FIX / "survival_fukuda.csv")


def test_km_hand_computed():
    d = pl.DataFrame({"t": [1.0, 2.0, 2.0, 3.0, 4.0], "e": [1, 1, 0, 1, 0]})
    t = survfit("Surv(t, e) ~ 1", d).tidy()
    assert t["time"].to_list() == [1.0, 2.0, 3.0, 4.0]
    assert t["n_risk"].to_list() == [5, 4, 2, 1]
    assert t["n_censor"].to_list() == [0, 1, 0, 1]
    s = [4 / 5, 4 / 5 * 3 / 4, 4 / 5 * 3 / 4 * 1 / 2, 4 / 5 * 3 / 4 * 1 / 2]
    assert t["estimate"].to_list() == pytest.approx(s, rel=1e-14)
    green = np.sqrt(np.cumsum([1 / (5 * 4), 1 / (4 * 3), 1 / (2 * 1), 0]))
    assert t["std_error"].to_list() == pytest.approx(green.tolist(), rel=1e-14)
    m = survfit("Surv(t, e) ~ 1", d).median().row(0, named=True)
    assert m["median"] == 3.0 and m["records"] == 5 and m["events"] == 3


def test_median_not_reached_is_none():
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0], "e": [1, 0, 0, 0, 0]})
    m = survfit("Surv(t, e) ~ 1", d).median().row(0, named=True)
    assert m["median"] is None and m["conf_high"] is None
    assert "NA" in repr(survfit("Surv(t, e) ~ 1", d))


def test_median_flat_at_half_takes_midpoint():
    # S drops to exactly 0.5 at t=2 and stays until t=4: R reports (2 + 4) / 2
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 1, 0, 1]})
    assert survfit("Surv(t, e) ~ 1", d).median()["median"][0] == 3.0


def test_all_censored_curve_is_flat():
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [0, 0, 0], "g": ["a", "a", "b"]})
    fit = survfit("Surv(t, e) ~ g", d)
    t = fit.tidy()
    assert t["estimate"].to_list() == [1.0, 1.0, 1.0]
    assert t["std_error"].to_list() == [0.0, 0.0, 0.0]
    assert t["conf_low"].to_list() == [1.0, 1.0, 1.0]
    assert fit.median()["median"].to_list() == [None, None]
    # no events anywhere: no group has a positive expectation, so there is nothing to test
    with pytest.warns(RuntimeWarning, match="-1 degrees of freedom"):
        assert survdiff("Surv(t, e) ~ g", d).df == -1


def test_survival_zero_has_no_ci_and_infinite_se():
    d = pl.DataFrame({"t": [1.0, 2.0], "e": [1, 1]})
    t = survfit("Surv(t, e) ~ 1", d).tidy()
    assert t["estimate"][1] == 0.0
    assert math.isinf(t["std_error"][1])
    assert t["conf_low"][1] is None and t["conf_high"][1] is None


def test_zero_events_in_a_group_gives_infinite_hr_and_flag():
    d = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 0, 0, 0, 0, 0],
                      "g": ["b", "b", "b", "a", "a", "b", "a", "a"]})
    with pytest.warns(MonotoneLikelihoodWarning, match="gb"):
        fit = coxph("Surv(t, e) ~ g", d)
    assert fit.monotone and fit.infinite == (True,)
    row = fit.tidy().row(0, named=True)
    assert row["estimate"] == math.inf and row["conf_high"] == math.inf
    assert row["std_error"] is None and row["p_value"] is None
    assert fit.tidy(exponentiate=False)["estimate"][0] == math.inf
    assert json_safe(row["estimate"]) == "Inf"
    assert any("monotone" in w for w in fit.warnings)
    # reference flipped: the hazard ratio goes to 0
    with pytest.warns(MonotoneLikelihoodWarning):
        flipped = coxph("Surv(t, e) ~ g", d, reference={"g": "b"})
    assert flipped.tidy()["estimate"][0] == 0.0


def test_firth_matches_firthmodels_independent_implementation():
    from firthmodels import FirthCoxPH

    nlr = pl.read_csv(FIX / "survival_nlr13.csv")
    fit = coxph("Surv(os_months, os_event) ~ nlr_d0 + nlr_group", nlr, firth=True)
    X = np.column_stack([nlr["nlr_d0"].to_numpy(), (nlr["nlr_group"] == HIGH).to_numpy().astype(float)])
    ref = FirthCoxPH(gtol=1e-8, xtol=1e-9, max_iter=200).fit(
        X, (nlr["os_event"].to_numpy().astype(bool), nlr["os_months"].to_numpy()))
    t = fit.tidy(exponentiate=False)
    assert t["estimate"].to_list() == pytest.approx(ref.coef_.tolist(), rel=1e-6)
    assert t["std_error"].to_list() == pytest.approx(ref.bse_.tolist(), rel=1e-6)
    assert fit.loglik == pytest.approx(ref.loglik_, rel=1e-9)
    ci = ref.conf_int(method="pl", tol=1e-9, max_iter=200)
    assert t["conf_low"].to_list() == pytest.approx(ci[:, 0].tolist(), rel=1e-5)
    assert t["conf_high"].to_list() == pytest.approx(ci[:, 1].tolist(), rel=1e-5)


def test_firth_gives_finite_estimate_under_monotone_likelihood():
    from firthmodels import FirthCoxPH

    d = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 0, 0, 0, 0, 0],
                      "g": ["b", "b", "b", "a", "a", "b", "a", "a"]})
    fit = coxph("Surv(t, e) ~ g", d, firth=True)
    assert fit.monotone and fit.firth  # ordinary ML would diverge; Firth does not
    row = fit.tidy(exponentiate=False).row(0, named=True)
    assert math.isfinite(row["estimate"]) and row["estimate"] > 0
    ref = FirthCoxPH(max_iter=200).fit((d["g"] == "b").to_numpy().astype(float)[:, None],
                                       (d["e"].to_numpy().astype(bool), d["t"].to_numpy()))
    assert row["estimate"] == pytest.approx(ref.coef_[0], rel=1e-4)
    ci = ref.conf_int(method="pl", tol=1e-9, max_iter=200)[0]
    assert [row["conf_low"], row["conf_high"]] == pytest.approx(ci.tolist(), rel=1e-5)
    # penalised LR p-value from the profile at 0
    assert 0 < row["p_value"] < 1


def test_firth_penalised_loglik_is_maximised():
    from nlrstats.stats.survival._coxfit import risk_sets
    from nlrstats.stats.survival.firth import penalized_loglik
    from scipy.optimize import minimize

    nlr = pl.read_csv(FIX / "survival_nlr13.csv")
    fit = coxph("Surv(pfs_months, pfs_event) ~ nlr_d0", nlr, firth=True)
    rs = risk_sets(nlr["pfs_months"].to_numpy().astype(float), nlr["pfs_event"].to_numpy(),
                   nlr["nlr_d0"].to_numpy()[:, None], None, "breslow")
    opt = minimize(lambda b: -penalized_loglik(rs, b), x0=[0.0], method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-14})
    assert fit.coef[0] == pytest.approx(opt.x[0], rel=1e-6)


def test_breslow_equals_efron_without_ties():
    rng = np.random.default_rng(1)
    d = pl.DataFrame({"t": rng.permutation(np.arange(1.0, 41.0)), "e": rng.integers(0, 2, 40),
                      "x": rng.normal(size=40)})
    a = coxph("Surv(t, e) ~ x", d).coef[0]
    b = coxph("Surv(t, e) ~ x", d, ties="breslow").coef[0]
    assert a == pytest.approx(b, rel=1e-12)


def test_formula_errors_name_the_column():
    d = pl.DataFrame({"t": [1.0, 2.0], "e": [1, 0], "g": ["a", "b"], "tt": ["1", "2"]})
    with pytest.raises(FormulaError, match="nlr_group"):
        survfit("Surv(t, e) ~ nlr_group", d)
    with pytest.raises(FormulaError, match="'tt'"):
        coxph("Surv(tt, e) ~ g", d)
    with pytest.raises(FormulaError, match="'e'.*row 1"):  # (1/2 alone is R's coding: 2 = event)
        survdiff("Surv(t, e) ~ g", d.with_columns(pl.Series("e", [1, 3])))
    with pytest.raises(FormulaError, match="'d'"):
        coxph("Surv(t, e) ~ d", d.with_columns(pl.Series("d", [[1], [2]])))


def test_single_group_is_an_error():
    d = pl.DataFrame({"t": [1.0, 2.0], "e": [1, 0], "g": ["a", "a"]})
    with pytest.raises(ValueError, match="only 1 group"):
        survdiff("Surv(t, e) ~ g", d)
    with pytest.raises(FormulaError, match="single level"):
        coxph("Surv(t, e) ~ g", d)


def test_missing_values_are_dropped_and_counted(fukuda):
    d = fukuda.with_columns(pl.when(pl.col("patient_id") == "ATC01").then(None)
                            .otherwise(pl.col("os_months")).alias("os_months"))
    fit = survfit("Surv(os_months, os_event) ~ nlr_group", d)
    assert fit.n_missing == 1 and int(fit.n.sum()) == 12
    assert "1 observation deleted" in repr(fit)
    assert coxph("Surv(os_months, os_event) ~ nlr_group", d).n == 12


def test_pandas_input_equals_polars(fukuda):
    a = survfit("Surv(pfs_months, pfs_event) ~ nlr_group", fukuda).tidy()
    b = survfit("Surv(pfs_months, pfs_event) ~ nlr_group", fukuda.to_pandas()).tidy()
    assert a.equals(b)
    c1 = coxph("Surv(os_months, os_event) ~ nlr_group + age", fukuda).tidy()
    c2 = coxph("Surv(os_months, os_event) ~ nlr_group + age", pd.DataFrame(fukuda.to_dict(as_series=False))).tidy()
    assert c1.equals(c2)


def test_enum_order_sets_strata_order_and_reference(fukuda):
    enum = fukuda.with_columns(pl.col("nlr_group").cast(pl.Enum([HIGH, LOW])))
    assert survfit("Surv(os_months, os_event) ~ nlr_group", enum).strata == (
        f"nlr_group={HIGH}", f"nlr_group={LOW}")
    assert survfit("Surv(os_months, os_event) ~ nlr_group", fukuda).strata == (
        f"nlr_group={LOW}", f"nlr_group={HIGH}")
    plain = coxph("Surv(os_months, os_event) ~ nlr_group", fukuda)
    assert plain.tidy()["term"][0] == f"nlr_group{HIGH}"
    flipped = coxph("Surv(os_months, os_event) ~ nlr_group", enum)
    assert flipped.tidy()["term"][0] == f"nlr_group{LOW}"
    assert flipped.coef[0] == pytest.approx(-plain.coef[0], rel=1e-9)
    manual = coxph("Surv(os_months, os_event) ~ nlr_group", fukuda, reference=HIGH)
    assert manual.coef[0] == pytest.approx(flipped.coef[0], rel=1e-12)


def test_unused_enum_level_gives_no_stratum(fukuda):
    enum = fukuda.with_columns(pl.col("nlr_group").cast(pl.Enum([LOW, HIGH, "unknown"])))
    fit = survfit("Surv(os_months, os_event) ~ nlr_group", enum)
    assert len(fit.strata) == 2 and fit.median().height == 2


def test_boolean_covariate_named_as_r(fukuda):
    d = fukuda.with_columns((pl.col("nlr_d0") >= 8).alias("nlr_high"))
    fit = coxph("Surv(os_months, os_event) ~ nlr_high", d)
    assert fit.tidy()["term"].to_list() == ["nlr_highTRUE"]
    assert survfit("Surv(os_months, os_event) ~ nlr_high", d).strata == ("nlr_high=FALSE", "nlr_high=TRUE")
    ref = coxph("Surv(os_months, os_event) ~ nlr_group", d)
    assert fit.coef[0] == pytest.approx(ref.coef[0], rel=1e-12)


def test_reconstructed_cohort_reproduces_the_paper(fukuda):
    pfs = survfit("Surv(pfs_months, pfs_event) ~ nlr_group", fukuda).median()
    os_ = survfit("Surv(os_months, os_event) ~ nlr_group", fukuda).median()
    assert pfs["median"].to_list() == [4.0, 1.6]
    assert os_["median"].to_list() == [10.2, 3.8]
    assert survdiff("Surv(pfs_months, pfs_event) ~ nlr_group", fukuda).p_value < 0.05
    assert survdiff("Surv(os_months, os_event) ~ nlr_group", fukuda).p_value < 0.05


def test_at_before_first_and_after_last_time():
    d = pl.DataFrame({"t": [2.0, 3.0, 5.0], "e": [1, 0, 1]})
    a = survfit("Surv(t, e) ~ 1", d).at([1.0, 2.0, 6.0])
    assert a["time"].to_list() == [1.0, 2.0]  # beyond the last follow-up: dropped as R
    assert a["estimate"].to_list() == pytest.approx([1.0, 2 / 3])
    assert a["n_risk"].to_list() == [3, 3]


def test_cox_zph_refuses_monotone_and_firth_fits():
    d = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6], "e": [1, 1, 0, 0, 0, 0], "g": ["b", "b", "a", "a", "b", "a"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = coxph("Surv(t, e) ~ g", d)
    with pytest.raises(ValueError):
        cox_zph(fit)
    with pytest.raises(ValueError):
        cox_zph(coxph("Surv(t, e) ~ g", d, firth=True))


def test_repr_like_r(fukuda):
    text = repr(coxph("Surv(os_months, os_event) ~ nlr_group", fukuda))
    assert "exp(coef)" in text and "Likelihood ratio test=" in text and "n= 13, number of events= 9" in text
    assert "Chisq=" in repr(survdiff("Surv(os_months, os_event) ~ nlr_group", fukuda))
    assert "0.95LCL" in repr(survfit("Surv(os_months, os_event) ~ nlr_group", fukuda))


def test_near_equal_times_are_merged_as_r_timefix():
    # R's aeqSurv: 1 and 1 + 1e-12 are one time; the event and censoring tie there
    d = pl.DataFrame({"t": [1.0, 1.0 + 1e-12, 2.0, 3.0, 4.0, 5.0], "e": [1, 0, 1, 1, 0, 0],
                      "g": ["a", "b", "a", "b", "b", "a"]})
    t = survfit("Surv(t, e) ~ 1", d).tidy()
    assert t["time"].to_list() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert t["n_event"].to_list() == [1, 1, 1, 0, 0] and t["n_censor"].to_list() == [1, 0, 0, 1, 1]
    exact = d.with_columns(pl.Series("t", [1.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
    assert survdiff("Surv(t, e) ~ g", d).statistic == pytest.approx(
        survdiff("Surv(t, e) ~ g", exact).statistic, rel=1e-14)
    assert coxph("Surv(t, e) ~ g", d).coef[0] == pytest.approx(coxph("Surv(t, e) ~ g", exact).coef[0], rel=1e-12)
