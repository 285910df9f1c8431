"""nlrstats.td_auc against scikit-survival's cumulative_dynamic_auc (a peer on PyPI), hand cases, invariances."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sksurv.metrics import cumulative_dynamic_auc as sk_auc
from sksurv.util import Surv

import nlrstats
from nlrstats.stats.formula import FormulaError
from nlrstats.stats.td_auc import td_auc

REL = 1e-12  # the brief asks 1e-6; the estimators agree to rounding


def cohort(seed: int, n: int, round_time: bool, round_marker: bool) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    nlr = rng.lognormal(1.5, 0.6, n)
    t = rng.exponential(12 * np.exp(-0.4 * np.log(nlr)))
    c = rng.uniform(2, 30, n)
    time = np.minimum(t, c)
    return pl.DataFrame({"os_months": np.round(time, 1) + 0.1 if round_time else time,
                         "os_event": (t <= c).astype(np.int64),
                         "nlr": np.round(nlr, 1) if round_marker else nlr})


DATASETS = {
    "continuous": cohort(1, 300, False, False),
    "tied_times": cohort(2, 250, True, False),
    "tied_both": cohort(3, 400, True, True),
    "small": cohort(4, 40, True, True),
}


def sk(frame: pl.DataFrame, times, train: pl.DataFrame | None = None, marker=None):
    y = Surv.from_arrays(frame["os_event"].to_numpy().astype(bool), frame["os_months"].to_numpy())
    y_train = y if train is None else Surv.from_arrays(train["os_event"].to_numpy().astype(bool),
                                                       train["os_months"].to_numpy())
    return sk_auc(y_train, y, frame["nlr"].to_numpy() if marker is None else marker, times)


def quantile_times(frame, qs=(0.2, 0.4, 0.6, 0.8)):
    ev = frame.filter(pl.col("os_event") == 1)["os_months"].to_numpy()
    return np.quantile(ev, qs)


@pytest.mark.parametrize("name", list(DATASETS))
def test_equals_scikit_survival(name):
    frame = DATASETS[name]
    times = quantile_times(frame)
    fit = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times)
    auc, mean = sk(frame, times)
    np.testing.assert_allclose(fit.auc, auc, rtol=REL)
    assert fit.mean_auc == pytest.approx(mean, rel=REL)
    t = fit.tidy()
    assert t["time"].to_list() == pytest.approx(list(np.unique(times)))
    ev = frame["os_event"].to_numpy() == 1
    tm = frame["os_months"].to_numpy()
    assert t["n_cases"].to_list() == [int((ev & (tm <= x)).sum()) for x in times]
    assert t["n_controls"].to_list() == [int((tm > x).sum()) for x in times]


@pytest.mark.parametrize("name", ["tied_times", "small"])
def test_single_time_and_external_censoring_distribution_equal_scikit_survival(name):
    frame = DATASETS[name]
    train = cohort(10, 500, True, False)
    times = quantile_times(frame, (0.3, 0.7))
    fit = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times, censoring_data=train)
    auc, mean = sk(frame, times, train=train)
    np.testing.assert_allclose(fit.auc, auc, rtol=REL)
    assert fit.mean_auc == pytest.approx(mean, rel=REL)
    one = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times[0])
    auc1, mean1 = sk(frame, [times[0]])
    assert one.auc[0] == pytest.approx(auc1[0], rel=REL) and one.mean_auc == pytest.approx(mean1, rel=REL)


def test_direction_lower_is_the_negated_marker():
    frame = DATASETS["tied_both"].with_columns((-pl.col("nlr")).alias("lnr"))
    times = quantile_times(frame)
    a = td_auc(frame, "Surv(os_months, os_event) ~ lnr", times, direction="lower")
    auc, _ = sk(frame, times)
    np.testing.assert_allclose(a.auc, auc, rtol=REL)


def test_bootstrap_percentile_ci_resamples_patients_with_the_seed():
    frame = DATASETS["tied_times"]
    times = quantile_times(frame, (0.3, 0.6))
    fit = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times, B=50, seed=7)
    # the same draws, fed to scikit-survival
    rng = np.random.default_rng(7)
    boots = []
    for _ in range(50):
        i = rng.integers(0, frame.height, frame.height)
        a, m = sk(frame[i], times)
        boots.append(list(a) + [m])
    q = np.quantile(np.array(boots), [0.025, 0.975], axis=0)
    np.testing.assert_allclose(fit.conf_low, q[0, :-1], rtol=1e-12)
    np.testing.assert_allclose(fit.conf_high, q[1, :-1], rtol=1e-12)
    assert fit.mean_conf == pytest.approx((q[0, -1], q[1, -1]), rel=1e-12)
    again = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times, B=50, seed=7)
    assert np.array_equal(again.conf_low, fit.conf_low)
    other = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times, B=50, seed=8)
    assert not np.array_equal(other.conf_low, fit.conf_low)
    g = fit.glance().row(0, named=True)
    assert g["B"] == 50 and g["seed"] == 7 and g["conf_low"] < g["mean_auc"] < g["conf_high"]
    assert "95% CI" in repr(fit)


def test_censoring_curve_at_zero_after_the_last_time_does_not_matter():
    """The last patient has an event tied with a censoring that empties the risk set (G = 0 there):
    scikit-survival refuses; only events up to max(times) are weighted, and the earlier AUC is unchanged."""
    frame = pl.DataFrame({"t": [1.0, 2, 3, 4, 5, 6, 6], "e": [1, 0, 1, 1, 0, 1, 0], "m": [5.0, 1, 2.5, 3, 2, 6, 0]})
    y = Surv.from_arrays(frame["e"].to_numpy().astype(bool), frame["t"].to_numpy())
    with pytest.raises(ValueError):
        sk_auc(y, y, frame["m"].to_numpy(), [3.5])
    fit = td_auc(frame, "Surv(t, e) ~ m", [3.5])
    # by hand: G(1) = 1; at t = 2 one censoring among the 6 still at risk: G(2) = G(3) = 5/6
    case = [(5.0, 1.0), (2.5, 6 / 5)]  # events by 3.5: t = 1 (marker 5), t = 3 (marker 2.5), weights 1 / G
    ctrl = [3.0, 2.0, 6.0, 0.0]  # t > 3.5
    want = sum(w * sum((m > c) + 0.5 * (m == c) for c in ctrl) for m, w in case) / (sum(w for _, w in case) * 4)
    assert fit.auc[0] == pytest.approx(want, rel=1e-14)
    assert want == pytest.approx((3 + 1.2 * 2) / (2.2 * 4), rel=1e-14)


def test_without_censoring_auc_is_the_mann_whitney_probability():
    """No censoring: G = 1, AUC(t) = P(marker_case > marker_control) + P(tie)/2 over cases T <= t, controls T > t."""
    time = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=float)
    marker = np.array([9, 7, 8, 7, 3, 5, 7, 2, 1, 4], dtype=float)
    frame = pl.DataFrame({"t": time, "e": np.ones(10, dtype=np.int64), "m": marker})
    fit = td_auc(frame, "Surv(t, e) ~ m", [3.0, 5.5])
    for k, t in enumerate([3.0, 5.5]):
        case, ctrl = marker[time <= t], marker[time > t]
        want = np.mean([(a > b) + 0.5 * (a == b) for a in case for b in ctrl])
        assert fit.auc[k] == pytest.approx(want, rel=1e-14)
    assert fit.auc[0] == pytest.approx(20 / 21, rel=1e-14)  # 3 cases x 7 controls, one tie (7 vs 7) twice: (21 - 1)/21


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10 ** 6), st.sampled_from(["log", "rank", "affine"]))
def test_monotone_transform_and_row_order_do_not_change_auc(seed, how):
    frame = cohort(seed, 120, True, True)
    times = quantile_times(frame, (0.3, 0.7))
    base = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times)
    tr = {"log": pl.col("nlr").log(), "rank": pl.col("nlr").rank("dense").cast(pl.Float64),
          "affine": 3 * pl.col("nlr") + 10}[how]
    shuffled = frame.with_columns(tr.alias("nlr")).sample(fraction=1.0, shuffle=True, seed=seed)
    other = td_auc(shuffled, "Surv(os_months, os_event) ~ nlr", times)
    np.testing.assert_allclose(other.auc, base.auc, rtol=1e-12)


def test_bad_input_is_refused():
    frame = DATASETS["small"]
    with pytest.raises(ValueError, match="every time must lie in"):
        td_auc(frame, "Surv(os_months, os_event) ~ nlr", [frame["os_months"].max() + 1])
    with pytest.raises(FormulaError, match="needs one marker"):
        td_auc(frame, "Surv(os_months, os_event) ~ nlr + os_event", [2.0])
    with pytest.raises(FormulaError, match="must be numeric"):
        td_auc(frame.with_columns(pl.lit("a").alias("g")), "Surv(os_months, os_event) ~ g", [2.0])
    with pytest.raises(ValueError, match="direction must be"):
        td_auc(frame, "Surv(os_months, os_event) ~ nlr", [2.0], direction="up")
    early = pl.DataFrame({"t": [1.0, 2, 3, 4, 5], "e": [0, 1, 1, 0, 1], "m": [1.0, 2, 3, 4, 5]})
    with pytest.raises(ValueError, match="no cases"):
        td_auc(early, "Surv(t, e) ~ m", [1.5])


def test_missing_rows_are_dropped_and_counted():
    frame = DATASETS["small"].with_columns(pl.when(pl.int_range(pl.len()) < 3).then(None).otherwise(pl.col("nlr"))
                                           .alias("nlr"))
    times = quantile_times(frame[3:], (0.5,))
    fit = td_auc(frame, "Surv(os_months, os_event) ~ nlr", times)
    assert fit.n_missing == 3 and fit.n == 37
    auc, _ = sk(frame[3:], times)
    assert fit.auc[0] == pytest.approx(auc[0], rel=REL)


def test_top_level_verb():
    assert nlrstats.td_auc is td_auc


# ----------------------------------------------------------------- the bootstrap as row counts
def bootstrap_by_loop(t, e, m, times, rng, B, train=None, tied_tol=1e-8):
    """The reference: the estimator on each resample built row by row (the loop td_auc ran before)."""
    from nlrstats.stats.td_auc import cumulative_dynamic_auc
    boot, ok = np.full((B, len(times) + 1), np.nan), np.zeros(B, bool)
    for b in range(B):
        i = rng.integers(0, len(t), len(t))
        try:
            with np.errstate(invalid="ignore", divide="ignore"):
                a, mu, _, _ = cumulative_dynamic_auc(t[i], e[i], m[i], times, *(train or (None, None)),
                                                     tied_tol=tied_tol)
        except (ValueError, IndexError):
            continue
        boot[b, :-1], boot[b, -1], ok[b] = a, mu, True
    return boot, ok


def counted(t, e, m, times, seed, B, train=None, tied_tol=1e-8):
    from nlrstats.stats.td_auc import censoring_curve
    from nlrstats.stats.td_auc_bootstrap import bootstrap_auc, resample_counts
    counts = resample_counts(np.random.default_rng(seed), len(t), B)
    return bootstrap_auc(t, e, m, times, counts, None if train is None else censoring_curve(*train), tied_tol)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(5, 60), st.sampled_from(["continuous", "ties", "near-ties"]),
       st.sampled_from([1, 2, 3]), st.booleans())
def test_counted_resamples_give_the_loops_aucs(seed, n, markers, n_times, with_train):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(10, n), 1 if markers == "ties" else 6) + 0.1
    e = rng.random(n) < 0.7
    m = rng.lognormal(1.5, 0.6, n)
    if markers == "ties":
        m = np.round(m)
    elif markers == "near-ties":
        m = np.round(m) + rng.integers(0, 3, n) * 4e-9  # chains of values within tied_tol of each other
    qs = np.quantile(t, [0.3, 0.5, 0.7][:n_times])
    times = np.unique(qs)
    train = None
    if with_train:
        tt = np.round(rng.exponential(12, 2 * n), 1) + 0.1
        train = (tt, rng.random(2 * n) < 0.6)
    ref, ref_ok = bootstrap_by_loop(t, e, m, times, np.random.default_rng(seed + 1), 40, train)
    got, ok = counted(t, e, m, times, seed + 1, 40, train)
    np.testing.assert_array_equal(ok, ref_ok)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_counted_resamples_on_a_cohort_agree_and_some_fail_like_the_loop():
    frame = cohort(3, 25, round_time=True, round_marker=True)
    t, e, m = (frame[c].to_numpy().astype(float) for c in ("os_months", "os_event", "nlr"))
    e = e.astype(bool)
    times = np.array([2.0, 6.0, float(np.quantile(t, 0.9))])
    ref, ref_ok = bootstrap_by_loop(t, e, m, times, np.random.default_rng(5), 300)
    got, ok = counted(t, e, m, times, 5, 300)
    assert 0 < (~ref_ok).sum() < 300  # the case holds failing resamples (a late time beyond their follow-up)
    np.testing.assert_array_equal(ok, ref_ok)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_td_auc_bootstrap_in_blocks_is_one_draw_sequence():
    frame = cohort(11, 400, round_time=False, round_marker=False)
    fit = td_auc(frame, "Surv(os_months, os_event) ~ nlr", [3.0, 6.0], B=60, seed=4)
    t, e, m = (frame[c].to_numpy().astype(float) for c in ("os_months", "os_event", "nlr"))
    ref, _ = bootstrap_by_loop(t, e.astype(bool), m, np.array([3.0, 6.0]), np.random.default_rng(4), 60)
    np.testing.assert_allclose(fit.boot, ref, rtol=1e-12, atol=1e-12, equal_nan=True)
