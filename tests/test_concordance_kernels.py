"""Concordance sums: the pairwise reference and the compiled tree walk against a double loop over pairs.

The loop spells out R's definitions (survival's ``concordancefit``): each (event, longer-lived)
pair of one stratum weighted by the case weights of both and the time weight of the event's
time; a subject's influence is its share of the concordant, discordant and tied-on-x sums.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nlrstats.stats.survival import _data
from nlrstats.stats.survival._concordance_counts import concordance_core, time_weights
from nlrstats.stats.survival.concordance import concordance_sorted


def _loop(time, event, x, strata, wt, timewt):
    n = len(time)
    tw = np.zeros(n)
    for s in np.unique(strata):
        m = strata == s
        tw[m] = _loop_time_weights(time[m], event[m], wt[m], timewt)
    count = np.zeros(5)
    imat = np.zeros((n, 3))
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or strata[i] != strata[j]:
                continue
            if time[j] == time[i] and event[j] and j > i:
                count[3 if x[i] != x[j] else 4] += wt[i] * wt[j] * tw[i]
            if not (time[j] > time[i] or (time[j] == time[i] and not event[j])):
                continue
            k = 0 if x[j] > x[i] else 1 if x[j] < x[i] else 2
            count[k] += wt[i] * wt[j] * tw[i]
            imat[i, k] += wt[j] * tw[i]
            imat[j, k] += wt[i] * tw[i]
    npair = count[:3].sum()
    somer = (count[0] - count[1]) / npair
    dfb = wt * ((imat[:, 0] - imat[:, 1]) / npair - somer / npair * imat.sum(axis=1))
    return count, (somer + 1) / 2, (dfb ** 2).sum() / 4


def _loop_time_weights(time, event, wt, timewt):
    """R's fastkm1 and docount, time by time: S(t-), G(t-) and the weight at risk."""
    out = np.zeros(len(time))
    if timewt == "n" or event.sum() < 2:
        return np.where(event == 1, 1.0, 0.0)
    s = g = 1.0
    for t in np.unique(time):
        at = time == t
        nrisk = wt[time >= t].sum()
        d = wt[at & (event == 1)].sum()
        c = wt[at & (event == 0)].sum()
        w = {"S": wt.sum() * s / nrisk, "S/G": wt.sum() * s / (g * nrisk), "n/G2": 1 / g ** 2, "I": 1 / nrisk}[timewt]
        out[at & (event == 1)] = w
        if d > 0:
            s *= (nrisk - d) / nrisk
        if c > 0:
            g *= (nrisk - d - c) / (nrisk - d)  # censorings leave after the deaths at their time
    return out


def _data_set(seed, n=90, weighted=False):
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 25, n).astype(float)  # ties between events, and events and censorings
    event = rng.integers(0, 2, n)
    x = np.round(rng.normal(size=n), 1)  # tied predictor values
    strata = rng.integers(0, 3, n)
    wt = rng.choice([0.5, 1.0, 2.0, 3.0], n) if weighted else np.ones(n)
    return time, event, x, strata, wt


@pytest.mark.parametrize("timewt", ["n", "S", "S/G", "n/G2", "I"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize("method", ["pairs", "tree"])
def test_sums_match_the_double_loop(method, stratified, weighted, timewt):
    time, event, x, strata, wt = _data_set(3, weighted=weighted)
    s = strata if stratified else np.zeros(len(time), dtype=np.int64)
    count, conc, var = _loop(time, event, x, s, wt, timewt)
    got = concordance_core(time, event, x, s if stratified else None, wt if weighted else None, timewt,
                           method=method)
    np.testing.assert_allclose(got.count, count, rtol=1e-12)
    assert got.concordance == pytest.approx(conc, rel=1e-12)
    assert got.var == pytest.approx(var, rel=1e-10)


def test_time_weights_match_the_loop():
    time, event, _, _, wt = _data_set(4, n=200, weighted=True)
    for tw in ("S", "S/G", "n/G2", "I"):
        np.testing.assert_allclose(time_weights(time, event, wt, tw), _loop_time_weights(time, event, wt, tw),
                                   rtol=1e-13)


def test_reverse_swaps_concordant_and_discordant():
    time, event, x, strata, _ = _data_set(5)
    a = concordance_core(time, event, x, strata)
    b = concordance_core(time, event, x, strata, reverse=True)
    assert b.concordance == pytest.approx(1 - a.concordance, rel=1e-14)
    assert b.var == pytest.approx(a.var, rel=1e-14)
    np.testing.assert_array_equal(b.count, a.count[[1, 0, 2, 3, 4]])
    np.testing.assert_allclose(b.dfbeta, -a.dfbeta)


@pytest.mark.parametrize("n", [2000, 6000])
def test_tree_and_pairs_agree_on_larger_data(n):
    # many distinct x and times, near-tied and tied times, few strata
    rng = np.random.default_rng(7)
    time = np.round(rng.exponential(10, n), 1)
    event = rng.integers(0, 2, n)
    x = np.where(rng.random(n) < 0.5, rng.integers(0, 37, n) * 0.25, rng.normal(size=n))
    strata = rng.integers(0, 3, n)
    wt = rng.choice([1.0, 2.0], n)
    for timewt in ("n", "n/G2"):
        a = concordance_core(time, event, x, strata, wt, timewt, method="pairs")
        b = concordance_core(time, event, x, strata, wt, timewt, method="tree")
        np.testing.assert_allclose(b.count, a.count, rtol=1e-12)
        assert b.concordance == pytest.approx(a.concordance, rel=1e-13)
        assert b.var == pytest.approx(a.var, rel=1e-10)
        np.testing.assert_allclose(b.dfbeta, a.dfbeta, rtol=1e-9, atol=1e-15)


def test_auto_takes_pairs_for_small_and_the_tree_for_many_pairs(monkeypatch):
    import nlrstats.stats.survival._concordance_counts as cc
    calls = []
    real = cc.pair_sums
    monkeypatch.setattr(cc, "pair_sums", lambda *a: calls.append("pairs") or real(*a))
    time, event, x, _, _ = _data_set(6, n=200)
    concordance_core(time, event, x)
    assert calls == ["pairs"]
    monkeypatch.setattr(cc, "PAIRWISE_MAX_PAIRS", 10)
    calls.clear()
    concordance_core(time, event, x)
    assert calls == []  # the tree walk
    monkeypatch.setattr(_data, "JIT_MIN_ROWS", 0)
    monkeypatch.setattr(cc, "PAIRWISE_MAX_PAIRS", 10 ** 12)
    concordance_core(time, event, x)
    assert calls == []


def test_no_pairs_gives_no_estimate():
    got = concordance_core(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0]))
    assert got.concordance is None and got.var is None
    c = concordance_sorted(np.array([1.0, 1.0]), np.array([1, 1]), np.array([1.0, 2.0]))  # tied on time only
    assert (c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy) == (0.0, 0.0, 0.0, 1.0, 0.0)
    assert c.concordance is None


def test_cox_orientation_of_concordance_sorted():
    # a higher linear predictor, an earlier event: concordant (R's coxph, reverse = TRUE)
    time = np.array([1.0, 2.0, 3.0, 4.0])
    event = np.array([1, 1, 1, 0])
    c = concordance_sorted(time, event, np.array([4.0, 3.0, 2.0, 1.0]))
    assert (c.concordant, c.discordant) == (6.0, 0.0) and c.concordance == 1.0
    assert math.isfinite(c.std_error)
