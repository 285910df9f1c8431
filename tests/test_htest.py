"""nlrstats.stats.htest against R's stats (fixtures from tests/r/htest_fixtures.R) and hand-derivable cases."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.stats.htest import (
    FisherTableTooLarge, HTest, binom_test, chisq_test, fisher_test, kruskal_test, t_test, wilcox_test,
)

FIX = Path(__file__).parent / "fixtures"
REL = 1e-8


def load(name):
    return json.loads((FIX / f"htest_{name}.json").read_text())


def rval(v):
    if v is None or v == []:
        return None
    if isinstance(v, list):
        v = v[0]
    if v == "Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)


def close(ours, theirs, rel=REL):
    if theirs is None:
        return ours is None
    if ours is None:
        return False
    if math.isinf(theirs):
        return ours == theirs
    return math.isclose(ours, theirs, rel_tol=rel, abs_tol=1e-13)


def check(h: HTest, r: dict, fields=("statistic", "parameter", "p_value", "estimate", "conf_low", "conf_high")):
    bad = []
    for f in fields:
        theirs = rval(r.get(f))
        ours = getattr(h, f)
        if not close(ours, theirs):
            bad.append(f"{f}: ours {ours!r} R {theirs!r}")
    assert not bad, "; ".join(bad)


def ids(cases, key):
    return [f"{i}-{key(c)}" for i, c in enumerate(cases)]


BINOM = load("binom")


@pytest.mark.parametrize("case", BINOM, ids=ids(BINOM, lambda c: f"{c['x']}of{c['n']}p{c['p']}{c['alternative']}"))
def test_binom_matches_r(case):
    h = binom_test(case["x"], case["n"], p=case["p"], alternative=case["alternative"], conf_level=case["conf_level"])
    check(h, case["result"])
    assert h.method == case["result"]["method"]


F22 = load("fisher2x2")


@pytest.mark.parametrize("case", F22, ids=ids(F22, lambda c: f"{c['table']}{c['alternative']}"))
def test_fisher_2x2_matches_r(case):
    h = fisher_test(case["table"], alternative=case["alternative"], conf_level=case["conf_level"])
    check(h, case["result"])


FRC = load("fisher_rxc")


@pytest.mark.parametrize("case", FRC, ids=ids(FRC, lambda c: f"{len(c['table'])}x{len(c['table'][0])}"))
def test_fisher_rxc_matches_r(case):
    h = fisher_test(case["table"])
    check(h, case["result"], fields=("p_value",))
    assert h.estimate is None and h.statistic is None


CHI = load("chisq")


@pytest.mark.parametrize("case", CHI, ids=ids(CHI, lambda c: f"{c['table']}{c['correct']}"))
def test_chisq_matches_r(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small expected counts: R warns too
        h = chisq_test(case["table"], correct=case["correct"])
    check(h, case["result"])
    assert h.method == case["result"]["method"]


WIL = load("wilcox")


def _vec(v):
    return None if v is None else [np.nan if a is None else a for a in v]


@pytest.mark.parametrize(
    "case", WIL, ids=ids(WIL, lambda c: f"{'paired' if c['paired'] else ''}{c['alternative']}ci{c['conf_int']}")
)
def test_wilcox_matches_r(case):
    with warnings.catch_warnings():
        # R warns for ties with exact=TRUE, and so do we; not what these cases test.
        warnings.simplefilter("ignore")
        h = wilcox_test(
            _vec(case["x"]), _vec(case["y"]), paired=case["paired"], alternative=case["alternative"],
            exact=case["exact"], correct=case["correct"], conf_int=case["conf_int"], mu=case["mu"],
        )
    check(h, case["result"])
    assert h.method == case["result"]["method"]


KW = load("kruskal")


@pytest.mark.parametrize("case", KW, ids=ids(KW, lambda c: str(len(c["x"]))))
def test_kruskal_matches_r(case):
    h = kruskal_test(_vec(case["x"]), case["g"])
    check(h, case["result"])


TT = load("ttest")


@pytest.mark.parametrize("case", TT, ids=ids(TT, lambda c: f"{c['alternative']}{c['var_equal']}"))
def test_t_test_matches_r(case):
    h = t_test(case["x"], case["y"], alternative=case["alternative"], var_equal=case["var_equal"])
    check(h, case["result"])


# ------------------------------------------------------------------ hand-checkable anchors
def test_fisher_anchor_values():
    # [[8,1],[1,3]]: tables as or more extreme have x11 in {8, 9} ... hypergeometric sum = 0.05174825
    assert fisher_test([[8, 1], [1, 3]]).p_value == pytest.approx(0.05174825, abs=5e-9)
    # [[3,4],[0,6]]: P(x11=3) + P(x11=0) = 0.1923077 (= 5/26)
    assert fisher_test([[3, 4], [0, 6]]).p_value == pytest.approx(5 / 26, rel=1e-12)


def test_fisher_hypergeometric_by_hand():
    # m=4, n=4, k=4: P(x) = C(4,x)C(4,4-x)/C(8,4) = [1,16,36,16,1]/70; observed x=3 -> p = (16+1+16+1)/70
    assert fisher_test([[3, 1], [1, 3]]).p_value == pytest.approx(34 / 70, rel=1e-12)
    assert fisher_test([[3, 1], [1, 3]], alternative="greater").p_value == pytest.approx(17 / 70, rel=1e-12)


def test_fisher_two_columns_equals_table():
    x = ["a", "a", "b", "b", "b", None, "a", "b"]
    y = ["u", "v", "v", "v", "u", "u", None, "v"]
    # complete pairs: (a,u) (a,v) (b,v) (b,v) (b,u) (b,v) -> [[1,1],[1,3]]
    assert fisher_test(x, y).p_value == fisher_test([[1, 1], [1, 3]]).p_value


def test_fisher_polars_frame_table():
    df = pl.DataFrame({"group": ["low", "high"], "yes": [8, 1], "no": [1, 3]})
    assert fisher_test(df).p_value == fisher_test([[8, 1], [1, 3]]).p_value


def test_fisher_rxc_too_large_is_a_clear_error():
    big = np.array([[60, 50, 40, 30, 20], [25, 35, 45, 55, 65], [40, 40, 40, 40, 40]])
    with pytest.raises(FisherTableTooLarge, match="simulate_p_value"):
        fisher_test(big, max_steps=10_000)


def test_fisher_simulated_p_is_close_to_exact():
    tab = [[3, 4, 2, 1, 0], [0, 1, 2, 3, 5]]
    exact = fisher_test(tab).p_value
    sim = fisher_test(tab, simulate_p_value=True, B=20000, seed=1)
    assert "simulated" in sim.method
    # Monte Carlo standard error sqrt(p(1-p)/B) ~ 0.001
    assert abs(sim.p_value - exact) < 0.006


def test_bad_tables_name_the_problem():
    with pytest.raises(ValueError, match="nonnegative"):
        fisher_test([[1, -1], [2, 3]])
    with pytest.raises(ValueError, match="integer"):
        fisher_test([[1.5, 1], [2, 3]])
    with pytest.raises(ValueError, match="at least 2 rows"):
        fisher_test([[1, 2, 3]])
    with pytest.raises(ValueError, match="all-zero"):
        chisq_test([[0, 0], [2, 3]])
    with pytest.raises(ValueError, match="'n' must be"):
        binom_test(5, 3)
    with pytest.warns(UserWarning, match="approximation may be incorrect"):
        chisq_test([[3, 4], [0, 6]])
    with pytest.raises(ValueError, match="essentially constant"):
        t_test([1.0, 1.0, 1.0], [1.0, 1.0])


def test_binom_hand_values():
    # one success out of two, p=.5: two-sided p = 1; CI = [1-sqrt(.975), sqrt(.975)]
    h = binom_test(1, 2)
    assert h.p_value == 1.0
    assert h.conf_low == pytest.approx(1 - math.sqrt(0.975), rel=1e-12)
    assert h.conf_high == pytest.approx(math.sqrt(0.975), rel=1e-12)
    # x = 0: lower limit 0, upper 1 - 0.025^(1/n)
    h = binom_test(0, 4)
    assert h.conf_low == 0 and h.conf_high == pytest.approx(1 - 0.025 ** 0.25, rel=1e-12)


def test_tidy_is_one_row_with_fixed_schema():
    t = fisher_test([[8, 1], [1, 3]]).tidy()
    assert t.columns == ["estimate", "statistic", "p_value", "parameter", "conf_low", "conf_high", "method",
                         "alternative"]
    assert t.height == 1 and t["statistic"][0] is None
    stacked = pl.concat([t, chisq_test([[12, 15], [17, 20]]).tidy(), wilcox_test([1, 2, 3], [4, 5, 6]).tidy()])
    assert stacked.height == 3


def test_repr_like_r_print():
    text = repr(fisher_test([[8, 1], [1, 3]]))
    assert "Fisher's Exact Test for Count Data" in text
    assert "p-value = 0.05175" in text
    assert "true odds ratio is not equal to 1" in text
    assert "0.6833118 1388.8402531" in text  # R formats the interval with common decimals
    assert "16.09965" in text


def test_wilcox_signed_rank_drops_zeros_by_hand():
    # differences 1, -2, 0, 3 -> zero dropped, ranks of |1,2,3| = 1,2,3, V = 1 + 3 = 4;
    # with a zero the normal approximation is used: z = (4 - 3 - 0.5)/sqrt(3*4*7/24)
    with pytest.warns(UserWarning, match="zeroes"):
        h = wilcox_test([2, 1, 5, 6], [1, 3, 5, 3], paired=True, exact=True)
    assert h.statistic == 4
    z = (4 - 3 - 0.5) / math.sqrt(3 * 4 * 7 / 24)
    from scipy.stats import norm

    assert h.p_value == pytest.approx(2 * norm.sf(z), rel=1e-12)


def _brute_force_fisher(tab):
    """Freeman-Halton p by listing every table with the observed margins (tiny tables only)."""
    from itertools import product

    from scipy.special import gammaln

    tab = np.asarray(tab)
    rows, cols = tab.sum(axis=1), tab.sum(axis=0)
    r, c = tab.shape

    def logp(t):
        return (gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(tab.sum() + 1)
                - gammaln(np.asarray(t) + 1).sum())

    obs = logp(tab)
    total = 0.0
    # free cells: the first r-1 rows and c-1 columns; the rest follow from the margins
    ranges = [range(min(rows[i], cols[j]) + 1) for i in range(r - 1) for j in range(c - 1)]
    for free in product(*ranges):
        t = np.zeros((r, c), dtype=int)
        t[: r - 1, : c - 1] = np.array(free).reshape(r - 1, c - 1)
        t[: r - 1, c - 1] = rows[: r - 1] - t[: r - 1, : c - 1].sum(axis=1)
        t[r - 1, :] = cols - t[: r - 1, :].sum(axis=0)
        if (t < 0).any():
            continue
        lp = logp(t)
        if lp <= obs + 1e-7:
            total += math.exp(lp)
    return total


@pytest.mark.parametrize("seed", range(12))
def test_fisher_rxc_equals_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    shape = [(2, 3), (3, 3), (2, 4), (3, 2)][seed % 4]
    tab = rng.poisson(2.5, size=shape)
    tab[0, 0] += 1
    assert fisher_test(tab).p_value == pytest.approx(_brute_force_fisher(tab), rel=1e-9)
    # orientation does not matter
    assert fisher_test(tab.T).p_value == pytest.approx(fisher_test(tab).p_value, rel=1e-12)


# ------------------------------------------------------------------ value-count paths equal the raw-data paths

_samples = st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(_samples, _samples, st.booleans())
def test_wilcox_from_counts_equals_raw(x, y, correct):
    from nlrstats.stats.htest.rank import wilcox_from_counts
    from nlrstats.study.table_one_stats import counts_matrix

    vals = np.array(x + y, dtype=float)
    codes = np.array([0] * len(x) + [1] * len(y))
    _, mat = counts_matrix(vals, codes, 2, np.ones(len(vals)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = wilcox_test(x, y, correct=correct)
        fast = wilcox_from_counts(mat, correct=correct)
    assert fast.statistic == raw.statistic
    assert fast.method == raw.method
    if raw.p_value is None:
        assert fast.p_value is None
    else:
        assert fast.p_value == pytest.approx(raw.p_value, rel=1e-12, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.sampled_from("abcd")), min_size=3, max_size=120))
def test_kruskal_from_counts_equals_scipy(pairs):
    from scipy import stats as sps

    x = [float(a) for a, _ in pairs]
    g = [b for _, b in pairs]
    levels = sorted(set(g))
    if len(levels) < 2 or len(set(x)) < 2:
        return
    h = kruskal_test(x, g)
    ref = sps.kruskal(*[[a for a, b in zip(x, g) if b == lv] for lv in levels])
    assert h.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert h.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
    assert h.parameter == len(levels) - 1


def test_chisq_simulated_p_is_close_to_asymptotic():
    tab = [[30, 12, 8], [22, 25, 9]]
    exact = chisq_test(tab).p_value
    sim = chisq_test(tab, simulate_p_value=True, B=20000, seed=2)
    assert sim.parameter is None and "simulated" in sim.method
    assert sim.statistic == pytest.approx(chisq_test(tab).statistic, rel=1e-12)
    assert abs(sim.p_value - exact) < 0.01  # Monte Carlo SE ~ 0.0015 at p ~ 0.04
