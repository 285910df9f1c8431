"""The compiled (numba) kernels against the numpy kernels they replace from JIT_MIN_ROWS rows.

Each test runs the same call twice: with ``JIT_MIN_ROWS`` at 0 (every call takes the
compiled path) and at a value no data set reaches (numpy paths only). Kaplan-Meier curves
and grid counts must be equal to the bit, log-rank sums (time-ordered vs pairwise) to
1e-12. The Cox iteration is checked in tests/test_cox_paths.py, the concordance counts by brute
force in tests/test_survival_behaviour.py, and the R fixtures run on both kernels
(tests/test_survival_r.py).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import nlrstats.stats.survival._data as sdata
from nlrstats.stats.survival import survdiff, survfit
from nlrstats.stats.survival._data import factor, prepare
from nlrstats.stats.survival._packed import jit_prepared
from tests.survival_cases import PACKED_TIMES, two_group_frame

NEVER = 10 ** 12


def both(monkeypatch, fn):
    """fn() on the compiled paths, then on the numpy paths."""
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    fast = fn()
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", NEVER)
    return fast, fn()


def assert_same_km(fast, ref):
    assert fast.tidy().equals(ref.tidy())  # same numbers to the bit, same dtypes
    assert fast.median().equals(ref.median())
    assert np.array_equal(fast.n, ref.n)


def assert_close_logrank(fast, ref):
    np.testing.assert_allclose(fast.observed, ref.observed, rtol=1e-13)
    np.testing.assert_allclose(fast.expected, ref.expected, rtol=1e-12)
    np.testing.assert_allclose(fast.var, ref.var, rtol=1e-12, atol=1e-12)
    assert fast.statistic == pytest.approx(ref.statistic, rel=1e-11)
    assert fast.df == ref.df


TIMES = PACKED_TIMES
_frame = two_group_frame


@pytest.mark.parametrize("case", list(TIMES))
@pytest.mark.parametrize("variant", ["plain", "solo", "all_events", "one_core"])
def test_compiled_km_and_logrank_equal_numpy(case, variant, monkeypatch):
    import nlrstats.stats.survival._jit as jit
    if variant == "one_core":  # no worker thread: both groups' passes on the calling thread
        monkeypatch.setattr(jit, "_POOL", False)
    else:
        assert jit._pool() is not None or len(__import__("os").sched_getaffinity(0)) == 1
    df = _frame(case, solo=variant == "solo", all_events=variant == "all_events")
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    d = prepare("Surv(t, e) ~ g", df)
    assert jit_prepared(d, factor(d.frame["g"]).codes, 2) is not None  # the compiled path is taken
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ 1"):
        fast, ref = both(monkeypatch, lambda: survfit(formula, df))
        assert_same_km(fast, ref)
    for rho in (0.0, 1.0):
        fast, ref = both(monkeypatch, lambda: survdiff("Surv(t, e) ~ g", df, rho=rho))
        assert_close_logrank(fast, ref)


def test_compiled_paths_without_timefix(monkeypatch):
    from nlrstats.stats.survival._jit import jit_keys, km_two
    from nlrstats.stats.survival._km_kernels import km_arrays_packed
    from nlrstats.stats.survival._packed import packed_runs
    df = _frame("near_ties")
    t, e = df["t"].to_numpy(), df["e"].to_numpy().astype(np.int8)
    g = (df["g"] == "lo").to_numpy().astype(np.int64)
    fast = km_two(jit_keys(t, e, g, timefix=False), None)  # no timefix: never a second pass
    ref = km_arrays_packed(packed_runs(t, e, g, timefix=False))
    for a, b in zip(fast, ref):
        assert np.array_equal(a, b)  # (values: the stratum index is int8 here, int64 there)
    assert len(np.unique(fast[1])) > len(np.unique(np.round(t, 9)))  # near-ties kept apart


@pytest.mark.parametrize("direction", ["mean_of_rows_above", "mean_of_rows_below"])
def test_timefix_tolerance_from_unique_times_is_settled(direction, monkeypatch):
    # The passes start from sqrt(eps) * mean of all rows; R's tolerance uses the mean of the
    # unique times. A gap between the two tolerances must be treated as R treats it.
    from nlrstats.stats.survival._jit import _TOL
    base = np.arange(1.0, 41.0)
    if direction == "mean_of_rows_above":
        heavy = np.full(20000, 500.0)  # many rows at one late time pull the row mean up
        times = np.concatenate([base, [500.0], heavy])
    else:
        heavy = np.full(20000, 0.5)  # many rows at one early time pull the row mean down
        times = np.concatenate([base * 10, [0.5], heavy])
    at = base[5] * (1 if direction == "mean_of_rows_above" else 10)
    tol_rows, tol_unique = _TOL * max(1.0, times.mean()), _TOL * max(1.0, np.unique(times).mean())
    times = np.concatenate([times, [at + np.sqrt(tol_rows * tol_unique)]])
    gap = times[-1] - at
    tol_rows, tol_unique = _TOL * max(1.0, times.mean()), _TOL * max(1.0, np.unique(times).mean())
    assert min(tol_rows, tol_unique) < gap < max(tol_rows, tol_unique)  # the two rules disagree
    rng = np.random.default_rng(3)
    df = pl.DataFrame({"t": times, "e": rng.integers(0, 2, len(times)),
                       "g": rng.choice(["a", "b"], len(times))})
    fast, ref = both(monkeypatch, lambda: survfit("Surv(t, e) ~ g", df))
    assert_same_km(fast, ref)
    near = times[-1]
    merged = gap <= tol_unique  # what R does with this gap
    assert (near in set(fast.time.tolist())) != merged
    fast, ref = both(monkeypatch, lambda: survdiff("Surv(t, e) ~ g", df))
    assert_close_logrank(fast, ref)


GRID_TIMES = {
    "integers": lambda rng, n: rng.integers(0, 40, n).astype(float),  # includes time 0
    "one_decimal": lambda rng, n: np.round(rng.exponential(8, n), 1),
    "two_decimals": lambda rng, n: np.maximum(np.round(rng.exponential(8, n), 2), 0.01),
}


@pytest.mark.parametrize("ngroup", [2, 5])
@pytest.mark.parametrize("case", list(GRID_TIMES))
def test_compiled_grid_counts_equal_numpy(case, ngroup, monkeypatch):
    rng = np.random.default_rng(5)
    n = 3000
    g = rng.integers(0, ngroup, n)
    df = pl.DataFrame({"t": GRID_TIMES[case](rng, n), "e": rng.integers(0, 2, n),
                       "g": [f"g{k}" for k in g], "s": rng.integers(0, 3, n)})
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ g + strata(s)"):
        fast, ref = both(monkeypatch, lambda: survfit(formula, df))
        assert_same_km(fast, ref)
        fast, ref = both(monkeypatch, lambda: survdiff(formula, df, rho=1.0))
        assert_close_logrank(fast, ref)


def test_compiled_grid_count_rejects_a_time_off_the_grid():
    from nlrstats.stats.survival._grid import grid_table
    rng = np.random.default_rng(1)
    t = np.round(rng.exponential(5, 5000), 2)
    e = rng.integers(0, 2, 5000).astype(np.int8)
    g = np.zeros(5000, dtype=np.int64)
    sdata_min = sdata.JIT_MIN_ROWS
    try:
        sdata.JIT_MIN_ROWS = 0
        ut, counts = grid_table(t, e, g, 1)
        assert counts.sum() == 5000 and np.array_equal(ut, np.unique(t))
        t[4321] += 1e-9  # off the grid, and not in the sample the scale is chosen from
        assert grid_table(t, e, g, 1) is None
    finally:
        sdata.JIT_MIN_ROWS = sdata_min


STRINGS = {
    "two": (["NLR < 8", "NLR >= 8"], ("NLR < 8", "NLR >= 8")),
    "two_reversed_first": (["b", "a"], ("a", "b")),
    "one": (["only"], ("only",)),
    "three": (["x", "y", "z"], ("x", "y", "z")),
    "long": (["a label longer than twelve bytes", "short"], ("a label longer than twelve bytes", "short")),
    "prefix_equal": (["abcd", "abcdefghijklm"], ("abcd", "abcdefghijklm")),
}


@pytest.mark.parametrize("case", list(STRINGS))
def test_string_codes_from_arrow_views(case, monkeypatch):
    values, levels = STRINGS[case]
    rng = np.random.default_rng(8)
    s = pl.Series("g", rng.choice(values, 5000))
    if case == "two_reversed_first":
        s[0] = "b"
    chunked = pl.concat([s[:2000], s[2000:]], rechunk=False)
    for series in (s, s[1:], chunked):
        fast, ref = both(monkeypatch, lambda: factor(series))
        assert fast.levels == ref.levels == tuple(v for v in levels if v in set(series.to_list()))
        assert fast.codes.dtype == np.int64
        assert np.array_equal(fast.codes, ref.codes)
        expect = np.searchsorted(np.array(sorted(set(series.to_list())), dtype=object), series.to_numpy())
        assert np.array_equal(fast.codes, expect)


def test_string_codes_with_nulls_fall_back(monkeypatch):
    s = pl.Series("g", ["a", None, "b", "a"])
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    from nlrstats.stats.survival._jit import two_level_codes
    assert two_level_codes(s) is None
    assert two_level_codes(pl.Series("g", ["a", "b", "c"])) is None
    codes, second = two_level_codes(pl.Series("g", ["q", "q", "p", "q"]))
    assert codes.tolist() == [0, 0, 1, 0] and second == 2


def _child_km(t, e, g):
    from nlrstats.stats.survival._jit import jit_keys, km_two
    return km_two(jit_keys(t, e, g), None)


def test_compiled_km_in_a_forked_child():
    # the worker thread of the parent does not exist in a child made by fork: the child
    # must start its own, or the group-0 pass would wait forever. (numpy arrays only:
    # polars itself may deadlock in a forked child, as its documentation warns.)
    import multiprocessing as mp
    from nlrstats.stats.survival._jit import _pool
    rng = np.random.default_rng(2)
    t, e, g = rng.exponential(5, 6000), rng.integers(0, 2, 6000).astype(np.int8), rng.integers(0, 2, 6000)
    parent = _child_km(t, e, g)
    assert _pool() is not None or len(__import__("os").sched_getaffinity(0)) == 1  # the parent's pool exists
    with mp.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_child_km, (t, e, g)).get(timeout=60)
    for a, b in zip(child, parent):
        assert np.array_equal(a, b)
