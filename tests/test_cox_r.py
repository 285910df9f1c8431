"""Cox models, R's formula language and the coxph methods against R (tests/r/cox_fixtures.R).

Data: R's survival data sets (lung, pbc, colon, ovarian, gbsg, rotterdam, mgus2, veteran) as
exported by the script. Each fixture is one ``coxph`` call with R's formula (status coding
``status == 2`` and 1/2, ``factor()``, ``log()``, ``I()``, ``rcs()``, ``a*b``, ``(a+b)^2``,
``strata()``, ``cluster()``), ``weights``, ``subset``, ``robust``; what R computes from it is
compared: coefficients and names, variance (naive and robust), tests, iterations, means,
linear predictors, concordance, AIC, confint, residuals of every type, predict (every type,
with and without newdata, with se), basehaz, survfit curves, cox.zph, anova.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.survival import anova, basehaz, cox_zph
from nlrstats.stats.survival.splines import rcs_basis, rcs_knots
from tests.cox_r_cases import case, cases, dataset, fit_case, fixtures, r_mat, r_vec, rel_diff

REL = 1e-8  # every comparison below: largest relative difference from R
CASES = cases()
IDS = [c["id"] for c in CASES]


def _names(c):
    return c["names"] if isinstance(c["names"], list) else [c["names"]]


@pytest.fixture(scope="module")
def fits():
    return {c["id"]: fit_case(c) for c in CASES}


@pytest.mark.parametrize("cid", IDS)
def test_fit_matches_r(cid, fits):
    c = case(cid)
    fit, _ = fits[cid]
    assert list(fit.terms) == _names(c)
    assert fit.n == c["n"] and fit.nevent == c["nevent"]
    assert fit.iterations == c["iter"]
    coef = np.where(np.isinf(fit.coef), fit.fitdata.beta, fit.coef)  # R reports the last finite step
    assert rel_diff(coef, r_vec(c["coef"])) < REL
    assert rel_diff(fit.var, r_mat(c["var"])) < REL
    assert rel_diff([fit.loglik_null, fit.loglik], r_vec(c["loglik"])) < REL
    assert rel_diff(fit.score_test, r_vec(c["score"])) < REL
    if fit.wald_test is not None:
        assert rel_diff(fit.wald_test, r_vec(c["wald"])) < REL
    assert rel_diff(fit.fitdata.means, r_vec(c["means"])) < REL
    assert rel_diff(fit.fitdata.lp, r_vec(c["lp"])) < 1e-7
    if c.get("naive_var"):
        assert fit.robust
        assert rel_diff(fit.naive_var, r_mat(c["naive_var"])) < REL
        assert rel_diff(fit.robust_se, r_vec(c["robust_se"])) < REL
        assert rel_diff(fit.robust_score, r_vec(c["rscore"])) < REL
    else:
        assert not fit.robust
    if fit.nevent == 0:
        assert np.isnan(fit.coef).all() and fit.df == 0
        g = fit.glance().row(0, named=True)
        assert g["statistic_log"] == 0 and g["p_value_log"] == 1
        return
    if not fit.monotone:
        t = fit.tidy(exponentiate=False)
        assert rel_diff(t["std_error"].fill_null(np.nan), r_vec(c["se"])) < REL
        assert rel_diff(t["statistic"].fill_null(np.nan), r_vec(c["z"])) < REL
        assert rel_diff(t["p_value"].fill_null(np.nan), r_vec(c["p"])) < 1e-7
        ci = fit.confint()
        assert rel_diff(np.column_stack([ci["conf_low"].fill_null(np.nan), ci["conf_high"].fill_null(np.nan)]),
                        r_mat(c["confint"])) < REL
    assert fit.aic() == pytest.approx(r_vec(c["aic"])[0], rel=REL)
    conc, se = r_vec(c["concordance"])
    g = fit.glance().row(0, named=True)
    assert g["concordance"] == pytest.approx(conc, rel=REL)  # with weights and clusters, as R
    assert g["std_error_concordance"] == pytest.approx(se, rel=1e-7)


@pytest.mark.parametrize("cid", IDS)
def test_warnings_have_rs_meaning(cid, fits):
    c = case(cid)
    _, ours = fits[cid]
    for key in ("Loglik converged before variable", "Ran out of iterations and did not converge",
                "one or more coefficients may be infinite"):
        assert any(key in w for w in c["warnings"]) == any(key in w for w in ours), (key, ours)


def test_monotone_fit_is_flagged_infinite(fits):
    fit, _ = fits["mono"]
    assert fit.monotone and fit.infinite == (True, False)
    assert fit.coef[0] == -np.inf  # group b has no events: HR 0
    row = fit.tidy().row(0, named=True)
    assert row["estimate"] == 0 and row["conf_low"] == 0 and row["p_value"] is None


RESID = [c["id"] for c in CASES if c.get("resid")]


@pytest.mark.parametrize("cid", RESID)
def test_residuals_match_r(cid, fits):
    c = case(cid)
    fit, _ = fits[cid]
    r = c["resid"]
    for kind in ("martingale", "deviance"):
        assert rel_diff(fit.residuals(kind), r_vec(r[kind])) < 1e-7, kind
    for kind in ("score", "dfbeta", "dfbetas"):
        assert rel_diff(fit.residuals(kind).to_numpy(), r_mat(r[kind])) < 1e-7, kind
    for kind in ("schoenfeld", "scaledsch"):
        res = fit.residuals(kind)
        assert rel_diff(res["time"], r_vec(r["schoenfeld_time"])) == 0
        assert rel_diff(res.select(list(fit.terms)).to_numpy(), r_mat(r[kind])) < 1e-7, kind


@pytest.mark.parametrize("cid", RESID)
def test_predict_and_basehaz_match_r(cid, fits):
    c = case(cid)
    fit, _ = fits[cid]
    p = c["predict"]
    for kind in ("lp", "risk", "expected", "survival"):
        assert rel_diff(fit.predict(type=kind), r_vec(p[kind])) < 1e-7, kind
    assert rel_diff(fit.predict(type="terms").to_numpy(), r_mat(p["terms"])) < 1e-7
    for kind in ("lp", "risk", "expected"):
        assert rel_diff(fit.predict(type=kind, se_fit=True)["se_fit"], r_vec(p[kind + "_se"])) < 1e-7, kind
    se_terms = fit.predict(type="terms", se_fit=True).select(pl.selectors.starts_with("se_")).to_numpy()
    assert rel_diff(se_terms, r_mat(p["terms_se"])) < 1e-7
    assert rel_diff(fit.predict(type="lp", reference="sample"), r_vec(p["lp_sample"])) < 1e-7
    assert rel_diff(fit.predict(type="lp", reference="zero"), r_vec(p["lp_zero"])) < 1e-7
    b = c["basehaz"]
    interactions = any(":" in t for t in fit.term_labels)
    for centered, key in ((True, "hazard"), (False, "hazard0")):
        with pytest.warns(UserWarning, match="interactions") if interactions else _nothing():
            bh = basehaz(fit, centered=centered)  # (R warns too: its default curve is at the means)
        assert rel_diff(bh["time"], r_vec(b["time"])) == 0
        assert rel_diff(bh["hazard"], r_vec(b[key])) < 1e-7, key
        if b.get("strata"):
            assert bh["strata"].to_list() == b["strata"]


NEWDATA = [c["id"] for c in CASES if c.get("newdata")]


@pytest.mark.parametrize("cid", NEWDATA)
def test_predict_on_newdata_matches_r(cid, fits):
    c = case(cid)
    fit, _ = fits[cid]
    nd = dataset(c["dataset"])[c["newdata_rows"]]
    r = c["newdata"]
    assert rel_diff(fit.predict(nd, type="lp"), r_vec(r["lp"])) < 1e-7
    assert rel_diff(fit.predict(nd, type="risk"), r_vec(r["risk"])) < 1e-7
    assert rel_diff(fit.predict(nd, type="lp", se_fit=True)["se_fit"], r_vec(r["lp_se"])) < 1e-7
    assert rel_diff(fit.predict(nd, type="expected"), r_vec(r["expected"])) < 1e-7
    assert rel_diff(fit.predict(nd, type="expected", se_fit=True)["se_fit"], r_vec(r["expected_se"])) < 1e-7
    assert rel_diff(fit.predict(nd, type="terms").to_numpy(), r_mat(r["terms"])) < 1e-7


CURVES = [c["id"] for c in CASES if c.get("survfit")]


@pytest.mark.parametrize("cid", CURVES)
def test_survfit_curves_match_r(cid, fits):
    c = case(cid)
    fit, _ = fits[cid]
    for which, r in c["survfit"].items():
        nd = None if which == "default" else dataset(c["dataset"])[c["newdata_rows"]]
        interactions = which == "default" and any(":" in t for t in fit.term_labels)
        used = sorted({col for v in fit.fitdata.surv.formula.variables for col in v.columns})
        missing = nd is not None and bool(nd.select(pl.any_horizontal(pl.col(used).is_null())).to_series().any())
        with pytest.warns(UserWarning, match="interactions|missing value") if interactions or missing else \
                _nothing():
            sf = fit.survfit(nd)
        blocks = sf.tidy().partition_by("curve", "strata", maintain_order=True)
        # R: times of all strata stacked, one column per curve; a curve per stratum and column
        strata = np.array(r["strata"] if isinstance(r["strata"], list) else [r["strata"]])
        labels = list(dict.fromkeys(strata.tolist()))
        theirs = [(np.flatnonzero(strata == lab), j) for lab in labels for j in range(r["ncurve"])]
        assert len(blocks) == len(theirs)
        for cur, (rows, j) in zip(blocks, theirs):
            assert rel_diff(cur["time"], r_vec(r["time"])[rows]) == 0
            for col in ("n_risk", "n_event", "n_censor"):
                assert rel_diff(cur[col], r_vec(r[col])[rows]) < 1e-12, col
            for ours, key in (("estimate", "surv"), ("std_error", "std_err"), ("cumhaz", "cumhaz"),
                              ("conf_low", "lower"), ("conf_high", "upper")):
                assert rel_diff(cur[ours].fill_null(np.nan), r_mat(r[key])[rows, j]) < 1e-7, ours
        med = sf.median().select("median", "conf_low", "conf_high").fill_null(np.nan).to_numpy()
        assert rel_diff(med, r_mat(r["median"])) < 1e-12


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


ZPH = [(c["id"], tr) for c in CASES for tr in (c.get("zph") or {})]


@pytest.mark.parametrize("cid,transform", ZPH)
def test_cox_zph_matches_r(cid, transform, fits):
    c = case(cid)
    fit, _ = fits[cid]
    r = c["zph"][transform]
    z = cox_zph(fit, transform=transform).tidy()
    assert z["term"].to_list() == (r["term"] if isinstance(r["term"], list) else [r["term"]])
    assert rel_diff(z["statistic"], r_vec(r["chisq"])) < 1e-7
    assert rel_diff(z["df"].cast(pl.Float64), r_vec(r["df"])) == 0
    assert rel_diff(z["p_value"], r_vec(r["p"])) < 1e-7


@pytest.mark.parametrize("k", range(len(fixtures()["anova"])))
def test_anova_matches_r(k, fits):
    a = fixtures()["anova"][k]
    models = a["models"] if isinstance(a["models"], list) else [a["models"]]
    tab = anova(*[fits[m][0] for m in models]).tidy()
    assert rel_diff(tab["loglik"], r_vec(a["loglik"])) < REL
    # (R's chi-square of two fits differing only in scale is 7e-12 of rounding, ours 0)
    np.testing.assert_allclose(tab["statistic"].fill_null(np.nan), r_vec(a["chisq"]), rtol=1e-7, atol=1e-9)
    assert rel_diff(tab["df"].cast(pl.Float64).fill_null(np.nan), r_vec(a["df"])) == 0
    df = r_vec(a["df"])
    pv = np.where(df == 0, np.nan, tab["p_value"].fill_null(np.nan))  # on 0 df R's p is 0 or 1 by rounding
    np.testing.assert_allclose(pv, np.where(df == 0, np.nan, r_vec(a["p"])), rtol=1e-7, atol=1e-9)
    if len(models) == 1:
        assert tab["term"].to_list() == a["rows"]


@pytest.mark.parametrize("k", range(len(fixtures()["knots"])))
def test_rcs_knots_and_basis_match_rms(k):
    kn = fixtures()["knots"][k]
    x = r_vec(kn["x"])
    with pytest.warns(UserWarning) if len(np.unique(x)) - 2 <= kn["k"] else _nothing():
        knots = rcs_knots(x, kn["k"])
    assert rel_diff(knots, r_vec(kn["knots"])) < 1e-14
    if "basis" in kn:
        assert rel_diff(rcs_basis(x, knots), r_mat(kn["basis"])) < 1e-12
