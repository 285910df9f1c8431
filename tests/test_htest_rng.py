"""R's random stream and the Monte Carlo p-values drawn from it, against tests/r/htest_rng_fixtures.R.

Every comparison is exact (``==``): the point of porting R's generator is that a seed gives
R's numbers to the last digit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlrstats.stats.htest import chisq_test, fisher_test, r2dtable
from nlrstats.stats.htest.sampling import prob_sample_replace
from nlrstats.stats.rng import RRNG



def _exact(v):
    """The fixtures carry doubles as "%.17g" strings (JSON's 15 digits would not pin the last bit)."""
    if isinstance(v, dict):
        return {k: _exact(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_exact(x) for x in v]
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


FIX = _exact(json.loads((Path(__file__).parent / "fixtures" / "htest_rng.json").read_text()))


@pytest.mark.parametrize("case", FIX["stream"], ids=lambda c: f"seed{c['seed']}")
def test_set_seed_and_runif_equal_r(case):
    g = RRNG(case["seed"])
    assert g.random_seed.tolist() == case["random_seed"]
    u = g.unif_rand(1000)
    assert u[:5].tolist() == case["runif_head"]
    assert u[623:626].tolist() == case["runif_624_626"]
    assert u[999] == case["runif_1000"]
    assert g.random_seed.tolist() == case["random_seed_after"]
    # the same state read back from R's .Random.seed continues the same stream
    h = RRNG.from_random_seed(case["random_seed_after"])
    g2 = RRNG(case["seed"])
    g2.unif_rand(1000)
    assert h.unif_rand(700).tolist() == g2.unif_rand(700).tolist()


def test_draws_in_pieces_equal_one_draw():
    a = RRNG(5).unif_rand(5000)
    g = RRNG(5)
    b = np.concatenate([g.unif_rand(k) for k in (1, 623, 1, 624, 1000, 2751)])
    assert np.array_equal(a, b)


@pytest.mark.parametrize("case", FIX["samples"], ids=lambda c: f"n{c['n']:g}size{c['size']}{c['replace']}")
def test_sample_int_equals_r(case):
    seed = 7 if case["replace"] else (8 if case["n"] == 30 else 9)
    g = RRNG(seed)
    got = g.sample_int(int(case["n"]), case["size"], replace=case["replace"])
    assert got.tolist() == [int(v) for v in np.atleast_1d(case["value"])]


@pytest.mark.parametrize("case", FIX["prob_samples"], ids=lambda c: str(len(c["prob"])))
def test_sample_with_prob_equals_r(case):
    assert prob_sample_replace(case["prob"], case["size"], RRNG(11)).tolist() == case["value"]


@pytest.mark.parametrize("case", FIX["r2dtable"], ids=lambda c: f"{len(c['r'])}x{len(c['c'])}")
@pytest.mark.parametrize("jit", [False, True])
def test_r2dtable_equals_r(case, jit):
    tabs = r2dtable(case["n"], case["r"], case["c"], seed=int(case["seed"]), jit=jit)
    assert [t.ravel(order="F").tolist() for t in tabs] == case["tables"]


@pytest.mark.parametrize("case", FIX["simulated"], ids=lambda c: f"{c['test']}-seed{c['seed']}-B{c['B']}")
def test_simulated_p_values_equal_r(case):
    if case["test"] == "fisher":
        h = fisher_test(case["table"], simulate_p_value=True, B=case["B"], seed=case["seed"])
    elif case["table"] is not None:
        h = chisq_test(case["table"], simulate_p_value=True, B=case["B"], seed=case["seed"])
    else:
        h = chisq_test(case["x"], p=case["p"], simulate_p_value=True, B=case["B"], seed=case["seed"])
    assert h.p_value == case["p_value"]
    assert h.method == case["method"]
    assert h.replicates == case["B"] and h.seed == case["seed"]
    if case["statistic"] is not None and case["test"] == "chisq":
        assert h.statistic == pytest.approx(case["statistic"], rel=1e-14)


def test_several_calls_continue_one_stream_as_after_one_set_seed():
    g = RRNG(FIX["sequence"]["seed"])
    t25 = [[3, 4, 2, 1, 0], [0, 1, 2, 3, 5]]
    t33 = [[3, 4, 2], [0, 1, 2], [3, 5, 1]]
    t54 = [[12, 5, 7, 3], [8, 9, 4, 6], [2, 11, 5, 5], [7, 3, 9, 6], [1, 4, 8, 10]]
    got = [fisher_test(t25, simulate_p_value=True, seed=g).p_value,
           fisher_test(t33, simulate_p_value=True, seed=g).p_value,
           chisq_test(t54, simulate_p_value=True, B=300, seed=g).p_value]
    assert got == FIX["sequence"]["p_values"]


def test_fresh_seed_is_recorded_and_reproduces():
    t = [[3, 4, 2, 1, 0], [0, 1, 2, 3, 5]]
    h = fisher_test(t, simulate_p_value=True, B=500)
    assert isinstance(h.seed, int)
    assert fisher_test(t, simulate_p_value=True, B=500, seed=h.seed).p_value == h.p_value


def test_bad_seeds_and_states_are_named():
    with pytest.raises(TypeError, match="seed must be an integer"):
        RRNG(1.5)
    with pytest.raises(ValueError, match="Random.seed"):
        RRNG.from_random_seed([403, 624] + [0] * 624)


def test_long_streams_switch_to_compiled_refills_without_changing_a_draw():
    # 3 million uniforms in one call vs in pieces (the stream refills ahead in compiled batches
    # once it has drawn ~10^6); the state read back as R's .Random.seed continues identically
    one = RRNG(9).unif_rand(3_000_000)
    g = RRNG(9)
    pieces = np.concatenate([g.unif_rand(1234) for _ in range(2432)])[: one.size]
    assert np.array_equal(one, pieces)
    g = RRNG(9)
    g.unif_rand(2_999_999)
    assert RRNG.from_random_seed(g.random_seed).unif_rand(1)[0] == one[-1] == g.unif_rand(1)[0]
    big = RRNG(3).unif_index(300_000, 400_000)  # compiled rejection loop
    assert big[-3:].tolist() == [297213, 222325, 70350]  # R: set.seed(3); tail(sample.int(3e5, 4e5, TRUE)) - 1
