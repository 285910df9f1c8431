"""What a test can afford, said before it runs (issue 13): the exact r x c Fisher walk within its budget,
the Wilcoxon exact rule, and Monte Carlo with a stated B and seed where exactness is out of reach."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest

from nlrstats.stats.htest import FisherTableTooLarge, exact_wilcox_used, fisher_feasible, fisher_test, wilcox_test
from nlrstats.stats.htest.fisher_rxc import _composition_counts, _two_column_tables


def _table(n, shape, seed=1):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(shape[0] * shape[1]))
    return rng.multinomial(n, p).reshape(shape)


def test_large_table_is_refused_before_anything_is_allocated():
    # 30,000 patients in a 5 x 4 table: the old walk was killed at 23.7 GB
    tab = _table(30_000, (5, 4))
    tracemalloc.start()
    feas = fisher_feasible(tab)
    with pytest.raises(FisherTableTooLarge, match="simulate_p_value"):
        fisher_test(tab)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not feas and feas.work_lower_bound > feas.max_steps
    assert "5 x 4" in feas.reason and "30000" in feas.reason
    assert peak < 50e6  # bytes: the refusal costs a few arrays of margins


def test_auto_runs_exact_when_it_fits_and_states_the_monte_carlo_otherwise():
    small = [[3, 1, 4], [1, 5, 9], [2, 6, 5]]
    h = fisher_test(small, simulate_p_value="auto")
    assert h.method == "Fisher's Exact Test for Count Data" and h.replicates is None
    assert h.p_value == fisher_test(small).p_value
    big = _table(30_000, (5, 4))
    h = fisher_test(big, simulate_p_value="auto", B=500, seed=7)
    assert h.method == "Fisher's Exact Test for Count Data with simulated p-value\n\t (based on 500 replicates)"
    assert (h.replicates, h.seed) == (500, 7)
    assert h.p_value == fisher_test(big, simulate_p_value=True, B=500, seed=7).p_value
    with pytest.raises(ValueError, match="simulate_p_value"):
        fisher_test(big, simulate_p_value="yes")


def test_the_walk_stops_at_its_budget_with_bounded_memory():
    # feasible by the lower bound, too large for a small budget: the walk itself stops
    tab = np.array([[36, 95, 32], [69, 6, 25], [63, 13, 61]])
    tracemalloc.start()
    with pytest.raises(FisherTableTooLarge):
        fisher_test(tab, max_steps=200_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100e6


def test_two_by_two_is_always_feasible():
    assert fisher_feasible([[300_000, 200_000], [100_000, 400_000]])
    assert 0 <= fisher_test([[300_000, 200_000], [100_000, 400_000]]).p_value <= 1


def test_lower_bound_counts_by_enumeration():
    rows = np.array([3, 2, 4])
    caps = np.array([[3, 2, 4], [1, 0, 5], [2, 2, 2]])
    for c in range(8):
        brute = [sum(1 for x in itertools.product(*[range(k + 1) for k in row]) if sum(x) == c) for row in caps]
        assert _composition_counts(c, caps).tolist() == brute
    brute2 = sum(1 for x in itertools.product(*[range(r + 1) for r in rows]) if sum(x) == 3
                 for y in itertools.product(*[range(r - xi + 1) for r, xi in zip(rows, x)]) if sum(y) == 4)
    assert _two_column_tables(rows, 3, 4) == brute2


def test_wilcoxon_exact_rule_is_rs():
    assert exact_wilcox_used(49, 49) and not exact_wilcox_used(50, 10) and not exact_wilcox_used(10, 10, ties=True)
    assert exact_wilcox_used(49) and not exact_wilcox_used(49, zeroes=True) and not exact_wilcox_used(60)
    assert exact_wilcox_used(60, 70, exact=True) and not exact_wilcox_used(5, 5, exact=False)
    x, y = np.arange(49.0), np.arange(49.0) + 0.5
    assert wilcox_test(x, y).method == "Wilcoxon rank sum exact test"
    assert wilcox_test(np.r_[x, 100.0], y).method == "Wilcoxon rank sum test with continuity correction"
    with pytest.raises(ValueError, match="exact=False"):
        wilcox_test(np.arange(3000.0), np.arange(3000.0) + 0.5, exact=True)
