"""The Cox likelihood's two paths, the numpy reference (term sums) and the compiled pass, against a loop.

The loop follows the textbook formulas (R's coxfit6 with case weights): per stratum and death
time, Efron's d terms S - (k/d) D weighted by the deaths' mean weight. Cases: continuous
times, heavy ties, near-ties merged by timefix (deaths and censorings interleave inside a
merged block), strata, case weights. A linear predictor spread of thousands (where exp()
overflows) is checked against the same loop in log space.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import nlrstats.stats.survival._data as sdata
from nlrstats.stats.survival import coxph
from nlrstats.stats.survival._coxfit import cox_iter, risk_sets
from nlrstats.stats.survival._cox_jit import cox_iter_jit

NEVER = 10 ** 12


def efron_loop(time, event, X, strata, beta, w, ties="efron"):
    """Log partial likelihood, score and information by a loop over strata and death times (log space)."""
    p = X.shape[1]
    eta = X @ beta
    ll, U, info = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        ins = strata == s
        for t in np.unique(time[ins & (event == 1)]):
            risk = ins & (time >= t)
            dead = ins & (time == t) & (event == 1)
            c = eta[risk].max()
            r = np.zeros(len(eta))
            r[risk] = w[risk] * np.exp(eta[risk] - c)
            d = int(dead.sum())
            wd = w[dead].sum()
            r0, r1 = r[risk].sum(), (r[risk, None] * X[risk]).sum(0)
            r2 = (r[risk, None, None] * X[risk, :, None] * X[risk, None, :]).sum(0)
            d0, d1 = r[dead].sum(), (r[dead, None] * X[dead]).sum(0)
            d2 = (r[dead, None, None] * X[dead, :, None] * X[dead, None, :]).sum(0)
            ll += (w[dead] * eta[dead]).sum()
            U += (w[dead, None] * X[dead]).sum(0)
            terms = range(d) if ties == "efron" else [0]
            wt = wd / d if ties == "efron" else wd
            for k in terms:
                f = k / d if ties == "efron" else 0.0
                s0, s1, s2 = r0 - f * d0, r1 - f * d1, r2 - f * d2
                ll -= wt * (math.log(s0) + c)
                U -= wt * s1 / s0
                info += wt * (s2 / s0 - np.outer(s1, s1) / s0 ** 2)
    return ll, U, info


TIMES = {
    "continuous": (lambda rng, n: rng.exponential(5, n), lambda t: t),
    "heavy_ties": (lambda rng, n: rng.integers(1, 16, n).astype(float), lambda t: t),
    "timefix": (lambda rng, n: rng.integers(1, 16, n) + rng.uniform(0, 1e-10, n), np.round),
}


def _data(case, n=600, seed=3):
    rng = np.random.default_rng(seed)
    make, merged = TIMES[case]
    t = make(rng, n)
    df = pl.DataFrame({"t": t, "e": rng.integers(0, 2, n), "x": rng.normal(0, 1, n), "z": rng.integers(0, 4, n),
                       "s": rng.integers(0, 3, n), "w": rng.uniform(0.2, 3, n)})
    return df, merged(t)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize("case", list(TIMES))
def test_reference_and_compiled_paths_equal_the_loop(case, stratified, ties, weighted, monkeypatch):
    df, tm = _data(case)
    X = df.select("x", "z").to_numpy().astype(float)
    strata = df["s"].to_numpy() if stratified else np.zeros(df.height, dtype=np.int64)
    w = df["w"].to_numpy() if weighted else np.ones(df.height)
    formula = "Surv(t, e) ~ x + z" + (" + strata(s)" if stratified else "")
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", NEVER)
    fit = coxph(formula, df, ties=ties, weights="w" if weighted else None, robust=False)
    rs = fit.fitdata.rs
    rng = np.random.default_rng(1)
    for beta in (np.zeros(2), fit.coef, rng.normal(0, 0.3, 2)):
        ll0, U0, I0 = efron_loop(tm, df["e"].to_numpy(), X, strata, beta, w, ties)
        bs = beta / rs.scale  # the kernels work on coxfit6's centred and scaled columns
        for kernel in (cox_iter, cox_iter_jit):
            ll, U, info = kernel(rs, bs)
            assert ll == pytest.approx(ll0, rel=1e-11)
            np.testing.assert_allclose(U * rs.scale ** -1, U0, rtol=1e-9, atol=1e-9 * df.height)
            np.testing.assert_allclose(info / np.outer(rs.scale, rs.scale), I0, rtol=1e-10)
        assert cox_iter_jit(rs, bs, want_info=False)[2] is None
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)  # the whole fit on the compiled pass
    fast = coxph(formula, df, ties=ties, weights="w" if weighted else None, robust=False)
    np.testing.assert_allclose(fast.coef, fit.coef, rtol=1e-10)
    np.testing.assert_allclose(fast.var, fit.var, rtol=1e-9)
    assert fast.loglik == pytest.approx(fit.loglik, rel=1e-12)
    assert fast.iterations == fit.iterations


@pytest.mark.parametrize("stratified", [False, True])
def test_huge_linear_predictor_stays_finite(stratified):
    # eta spread of ~4000: exp() overflows and underflows unless each risk set is shifted
    df, tm = _data("continuous", n=300)
    X = df.select("x", "z").to_numpy().astype(float)
    strata = df["s"].to_numpy() if stratified else np.zeros(df.height, dtype=np.int64)
    rs = risk_sets(df["t"].to_numpy(), df["e"].to_numpy(), X, strata if stratified else None, "efron")
    beta = np.array([900.0, -150.0])
    ll, U, info = cox_iter(rs, beta)
    ll0, U0, I0 = efron_loop(tm, df["e"].to_numpy(), X - X.mean(axis=0), strata, beta, np.ones(df.height))
    assert np.isfinite(ll) and ll == pytest.approx(ll0, rel=1e-10)
    np.testing.assert_allclose(U, U0, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(info, I0, rtol=1e-7, atol=1e-12)
