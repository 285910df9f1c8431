"""The fast Kaplan-Meier and log-rank kernels against the reference kernels they stand in for.

Each test runs the same call twice: with ``JIT_MIN_ROWS`` at 0 (every call takes a fast
path: grid counting, or the compiled two-group passes) and at a value no data set reaches
(the reference kernels: an argsort, then run counts). Kaplan-Meier curves must be equal to
the bit; log-rank sums (time-ordered in the compiled pass, pairwise in numpy) to 1e-12.
"""

from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nlrstats.stats.cores as cores
import nlrstats.stats.survival._data as sdata
from nlrstats.stats.survival import survdiff, survfit
from nlrstats.stats.survival._data import TIMEFIX_TOL, factor, prepare
from nlrstats.stats.survival._fastpaths import compiled_keys, grid_table
from nlrstats.stats.survival._km_kernels import km_arrays
from tests.survival_cases import PACKED_TIMES, two_group_frame

NEVER = 10 ** 12


def both(monkeypatch, fn):
    """fn() on the fast paths, then on the reference kernels."""
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


@pytest.mark.parametrize("case", list(PACKED_TIMES))
@pytest.mark.parametrize("variant", ["plain", "solo", "all_events", "one_core", "two_part_sort"])
def test_compiled_two_group_passes_equal_reference(case, variant, monkeypatch):
    import nlrstats.stats.survival._jit as jit
    if variant == "one_core":  # no worker thread: both groups' passes on the calling thread
        monkeypatch.setattr(cores, "ENABLED", False)
    else:
        assert cores.second_core() is not None or len(os.sched_getaffinity(0)) == 1
    if variant == "two_part_sort":  # the keys split at a median time and sorted on two cores
        monkeypatch.setattr(jit, "PARALLEL_SORT_ROWS", 0)
    df = two_group_frame(case, solo=variant == "solo", all_events=variant == "all_events")
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    d = prepare("Surv(t, e) ~ g", df)
    assert compiled_keys(d, factor(d.frame["g"]).codes, 2) is not None  # the compiled path is taken
    assert grid_table(d.raw_time, d.event, factor(d.frame["g"]).codes, 2) is None  # (not the grid one)
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ 1"):
        for stype, ctype in ((1, 1), (2, 2)):
            fast, ref = both(monkeypatch, lambda: survfit(formula, df, stype=stype, ctype=ctype))
            assert_same_km(fast, ref)
    for rho in (0.0, 1.0):
        fast, ref = both(monkeypatch, lambda: survdiff("Surv(t, e) ~ g", df, rho=rho))
        assert_close_logrank(fast, ref)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=300),
       st.sampled_from([1.0, 0.25, 1e-3]))
def test_two_part_sort_gives_the_one_part_keys(rows, unit):
    # ties at the pivot, all rows on one side of it, a single row: the keys split at the
    # sampled median and sorted in two parts must be the keys of one sort
    import nlrstats.stats.survival._jit as jit
    t = np.array([r[0] for r in rows], float) * unit
    e = np.array([r[1] for r in rows], np.int8)
    g = np.array([r[2] for r in rows], np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jit, "PARALLEL_SORT_ROWS", 10**9)
        one = jit.jit_keys(t, e, g)
        patch.setattr(jit, "PARALLEL_SORT_ROWS", 0)
        two = jit.jit_keys(t, e, g)
    assert np.array_equal(one.keys, two.keys)
    assert np.array_equal(one.rows, two.rows) and one.thr == two.thr and one.unscale == two.unscale


def test_compiled_passes_without_timefix():
    from nlrstats.stats.survival._jit import jit_keys, km_two
    df = two_group_frame("near_ties")
    t, e = df["t"].to_numpy(), df["e"].to_numpy().astype(np.int8)
    g = (df["g"] == "lo").to_numpy().astype(np.int64)
    fast = km_two(jit_keys(t, e, g, timefix=False), None)  # no timefix: never a second pass
    ref = km_arrays(t, e, g, 2)
    for a, b in zip(fast, ref):
        assert np.array_equal(a, b)  # (values: the stratum index is int8 there, int64 here)
    assert len(np.unique(fast[1])) > len(np.unique(np.round(t, 9)))  # near-ties kept apart


