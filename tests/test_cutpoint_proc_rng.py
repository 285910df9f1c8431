"""pROC's bootstrap (drawn from R's stream), partial AUC, coords and roc.test against
tests/r/cutpoint_rng_fixtures.R. Bootstrap results are compared exactly or to 1e-15: the
replicates are R's replicates."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.cutpoint import auc, ci_auc, ci_coords, ci_thresholds, coords, roc, roc_test

FIX = Path(__file__).parent / "fixtures"


def _exact(v):
    if isinstance(v, dict):
        return {k: _exact(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_exact(x) for x in v]
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


R = _exact(json.loads((FIX / "cutpoint_rng.json").read_text()))
FK = pl.read_csv(Path(__file__).parents[1] / "data" / "fukuda2020_reconstructed.csv").with_columns(
    nlr=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"), plr=pl.col("platelets_d0") / pl.col("lymphocytes_d0"),
    dc=pl.col("best_response").is_in(["CR", "PR", "SD"]).cast(pl.Int64))
DATA = {"cont": pl.read_csv(FIX / "cutpoint_data_cont.csv"), "nlr13": pl.read_csv(FIX / "cutpoint_data_nlr13.csv"),
        "ties": pl.read_csv(FIX / "cutpoint_data_ties.csv").with_columns(
            case=((pl.col("marker") > 6) & (pl.col("event") == 1)).cast(pl.Int64)),
        "fukuda": FK}
REL = 1e-15


def _vec(v):
    return [v] if not isinstance(v, list) else v


def _curve(c, **kw):
    return roc(c["outcome"], c["marker"], data=DATA[c["data"]], **kw)


@pytest.mark.parametrize("c", R["ci_auc"], ids=lambda c: f"{c['data']}-{c['marker']}-seed{int(c['seed'])}")
def test_ci_auc_bootstrap_equals_proc(c):
    kw = {} if c["partial"] is None else dict(partial_auc=c["partial"], partial_auc_focus=c["focus"],
                                              partial_auc_correct=c["correct"])
    r = _curve(c, direction=c["direction"], **kw)
    assert r.auc == pytest.approx(c["auc"], rel=REL)
    ci = ci_auc(r, method="bootstrap", boot_n=int(c["boot_n"]), boot_stratified=c["stratified"], seed=int(c["seed"]))
    assert [ci.lower, ci.median, ci.upper] == pytest.approx(c["ci"], rel=REL, abs=1e-16)
    # the same through roc(ci_method="bootstrap")
    rb = _curve(c, direction=c["direction"], ci_method="bootstrap", boot_n=int(c["boot_n"]),
                boot_stratified=c["stratified"], seed=int(c["seed"]), **kw)
    assert (rb.conf_low, rb.conf_high) == (ci.lower, ci.upper) and rb.ci_method == "bootstrap"


@pytest.mark.parametrize("c", R["partial_auc"],
                         ids=lambda c: f"{c['data']}-{c['marker']}-{c['partial']}-{c['focus']}-{c['correct']}")
def test_partial_auc_equals_proc(c):
    if c["auc"] is None:  # corrected pAUC below the diagonal: pROC returns NA with a warning
        with pytest.raises(ValueError, match="below the diagonal"):
            _curve(c, partial_auc=c["partial"], partial_auc_focus=c["focus"], partial_auc_correct=c["correct"])
        with pytest.raises(ValueError, match="below the diagonal"):
            auc(_curve(c), c["partial"], c["focus"], c["correct"])
        return
    r = _curve(c, partial_auc=c["partial"], partial_auc_focus=c["focus"], partial_auc_correct=c["correct"])
    assert r.auc == pytest.approx(c["auc"], rel=1e-14, abs=1e-16)
    # pROC's auc(roc, partial.auc = ...) on the full curve gives the same number
    assert auc(_curve(c), c["partial"], c["focus"], c["correct"]) == r.auc
    assert r.conf_low is None and r.ci_method is None  # pROC has no DeLong CI for a partial AUC


@pytest.mark.parametrize("c", R["coords"], ids=lambda c: f"{c['data']}-{c['marker']}-{c['x']}-{c.get('best_method')}")
def test_coords_equal_proc(c):
    r = _curve(c)
    if c["x"] == "best":
        got = coords(r, "best", best_method=c["best_method"], best_weights=c["weights"])
    else:
        got = coords(r, "local maximas")
    for k in ("threshold", "specificity", "sensitivity"):
        assert got[k].to_list() == pytest.approx(_vec(c[k]), rel=1e-15)


@pytest.mark.parametrize("c", R["ci_thresholds"], ids=lambda c: f"{c['data']}-seed{int(c['seed'])}")
def test_ci_thresholds_equal_proc(c):
    r = _curve(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = ci_thresholds(r, c["thresholds"], boot_n=int(c["boot_n"]), boot_stratified=c["stratified"],
                            seed=int(c["seed"]))
    if "thr" in c:
        assert got["threshold"].to_list() == pytest.approx(_vec(c["thr"]), rel=1e-15)
    # R's thresholds x (low, median, high) matrix, flattened column-major by the fixture script
    sp = np.array(c["sp"], dtype=float).reshape(3, -1).T
    se = np.array(c["se"], dtype=float).reshape(3, -1).T
    np.testing.assert_allclose(got.select("specificity_low", "specificity_median", "specificity_high").to_numpy(),
                               sp, rtol=REL, atol=0)
    np.testing.assert_allclose(got.select("sensitivity_low", "sensitivity_median", "sensitivity_high").to_numpy(),
                               se, rtol=REL, atol=0)


@pytest.mark.parametrize("c", R["ci_coords"], ids=lambda c: f"{c['x']}-{c['policy']}")
def test_ci_coords_equal_proc(c):
    r = _curve(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = ci_coords(r, c["x"], best_policy=c["policy"], boot_n=int(c["boot_n"]), seed=int(c["seed"]))
    for k in ("threshold", "specificity", "sensitivity"):
        want = c[k]
        have = [got[f"{k}_low"][0], got[f"{k}_median"][0], got[f"{k}_high"][0]]
        assert have == pytest.approx(want, rel=REL)


def test_ci_coords_stop_policy_errors_as_proc():
    # four tied optima; R: set.seed(1); ci.coords(roc(...), "best", boot.n = 50) stops the same way
    r = roc([0, 0, 0, 0, 1, 1, 1, 1], [1.0, 2, 3, 4, 2, 3, 4, 5])
    assert coords(r, "best").height == 4
    with pytest.raises(ValueError, match='More than one "best" threshold'):
        ci_coords(r, "best", boot_n=50, seed=1)


TESTS = {c["name"]: c for c in R["roc_test"]}


def _test_call(name):
    cont, n13 = DATA["cont"], DATA["nlr13"]
    r1, r2 = roc("dc", "marker", data=cont), roc("dc", "marker2", data=cont)
    h1, h2 = cont[:70], cont[70:]
    u1, u2 = roc("dc", "marker", data=h1), roc("dc", "marker2", data=h2)
    n1, n2 = roc("dc", "nlr", data=n13), roc("dc", "plr", data=n13)
    nna = n13.with_columns(plr=pl.when(pl.int_range(pl.len()).is_in([1, 8])).then(None).otherwise(pl.col("plr")))
    p1 = roc("dc", "marker", data=cont, partial_auc=(1, 0.8))
    p2 = roc("dc", "marker2", data=cont, partial_auc=(1, 0.8))
    return {
        "cont_boot_paired": lambda: roc_test(r1, r2, method="bootstrap", boot_n=500, seed=31),
        "cont_boot_paired_ns": lambda: roc_test(r1, r2, method="bootstrap", boot_n=400, boot_stratified=False, seed=32),
        "cont_delong_greater": lambda: roc_test(r1, r2, alternative="greater"),
        "halves_delong_unpaired": lambda: roc_test(u1, u2),
        "halves_boot_unpaired": lambda: roc_test(u1, u2, method="bootstrap", boot_n=500, seed=33),
        "halves_boot_unpaired_ns": lambda: roc_test(u1, u2, method="bootstrap", boot_n=300, boot_stratified=False,
                                                    seed=34),
        "nlr13_boot_paired": lambda: roc_test(n1, n2, method="bootstrap", boot_n=1000, seed=35),
        "nlr13_repaired_delong": lambda: roc_test(roc("dc", "nlr", data=nna), roc("dc", "plr", data=nna)),
        "cont_partial_boot": lambda: roc_test(p1, p2, boot_n=300, seed=36),
    }[name]()


@pytest.mark.parametrize("name", list(TESTS))
def test_roc_test_equals_proc(name):
    c = TESTS[name]
    t = _test_call(name)
    assert t.method == c["method"]
    assert t.statistic == pytest.approx(c["statistic"], rel=1e-13)
    assert t.p_value == pytest.approx(c["p_value"], rel=1e-12)
    assert [t.auc1, t.auc2] == pytest.approx(c["estimate"], rel=1e-15)
    if c["conf_int"] is not None:
        assert [t.conf_low, t.conf_high] == pytest.approx(c["conf_int"], rel=1e-12)
    else:
        assert t.conf_low is None
    if "unpaired" in name and "delong" in name:
        assert t.parameter == pytest.approx(c["parameter"], rel=1e-13)  # Welch-Satterthwaite df


def test_paired_true_on_unpaired_curves_is_refused():
    cont = DATA["cont"]
    u1, u2 = roc("dc", "marker", data=cont[:70]), roc("dc", "marker2", data=cont[70:])
    with pytest.raises(ValueError, match="paired ROC test cannot be applied"):
        roc_test(u1, u2, paired=True)
    with pytest.warns(UserWarning, match="seem to be paired"):
        roc_test(roc("dc", "marker", data=cont), roc("dc", "marker2", data=cont), paired=False)


def test_bootstrap_needs_two_controls_and_cases():
    r = roc([0, 1, 1, 1], [1.0, 2, 3, 4])
    with pytest.raises(ValueError, match="at least 2 controls"):
        ci_auc(r, method="bootstrap", boot_n=10, seed=1)
