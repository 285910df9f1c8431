"""maxstat against R maxstat 0.7-25 fixtures (tests/r/cutpoint_fixtures.R) and hand-derivable cases."""

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from nlrstats.stats.cutpoint import logrank_scores, maxstat
from nlrstats.stats.cutpoint import _pvalues as pv
from nlrstats.stats.formula import FormulaError

FIX = Path(__file__).parent / "fixtures"
MS = json.loads((FIX / "cutpoint_maxstat.json").read_text())
DATA = {k: pl.read_csv(FIX / f"cutpoint_data_{k}.csv") for k in ("ties", "cont", "nlr13")}
DATA["fukuda"] = pl.read_csv(Path(__file__).parents[1] / "data" / "fukuda2020_reconstructed.csv").with_columns(
    nlr=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"))
CASES = {c["name"]: c for c in MS["maxstat"]}


def _data(name):
    return DATA[name.split("_")[0]]


def _formula(name):
    if name.startswith("fukuda"):
        ep = name.split("_")[1]
        return f"Surv({ep}_months, {ep}_event) ~ nlr"
    return "Surv(pfs, pfs_event) ~ nlr" if name.startswith("nlr13") else "Surv(time, event) ~ marker"


@pytest.mark.parametrize("name", list(CASES))
def test_scan_matches_r(name):
    c = CASES[name]
    r = maxstat(_formula(name), _data(name), c["minprop"], c["maxprop"], pmethod="none")
    np.testing.assert_allclose(r.cuts, c["cuts"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.stats, c["stats"], rtol=1e-10, atol=1e-12)
    assert r.estimate == pytest.approx(c["estimate"], abs=1e-12)
    assert r.statistic == pytest.approx(c["statistic"], abs=1e-9)
    assert r.p_value is None
    tidy = r.tidy()
    assert tidy.columns == ["cut", "n_low", "statistic"] and tidy.height == len(c["cuts"])


@pytest.mark.parametrize("name", list(CASES))
def test_logrank_scores_match_exactranktests(name):
    c = CASES[name]
    d = _data(name)
    tcol, ecol = ("pfs", "pfs_event") if name.startswith("nlr13") else ("time", "event")
    if name.startswith("fukuda"):
        tcol, ecol = (f"{name.split('_')[1]}_{s}" for s in ("months", "event"))
    s = logrank_scores(d[tcol].to_numpy().astype(float), d[ecol].to_numpy().astype(float))
    np.testing.assert_allclose(s, c["scores"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("pmethod", ["Lau92", "Lau94"])
def test_lausen_p_and_quantile_match_r(name, pmethod):
    c = CASES[name]
    r = maxstat(_formula(name), _data(name), c["minprop"], c["maxprop"], pmethod=pmethod, alpha=0.05)
    want = c[pmethod]["p_value"]
    if want == "Inf":  # R's Lau92 bound diverges for minprop = 0
        assert math.isinf(r.p_value)
    else:
        assert r.p_value == pytest.approx(want, abs=1e-9)
    if c["minprop"] > 0 or pmethod == "Lau94":
        # R solves the quantile with optimize() (tolerance ~1e-4); ours is the exact root
        assert r.quantile == pytest.approx(c[pmethod]["quant"], abs=1e-4)
        p_at_q = (pv.p_lausen92(r.quantile, c["minprop"], c["maxprop"]) if pmethod == "Lau92"
                  else pv.p_lausen94(r.quantile, r.n, r.m))
        assert p_at_q == pytest.approx(0.05, abs=1e-9)


@pytest.mark.parametrize("name", [k for k, c in CASES.items() if "exactGauss" in c])
def test_exact_gauss_matches_r(name):
    c = CASES[name]
    r = maxstat(_formula(name), _data(name), c["minprop"], c["maxprop"], pmethod="exactGauss")
    # Miwa (<= 8 cuts) is exact in R; GenzBretz reports its Monte Carlo error
    tol = max(3 * c["exactGauss"]["error"], 1e-8)
    assert r.p_value == pytest.approx(c["exactGauss"]["p_value"], abs=tol)


def test_exact_gauss_single_cut_and_quadrature_convergence():
    assert pv.p_exact_gauss(2.0, 20, np.array([10])) == pytest.approx(2 * sps.norm.sf(2.0), abs=1e-15)
    m = np.array([7, 12, 16, 24, 32, 38, 41, 49, 50, 54])
    a = pv.p_exact_gauss(2.5, 60, m, nodes=150)
    b = pv.p_exact_gauss(2.5, 60, m, nodes=600)
    assert a == pytest.approx(b, abs=1e-10)
    # two cuts: 1 - P(|Z1|<=b, |Z2|<=b) with the bivariate normal of correlation rho
    rho = math.sqrt(10 * (30 - 20) / ((30 - 10) * 20))
    mvn = sps.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    bb = 1.7
    inside = mvn.cdf([bb, bb]) - mvn.cdf([-bb, bb]) - mvn.cdf([bb, -bb]) + mvn.cdf([-bb, -bb])
    assert pv.p_exact_gauss(bb, 30, np.array([10, 20])) == pytest.approx(1 - inside, abs=1e-6)


def test_exact_gauss_refuses_when_infeasible():
    with pytest.raises(ValueError, match="Lau94"):
        pv.p_exact_gauss(3.0, 100000, np.arange(10000, 90001))


def test_unadjusted_p_is_survdiff_at_the_cut():
    for name, c in CASES.items():
        r = maxstat(_formula(name), _data(name), c["minprop"], c["maxprop"])
        assert r.p_value_unadjusted == pytest.approx(c["survdiff_p"], rel=1e-9)
        assert r.p_value > r.p_value_unadjusted  # the search is paid for


def test_permutation_seeded_and_close_to_exact():
    d = DATA["ties"]
    a = maxstat("Surv(time, event) ~ marker", d, pmethod="permutation", n_perm=4000, seed=11)
    b = maxstat("Surv(time, event) ~ marker", d, pmethod="permutation", n_perm=4000, seed=11)
    assert a.p_value == b.p_value and a.seed == 11 and a.n_perm == 4000
    exact = CASES["ties"]["exactGauss"]["p_value"]
    se = math.sqrt(exact * (1 - exact) / 4000)
    assert abs(a.p_value - exact) < 4 * se + 0.02  # permutation law vs its Gaussian limit, n = 60
    assert a.quantile is None


def test_permutation_distribution_by_enumeration_small_case():
    # 6 patients, all distinct: the permutation p equals the exact share over all 720 orders
    from itertools import permutations
    d = pl.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
                      "marker": [5.0, 1, 4, 2, 6, 3]})
    r = maxstat("Surv(time, event) ~ marker", d, minprop=0.1, maxprop=0.9, pmethod="permutation",
                n_perm=20000, seed=3)
    s = logrank_scores(d["time"].to_numpy(), d["event"].to_numpy().astype(float))
    ys = s[np.argsort(d["marker"].to_numpy())]
    n, m = 6, r.m
    e = m / n * ys.sum()
    sd = np.sqrt(m * (n - m) / (n * n * (n - 1.0)) * (n * ys @ ys - ys.sum() ** 2))
    obs = np.max(np.abs(np.cumsum(ys)[m - 1] - e) / sd)
    hits = [np.max(np.abs(np.cumsum(ys[list(p)])[m - 1] - e) / sd) >= obs * (1 - 1e-10)
            for p in permutations(range(6))]
    exact = np.mean(hits)
    assert r.statistic == pytest.approx(obs, abs=1e-12)
    assert r.p_value == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 20000) + 1e-9)


