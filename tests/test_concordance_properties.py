"""Invariances of R's concordance, as hypothesis properties, on the pairwise and the tree kernels.

Row order does not matter; a strictly increasing transform of the predictor changes nothing
(only ranks count), a decreasing one is ``reverse``; relabelling a two-level factor reverses
the concordance; a case weight of 2 counts every pair as the rows twice would (the estimate
and the concordant / discordant / tied-on-x sums; the jackknife variance of weighted data is
R's and differs from duplicated rows, and so do the ties on time between a row and its copy).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nlrstats
import nlrstats.stats.survival._concordance_counts as cc

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TIMEWT = st.sampled_from(["n", "S", "S/G", "n/G2", "I"])


@st.composite
def cohorts(draw):
    n = draw(st.integers(3, 40))
    t = draw(st.lists(st.integers(1, 10).map(float), min_size=n, max_size=n))
    e = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    x = draw(st.lists(st.integers(-3, 3).map(lambda v: v / 2), min_size=n, max_size=n))
    w = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    return pl.DataFrame({"t": t, "e": e, "x": x, "w": w, "s": [i % 2 for i in range(n)],
                         "g": ["lo" if v <= 0 else "hi" for v in x]})


@pytest.fixture(params=["pairs", "tree"])
def kernels(request, monkeypatch):
    monkeypatch.setattr(cc, "PAIRWISE_MAX_PAIRS", 10 ** 12 if request.param == "pairs" else -1)
    return request.param


def _same(a, b, rel=1e-10):
    np.testing.assert_allclose(a.count, b.count, rtol=rel, atol=1e-9)
    np.testing.assert_allclose(a.concordance, b.concordance, rtol=rel, equal_nan=True)
    np.testing.assert_allclose(a.var, b.var, rtol=1e-8, atol=1e-14, equal_nan=True)


@SETTINGS
@given(df=cohorts(), seed=st.integers(0, 2 ** 31 - 1), timewt=TIMEWT)
def test_row_order_does_not_matter(kernels, df, seed, timewt):
    perm = df.sample(fraction=1.0, shuffle=True, seed=seed)
    for formula in ("Surv(t, e) ~ x", "Surv(t, e) ~ x + strata(s)"):
        _same(nlrstats.concordance(formula, df, timewt=timewt), nlrstats.concordance(formula, perm, timewt=timewt))


@SETTINGS
@given(df=cohorts(), timewt=TIMEWT)
def test_only_the_ranks_of_the_predictor_count(kernels, df, timewt):
    a = nlrstats.concordance("Surv(t, e) ~ x", df, timewt=timewt)
    up = nlrstats.concordance("Surv(t, e) ~ x", df.with_columns(x=pl.col("x").exp() * 3 + 1), timewt=timewt)
    _same(a, up)
    down = nlrstats.concordance("Surv(t, e) ~ x", df.with_columns(x=-pl.col("x")), timewt=timewt, reverse=True)
    _same(a, down)


@SETTINGS
@given(df=cohorts())
def test_relabelling_a_two_level_factor_reverses_it(kernels, df):
    if df["g"].n_unique() < 2:
        return
    a = nlrstats.concordance("Surv(t, e) ~ g", df)
    b = nlrstats.concordance("Surv(t, e) ~ g", df.with_columns(pl.col("g").replace_strict({"lo": "a", "hi": "z"})))
    # the indicator is of the second level: "lo" before (hi < lo), "hi" after (a < z), so
    # concordant and discordant swap
    np.testing.assert_allclose(b.count[0][[1, 0, 2, 3, 4]], a.count[0])
    np.testing.assert_allclose(b.concordance, 1 - a.concordance, equal_nan=True)
    np.testing.assert_allclose(b.var, a.var, rtol=1e-10, equal_nan=True)


@SETTINGS
@given(df=cohorts(), timewt=TIMEWT)
def test_weight_two_counts_pairs_as_the_rows_twice(kernels, df, timewt):
    # (R falls back to timewt "n" below 2 events, counted as rows: one event weighted 2 is not two)
    assume(timewt == "n" or df["e"].sum() >= 2)
    a = nlrstats.concordance("Surv(t, e) ~ x", df.with_columns(w2=pl.lit(2.0)), weights="w2", timewt=timewt)
    b = nlrstats.concordance("Surv(t, e) ~ x", pl.concat([df, df]), timewt=timewt)
    np.testing.assert_allclose(a.count[0][:3], b.count[0][:3], rtol=1e-10)
    np.testing.assert_allclose(a.concordance, b.concordance, rtol=1e-12, equal_nan=True)
