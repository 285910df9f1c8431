"""Invariances of the tests (hypothesis): the order of the rows, the labels of the levels, and for the
rank tests any increasing transform of the response, change nothing a test reports."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.stats.htest import chisq_test, fisher_test, kruskal_test, wilcox_test

pairs = st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("uvw")), min_size=4, max_size=40)


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


@settings(max_examples=40, deadline=None)
@given(pairs, st.randoms(use_true_random=False))
def test_fisher_and_chisq_ignore_row_order_and_level_labels(rows, rnd):
    x = [a for a, _ in rows]
    y = [b for _, b in rows]
    if len(set(x)) < 2 or len(set(y)) < 2:
        return
    base = fisher_test(x, y).p_value
    order = list(range(len(rows)))
    rnd.shuffle(order)
    assert fisher_test([x[i] for i in order], [y[i] for i in order]).p_value == pytest.approx(base, rel=1e-12)
    relabel = {"a": "z", "b": "m", "c": "a"}  # reorders the levels too
    assert fisher_test([relabel[v] for v in x], y).p_value == pytest.approx(base, rel=1e-9)
    assert fisher_test(y, x).p_value == pytest.approx(base, rel=1e-9)  # transposed table
    c1 = _quiet(chisq_test, x, y, correct=False)
    c2 = _quiet(chisq_test, [relabel[v] for v in x], y, correct=False)
    assert c1.statistic == pytest.approx(c2.statistic, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=4, max_size=4))
def test_fisher_2x2_swapping_rows_inverts_the_odds_ratio(cells):
    a, b, c, d = cells
    if min(a + b, c + d, a + c, b + d) == 0:
        return
    h, s = fisher_test([[a, b], [c, d]]), fisher_test([[c, d], [a, b]])
    assert s.p_value == pytest.approx(h.p_value, rel=1e-12)
    if 0 < h.estimate < np.inf:
        assert s.estimate == pytest.approx(1 / h.estimate, rel=2e-4)  # R's uniroot tolerance
    assert fisher_test([[a, b], [c, d]], alternative="less").p_value == pytest.approx(
        fisher_test([[c, d], [a, b]], alternative="greater").p_value, rel=1e-12)


# integers: their logs stay distinct in floating point (a transform must not create ties)
samples = st.lists(st.integers(1, 200).map(float), min_size=2, max_size=30)


@settings(max_examples=40, deadline=None)
@given(samples, samples, st.randoms(use_true_random=False))
def test_rank_tests_ignore_row_order_labels_and_monotone_transforms(x, y, rnd):
    d = pl.DataFrame({"v": x + y, "g": ["lo"] * len(x) + ["hi"] * len(y)})
    base = _quiet(wilcox_test, "v ~ g", d)
    if base.p_value is None:  # every value tied: R's NaN
        return
    perm = d.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10_000))
    again = _quiet(wilcox_test, "v ~ g", perm)
    assert (again.statistic, again.p_value) == pytest.approx((base.statistic, base.p_value), rel=1e-12)
    # increasing transform of the response: ranks, hence W and p, unchanged
    logged = _quiet(wilcox_test, "v ~ g", d.with_columns(pl.col("v").log()))
    assert (logged.statistic, logged.p_value) == pytest.approx((base.statistic, base.p_value), rel=1e-12)
    # relabelling the groups so that their order flips: W -> m n - W, two-sided p the same
    flipped = _quiet(wilcox_test, "v ~ g", d.with_columns(pl.col("g").replace({"hi": "zz"})))
    assert flipped.statistic == pytest.approx(len(x) * len(y) - base.statistic, abs=1e-9)  # groups swapped
    assert flipped.p_value == pytest.approx(base.p_value, rel=1e-12)
    k = _quiet(kruskal_test, "v ~ g", d)
    k2 = _quiet(kruskal_test, "v ~ g", perm.with_columns(pl.col("v").exp().log1p(), pl.col("g").replace({"lo": "zz"})))
    assert (k2.statistic, k2.p_value) == pytest.approx((k.statistic, k.p_value), rel=1e-9)