def test_ties_in_marker_stay_together_hand_case():
    # marker ties: 1,1,2,2,2,3 -> admissible cuts only between distinct values
    d = pl.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 1, 1, 1, 1, 1],
                      "marker": [1.0, 1, 2, 2, 2, 3]})
    r = maxstat("Surv(time, event) ~ marker", d, minprop=0.1, maxprop=0.9, pmethod="none")
    assert r.cuts.tolist() == [1.0, 2.0] and r.m.tolist() == [2, 5]


def test_nlr13_example_reports_adjusted_beside_unadjusted():
    r = maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], pmethod="Lau94")
    g = r.glance()
    assert g["cut"][0] == pytest.approx(5.9) and g["pmethod"][0] == "Lau94"
    assert g["p_value"][0] == pytest.approx(CASES["nlr13"]["Lau94"]["p_value"], abs=1e-9)
    assert g["p_value_unadjusted"][0] == pytest.approx(CASES["nlr13"]["survdiff_p"], rel=1e-9)
    assert "Maximally selected LogRank statistics using Lau94" in repr(r)


def test_missing_rows_counted_and_bad_input_named():
    d = DATA["nlr13"].with_columns(pl.when(pl.int_range(pl.len()) == 2).then(None)
                                   .otherwise(pl.col("nlr")).alias("nlr"))
    r = maxstat("Surv(pfs, pfs_event) ~ nlr", d, pmethod="none")
    assert r.n == 12 and r.n_missing == 1
    with pytest.raises(FormulaError, match="nlr_d0"):
        maxstat("Surv(pfs, pfs_event) ~ nlr_d0", DATA["nlr13"])
    with pytest.raises(FormulaError, match="pfs_event"):
        maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"].with_columns(pfs_event=pl.col("pfs_event") * 2))
    with pytest.raises(ValueError, match="pmethod"):
        maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], pmethod="Hothorn")
    with pytest.raises(ValueError, match="minprop"):
        maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], minprop=0.6, maxprop=0.4)
    tiny = pl.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 1, 1, 1], "x": [1.0, 1, 2, 2]})
    with pytest.raises(ValueError, match="minprop too large"):
        maxstat("Surv(t, e) ~ x", tiny, minprop=0.9, maxprop=0.95)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_group_logrank_equals_nlrstats_survdiff(seed):
    from nlrstats.stats.cutpoint.maxstat import logrank_two_groups
    from nlrstats.stats.survival import survdiff
    rng = np.random.default_rng(seed)
    n = 80
    t = np.round(rng.exponential(5, n), 0) + 1   # heavy ties
    e = (rng.random(n) < 0.7).astype(float)
    g = rng.random(n) < 0.4
    chisq, p = logrank_two_groups(t, e, g)
    sd = survdiff("Surv(t, e) ~ g", pl.DataFrame({"t": t, "e": e, "g": g}))
    assert chisq == pytest.approx(sd.statistic, rel=1e-10)
    assert p == pytest.approx(sd.p_value, rel=1e-10)


def test_reconstructed_cohort_through_load_cohort():
    from nlrstats.data.cohort import load_cohort
    d = load_cohort(Path(__file__).parents[1] / "data" / "fukuda2020_reconstructed.csv").data
    for ep in ("pfs", "os"):
        c = CASES[f"fukuda_{ep}"]
        r = maxstat(f"Surv({ep}_months, {ep}_event) ~ nlr_d0", d, pmethod="Lau94")
        assert r.estimate == pytest.approx(c["estimate"], rel=1e-12)
        assert r.p_value == pytest.approx(c["Lau94"]["p_value"], abs=1e-9)
        assert r.p_value_unadjusted == pytest.approx(c["survdiff_p"], rel=1e-9)
