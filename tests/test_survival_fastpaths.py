"""The fast kernels' special paths against direct computations (the Cox paths: tests/test_cox_paths.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.survival_cases import PACKED_TIMES, two_group_frame

KM_CASES = {
    "continuous": lambda rng, n: rng.exponential(10, n),
    "ties": lambda rng, n: np.round(rng.exponential(10, n)),
    "flat_half": lambda rng, n: np.repeat(np.arange(1.0, n // 4 + 1), 4)[:n],
}


@pytest.mark.parametrize("case", list(KM_CASES))
@pytest.mark.parametrize("events", ["mixed", "all"])
def test_median_ci_search_equals_full_band(case, events):
    # the median CI located by bisection / chunked scan equals _minmin over the full band
    from nlrstats.stats.survival import survfit
    rng = np.random.default_rng(11)
    n = 6000
    t = KM_CASES[case](rng, n)
    e = np.ones(n, dtype=np.int64) if events == "all" or case == "flat_half" else rng.integers(0, 2, n)
    df = pl.DataFrame({"t": t, "e": e, "g": rng.choice(["a", "b", "c"], n)})
    for formula in ("Surv(t, e) ~ 1", "Surv(t, e) ~ g"):
        fast = survfit(formula, df).median()
        full = survfit(formula, df)
        full.lower  # band formed: median() takes the full-band path
        assert "_band" in full.__dict__
        assert fast.equals(full.median())


GRID_TIMES = {
    "integers": lambda rng, n: rng.integers(0, 40, n).astype(float),  # includes time 0
    "one_decimal": lambda rng, n: np.round(rng.exponential(8, n), 1),
    "two_decimals": lambda rng, n: np.maximum(np.round(rng.exponential(8, n), 2), 0.01),
}


def _grid_frame(case, ngroup, seed=5, n=3000):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, ngroup, n)
    g[:ngroup] = np.arange(ngroup)  # every group present
    return pl.DataFrame({"t": GRID_TIMES[case](rng, n), "e": rng.integers(0, 2, n),
                         "g": [f"g{k:02d}" for k in g], "s": rng.integers(0, 3, n)})


@pytest.mark.parametrize("ngroup", [2, 5, 24])
@pytest.mark.parametrize("case", list(GRID_TIMES))
def test_grid_counting_paths_equal_sorting_paths(case, ngroup, monkeypatch):
    import nlrstats.stats.survival.km as km
    import nlrstats.stats.survival.logrank as lr
    from nlrstats.stats.survival import survdiff, survfit
    from nlrstats.stats.survival._grid import grid_codes

    df = _grid_frame(case, ngroup)
    # one-patient groups too
    df = pl.concat([df, pl.DataFrame({"t": [0.5, 2.0], "e": [1, 0], "g": ["solo1", "solo2"], "s": [0, 1]})])
    assert grid_codes(df["t"].to_numpy()) is not None
    formulas = ["Surv(t, e) ~ g", "Surv(t, e) ~ g + strata(s)"]
    grid_km = [survfit(f, df) for f in formulas]
    grid_lr = [survdiff(f, df, rho=r) for f in formulas for r in (0.0, 1.0)]
    monkeypatch.setattr(km, "grid_table", lambda *a, **k: None)
    monkeypatch.setattr(lr, "grid_table", lambda *a, **k: None)
    for f, fit in zip(formulas, grid_km):
        ref = survfit(f, df)
        assert fit.tidy().equals(ref.tidy())  # same numbers to the bit
        assert fit.median().equals(ref.median())
    for (f, r), res in zip([(f, r) for f in formulas for r in (0.0, 1.0)], grid_lr):
        ref = survdiff(f, df, rho=r)
        np.testing.assert_allclose(res.expected, ref.expected, rtol=1e-13)
        np.testing.assert_allclose(res.var, ref.var, rtol=1e-12, atol=1e-12)
        assert res.statistic == pytest.approx(ref.statistic, rel=1e-11)


def test_grid_detection_needs_every_time_on_the_grid():
    from nlrstats.stats.survival._grid import grid_codes
    t = np.round(np.random.default_rng(1).exponential(5, 5000), 2)
    codes, scale, _ = grid_codes(t)
    assert scale == 100.0 and (codes / scale == t).all()
    t[4321] += 1e-9  # off the grid, and not in the sample the scale is chosen from
    assert grid_codes(t) is None
    assert grid_codes(-t) is None


@pytest.mark.parametrize("case", list(PACKED_TIMES))
@pytest.mark.parametrize("solo", [False, True])
def test_packed_two_group_path_equals_per_group_sorts(case, solo, monkeypatch):
    import nlrstats.stats.survival.km as km
    import nlrstats.stats.survival.logrank as lr
    from nlrstats.stats.survival import survdiff, survfit
    from nlrstats.stats.survival._grid import grid_codes
    from nlrstats.stats.survival._packed import packed_runs

    df = two_group_frame(case, solo=solo)
    t = df["t"].to_numpy()
    assert grid_codes(t) is None
    assert packed_runs(t, df["e"].to_numpy().astype(np.int8), (df["g"] == "lo").to_numpy().astype(np.int64)) is not None
    fast_km = survfit("Surv(t, e) ~ g", df)
    fast_lr = [survdiff("Surv(t, e) ~ g", df, rho=r) for r in (0.0, 1.0)]
    monkeypatch.setattr(km, "packed_runs", lambda *a: None)
    monkeypatch.setattr(lr, "packed_runs", lambda *a: None)
    ref = survfit("Surv(t, e) ~ g", df)
    assert fast_km.tidy().equals(ref.tidy())
    assert fast_km.median().equals(ref.median())
    for r, res in zip((0.0, 1.0), fast_lr):
        want = survdiff("Surv(t, e) ~ g", df, rho=r)
        np.testing.assert_allclose(res.expected, want.expected, rtol=1e-13)
        np.testing.assert_allclose(res.var, want.var, rtol=1e-12)
        assert res.statistic == pytest.approx(want.statistic, rel=1e-11)


def test_packed_keys_refuse_negative_and_subnormal_scaling():
    from nlrstats.stats.survival._packed import packed_runs
    e = np.array([1, 0, 1], dtype=np.int8)
    g = np.array([0, 1, 1])
    assert packed_runs(np.array([-1.0, 2.0, 3.0]), e, g) is None
    assert packed_runs(np.array([1e-310, 5.0, 1e20]), e, g) is None  # 1e-310 * 2^-66 is inexact
    # (no timefix: relative to a mean time of 3e19, R would merge 0 and 5)
    ut, grp, cnt, nev, merged = packed_runs(np.array([0.0, 5.0, 1e20]), e, g, timefix=False)
    assert ut.tolist() == [0.0, 5.0, 1e20] and grp.tolist() == [0, 1, 1] and nev.tolist() == [1, 0, 1]


@pytest.mark.parametrize("kind", ["lattice", "random", "clustered", "two", "one"])
def test_table_rank_equals_binary_search(kind):
    from nlrstats.stats.survival.concordance import _dense_rank
    rng = np.random.default_rng(2)
    base = {"lattice": np.arange(-40, 120) * 0.02 + 0.7 * (np.arange(160) % 2),
            "random": rng.normal(size=300),
            "clustered": np.concatenate([rng.normal(size=50) * 1e-9, [1e3]]),  # crowded buckets
            "two": np.array([0.0, 0.693]),
            "one": np.array([1.5])}[kind]
    x = rng.choice(base, 20000)
    r, nu = _dense_rank(x)
    u = np.unique(x)
    assert nu == len(u)
    np.testing.assert_array_equal(r, np.searchsorted(u, x))


def test_bad_time_and_event_name_column_and_original_row():
    from nlrstats.stats.formula import FormulaError
    from nlrstats.stats.survival import survfit
    d = pl.DataFrame({"t": [1.0, None, 3.0, np.inf], "e": [1, 0, 1, 0], "g": ["a", "b", "a", "b"]})
    with pytest.raises(FormulaError, match=r"time column 't' has a non-finite value at row 3"):
        survfit("Surv(t, e) ~ g", d)
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 2, 0], "g": ["a", "b", "a"]})
    with pytest.raises(FormulaError, match=r"event column 'e' must be 0/1.*found 2 at row 1"):
        survfit("Surv(t, e) ~ g", d)
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1.0, 0.5, 0.0], "g": ["a", "b", "a"]})
    with pytest.raises(FormulaError, match=r"found 0.5 at row 1"):
        survfit("Surv(t, e) ~ g", d)
