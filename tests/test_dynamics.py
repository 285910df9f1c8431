"""nlrstats.study.dynamics: NLR change vs response, against R (htest_dynamics.json) and by hand."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from nlrstats.study.dynamics import nlr_dynamics

ROOT = Path(__file__).parent.parent
FIX = json.loads((Path(__file__).parent / "fixtures" / "htest_dynamics.json").read_text())


def rv(v):
    v = v[0] if isinstance(v, list) else v
    return float("inf") if v == "Inf" else v


@pytest.fixture(scope="module")
def bundled():
    # the raw file with NLR computed here, independent of the cohort loader
    df = pl.read_csv(ROOT / "data" / "fukuda2020_reconstructed.csv")
    return df.with_columns(nlr_d0=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"),
                           nlr_d14=pl.col("neutrophils_d14") / pl.col("lymphocytes_d14"))


def test_rates_and_fisher_match_r(bundled):
    r = nlr_dynamics(bundled)
    for ep in ("orr", "dcr"):
        t = r.tests().filter(pl.col("endpoint") == ep).row(0, named=True)
        assert t["p_value"] == pytest.approx(FIX[ep]["p_value"], rel=1e-8)
        assert t["estimate"] == rv(FIX[ep]["estimate"])
        assert t["conf_low"] == pytest.approx(FIX[ep]["conf_low"], rel=1e-8)
        for g, ref in FIX[ep]["rates"].items():
            row = r.rates().filter((pl.col("endpoint") == ep) & (pl.col("group") == g)).row(0, named=True)
            assert (row["x"], row["n"]) == (ref["x"], ref["n"])
            for k in ("estimate", "conf_low", "conf_high"):
                assert row[k] == pytest.approx(ref[k], rel=1e-8, abs=1e-15)


def test_paired_signed_rank_matches_r(bundled):
    r = nlr_dynamics(bundled)
    for subset, ref in FIX["paired"].items():
        row = r.paired().filter(pl.col("subset") == subset).row(0, named=True)
        assert row["n"] == ref["n"]
        assert row["statistic"] == ref["statistic"]
        assert row["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)
        assert row["method"] == ref["method"]


def test_seed_paper_orr_by_nlr_decrease(bundled):
    r = nlr_dynamics(bundled)
    orr = r.rates().filter(pl.col("endpoint") == "orr")
    assert orr.filter(pl.col("group") == "decreased")[["x", "n"]].row(0) == (3, 7)
    assert orr.filter(pl.col("group") == "not_decreased")[["x", "n"]].row(0) == (0, 6)
    # Fisher [[3,4],[0,6]]: P(x=3) + P(x=0) with weights C(7,x)C(6,3-x)/C(13,3) -> (35 + 20)/286 = 5/26
    assert r.glance()["p_orr"][0] == pytest.approx(5 / 26, rel=1e-12)


def test_changes_per_patient_and_flag():
    df = pl.DataFrame({"patient_id": ["a", "b", "c"], "nlr_d0": [5.0, 4.0, 3.0], "nlr_d14": [4.0, 4.0, 6.0],
                       "best_response": ["PR", "SD", "PD"]})
    p = nlr_dynamics(df).tidy()
    assert p["nlr_change"].to_list() == [-1.0, 0.0, 3.0]
    assert p["nlr_pct_change"].to_list() == [-20.0, 0.0, 100.0]
    assert p["nlr_decreased"].to_list() == [True, False, False]  # unchanged is not a decrease


def test_exclusions_are_counted_not_silently_dropped():
    df = pl.DataFrame({
        "neutrophils_d0": [6.0, 5.0, 8.0, 4.0, 7.0], "lymphocytes_d0": [1.0, 1.0, 2.0, 1.0, 1.0],
        "neutrophils_d14": [5.0, None, 4.0, 5.0, 6.0], "lymphocytes_d14": [1.0, 1.0, 2.0, 1.0, 1.0],
        "best_response": ["PR", "SD", None, "PD", "SD"],
    })
    r = nlr_dynamics(df)  # NLR computed from the counts
    ex = dict(r.excluded.iter_rows())
    assert ex == {"missing nlr_d0": 0, "missing nlr_d14": 1, "missing best_response": 1}
    assert r.glance()["n"][0] == 3 and r.glance()["n_excluded"][0] == 2
    assert r.tidy().filter(~pl.col("included"))["reason"].to_list() == ["missing nlr_d14", "missing best_response"]
    overall = r.paired().filter(pl.col("subset") == "overall").row(0, named=True)
    # differences d0 - d14: 1, -1, 1 -> all tied |1|: V = 2 + 2 = 4 (ranks 2,2,2), normal approximation
    assert overall["n"] == 3 and overall["statistic"] == 4.0
    assert overall["method"] == "Wilcoxon signed rank test with continuity correction"


def test_signed_rank_exact_by_hand():
    # d0 - d14 = 1, 2, 3, 4 (no ties, no zeros): V = 10, exact two-sided p = 2 * (1/16) = 0.125
    df = pl.DataFrame({"nlr_d0": [2.0, 4.0, 6.0, 8.0], "nlr_d14": [1.0, 2.0, 3.0, 4.0],
                       "best_response": ["PR", "PR", "SD", "PD"]})
    row = nlr_dynamics(df).paired().filter(pl.col("subset") == "overall").row(0, named=True)
    assert row["statistic"] == 10 and row["p_value"] == pytest.approx(0.125, rel=1e-14)


def test_missing_columns_named():
    with pytest.raises(KeyError, match="nlr_d14"):
        nlr_dynamics(pl.DataFrame({"nlr_d0": [1.0], "best_response": ["PR"]}))
