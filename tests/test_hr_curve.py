"""nlrstats.hr_curve and hr_per_doubling against rms (cph + rcs, Predict(ref.zero = TRUE), contrast, anova)
and survival::coxph; golden values from tests/r/hr_curve.R."""

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import nlrstats
from nlrstats.stats.survival.hr_curve import default_grid

FIX = Path(__file__).parent / "fixtures"
GOLD = json.loads((FIX / "hr_curve_fixtures.json").read_text())
DATA = {"sim": pl.read_csv(FIX / "hr_curve_sim.csv"),
        "pbc": pl.read_csv(FIX / "cox_pbc.csv", null_values="NA", infer_schema_length=None)
        .with_columns((pl.col("status") == 2).cast(pl.Int64).alias("death"))}
REL = 1e-6


def close(a, b, rel=REL):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    np.testing.assert_allclose(a, b, rtol=rel, atol=1e-12)


@pytest.mark.parametrize("case", GOLD["cases"], ids=lambda c: c["name"])
def test_hr_curve_matches_rms(case):
    fit = nlrstats.coxph(case["formula"], DATA[case["data"]])
    close(fit.coef, case["coef"])
    x = case["x"] if case["given_x"] else None
    ref = case["ref"] if case["ref"] != case["adjust_to"] else None  # default: rms's "Adjust to" (the median)
    cur = nlrstats.hr_curve(fit, case["var"], ref=ref, x=x)
    assert cur.ref == pytest.approx(case["ref"], rel=1e-12)
    t = cur.tidy()
    close(t["x"], case["x"])  # given, or rms's default grid
    close(t["log_hr"], case["log_hr"])
    close(t["estimate"], np.exp(case["log_hr"]))
    close(t["conf_low"], np.exp(case["lower"]))
    close(t["conf_high"], np.exp(case["upper"]))
    g = cur.glance().row(0, named=True)
    close(g["chisq"], case["chisq"])
    assert g["df"] == case["df"]
    close(g["p_value"], case["p_value"])
    assert g["nonlinear_df"] == case["nonlinear_df"]
    if case["nonlinear_chisq"] is None:
        assert g["nonlinear_chisq"] is None and g["nonlinear_p"] is None
    else:
        close(g["nonlinear_chisq"], case["nonlinear_chisq"])
        close(g["nonlinear_p"], case["nonlinear_p"])
    assert (g["n"], g["nevent"]) == (case["n"], case["nevent"])


@pytest.mark.parametrize("case", GOLD["doublings"], ids=lambda c: c["name"])
def test_hr_per_doubling_matches_coxph(case):
    fit = nlrstats.coxph(case["formula"], DATA[case["data"]])
    d = nlrstats.hr_per_doubling(fit, case["term"].removeprefix("log2(").removesuffix(")"))
    for k in ("estimate", "conf_low", "conf_high", "p_value"):
        close(getattr(d, k), case[k])


def test_curve_is_one_at_the_reference_and_linear_term_is_a_power():
    fit = nlrstats.coxph("Surv(time, death) ~ bili + age", DATA["pbc"])
    cur = nlrstats.hr_curve(fit, "bili", ref=2.0, x=[2.0, 3.0, 5.0])
    t = cur.tidy()
    b = float(fit.coef[0])
    close(t["estimate"], [1.0, math.exp(b), math.exp(3 * b)])
    assert t["conf_low"][0] == pytest.approx(1.0) and t["conf_high"][0] == pytest.approx(1.0)


def test_default_grid_is_datadist_limits_below_200_values():
    v = np.arange(1.0, 101.0)
    g = default_grid(v)
    assert len(g) == 200
    close([g[0], g[-1]], np.quantile(v, [0.05, 0.95]))


def test_refuses_unknown_and_interaction_terms():
    fit = nlrstats.coxph("Surv(time, death) ~ rcs(bili, 4) + age", DATA["pbc"])
    with pytest.raises(ValueError, match="not a numeric or rcs"):
        nlrstats.hr_curve(fit, "albumin")
    fit2 = nlrstats.coxph("Surv(time, death) ~ bili * age", DATA["pbc"])
    with pytest.raises(ValueError, match="interaction"):
        nlrstats.hr_curve(fit2, "bili")
    with pytest.raises(ValueError, match="no log2"):
        nlrstats.hr_per_doubling(fit, "bili")


def test_hr_curve_plot_draws_band_cutoff_and_rug(tmp_path):
    from nlrstats.present.plots.hr_curve import hr_curve_plot
    fit = nlrstats.coxph("Surv(pfs_months, pfs_event) ~ rcs(nlr_d0, 4)", DATA["sim"])
    cur = nlrstats.hr_curve(fit, "nlr_d0")
    p = hr_curve_plot(cur, cutoff=8, xlab="NLR")
    cap = p.labels.caption
    assert f"{cur.chisq:.2f} on 3 df" in cap.replace("\n", " ") and "Non-linearity" in cap
    kinds = [type(layer.geom).__name__ for layer in p.layers]
    assert {"geom_ribbon", "geom_line", "geom_rug", "geom_vline"} <= set(kinds)
    p.save(tmp_path / "hr.png", width=5, height=3.5, dpi=72, verbose=False)
    assert (tmp_path / "hr.png").stat().st_size > 1000
    with pytest.raises(TypeError, match="hr_curve"):
        hr_curve_plot(fit)


def test_hr_curve_rug_of_a_large_cohort_is_its_quantiles(monkeypatch):
    # RUG_MAX lowered so the 400-patient fixture is "large": the rug becomes that many evenly spaced quantiles
    import numpy as np

    from nlrstats.present.plots import hr_curve as module
    monkeypatch.setattr(module, "RUG_MAX", 50)
    fit = nlrstats.coxph("Surv(pfs_months, pfs_event) ~ rcs(nlr_d0, 4)", DATA["sim"])
    cur = nlrstats.hr_curve(fit, "nlr_d0")
    p = module.hr_curve_plot(cur, cutoff=8, xlab="NLR")
    rug = next(layer for layer in p.layers if type(layer.geom).__name__ == "geom_rug").geom.data["v"].to_numpy()
    inside = np.asarray(cur.values)[(np.asarray(cur.values) >= cur.tidy()["x"].min())
                                    & (np.asarray(cur.values) <= cur.tidy()["x"].max())]
    assert len(rug) == 50 and np.allclose(rug, np.quantile(inside, np.linspace(0, 1, 50)))
    assert "50 evenly spaced quantiles of the patients' values" in p.labels.caption.replace("\n", " ")
