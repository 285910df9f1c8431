"""Invariances R's coxph guarantees, as hypothesis properties (on the reference and the compiled path).

* Row order does not matter.
* Scaling and shifting a covariate, x -> a x + b (a from 1e-6 to 1e6), scales its coefficient
  by 1/a and changes nothing else: the log-likelihood, tests, p-values, the other
  coefficients, the linear predictor. (An aliasing decision that depended on the units failed
  this.)
* Relabelling factor levels renames the coefficients; a relabelling that changes which level
  is first changes the reference but not the log-likelihood, tests or concordance.
* A case weight of 2 is the row twice, for Breslow ties (Efron's approximation treats two
  tied deaths differently from one death of weight 2, in R too).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nlrstats.stats.survival._data as sdata
from nlrstats.stats.survival import coxph

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def cohorts(draw):
    n = draw(st.integers(20, 60))
    tied = draw(st.booleans())
    times = st.integers(1, 15).map(float) if tied else st.floats(0.01, 100, allow_nan=False)
    t = draw(st.lists(times, min_size=n, max_size=n))
    e = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    x = draw(st.lists(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 3)), min_size=n, max_size=n))
    g = draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))
    return pl.DataFrame({"t": t, "e": e, "x": x, "g": g, "s": [i % 2 for i in range(n)]})


@pytest.fixture(params=["reference", "compiled"])
def kernels(request, monkeypatch):
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0 if request.param == "compiled" else 10 ** 12)
    return request.param


def _fit(formula, df, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fit = coxph(formula, df, **kw)
    assume(not w and fit.converged and not fit.monotone and fit.nevent >= 4)
    return fit


def _close(a, b, rel=1e-7):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rel, atol=1e-10)


FORMULAS = ["Surv(t, e) ~ x + g", "Surv(t, e) ~ x * g + strata(s)"]


@SETTINGS
@given(df=cohorts(), seed=st.integers(0, 2 ** 31 - 1), k=st.integers(0, 1))
def test_row_order_does_not_matter(kernels, df, seed, k):
    assume(df["g"].n_unique() == 3)
    perm = df.with_row_index("row").sample(fraction=1.0, shuffle=True, seed=seed)
    a = _fit(FORMULAS[k], df)
    b = _fit(FORMULAS[k], perm.drop("row"))
    _close(b.coef, a.coef, 1e-8)
    _close(b.var, a.var, 1e-7)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-12)
    assert b.score_test == pytest.approx(a.score_test, rel=1e-8)
    assert b.iterations == a.iterations
    back = perm["row"].to_numpy()
    _close(b.residuals("martingale"), a.residuals("martingale")[back], 1e-7)
    _close(b.residuals("dfbeta").to_numpy(), a.residuals("dfbeta").to_numpy()[back], 1e-6)
    assert b.glance()["concordance"][0] == pytest.approx(a.glance()["concordance"][0], rel=1e-12)


@SETTINGS
@given(df=cohorts(), scale=st.sampled_from([1e-6, 1e-3, 0.5, 7.0, 1e3, 1e6]), shift=st.floats(-1e3, 1e3))
def test_scaling_and_shifting_a_covariate(kernels, df, scale, shift):
    assume(df["g"].n_unique() == 3)
    a = _fit("Surv(t, e) ~ x + g", df)
    # the shift in units of the scaled covariate: a shift of 500 on values of 1e-6 would lose the
    # data's own digits, not the fit's
    b = _fit("Surv(t, e) ~ x + g", df.with_columns((pl.col("x") + shift) * scale))
    assert list(b.terms) == list(a.terms)
    assert b.coef[0] * scale == pytest.approx(a.coef[0], rel=1e-6)
    _close(b.coef[1:], a.coef[1:], 1e-6)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-10)
    for col in ("statistic", "p_value"):
        _close(b.tidy()[col], a.tidy()[col], 1e-6)
    _close(b.fitdata.lp - b.fitdata.lp.mean(), a.fitdata.lp - a.fitdata.lp.mean(), 1e-6)
    assert b.iterations == a.iterations


@SETTINGS
@given(df=cohorts(), order=st.permutations(["u", "v", "w"]))
def test_relabelled_levels(kernels, df, order):
    assume(df["g"].n_unique() == 3)
    a = _fit("Surv(t, e) ~ g + x", df)
    mapping = dict(zip("abc", order))
    b = _fit("Surv(t, e) ~ g + x", df.with_columns(pl.col("g").replace_strict(mapping)))
    assert b.loglik == pytest.approx(a.loglik, rel=1e-10)
    assert b.score_test == pytest.approx(a.score_test, rel=1e-7)
    assert b.wald_test == pytest.approx(a.wald_test, rel=1e-6)
    assert b.coef[-1] == pytest.approx(a.coef[-1], rel=1e-6)  # x's coefficient
    assert b.glance()["concordance"][0] == pytest.approx(a.glance()["concordance"][0], rel=1e-12)
    if order == ["u", "v", "w"]:  # same order: the same coefficients under new names
        assert list(b.terms) == ["gv", "gw", "x"]
        _close(b.coef, a.coef, 1e-8)


@SETTINGS
@given(df=cohorts())
def test_weight_two_is_the_row_twice_with_breslow_ties(kernels, df):
    assume(df["g"].n_unique() == 3)
    n = df.height
    twice = pl.concat([df, df[: n // 2]])
    w = np.r_[np.full(n // 2, 2.0), np.ones(n - n // 2)]
    a = _fit("Surv(t, e) ~ x + g", twice, ties="breslow")
    b = _fit("Surv(t, e) ~ x + g", df.with_columns(pl.Series("w", w)), ties="breslow", weights="w")
    assert not b.robust  # whole-number weights: R keeps the model-based variance
    _close(b.coef, a.coef, 1e-8)
    _close(b.var, a.var, 1e-7)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-11)
    assert b.score_test == pytest.approx(a.score_test, rel=1e-8)
