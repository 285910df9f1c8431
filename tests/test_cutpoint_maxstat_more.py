"""maxstat's other scores and p-value methods against R (tests/r/maxstat_fixtures.R): Wilcoxon,
Median, NormalQuantil and Data scores; Hothorn & Lausen's exact bound ("HL"); the conditional
Monte Carlo ("condMC", drawn from R's stream, so equal to R exactly); "min"; and "auto"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.cutpoint import maxstat
from nlrstats.stats.cutpoint import _pvalues as pv
from nlrstats.stats.cutpoint._permdist import p_hl, subset_sum_counts
from nlrstats.stats.formula import FormulaError

FIX = Path(__file__).parent / "fixtures"


def _exact(v):
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


CASES = _exact(json.loads((FIX / "cutpoint_maxstat_more.json").read_text()))
DATA = {k: pl.read_csv(FIX / f"cutpoint_data_{k}.csv") for k in ("ties", "cont", "nlr13")}
DATA["fukuda"] = pl.read_csv(Path(__file__).parents[1] / "data" / "fukuda2020_reconstructed.csv").with_columns(
    nlr=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"))


def _id(c):
    return f"{c['data']}-{c['smethod']}-{c['pmethod']}-{c['formula'].split('~')[0].strip()}" + (
        f"-seed{int(c['seed'])}" if c["seed"] is not None else "")


def _run(c):
    return maxstat(c["formula"], DATA[c["data"]], minprop=c["minprop"], maxprop=c["maxprop"], pmethod=c["pmethod"],
                   smethod=c["smethod"], n_perm=int(c["B"]) if c["B"] is not None else 10000,
                   seed=int(c["seed"]) if c["seed"] is not None else None, alpha=c["alpha"],
                   iscores=c["iscores"])


@pytest.mark.parametrize("c", CASES, ids=[_id(c) for c in CASES])
def test_maxstat_equals_r(c):
    r = _run(c)
    np.testing.assert_array_equal(r.cuts, np.atleast_1d(c["cuts"]))
    np.testing.assert_allclose(r.stats, np.atleast_1d(c["stats"]), rtol=1e-14, atol=0)
    assert r.statistic == pytest.approx(c["statistic"], rel=1e-14)
    assert r.estimate == c["estimate"]
    assert r.smethod == c["smethod"] and r.pmethod == c["pmethod"]
    want = c["p_value"]
    if c["pmethod"] == "none":
        assert r.p_value is None
    elif c["pmethod"] == "condMC":
        assert r.p_value == want  # R's draws: the same count of exceeding permutations
        if c["quant"] is not None:
            assert r.quantile == pytest.approx(c["quant"], rel=1e-14)
    elif c["pmethod"] == "min":
        # R's exactGauss inside "min" is Monte Carlo (mvtnorm); ours is the exact integral
        assert r.p_value == pytest.approx(want, abs=2e-3)
    else:
        assert r.p_value == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_hl_counts_by_enumeration():
    from itertools import combinations
    s = np.array([3.0, 0, 2, 2, 5, 1])
    h = subset_sum_counts(s)
    for k in range(7):
        sums = [int(sum(c)) for c in combinations(s, k)]
        assert h[k].tolist() == [sums.count(v) for v in range(h.shape[1])]


def test_hl_single_cut_is_the_exact_permutation_p_and_bounds_each_cut():
    # 7 patients: enumerate all 5040 orders of the scores
    from itertools import permutations
    y = np.array([4.0, 0, 3, 1, 6, 2, 5])
    n = y.size
    m = np.array([2, 3, 4, 5])
    e = m / n * y.sum()
    sd = np.sqrt(m * (n - m) / (n ** 2 * (n - 1)) * (n * np.sum(y ** 2) - y.sum() ** 2))
    z = np.array([np.abs(np.cumsum(y[list(p)])[m - 1] - e) / sd for p in permutations(range(n))])
    for b in (1.0, 1.5, 2.0):
        for k in range(m.size):  # one cut: HL is the exact two-sided permutation p
            assert p_hl(b, y, m[k:k + 1]) == pytest.approx(float(np.mean(z[:, k] >= b - 1e-12)), abs=1e-12)
        # several cuts: at least the most extreme single cut, at most the Bonferroni sum
        single = np.mean(z > b, axis=0)
        assert single.max() - 1e-12 <= p_hl(b, y, m) <= min(1.0, single.sum()) + 1e-12


def test_auto_picks_exact_gauss_where_affordable_and_lau94_beyond():
    small = maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], pmethod="auto")
    assert small.pmethod == "exactGauss" and small.pmethod_requested == "auto"
    assert small.p_value == maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], pmethod="exactGauss").p_value
    rng = np.random.default_rng(1)
    n = 10000
    x = np.round(rng.lognormal(1.6, 0.6, n), 2)
    big = pl.DataFrame({"t": rng.exponential(10 / np.exp(0.4 * (x > 5)), n),
                        "e": (rng.random(n) < 0.7).astype(int), "x": x})
    r = maxstat("Surv(t, e) ~ x", big, pmethod="auto")
    assert not pv.exact_gauss_feasible(r.statistic, r.n, r.m)
    assert r.pmethod == "Lau94"
    assert r.p_value == maxstat("Surv(t, e) ~ x", big, pmethod="Lau94").p_value
    with pytest.raises(ValueError, match="not feasible"):
        maxstat("Surv(t, e) ~ x", big, pmethod="exactGauss")


def test_other_scores_need_a_numeric_response_and_hl_its_integer_scores():
    with pytest.raises(FormulaError, match="LogRank"):
        maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], smethod="Wilcoxon")
    with pytest.raises(ValueError, match="smethod"):
        maxstat("pfs ~ nlr", DATA["nlr13"], smethod="Savage")
    with pytest.raises(ValueError, match="iscores"):
        maxstat("Surv(pfs, pfs_event) ~ nlr", DATA["nlr13"], pmethod="min")  # as R: scores not integers
    r = maxstat("pfs ~ nlr", DATA["nlr13"], smethod="Wilcoxon", pmethod="Lau94")
    assert r.p_value_unadjusted is None and "Wilcoxon statistics using Lau94" in repr(r)
    assert r.glance()["smethod"][0] == "Wilcoxon" and math.isfinite(r.glance()["p_value"][0])
