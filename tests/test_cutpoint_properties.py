"""Invariances of the cut-point verbs (hypothesis): row order, relabelled outcome levels and monotone
transforms of the marker change the ROC curve's AUC and CI and the maxstat scan only as they must."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.stats.cutpoint import maxstat, roc

cohorts = st.lists(st.tuples(st.integers(1, 40), st.booleans()), min_size=6, max_size=40)


def _frame(rows):
    return pl.DataFrame({"x": [float(a) for a, _ in rows], "y": [b for _, b in rows]})


@settings(max_examples=50, deadline=None)
@given(cohorts, st.randoms(use_true_random=False))
def test_roc_ignores_row_order_and_monotone_marker_transforms(rows, rnd):
    d = _frame(rows)
    if d["y"].n_unique() < 2:
        return
    base = roc("y", "x", data=d)
    perm = d.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10_000))
    again = roc("y", "x", data=perm)
    assert again.auc == pytest.approx(base.auc, abs=1e-14) and again.direction == base.direction
    if base.conf_low is not None:
        assert (again.conf_low, again.conf_high) == pytest.approx((base.conf_low, base.conf_high), abs=1e-12)
    # "auto" compares medians, and the median of an even sample is not transform-invariant: fix it
    up = roc("y", "x", data=d.with_columns(pl.col("x").log() * 3 + 1), direction=base.direction)
    assert up.auc == pytest.approx(base.auc, abs=1e-14)
    np.testing.assert_allclose(up.sensitivities, base.sensitivities, atol=1e-15)
    np.testing.assert_allclose(up.specificities, base.specificities, atol=1e-15)
    # a decreasing transform reverses the direction ("auto" decides by medians, which may tie)
    down = roc("y", "x", data=d.with_columns(-pl.col("x")), direction=">" if base.direction == "<" else "<")
    assert down.auc == pytest.approx(base.auc, abs=1e-14)


@settings(max_examples=50, deadline=None)
@given(cohorts)
def test_roc_swapping_the_levels_keeps_the_auc_and_flips_the_direction(rows):
    d = _frame(rows)
    if d["y"].n_unique() < 2:
        return
    a = roc("y", "x", data=d)
    b = roc("y", "x", data=d, levels=(True, False), direction=">" if a.direction == "<" else "<")
    assert b.auc == pytest.approx(a.auc, abs=1e-14)
    assert (b.n_cases, b.n_controls) == (a.n_controls, a.n_cases)
    fixed = roc("y", "x", data=d, direction="<")
    swapped = roc("y", "x", data=d, levels=(True, False), direction=">")
    assert swapped.auc == pytest.approx(fixed.auc, abs=1e-14)


surv = st.lists(st.tuples(st.integers(1, 30), st.integers(1, 25), st.booleans()), min_size=8, max_size=40)


@settings(max_examples=40, deadline=None)
@given(surv, st.randoms(use_true_random=False))
def test_maxstat_ignores_row_order_and_increasing_marker_transforms(rows, rnd):
    d = pl.DataFrame({"x": [float(a) for a, _, _ in rows], "t": [float(b) for _, b, _ in rows],
                      "e": [int(c) for _, _, c in rows]})
    if d["e"].sum() == 0 or d["x"].n_unique() < 4:
        return
    try:
        base = maxstat("Surv(t, e) ~ x", d, pmethod="Lau94")
    except ValueError:
        return  # no admissible cut for this draw
    perm = d.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10_000))
    again = maxstat("Surv(t, e) ~ x", perm, pmethod="Lau94")
    assert again.statistic == pytest.approx(base.statistic, rel=1e-12)
    assert again.estimate == base.estimate and again.p_value == pytest.approx(base.p_value, rel=1e-12)
    up = maxstat("Surv(t, e) ~ x", d.with_columns(pl.col("x").sqrt() + 7), pmethod="Lau94")
    np.testing.assert_allclose(up.stats, base.stats, rtol=1e-12)
    assert up.estimate == pytest.approx(np.sqrt(base.estimate) + 7, rel=1e-15)
    w = maxstat("t ~ x", d, smethod="Wilcoxon", pmethod="Lau94")
    w2 = maxstat("t ~ x", d.with_columns(pl.col("t").log()), smethod="Wilcoxon", pmethod="Lau94")
    assert w2.statistic == pytest.approx(w.statistic, rel=1e-12)  # ranks of the response