@pytest.mark.parametrize("direction", ["mean_of_rows_above", "mean_of_rows_below"])
def test_timefix_tolerance_from_unique_times_is_settled(direction, monkeypatch):
    # The compiled passes start from sqrt(eps) * mean of all rows; R's tolerance uses the mean
    # of the unique times. A gap between the two tolerances must be treated as R treats it.
    base = np.arange(1.0, 41.0)
    if direction == "mean_of_rows_above":
        times = np.concatenate([base, [500.0], np.full(20000, 500.0)])  # rows at one late time pull the mean up
    else:
        times = np.concatenate([base * 10, [0.5], np.full(20000, 0.5)])  # ... or down
    at = base[5] * (1 if direction == "mean_of_rows_above" else 10)
    tol_rows, tol_unique = TIMEFIX_TOL * max(1.0, times.mean()), TIMEFIX_TOL * max(1.0, np.unique(times).mean())
    times = np.concatenate([times, [at + np.sqrt(tol_rows * tol_unique)]])
    gap = times[-1] - at
    tol_rows, tol_unique = TIMEFIX_TOL * max(1.0, times.mean()), TIMEFIX_TOL * max(1.0, np.unique(times).mean())
    assert min(tol_rows, tol_unique) < gap < max(tol_rows, tol_unique)  # the two rules disagree
    rng = np.random.default_rng(3)
    df = pl.DataFrame({"t": times, "e": rng.integers(0, 2, len(times)), "g": rng.choice(["a", "b"], len(times))})
    fast, ref = both(monkeypatch, lambda: survfit("Surv(t, e) ~ g", df))
    assert_same_km(fast, ref)
    merged = gap <= tol_unique  # what R does with this gap
    assert (times[-1] in set(fast.time.tolist())) != merged
    fast, ref = both(monkeypatch, lambda: survdiff("Surv(t, e) ~ g", df))
    assert_close_logrank(fast, ref)


GRID_TIMES = {
    "integers": lambda rng, n: rng.integers(0, 40, n).astype(float),  # includes time 0
    "one_decimal": lambda rng, n: np.round(rng.exponential(8, n), 1),
    "two_decimals": lambda rng, n: np.maximum(np.round(rng.exponential(1.2, n), 2), 0.01),  # a small table
}


def _grid_frame(case, ngroup, seed=5, n=3000):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, ngroup, n)
    g[:ngroup] = np.arange(ngroup)  # every group present
    df = pl.DataFrame({"t": GRID_TIMES[case](rng, n), "e": rng.integers(0, 2, n),
                       "g": [f"g{k:02d}" for k in g], "s": rng.integers(0, 3, n)})
    # one-patient groups too
    return pl.concat([df, pl.DataFrame({"t": [0.5, 2.0], "e": [1, 0], "g": ["solo1", "solo2"], "s": [0, 1]})])


@pytest.mark.parametrize("ngroup", [2, 5, 24])
@pytest.mark.parametrize("case", list(GRID_TIMES))
def test_grid_counting_equals_reference(case, ngroup, monkeypatch):
    df = _grid_frame(case, ngroup)
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    d = prepare("Surv(t, e) ~ g", df)
    fac = factor(d.frame["g"])
    assert grid_table(d.raw_time, d.event, fac.codes, len(fac.levels)) is not None  # the grid path is taken
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ g + strata(s)"):
        fast, ref = both(monkeypatch, lambda: survfit(formula, df, ctype=2))
        assert_same_km(fast, ref)
        for rho in (0.0, 1.0):
            fast, ref = both(monkeypatch, lambda: survdiff(formula, df, rho=rho))
            assert_close_logrank(fast, ref)


