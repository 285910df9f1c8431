"""roc / roc_test / landmark_outcome against pROC 1.18 fixtures (tests/r/cutpoint_fixtures.R) and by hand."""

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.cutpoint import landmark_outcome, roc, roc_test

FIX = Path(__file__).parent / "fixtures"
RF = json.loads((FIX / "cutpoint_roc.json").read_text())
TIES = pl.read_csv(FIX / "cutpoint_data_ties.csv")
CONT = pl.read_csv(FIX / "cutpoint_data_cont.csv")
N13 = pl.read_csv(FIX / "cutpoint_data_nlr13.csv")
FK = pl.read_csv(Path(__file__).parents[1] / "data" / "fukuda2020_reconstructed.csv").with_columns(
    nlr=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"), plr=pl.col("platelets_d0") / pl.col("lymphocytes_d0"),
    dc=pl.col("best_response").is_in(["CR", "PR", "SD"]))

CALLS = {
    "ties_auto": lambda: roc(((TIES["marker"] > 6) & (TIES["event"] == 1)).to_numpy(), TIES["marker"].to_numpy()),
    "cont_dc": lambda: roc("dc", "marker", data=CONT),
    "cont_dc_lt": lambda: roc("dc", "marker", data=CONT, direction="<"),
    "cont_dc_levels": lambda: roc("dc", "marker", data=CONT, levels=(1, 0)),
    "nlr13_dc": lambda: roc("dc", "nlr", data=N13),
    "nlr13_dc_plr": lambda: roc("dc", "plr", data=N13),
    "fukuda_dc": lambda: roc("dc", "nlr", data=FK),
}
FIXTURES = {c["name"]: c for c in RF["roc"]}


def _num(v):
    return np.array([{"Inf": np.inf, "-Inf": -np.inf}.get(x, x) if isinstance(x, str) else x for x in v], float)


@pytest.mark.parametrize("name", list(CALLS))
def test_roc_matches_proc(name):
    c, r = FIXTURES[name], CALLS[name]()
    assert r.direction == c["direction"]
    assert list(r.levels) == c["levels"]
    assert r.auc == pytest.approx(c["auc"], abs=1e-12)
    assert r.conf_low == pytest.approx(c["conf_low"], abs=1e-12)
    assert r.conf_high == pytest.approx(c["conf_high"], abs=1e-12)
    np.testing.assert_array_equal(np.isinf(r.thresholds), np.isinf(_num(c["thresholds"])))
    np.testing.assert_allclose(r.thresholds, _num(c["thresholds"]), rtol=1e-14, atol=0)
    np.testing.assert_allclose(r.sensitivities, c["sensitivities"], atol=1e-14)
    np.testing.assert_allclose(r.specificities, c["specificities"], atol=1e-14)
    tidy = r.tidy()
    assert tidy.columns == ["threshold", "sensitivity", "specificity"]


@pytest.mark.parametrize("name", list(CALLS))
def test_youden_and_at_match_proc_coords(name):
    c, r = FIXTURES[name], CALLS[name]()
    y = r.youden()
    assert y.height == 1
    assert y["threshold"][0] == pytest.approx(c["youden"]["threshold"], rel=1e-14)
    assert y["sensitivity"][0] == pytest.approx(c["youden"]["sensitivity"], abs=1e-14)
    assert y["specificity"][0] == pytest.approx(c["youden"]["specificity"], abs=1e-14)
    at = r.at(c["at"]["cut"], convention="pROC")
    assert at["sensitivity"][0] == pytest.approx(c["at"]["sensitivity"], abs=1e-14)
    assert at["specificity"][0] == pytest.approx(c["at"]["specificity"], abs=1e-14)


def test_at_paper_convention_counts_nlr_8_as_high():
    # One control (no disease control) has NLR exactly 8.0: the paper calls it high (negative test
    # for "predicts disease control"), pROC's coords(x = 8) counts marker <= 8 as positive.
    r = roc("dc", "nlr", data=N13)
    paper, proc = r.at(8), r.at(8, convention="pROC")
    assert paper["positive"][0] == "nlr < 8" and proc["positive"][0] == "nlr <= 8"
    # by hand: controls (dc 0) NLR 4.0, 8.0, 12.5, 15.3; cases: the 9 others, one (9.6) >= 8
    assert (paper["tp"][0], paper["fn"][0], paper["tn"][0], paper["fp"][0]) == (8, 1, 3, 1)
    assert proc["specificity"][0] == pytest.approx(0.5) and paper["specificity"][0] == pytest.approx(0.75)
    up = roc("dc", "nlr", data=N13, levels=(1, 0))  # case = no disease control, direction "<"
    assert up.direction == "<" and up.at(8)["positive"][0] == "nlr >= 8"
    assert up.at(8)["sensitivity"][0] == pytest.approx(3 / 4)


@pytest.mark.parametrize("i,m1,m2,data", [(0, "marker", "marker2", CONT), (1, "nlr", "plr", N13),
                                           (2, "nlr", "plr", FK)])
