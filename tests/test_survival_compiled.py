"""The compiled (numba) Cox iteration against the numpy iteration it replaces from JIT_MIN_ROWS rows.

Each test runs the same call twice: with ``JIT_MIN_ROWS`` at 0 (every call takes the
compiled path) and at a value no data set reaches (numpy paths only); the Cox iteration
must agree to 1e-11. The Kaplan-Meier, log-rank and concordance kernels are checked in
tests/test_km_kernels.py and tests/test_concordance_kernels.py, and the R fixtures run on
both kernels (tests/test_survival_r.py, tests/test_km_r.py).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import nlrstats.stats.survival._data as sdata

NEVER = 10 ** 12


def both(monkeypatch, fn):
    """fn() on the compiled paths, then on the numpy paths."""
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    fast = fn()
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", NEVER)
    return fast, fn()


COX_TIMES = {
    "continuous": lambda rng, n: rng.exponential(5, n),
    "heavy_ties": lambda rng, n: rng.integers(1, 16, n).astype(float),
    # near-ties merged by timefix: deaths and censorings interleave inside merged blocks
    "timefix": lambda rng, n: rng.integers(1, 16, n) + rng.uniform(0, 1e-10, n),
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize("case", list(COX_TIMES))
def test_compiled_cox_iteration_equals_numpy(case, stratified, ties, monkeypatch):
    from nlrstats.stats.survival import coxph
    from nlrstats.stats.survival._coxfit import cox_iter
    from nlrstats.stats.survival._cox_jit import cox_iter_jit
    rng = np.random.default_rng(3)
    n = 1500
    df = pl.DataFrame({"t": COX_TIMES[case](rng, n), "e": rng.integers(0, 2, n), "g": rng.choice(["a", "b"], n),
                       "x": rng.normal(0, 1, n), "z": rng.integers(0, 4, n), "s": rng.integers(0, 3, n)})
    formula = "Surv(t, e) ~ g + x + z" + (" + strata(s)" if stratified else "")
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", NEVER)
    ref = coxph(formula, df, ties=ties)
    rs = ref._conc_args[0]
    for beta in (np.zeros(3), ref.coef, rng.normal(0, 0.3, 3)):
        ll, sc, info = cox_iter(rs, beta)
        ll2, sc2, info2 = cox_iter_jit(rs, beta)
        assert ll2 == pytest.approx(ll, rel=1e-12)
        np.testing.assert_allclose(sc2, sc, rtol=1e-9, atol=1e-10 * n)  # the score is ~0 at the fit
        np.testing.assert_allclose(info2, info, rtol=1e-11)
        assert cox_iter_jit(rs, beta, want_info=False)[2] is None
    fast, _ = both(monkeypatch, lambda: coxph(formula, df, ties=ties))
    np.testing.assert_allclose(fast.coef, ref.coef, rtol=1e-10)
    np.testing.assert_allclose(fast.var, ref.var, rtol=1e-9)
    assert fast.loglik == pytest.approx(ref.loglik, rel=1e-12)