def test_grid_table_needs_every_time_on_the_grid(monkeypatch):
    rng = np.random.default_rng(1)
    t = np.round(rng.exponential(5, 5000), 2)
    e = rng.integers(0, 2, 5000).astype(np.int8)
    g = np.zeros(5000, dtype=np.int64)
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)
    ut, counts = grid_table(t, e, g, 1)
    assert counts.sum() == 5000 and np.array_equal(ut, np.unique(t))
    t[4321] += 1e-9  # off the grid, and not in the sample the scale is chosen from
    assert grid_table(t, e, g, 1) is None
    assert grid_table(-t, e, g, 1) is None
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", NEVER)
    assert grid_table(np.round(t, 1), e, g, 1) is None  # small cohorts: the reference kernels


def test_packing_refuses_negative_and_subnormal_scaling():
    from nlrstats.stats.survival._data import pack_exponent
    assert pack_exponent(np.array([-1.0, 2.0, 3.0])) is None
    assert pack_exponent(np.array([1e-310, 5.0, 1e20])) is None  # 1e-310 * 2^-66 is inexact
    assert pack_exponent(np.array([0.0, 5.0, 1e20])) == 66
    assert pack_exponent(np.array([0.5, 1.9])) == 0


def test_negative_times_take_the_reference_path(monkeypatch):
    d = pl.DataFrame({"t": [-1.0, 0.5, 2.0, 3.0, 4.0, 5.0], "e": [1, 1, 0, 1, 1, 0],
                      "g": ["a", "b", "a", "b", "a", "b"]})
    shifted = d.with_columns(pl.col("t") + 10)
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0)  # even where the fast paths would run
    a, b = survfit("Surv(t, e) ~ g", d).tidy(), survfit("Surv(t, e) ~ g", shifted).tidy()
    assert a["estimate"].to_list() == pytest.approx(b["estimate"].to_list(), rel=1e-15)
    assert survdiff("Surv(t, e) ~ g", d).statistic == pytest.approx(
        survdiff("Surv(t, e) ~ g", shifted).statistic, rel=1e-12)


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


def test_string_codes_with_nulls_fall_back():
    from nlrstats.stats.survival._scan_jit import two_level_codes
    assert two_level_codes(pl.Series("g", ["a", None, "b", "a"])) is None
    assert two_level_codes(pl.Series("g", ["a", "b", "c"])) is None
    codes, second = two_level_codes(pl.Series("g", ["q", "q", "p", "q"]))
    assert codes.tolist() == [0, 0, 1, 0] and second == 2


def _child_km(t, e, g):
    from nlrstats.stats.survival._jit import jit_keys, km_two
    return km_two(jit_keys(t, e, g), None)


def test_compiled_km_in_a_forked_child():
    # the worker thread of the parent does not exist in a child made by fork: the child must
    # start its own, or the group-0 pass would wait forever (numpy arrays only: polars itself
    # may deadlock in a forked child, as its documentation warns)
    rng = np.random.default_rng(2)
    t, e, g = rng.exponential(5, 6000), rng.integers(0, 2, 6000).astype(np.int8), rng.integers(0, 2, 6000)
    parent = _child_km(t, e, g)
    assert cores.second_core() is not None or len(os.sched_getaffinity(0)) == 1  # the parent's pool exists
    with mp.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_child_km, (t, e, g)).get(timeout=60)
    for a, b in zip(child, parent):
        assert np.array_equal(a, b)


KM_CASES = {
    "continuous": lambda rng, n: rng.exponential(10, n),
    "ties": lambda rng, n: np.round(rng.exponential(10, n)),
    "flat_half": lambda rng, n: np.repeat(np.arange(1.0, n // 4 + 1), 4)[:n],
}


@pytest.mark.parametrize("case", list(KM_CASES))
@pytest.mark.parametrize("events", ["mixed", "all"])
def test_median_ci_search_equals_full_band(case, events):
    # the median CI located by bisection / chunked scan equals R's minmin over the full band
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
