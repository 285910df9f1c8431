"""bootstrap_cutpoint: binary-Cox kernel vs R coxph fixtures and nlrstats.stats.survival.coxph, batched scan vs
maxstat, reproducibility, optimism as defined by hand."""

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.stats.cutpoint import bootstrap_cutpoint, maxstat
from nlrstats.stats.cutpoint._batch import cox_binary, cox_binary_batch, resample_by_time, scan_batch
from nlrstats.stats.survival import coxph

FIX = Path(__file__).parent / "fixtures"
MS = json.loads((FIX / "cutpoint_maxstat.json").read_text())
TIES = pl.read_csv(FIX / "cutpoint_data_ties.csv")
CONT = pl.read_csv(FIX / "cutpoint_data_cont.csv")
N13 = pl.read_csv(FIX / "cutpoint_data_nlr13.csv")


@pytest.mark.parametrize("k", range(3))
def test_cox_kernel_matches_r_coxph_efron(k):
    c = MS["cox"][k]
    assert cox_binary(c["time"], c["event"], c["x"]) == pytest.approx(c["coef"], abs=1e-7)


def test_cox_kernel_matches_r_at_maxstat_cuts():
    fk = pl.read_csv(Path(__file__).parents[1] / "data" / "fukuda2020_reconstructed.csv").with_columns(
        nlr=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"))
    data = {"ties": TIES, "cont": CONT, "nlr13": N13, "fukuda": fk}
    for c in MS["maxstat"]:
        d = data[c["name"].split("_")[0]]
        t, e, x = (("pfs", "pfs_event", "nlr") if c["name"].startswith("nlr13") else ("time", "event", "marker"))
        if c["name"].startswith("fukuda"):
            ep = c["name"].split("_")[1]
            t, e, x = f"{ep}_months", f"{ep}_event", "nlr"
        xv = d[x].to_numpy()
        cut = xv[np.argmin(np.abs(xv - c["estimate"]))]  # the JSON keeps 15 digits; the cut is a data value
        g = (xv > cut).astype(float)
        assert cox_binary(d[t].to_numpy(), d[e].to_numpy(), g) == pytest.approx(c["cox_coef"], abs=1e-7)


def test_cox_kernel_matches_nlrstats_coxph_on_resamples():
    rng = np.random.default_rng(7)
    t, e = TIES["time"].to_numpy(), TIES["event"].to_numpy().astype(float)
    x = TIES["marker"].to_numpy().astype(float)
    idx = rng.integers(0, t.size, size=(6, t.size))
    g = (x[idx] > 6).astype(float)
    batch = cox_binary_batch(t[idx], e[idx], g)
    for i in range(6):
        fit = coxph("Surv(t, e) ~ g", pl.DataFrame({"t": t[idx[i]], "e": e[idx[i]], "g": g[i]}))
        assert batch[i] == pytest.approx(fit.coef[0], abs=1e-7)


def test_cox_kernel_monotone_likelihood_is_infinite():
    t = np.array([1.0, 2, 3, 4, 5])
    e = np.ones(5)
    assert cox_binary(t, e, [1, 1, 0, 0, 0]) == np.inf      # group 1 always dies first
    assert cox_binary(t, e, [0, 0, 0, 1, 1]) == -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isinf(coxph("Surv(t, e) ~ g", pl.DataFrame({"t": t, "e": e, "g": [1.0, 1, 0, 0, 0]})).coef[0])


def test_batched_scan_equals_maxstat_on_tied_resamples():
    rng = np.random.default_rng(3)
    t, e = TIES["time"].to_numpy(), TIES["event"].to_numpy().astype(float)
    x = TIES["marker"].to_numpy().astype(float)
    idx = rng.integers(0, t.size, size=(20, t.size))
    cut, stat, ok = scan_batch(x[idx], t[idx], e[idx], 0.1, 0.9)
    assert ok.all()
    for i in range(20):
        d = pl.DataFrame({"t": t[idx[i]], "e": e[idx[i]], "x": x[idx[i]]})
        r = maxstat("Surv(t, e) ~ x", d, pmethod="none")
        assert cut[i] == r.estimate
        assert stat[i] == pytest.approx(r.statistic, abs=1e-10)


def test_bootstrap_reproducible_and_optimism_by_definition():
    f = "Surv(time, event) ~ marker"
    a = bootstrap_cutpoint(f, CONT, B=60, seed=42, window=1.0, published=2.5)
    b = bootstrap_cutpoint(f, CONT, B=60, seed=42, window=1.0, published=2.5)
    np.testing.assert_array_equal(a.cuts, b.cuts)
    assert a.log_hr_corrected == b.log_hr_corrected
    assert a.window == (1.5, 3.5)
    ok = np.isfinite(a.cuts)
    inside = (a.cuts[ok] >= 1.5) & (a.cuts[ok] <= 3.5)
    assert a.share_in_window == pytest.approx(inside.mean())
    # apparent HR = Cox at the maxstat cut on the data (R fixture)
    cont = next(c for c in MS["maxstat"] if c["name"] == "cont")
    assert a.cut == pytest.approx(cont["estimate"], rel=1e-13) and a.log_hr_apparent == pytest.approx(cont["cox_coef"], abs=1e-7)
    # replicate 1 by hand: same generator stream, maxstat on the resample, coxph on resample and original
    rng = np.random.default_rng(42)
    idx = rng.integers(0, CONT.height, size=(60, CONT.height))[0]
    rs = CONT[idx]
    r1 = maxstat(f, rs, pmethod="none")
    assert a.cuts[0] == r1.estimate
    boot = coxph("Surv(time, event) ~ hi", rs.with_columns(hi=(pl.col("marker") > r1.estimate).cast(pl.Int64)))
    test = coxph("Surv(time, event) ~ hi", CONT.with_columns(hi=(pl.col("marker") > r1.estimate).cast(pl.Int64)))
    assert a.log_hr_boot[0] == pytest.approx(boot.coef[0], abs=1e-7)
    assert a.log_hr_test[0] == pytest.approx(test.coef[0], abs=1e-7)
    fin = np.isfinite(a.log_hr_boot) & np.isfinite(a.log_hr_test)
    assert a.optimism == pytest.approx(np.mean(a.log_hr_boot[fin] - a.log_hr_test[fin]))
    assert a.log_hr_corrected == pytest.approx(a.log_hr_apparent - a.optimism)
    assert a.tidy().height == 60 and a.glance()["B"][0] == 60


def test_bootstrap_nlr13_counts_infinite_and_progress_callback():
    seen = []
    r = bootstrap_cutpoint("Surv(pfs, pfs_event) ~ nlr", N13, B=200, seed=1, window=(7.0, 9.0),
                           progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (200, 200)
    assert r.n_failed + r.n_infinite + int(np.sum(np.isfinite(r.log_hr_boot) & np.isfinite(r.log_hr_test))) == 200
    assert r.n_infinite > 0  # 13 patients: many resamples separate completely
    assert 0 <= r.share_in_window <= 1
    assert "optimism-corrected" in repr(r)


def test_bootstrap_progress_line_on_stderr(capsys):
    bootstrap_cutpoint("Surv(pfs, pfs_event) ~ nlr", N13, B=5, seed=1, progress=True)
    assert "bootstrap_cutpoint: 5/5 resamples" in capsys.readouterr().err


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=40), st.integers(1, 5), st.integers(0, 2**31))
def test_resamples_sorted_by_counting_are_the_resamples_sorted(times, b, seed):
    # tied times included: the counted positions must give each resample's times in order and
    # the same multiset of rows as drawing them and sorting
    t = np.array(times, float)
    order = np.argsort(t, kind="stable")
    rank = np.empty(t.size, np.int64)
    rank[order] = np.arange(t.size)
    idx = np.random.default_rng(seed).integers(0, t.size, size=(b, t.size))
    pos = resample_by_time(rank, idx)
    assert np.array_equal(t[order][pos], np.sort(t[idx], axis=1))
    for i in range(b):
        assert sorted(order[pos[i]].tolist()) == sorted(idx[i].tolist())


