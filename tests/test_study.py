"""The study plan in one call: keys of the JSON, the published numbers, edge cohorts."""

import json
import subprocess
import sys
from dataclasses import replace

import polars as pl
import pytest

from nlrstats.data.cohort import cohort_from_frame
from nlrstats.study.published import PUBLISHED, compare_published
from nlrstats.data.simulate import simulate_cohort
from nlrstats.study.analyze import analyze
from nlrstats.study.plan import StudyPlan


@pytest.fixture(scope="module")
def results(bundled):
    return analyze(bundled, bootstrap=0)


def test_published_numbers_all_reproduced(results):
    cmp = results.compare_published()
    assert cmp.height == len(PUBLISHED)
    assert cmp["agrees"].all(), cmp.filter(~pl.col("agrees"))


def test_json_keys_scripts_rely_on(results):
    d = json.loads(results.to_json())
    assert d["n"] == 13 and d["cutoff"] == 8.0 and d["marker"] == "nlr" and d["synthetic"] is True
    assert d["plan"]["labels"] == {"low": "NLR < 8", "high": "NLR ≥ 8"} and d["plan"]["window"] == [6.0, 10.0]
    assert d["groups"] == [{"key": "low", "label": "NLR < 8", "n": 9}, {"key": "high", "label": "NLR ≥ 8", "n": 4}]
    assert {k: d["response"]["dcr"]["low"][k] for k in ("x", "n")} == {"x": 8, "n": 9}
    assert {k: d["response"]["dcr"]["high"][k] for k in ("x", "n")} == {"x": 1, "n": 4}
    assert d["response"]["dcr"]["p_value"] == pytest.approx(0.05174825, abs=1e-8)  # fisher.test in R
    assert set(d["response"]["dcr"]["low"]) == {"x", "n", "estimate", "conf_low", "conf_high"}
    assert d["nlr_change"]["orr"]["decreased"]["x"] == 3 and d["nlr_change"]["orr"]["decreased"]["n"] == 7
    assert d["nlr_change"]["orr"]["not_decreased"]["x"] == 0 and d["nlr_change"]["orr"]["not_decreased"]["n"] == 6
    assert d["nlr_change"]["orr"]["p_value"] == pytest.approx(0.1923077, abs=1e-7)
    for ep, (lo, hi) in {"pfs": (4.0, 1.6), "os": (10.2, 3.8)}.items():
        assert d[ep]["median"]["low"]["estimate"] == lo and d[ep]["median"]["high"]["estimate"] == hi
        assert d[ep]["median"]["low"]["conf_high"] is None  # not reached, as R prints NA
        assert set(d[ep]["logrank"]) == {"statistic", "df", "p_value"} and d[ep]["logrank"]["p_value"] < 0.05
        assert {"estimate", "conf_low", "conf_high", "p_value"} <= set(d[ep]["cox"])
    # R survdiff on the reconstruction: chisq 9.574 (PFS) and 7.16 (OS)
    assert d["pfs"]["logrank"]["statistic"] == pytest.approx(9.574196, rel=1e-6)


def test_disagreement_is_flagged(results):
    med, dcr = results.pfs.median, results.response.dcr
    changed = replace(results, pfs=replace(results.pfs, median=replace(med, low=replace(med.low, estimate=4.06))),
                      response=replace(results.response, dcr=replace(dcr, p_value=0.062)))
    cmp = compare_published(changed)
    flagged = cmp.filter(~pl.col("agrees"))["quantity"].to_list()
    assert flagged == ["Disease control, p (Fisher)", "Median PFS, NLR < 8 (months)"]


def test_other_cutoff_regroups(bundled):
    r = analyze(bundled, cutoff=5, bootstrap=0)
    assert [g.label for g in r.groups] == ["NLR < 5", "NLR ≥ 5"]
    assert sum(g.n for g in r.groups) == 13
    assert r.groups.high.n == int((bundled.data["nlr_d0"] >= 5).sum())
    assert r.cutpoint.window == (3.75, 6.25)  # the plan's window follows its cut-off


def test_monotone_likelihood_switches_to_firth():
    frame = simulate_cohort(40, seed=3)
    # no deaths in the high group: the Cox MLE of the HR is 0 (monotone likelihood)
    frame = frame.with_columns(
        pl.when(pl.col("neutrophils_d0") / pl.col("lymphocytes_d0") >= 8).then(0).otherwise(pl.col("os_event"))
        .alias("os_event"))
    c = cohort_from_frame(frame)
    assert (c.data["nlr_d0"] >= 8).sum() > 0
    r = analyze(c, bootstrap=0)
    d = r.to_dict()
    assert r.os.cox_fit.monotone and r.os.firth_fit is not None and r.os.preferred_fit is r.os.firth_fit
    assert d["os"]["cox"]["method"] == "Firth penalised Cox" and d["os"]["cox"]["monotone_likelihood"]
    assert 0 < d["os"]["cox"]["estimate"] < 1
    assert any("monotone" in n for n in d["notes"])


def test_single_group_cohort_reports_instead_of_failing():
    frame = simulate_cohort(30, seed=4, nlr_median=2.0, nlr_log_sd=0.1)
    c = cohort_from_frame(frame)
    assert (c.data["nlr_d0"] >= 8).sum() == 0
    d = analyze(c, bootstrap=0).to_dict()
    assert d["pfs"]["logrank"] is None and d["pfs"]["cox"] is None
    assert any("only one NLR group" in n for n in d["notes"])


