"""nlrstats.study.table_one.summarize against R (tests/r/htest_fixtures.R -> htest_summary.json) and by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.htest import FisherTableTooLarge
from nlrstats.study.table_one import TableOne, summarize

FIX = json.loads((Path(__file__).parent / "fixtures" / "htest_summary.json").read_text())
DATA = pl.DataFrame(FIX["data"]).with_columns(pl.col("age").cast(pl.Int64), pl.col("ecog").cast(pl.Int64))
VARS = ["age", "marker", "ecog", "sex", "meta", "stage"]


def value(t: TableOne, variable, group, statistic, level=None):
    r = t.tidy().filter((pl.col("variable") == variable) & (pl.col("group") == group)
                        & (pl.col("statistic") == statistic))
    r = r.filter(pl.col("level").is_null()) if level is None else r.filter(pl.col("level") == level)
    assert r.height == 1, (variable, group, statistic, level, r)
    return r["value"][0]


@pytest.fixture(scope="module", params=["grp", "arm"])
def table(request):
    return request.param, summarize(DATA, by=request.param, variables=VARS)


def test_continuous_statistics_match_r(table):
    by, t = table
    for v in ["age", "marker"]:
        ref = FIX[by][v]
        for g, stats in ref["stats"].items():
            for s, expected in stats.items():
                if s.endswith("_type2"):
                    continue
                assert value(t, v, g, s) == pytest.approx(expected, rel=1e-12), (v, g, s)
        for g, m in ref["missing"].items():
            assert value(t, v, g, "n", level="Missing") == m


def test_gtsummary_quantile_type_2_matches_r():
    t = summarize(DATA, by="grp", variables=["age", "marker"], quantile_type=2)
    for v in ["age", "marker"]:
        for g, stats in FIX["grp"][v]["stats"].items():
            assert value(t, v, g, "p25") == stats["p25_type2"], (v, g)
            assert value(t, v, g, "p75") == stats["p75_type2"], (v, g)
            assert value(t, v, g, "median") == stats["median"]


def test_categorical_counts_match_r(table):
    by, t = table
    for v in ["ecog", "sex", "meta", "stage"]:
        ref = FIX[by][v]
        levels = [{"TRUE": "true", "FALSE": "false"}.get(lv, lv) for lv in ref["levels"]]
        assert t.variables().filter(pl.col("variable") == v)["levels"][0].to_list() == levels
        for g, counts in zip(ref["groups"], ref["counts"]):
            total = sum(counts)
            for lv, c in zip(levels, counts):
                assert value(t, v, g, "n", level=lv) == c
                assert value(t, v, g, "pct", level=lv) == pytest.approx(100 * c / total, rel=1e-12)
        assert value(t, v, "Overall", "n", level="Missing") == ref["missing"]


def test_automatic_tests_match_r_and_gtsummary_rule(table):
    by, t = table
    tests = {r["variable"]: r for r in t.tests().iter_rows(named=True)}
    for v in VARS:
        ref = FIX[by][v]["test"]
        assert tests[v]["test_key"] == ref["test"], v
        assert tests[v]["p_value"] == pytest.approx(ref["p"], rel=1e-8), v
    names = {"wilcox": "Wilcoxon rank sum test", "kruskal": "Kruskal-Wallis rank sum test",
             "fisher": "Fisher's exact test", "chisq.no.correct": "Pearson's Chi-squared test"}
    for v in VARS:
        assert tests[v]["test"] == names[tests[v]["test_key"]]


def test_overrides_match_r():
    t = summarize(DATA, by="grp", variables=VARS, tests={"age": "t.test", "marker": "t.test", "stage": "chisq"})
    p = dict(zip(t.tests()["variable"], t.tests()["p_value"]))
    assert p["age"] == pytest.approx(FIX["grp"]["age"]["t_test_p"], rel=1e-8)
    assert p["marker"] == pytest.approx(FIX["grp"]["marker"]["t_test_p"], rel=1e-8)
    assert p["stage"] == pytest.approx(FIX["grp"]["stage"]["chisq_correct_p"], rel=1e-8)
    assert t.tests().filter(pl.col("variable") == "age")["test"][0] == "Welch Two Sample t-test"


def test_exact_wilcoxon_for_small_samples_without_ties():
    small = pl.DataFrame(FIX["small_data"])
    t = summarize(small, by="grp", variables=["v"])
    assert FIX["small"]["method"] == "Wilcoxon rank sum exact test"
    assert t.tests()["p_value"][0] == pytest.approx(FIX["small"]["p"], rel=1e-10)
    for g, stats in FIX["small"]["stats"].items():
        for s, expected in stats.items():
            if not s.endswith("_type2"):
                assert value(t, "v", g, s) == pytest.approx(expected, rel=1e-12)


def test_unknown_variables_and_bad_overrides_are_named():
    with pytest.raises(KeyError, match="nope, neither"):
        summarize(DATA, by="grp", variables=["age", "nope", "neither"])
    with pytest.raises(KeyError, match="grouping column 'zzz'"):
        summarize(DATA, by="zzz", variables=["age"])
    with pytest.raises(ValueError, match="unknown test"):
        summarize(DATA, by="grp", variables=["age"], tests={"age": "anova"})
    with pytest.raises(ValueError, match="does not apply to categorical variable 'sex'"):
        summarize(DATA, by="grp", variables=["sex"], tests={"sex": "wilcox"})
    with pytest.raises(KeyError, match="tests given for variable.*not summarised: ecog"):
        summarize(DATA, by="grp", variables=["age"], tests={"ecog": "fisher"})
    with pytest.raises(KeyError, match="labels given for variable.*not summarised: agee"):
        summarize(DATA, by="grp", variables=["age"], labels={"agee": "Age"})
    with pytest.raises(ValueError, match="quantile_type"):
        summarize(DATA, by="grp", variables=["age"], quantile_type=6)


def test_default_variables_are_the_canonical_set_present():
    df = pl.DataFrame({"nlr_group": ["a", "b", "a", "b"], "age": [60.0, 70.0, 65.0, 72.0], "sex": ["F", "M", "M", "F"],
                       "other": [1, 2, 3, 4]})
    t = summarize(df)
    assert t.variables()["variable"].to_list() == ["age", "sex"]
    assert t.variables()["type"].to_list() == ["continuous", "categorical"]


def test_missing_by_is_excluded_and_counted_and_nan_is_missing():
    df = pl.DataFrame({"g": ["a", "b", None, "a", "b", "a"], "x": [1.0, float("nan"), 3.0, 4.0, 5.0, None]})
    t = summarize(df, by="g", variables=["x"])
    assert t.n_excluded == 1 and t.glance()["n_excluded"][0] == 1
    assert value(t, "x", "Overall", "n") == 3
    assert value(t, "x", "Overall", "n", level="Missing") == 2
    assert dict(t.group_sizes.iter_rows()) == {"a": 3, "b": 2, "Overall": 5}


def test_integer_with_few_values_is_categorical_and_enum_levels_kept():
    df = pl.DataFrame({"g": pl.Series(["lo", "hi", "lo", "hi"], dtype=pl.Enum(["lo", "hi"])),
                       "ecog": [0, 1, 1, 4], "resp": pl.Series(["PR", "PD", "PD", "PD"],
                                                               dtype=pl.Enum(["CR", "PR", "SD", "PD", "NE"]))})
    t = summarize(df, by="g", variables=["ecog", "resp"])
    assert t.groups == ("lo", "hi", "Overall")
    assert t.variables()["type"].to_list() == ["categorical", "categorical"]
    # Enum: all levels shown with zero counts
    assert t.variables()["levels"][1].to_list() == ["CR", "PR", "SD", "PD", "NE"]
    assert value(t, "resp", "hi", "n", level="CR") == 0
    # 2 x 2 table [[1,0],[0,1]] for PR/PD ... (lo: PR, PD; hi: PD, PD) -> Fisher, p by hand:
    # table PR: lo 1, hi 0; PD: lo 1, hi 2 -> hypergeometric over x in {0,1}: P = 1/2 each -> p = 1
    assert t.tests().filter(pl.col("variable") == "resp")["p_value"][0] == pytest.approx(1.0)


def test_no_by_gives_overall_only():
    t = summarize(DATA, by=None, variables=["age", "sex"])
    assert t.groups == ("Overall",)
    assert t.tests()["p_value"].to_list() == [None, None]
    assert value(t, "age", "Overall", "median") == FIX["grp"]["age"]["stats"]["Overall"]["median"]


def test_large_fisher_raises_naming_variable_unless_simulated():
    rng = np.random.default_rng(3)
    n = 400
    df = pl.DataFrame({"g": rng.choice(["a", "b", "c"], n), "v": rng.choice(list("pqrstuvw"), n, p=[.3, .2, .2, .1, .1, .05, .04, .01])})
    with pytest.raises(FisherTableTooLarge, match="variable 'v'"):
        summarize(df, by="g", variables=["v"], tests={"v": "fisher"}, fisher_max_steps=20_000)
    t = summarize(df, by="g", variables=["v"], tests={"v": "fisher"}, simulate_fisher=True, seed=1, B=500,
                  fisher_max_steps=20_000)
    assert t.tests()["test"][0] == "Fisher's exact test (simulated p-value)"
    assert 0 < t.tests()["p_value"][0] <= 1


def test_values_and_repr():
    t = summarize(DATA, by="grp", variables=["age", "sex"])
    a = {s: v for s, v in t.tidy().filter((pl.col("variable") == "age") & (pl.col("group") == "A"))
         .select("statistic", "value").iter_rows()}
    assert (a["median"], a["p25"], a["p75"]) == (62.0, 61.0, 66.0)
    sizes = dict(t.group_sizes.iter_rows())
    assert sizes == {"A": 33, "B": 37, "Overall": 70}
    assert "Missing" in t.tidy().filter(pl.col("variable") == "sex")["level"].to_list()  # sex has 2 missing
    assert "Wilcoxon rank sum test" in repr(t) and "A: 33" in repr(t)


def test_no_nan_in_results():
    df = pl.DataFrame({"g": ["a", "a", "b"], "x": [1.0, None, None]})
    t = summarize(df, by="g", variables=["x"])
    vals = t.tidy()["value"].to_list()
    assert not any(isinstance(v, float) and math.isnan(v) for v in vals)
    assert value(t, "x", "b", "median") is None
    assert t.tests()["p_value"][0] is None