def test_bootstrap_on_two_cores_equals_one_core(monkeypatch):
    import nlrstats.stats.cores as cores
    import nlrstats.stats.cutpoint.bootstrap as boot
    f = "Surv(time, event) ~ marker"
    monkeypatch.setattr(boot, "_PARALLEL_CELLS", 0)
    monkeypatch.setattr(boot, "_CHUNK_CELLS", CONT.height * 3)  # several chunks, an odd one last
    two = bootstrap_cutpoint(f, CONT, B=40, seed=5)
    monkeypatch.setattr(cores, "ENABLED", False)
    one = bootstrap_cutpoint(f, CONT, B=40, seed=5)
    assert cores.ENABLED is False
    for a in ("cuts", "statistics", "log_hr_boot", "log_hr_test"):
        np.testing.assert_array_equal(getattr(two, a), getattr(one, a))
    assert two.optimism == one.optimism


@pytest.mark.parametrize("name, formula, props", [
    ("ties", "Surv(time, event) ~ marker", (0.1, 0.9)),
    ("ties", "Surv(time, event) ~ marker", (0.0, 1.0)),      # R's rule without bounds: the last cut dropped
    ("cont", "Surv(time, event) ~ marker", (0.1, 0.9)),
    ("nlr13", "Surv(pfs, pfs_event) ~ nlr", (0.1, 0.9)),    # monotone likelihoods: infinite HRs
])
def test_compiled_bootstrap_equals_numpy_kernels(name, formula, props, monkeypatch):
    import nlrstats.stats.cutpoint.bootstrap as boot
    data = {"ties": TIES, "cont": CONT, "nlr13": N13}[name]
    kw = dict(B=120, seed=11, minprop=props[0], maxprop=props[1])
    monkeypatch.setattr(boot, "_JIT_CELLS", 10**12)
    ref = bootstrap_cutpoint(formula, data, **kw)
    monkeypatch.setattr(boot, "_JIT_CELLS", 0)
    fast = bootstrap_cutpoint(formula, data, **kw)
    np.testing.assert_array_equal(fast.cuts, ref.cuts)
    np.testing.assert_allclose(fast.statistics, ref.statistics, rtol=1e-12)
    for a in ("log_hr_boot", "log_hr_test"):
        x, y = getattr(fast, a), getattr(ref, a)
        assert np.array_equal(np.isposinf(x), np.isposinf(y)) and np.array_equal(np.isneginf(x), np.isneginf(y))
        assert np.array_equal(np.isnan(x), np.isnan(y))
        fin = np.isfinite(y)
        # both stop by coxph's criterion (|step| < 1e-6); where the last log-likelihoods differ by
        # an ulp (pairwise vs sequential sums) one of them halves its last step: at most 5e-7 apart
        np.testing.assert_allclose(x[fin], y[fin], rtol=0, atol=5e-7)
    assert (fast.n_failed, fast.n_infinite) == (ref.n_failed, ref.n_infinite)
    if name == "nlr13":
        assert ref.n_infinite > 0 and ref.n_failed >= 0