def test_cli_analyze_json(bundled_path):
    res = subprocess.run([sys.executable, "-m", "nlrstats.cli", "analyze", str(bundled_path), "--json", "-",
                          "--bootstrap", "0"], capture_output=True, text=True, check=True)
    d = json.loads(res.stdout)
    assert d["response"]["dcr"]["low"]["x"] == 8 and round(d["response"]["dcr"]["p_value"], 4) == 0.0517
    assert round(d["nlr_change"]["orr"]["p_value"], 3) == 0.192


def test_narrative_phrases(results):
    from nlrstats.present.narrative import hr_text, median_text, p_text, rate_text
    from nlrstats.study.summaries import HazardRatio, Median
    # Clopper-Pearson for 8/9, R: binom.test(8, 9)$conf.int = 0.5175035 0.9971909
    assert rate_text(results.response.dcr.low) == "8/9 (88.9%; 95% CI 51.8–99.7%)"
    assert p_text(results.response.dcr.p_value) == "p = 0.052"
    assert p_text(0.0000123) == "p < 0.001" and p_text(None) == "p not available"
    assert median_text(results.pfs.median.low) == "4.0 months (95% CI 3.1–NR)"
    assert median_text(Median(None, 7.2, None, 5, 1)).startswith("not reached")
    assert hr_text(None) == "HR not estimable"
    firth = HazardRatio("g", 2.0, 1.0, 4.0, 0.05, "Firth penalised Cox", True)
    assert hr_text(firth) == "HR 2.00 (Firth penalised Cox), 95% CI 1.00–4.00, p = 0.050"
    # R: coxph(Surv(pfs_months, pfs_event) ~ nlr_group): exp(coef) 10.44 (1.827-59.66), p = 0.00836
    assert hr_text(results.pfs.cox) == "HR 10.44, 95% CI 1.83–59.66, p = 0.008"


def test_side_by_side_and_hazard_ratio_frame(results, bundled):
    from nlrstats.present.tables.comparison import side_by_side_frame
    from nlrstats.study.analyze import hazard_ratio_frame
    five = analyze(bundled, bootstrap=0, cutoff=5)
    frame = side_by_side_frame({"A": results, "B": five})
    assert frame.columns == ["quantity", "published", "A (NLR < 8 vs NLR ≥ 8)", "B (NLR < 5 vs NLR ≥ 5)"]
    row = frame.filter(pl.col("quantity") == "Disease control, p (Fisher)").row(0)
    assert row[2] == "0.052" and row[1] == "0.05"
    assert "NLR < 8" not in " ".join(frame["quantity"])  # rows name groups generically
    hr = hazard_ratio_frame({"A": results})
    assert hr["label"].to_list() == ["PFS", "OS"]
    assert hr["estimate"][0] == pytest.approx(results.pfs.cox_fit.tidy(exponentiate=True)["estimate"][0])


def test_cutpoint_section_matches_r(results, root):
    """maxstat and pROC on the bundled cohort, from tests/r/study_fixtures.R."""
    r = json.loads((root / "tests" / "fixtures" / "study_cutpoint.json").read_text())
    cp = results.to_dict()["cutpoint"]
    for ep in ("pfs", "os"):
        assert cp[ep]["cut"] == pytest.approx(r[ep]["cut"], rel=1e-9)
        assert cp[ep]["statistic"] == pytest.approx(r[ep]["statistic"], rel=1e-9)
        # R's exactGauss integrates by randomised quasi-Monte Carlo (mvtnorm; it warns that its error
        # exceeds abseps), so R itself is only good to ~1e-4 here
        assert cp[ep]["p_value"] == pytest.approx(r[ep]["p_value"], abs=5e-4)
        assert cp[ep]["pmethod"] == "exactGauss"
        # the search-adjusted p is never smaller than the naive p at the chosen cut
        assert cp[ep]["p_value"] >= cp[ep]["p_value_unadjusted"]
    for key in ("auc", "conf_low", "conf_high", "youden"):
        assert cp["roc_dcr"][key] == pytest.approx(r["roc_dcr"][key], rel=1e-9)
    assert cp["roc_dcr"]["direction"] == r["roc_dcr"]["direction"]
    assert cp["roc_dcr"]["sensitivity_at_published"] == pytest.approx(8 / 9)  # 8 of 9 controlled have NLR < 8
    assert cp["roc_dcr"]["specificity_at_published"] == pytest.approx(3 / 4)  # 3 of 4 uncontrolled have NLR >= 8


def test_bootstrap_section_reproducible(bundled):
    a = analyze(bundled, bootstrap=60, seed=5).to_dict()["cutpoint"]["bootstrap"]
    b = analyze(bundled, StudyPlan.fukuda2020().replace(bootstrap=60, seed=5)).to_dict()["cutpoint"]["bootstrap"]
    assert a == b and a["B"] == 60 and a["window"] == [6.0, 10.0]
    assert 0 <= a["share_in_window"] <= 1 and a["n_infinite"] <= a["n_valid"] <= 60
    assert a["cut_q25"] <= a["cut_median"] <= a["cut_q75"]
    assert a["cut"] == pytest.approx(analyze(bundled, bootstrap=0).to_dict()["cutpoint"]["pfs"]["cut"])
    assert analyze(bundled, bootstrap=60, seed=6).to_dict()["cutpoint"]["bootstrap"] != a
