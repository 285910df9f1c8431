"""P-values that sum probabilities stay in [0, 1] and equal R's on grids (tests/r/htest_grid_fixtures.R);
chisq.test goodness of fit and the formula interfaces of wilcox.test / kruskal.test against R."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.stats.htest import binom_test, chisq_test, fisher_test, kruskal_test, wilcox_test
from nlrstats.stats.htest.rank_counts import wilcox_from_counts


def _exact(v):
    if isinstance(v, dict):
        return {k: _exact(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_exact(x) for x in v]
    if isinstance(v, str):
        if v == "NA":
            return None
        try:
            return float(v)
        except ValueError:
            return v
    return v


G = _exact(json.loads((Path(__file__).parent / "fixtures" / "htest_grid.json").read_text()))


@pytest.mark.slow
def test_fisher_2x2_grid_in_unit_interval_and_equal_to_r():
    tabs = np.array(G["fisher2x2"]["tables"], dtype=int)
    want = np.array(G["fisher2x2"]["p_value"])
    got = np.array([fisher_test([[a, b], [c, d]], conf_int=False).p_value for a, b, c, d in tabs])
    assert np.all((got >= 0) & (got <= 1))
    # R's 2 x 2 path does not clamp: 34 of these tables give 1.0000000000000002 there; here 1
    assert int(np.sum(want > 1)) > 0 and np.all(np.abs(got[want > 1] - 1.0) < 1e-15)
    np.testing.assert_allclose(got, np.minimum(want, 1.0), rtol=1e-13, atol=0)


def test_fisher_2x2_one_sided_grid_equals_r():
    tabs = np.array(G["fisher2x2_one_sided"]["tables"], dtype=int)
    for alt in ("less", "greater"):
        want = np.array(G["fisher2x2_one_sided"][alt])
        got = np.array([fisher_test([[a, b], [c, d]], alternative=alt, conf_int=False).p_value for a, b, c, d in tabs])
        assert np.all((got >= 0) & (got <= 1))
        np.testing.assert_allclose(got, np.minimum(want, 1.0), rtol=1e-12, atol=1e-300)


def test_binom_grid_equals_r():
    b = G["binom"]
    got = np.array([binom_test(int(x), int(n), p=p).p_value for x, n, p in zip(b["x"], b["n"], b["p"])])
    assert np.all((got >= 0) & (got <= 1))
    np.testing.assert_allclose(got, b["p_value"], rtol=1e-12, atol=1e-300)


def test_exact_rank_sum_p_for_every_w_equals_r():
    # a (values x 2) count table of distinct values gives any W, so every W of the grid is reached
    w = G["pwilcox"]
    for m, n, q, want in zip(w["m"], w["n"], w["q"], w["p_value"]):
        m, n, q = int(m), int(n), int(q)
        # x holds ranks q+1-..: choose x's ranks so that W = q (first q ranks shifted)
        ranks_x = _ranks_for_w(m, n, q)
        counts = np.zeros((m + n, 2))
        counts[ranks_x, 0] = 1
        counts[[r for r in range(m + n) if r not in set(ranks_x)], 1] = 1
        h = wilcox_from_counts(counts)
        assert h.statistic == q and 0 <= h.p_value <= 1
        assert h.p_value == pytest.approx(want, rel=1e-12)


def _ranks_for_w(m: int, n: int, w: int) -> list[int]:
    """0-based ranks of x (size m among m + n) with Mann-Whitney W = sum(ranks + 1) - m(m+1)/2 = w."""
    ranks = list(range(m))          # W = 0
    need = w
    for i in range(m - 1, -1, -1):  # push the largest first, as far as allowed
        room = (n + i) - ranks[i]
        step = min(room, need)
        ranks[i] += step
        need -= step
    assert need == 0
    return ranks


@pytest.mark.parametrize("i", range(60))
def test_exact_wilcox_rank_sum_equals_r(i):
    c = G["wilcox_exact"][i]
    h = wilcox_test(c["x"], c["y"], alternative=c["alternative"])
    assert h.method == "Wilcoxon rank sum exact test"
    assert h.statistic == c["statistic"] and 0 <= h.p_value <= 1
    assert h.p_value == pytest.approx(c["p_value"], rel=1e-12)


@pytest.mark.parametrize("i", range(40))
def test_exact_signed_rank_equals_r(i):
    c = G["signrank_exact"][i]
    h = wilcox_test(c["x"] if isinstance(c["x"], list) else [c["x"]], alternative=c["alternative"])
    assert h.statistic == c["statistic"] and 0 <= h.p_value <= 1
    assert h.p_value == pytest.approx(c["p_value"], rel=1e-12)


@pytest.mark.parametrize("i", range(60))
def test_fisher_rxc_small_grid_equals_r(i):
    c = G["fisher_rxc"][i]
    tab = [r if isinstance(r, list) else [r] for r in c["table"]]
    p = fisher_test(tab).p_value
    assert 0 <= p <= 1
    assert p == pytest.approx(min(c["p_value"], 1.0), rel=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=4, max_size=4))
def test_fisher_2x2_property_p_in_unit_interval(cells):
    if sum(cells) == 0:
        cells[0] = 1
    for alt in ("two.sided", "less", "greater"):
        p = fisher_test([cells[:2], cells[2:]], alternative=alt, conf_int=False).p_value
        assert 0.0 <= p <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 3), st.integers(3, 4), st.lists(st.integers(0, 4), min_size=12, max_size=12))
def test_fisher_rxc_property_p_in_unit_interval(r, c, cells):
    tab = np.array(cells[: r * c]).reshape(r, c)
    tab[0, 0] += 1
    assert 0.0 <= fisher_test(tab).p_value <= 1.0


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data(), st.floats(0.01, 0.99))
def test_binom_property_p_in_unit_interval(n, data, p):
    x = data.draw(st.integers(0, n))
    for alt in ("two.sided", "less", "greater"):
        assert 0.0 <= binom_test(x, n, p=p, alternative=alt).p_value <= 1.0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=30, unique=True),
       st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=30, unique=True))
def test_exact_wilcox_property_p_in_unit_interval(x, y):
    # None where R gives NaN (no non-zero difference; every value tied)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for alt in ("two.sided", "less", "greater"):
            for h in (wilcox_test(x, y, alternative=alt), wilcox_test(x, alternative=alt)):
                assert h.p_value is None or 0.0 <= h.p_value <= 1.0
            if len(set(x) | set(y)) > 1:
                assert wilcox_test(x, y, alternative=alt).p_value is not None


@pytest.mark.parametrize("i", range(8))
def test_chisq_goodness_of_fit_equals_r(i):
    c = G["gof"][i]
    x = c["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = chisq_test(x, p=c["p"], rescale_p=c["rescale"])
    assert h.method == c["method"] == "Chi-squared test for given probabilities"
    assert h.statistic == pytest.approx(c["statistic"], rel=1e-14)
    assert h.parameter == c["parameter"]
    assert h.p_value == pytest.approx(c["p_value"], rel=1e-12)


def test_chisq_goodness_of_fit_errors_and_warnings_as_r():
    with pytest.raises(ValueError, match="must sum to 1"):
        chisq_test([30, 20, 50], p=[3, 2, 5])
    with pytest.raises(ValueError, match="same number of elements"):
        chisq_test([30, 20, 50], p=[0.5, 0.5])
    with pytest.raises(ValueError, match="at least have 2 elements"):
        chisq_test([5])
    with pytest.warns(UserWarning, match="approximation may be incorrect"):
        chisq_test([1, 2, 3])
    # a one-row table is flattened to a vector, as R does
    assert chisq_test([[12, 7, 9, 15, 3]]).statistic == chisq_test([12, 7, 9, 15, 3]).statistic


def _formula_frame():
    d = G["formula_data"]
    return pl.DataFrame({"y": d["y"], "g": d["g"], "k": d["k"], "z": d["z"]},
                        schema={"y": pl.Float64, "g": pl.String, "k": pl.String, "z": pl.Float64})


def test_formula_interfaces_equal_r():
    f = {c["call"]: c for c in G["formula"]}
    d = _formula_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = wilcox_test("y ~ g", d)
        h2 = wilcox_test("y ~ g", data=d, alternative="less", conf_int=True)
    c = f["wilcox y ~ g"]
    assert (h.statistic, h.data_name, h.method) == (c["statistic"], c["data_name"], c["method"])
    assert h.p_value == pytest.approx(c["p_value"], rel=1e-12)
    c = f["wilcox y ~ g less ci"]
    assert h2.p_value == pytest.approx(c["p_value"], rel=1e-12)
    assert h2.estimate == pytest.approx(c["estimate"], rel=1e-6)
    assert h2.conf_high == pytest.approx(c["conf_int"][1], rel=1e-6) and h2.conf_low == -math.inf
    h1 = wilcox_test("z ~ 1", d)
    c = f["wilcox z ~ 1"]
    assert (h1.statistic, h1.data_name, h1.method) == (c["statistic"], c["data_name"], c["method"])
    assert h1.p_value == pytest.approx(c["p_value"], rel=1e-12)
    k = kruskal_test("y ~ k", d)
    c = f["kruskal y ~ k"]
    assert (k.parameter, k.data_name) == (c["parameter"], c["data_name"])
    assert k.statistic == pytest.approx(c["statistic"], rel=1e-13)
    assert k.p_value == pytest.approx(c["p_value"], rel=1e-12)


def test_formula_errors_name_the_problem():
    d = _formula_frame()
    with pytest.raises(ValueError, match="exactly 2 levels"):
        wilcox_test("y ~ k", d)
    with pytest.raises(ValueError, match="needs data"):
        wilcox_test("y ~ g")
    with pytest.raises(ValueError, match="'nope'"):
        kruskal_test("nope ~ k", d)