def test_roc_test_matches_proc(i, m1, m2, data):
    c = RF["roc_test"][i]
    t = roc_test(roc("dc", m1, data=data), roc("dc", m2, data=data))
    assert t.statistic == pytest.approx(c["statistic"], abs=1e-10)
    assert t.p_value == pytest.approx(c["p_value"], abs=1e-12)
    assert [t.auc1, t.auc2] == pytest.approx(c["estimate"], abs=1e-12)
    assert t.conf_low == pytest.approx(c["conf_low"], abs=1e-12)
    assert t.conf_high == pytest.approx(c["conf_high"], abs=1e-12)
    assert t.tidy()["estimate"][0] == pytest.approx(c["estimate"][0] - c["estimate"][1])


def test_roc_test_repairs_curves_on_common_rows_as_proc():
    # pROC's are.paired: same outcome vector, a missing PLR -> both curves rebuilt without that patient
    d = N13.with_columns(plr=pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("plr")))
    t = roc_test(roc("dc", "nlr", data=d), roc("dc", "plr", data=d))
    both = d.filter(pl.col("plr").is_not_null())
    ref = roc_test(roc("dc", "nlr", data=both), roc("dc", "plr", data=both))
    assert t.paired and t.statistic == ref.statistic and t.auc1 == ref.auc1 and t.n == 12
    with pytest.raises(ValueError, match="cannot be applied to unpaired"):
        roc_test(roc("dc", "nlr", data=N13), roc("dc", "nlr", data=N13, levels=(1, 0)), paired=True)


def test_hand_auc_and_placements():
    # controls 1,2,3 ; cases 2,4 -> pairs: (2 vs 1,2,3) = 1 + .5 + 0, (4) = 3 -> AUC = 4.5/6
    r = roc([0, 0, 0, 1, 1], [1.0, 2, 3, 2, 4])
    assert r.auc == pytest.approx(0.75, abs=1e-15)
    assert r.thresholds.tolist() == [-np.inf, 1.5, 2.5, 3.5, np.inf]
    assert r.sensitivities.tolist() == [1.0, 1.0, 0.5, 0.5, 0.0]
    # DeLong: case placements 0.5, 1; control placements 1, .75, .5
    x, y = np.array([0.5, 1.0]), np.array([1.0, 0.75, 0.5])
    s = np.var(x, ddof=1) / 2 + np.var(y, ddof=1) / 3
    assert r.conf_low == pytest.approx(max(0.75 - 1.959963984540054 * np.sqrt(s), 0), abs=1e-12)


def test_missing_and_bad_input():
    r = roc([True, False, None, True, False], [3.0, 1.0, 2.0, float("nan"), 0.5])
    assert r.n_missing == 2 and r.n_cases == 1 and r.n_controls == 2
    with pytest.raises(ValueError, match="3 distinct"):
        roc(["a", "b", "c", "a"], [1.0, 2, 3, 4])
    r3 = roc(["a", "b", "c", "a"], [1.0, 2, 3, 4], levels=("a", "b"))
    assert r3.n_other_level == 1
    with pytest.raises(ValueError, match="'nlrx'"):
        roc("dc", "nlrx", data=N13)
    with pytest.raises(ValueError, match="no case"):
        roc([0, 0, 0], [1.0, 2, 3], levels=(0, 1))


def test_landmark_outcome_by_hand():
    time = [1.0, 3.0, 5.0, 2.0, 6.0, 6.0, None]
    event = [1, 0, 1, 0, 0, 1, 1]
    lo = landmark_outcome(time, event, 6.0)
    # 1: event by 6 -> True; 3 censored before 6 -> excluded; 5 event -> True; 2 censored -> excluded;
    # 6 censored exactly at 6 -> event-free (False); 6 event at 6 -> True; missing time -> null
    assert lo.outcome.to_list() == [True, None, True, None, False, True, None]
    assert (lo.n_events, lo.n_event_free, lo.n_excluded, lo.n_missing) == (3, 1, 2, 1)
    assert lo.excluded_rows.tolist() == [1, 3]
    r = roc(lo, [5.0, 1, 4, 2, 1, 3, 9])
    assert r.n_cases == 3 and r.n_controls == 1 and r.n_missing == 3


def test_landmark_roc_on_nlr13_columns():
    lo = landmark_outcome("pfs", "pfs_event", 3.0, data=N13)
    r = roc(lo, "nlr", data=N13)
    cases = N13.filter((pl.col("pfs") <= 3) & (pl.col("pfs_event") == 1))["nlr"].to_numpy()
    ctrls = N13.filter(pl.col("pfs") > 3)["nlr"].to_numpy()
    pairs = (cases[:, None] > ctrls[None, :]) + 0.5 * (cases[:, None] == ctrls[None, :])
    assert r.direction == "<" and r.auc == pytest.approx(pairs.mean(), abs=1e-15)
    assert lo.n_excluded == 0 and lo.n_events == cases.size
