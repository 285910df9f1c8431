"""Invariances R guarantees for survfit and survdiff, as hypothesis properties.

Row order does not matter; relabelling group levels only renames (and reorders) the curves
and leaves the test unchanged; a case weight of 2 is the same as the row twice (survfit's
weighted counts, curve and Greenwood variance; only the record count ``n`` differs, as in R).
Each property runs on the reference kernels and on the fast ones.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nlrstats.stats.survival._data as sdata
from nlrstats.stats.survival import survdiff, survfit

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def cohorts(draw, min_groups=1):
    n = draw(st.integers(4, 40))
    tied = draw(st.booleans())
    times = st.integers(0, 12).map(float) if tied else st.floats(0, 100, allow_nan=False, allow_infinity=False)
    t = draw(st.lists(times, min_size=n, max_size=n))
    e = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    ng = draw(st.integers(min_groups, 3))
    g = draw(st.lists(st.sampled_from("abc"[:ng]), min_size=n, max_size=n))
    w = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    return pl.DataFrame({"t": t, "e": e, "g": g, "w": w, "s": [i % 2 for i in range(n)]})


@pytest.fixture(params=["reference", "fast"])
def kernels(request, monkeypatch):
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0 if request.param == "fast" else 10 ** 12)
    return request.param


def _curves(fit):
    """Each stratum's curve as a frame without the label, keyed by label."""
    t = fit.tidy()
    labels = t["strata"].unique(maintain_order=True).to_list()
    return {lab: t.filter(pl.col("strata").eq_missing(lab)).drop("strata") for lab in labels}


@SETTINGS
@given(df=cohorts(), seed=st.integers(0, 2 ** 31 - 1))
def test_survfit_ignores_row_order(kernels, df, seed):
    perm = df.sample(fraction=1.0, shuffle=True, seed=seed)
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ g + strata(s)"):
        a, b = survfit(formula, df), survfit(formula, perm)
        assert a.tidy().equals(b.tidy())
        assert a.median().equals(b.median())
        assert a.quantile().equals(b.quantile())
        assert a.table().equals(b.table())


@SETTINGS
@given(df=cohorts(min_groups=2), seed=st.integers(0, 2 ** 31 - 1), rho=st.sampled_from([0.0, 0.5, 1.0]))
def test_survdiff_ignores_row_order(kernels, df, seed, rho):
    if df["g"].n_unique() < 2:
        return
    perm = df.sample(fraction=1.0, shuffle=True, seed=seed)
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ g + strata(s)"):
        a, b = _quiet(survdiff, formula, df, rho), _quiet(survdiff, formula, perm, rho)
        np.testing.assert_allclose(a.expected, b.expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a.var, b.var, rtol=1e-11, atol=1e-12)
        assert a.statistic == pytest.approx(b.statistic, rel=1e-9, abs=1e-12) and a.df == b.df


def _quiet(fn, *args):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no events: df -1, p NA (tested elsewhere)
        return fn(*args[:2], rho=args[2])


RELABEL = {"a": "zz", "b": "b0", "c": "aa"}  # a new sort order of the levels


@SETTINGS
@given(df=cohorts(min_groups=2), rho=st.sampled_from([0.0, 1.0]))
def test_relabelling_levels_renames_curves_and_keeps_the_test(kernels, df, rho):
    if df["g"].n_unique() < 2:
        return
    re = df.with_columns(pl.col("g").replace_strict(RELABEL))
    a, b = _curves(survfit("Surv(t, e) ~ g", df)), _curves(survfit("Surv(t, e) ~ g", re))
    assert sorted(b) == sorted(f"g={RELABEL[k[2:]]}" for k in a)
    for lab, curve in a.items():
        assert curve.equals(b[f"g={RELABEL[lab[2:]]}"])
    x, y = _quiet(survdiff, "Surv(t, e) ~ g", df, rho), _quiet(survdiff, "Surv(t, e) ~ g", re, rho)
    assert x.statistic == pytest.approx(y.statistic, rel=1e-9, abs=1e-12) and x.df == y.df


@SETTINGS
@given(df=cohorts(), stype=st.sampled_from([1, 2]))
def test_weight_two_is_the_row_twice(df, stype):
    # (not for ctype = 2: R's Fleming-Harrington steps count tied deaths as rows, so a weight
    # of 2 and the row twice differ there; the R fixtures pin the weighted ctype = 2 curve)
    twice = pl.concat([df, df])
    a = survfit("Surv(t, e) ~ g", df.with_columns(w2=pl.lit(2)), weights="w2", stype=stype)
    b = survfit("Surv(t, e) ~ g", twice, stype=stype)
    ta, tb = a.tidy(), b.tidy()
    for col in ("time", "n_risk", "n_event", "n_censor"):
        assert ta[col].cast(pl.Float64).to_list() == tb[col].cast(pl.Float64).to_list()
    for col in ("estimate", "std_error", "conf_low", "conf_high", "cumhaz", "std_chaz"):
        np.testing.assert_allclose(ta[col].to_numpy().astype(float), tb[col].to_numpy().astype(float),
                                   rtol=1e-12, equal_nan=True)
    assert a.median().drop("records").equals(b.median().drop("records"))
    assert (2 * a.n == b.n).all()  # records are rows, as R's n


@SETTINGS
@given(df=cohorts())
def test_whole_number_weights_are_replicated_rows(df):
    rep = df.select(pl.all().repeat_by(pl.col("w")).explode())
    a, b = survfit("Surv(t, e) ~ g", df, weights="w"), survfit("Surv(t, e) ~ g", rep)
    np.testing.assert_allclose(a.surv, b.surv, rtol=1e-13)
    np.testing.assert_allclose(a.std_err, b.std_err, rtol=1e-12)
    np.testing.assert_allclose(a.n_risk, b.n_risk)


def test_fractional_weights_are_refused_with_the_reason():
    df = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1], "w": [0.5, 1.0, 2.0]})
    with pytest.raises(ValueError, match="whole numbers.*robust"):
        survfit("Surv(t, e) ~ 1", df, weights="w")
