"""Above CROWD patients the waterfall and trajectory plots switch to forms that show a crowd, and say so."""

import numpy as np
import polars as pl
import pytest

from nlrstats.data.cohort import cohort_from_frame
from nlrstats.data.simulate import simulate_cohort
from nlrstats.present.plots import nlr_trajectory_plot, waterfall_plot
from nlrstats.present.plots.crowd import CHANGE_BINS, CROWD, QUANTILES
from nlrstats.present.plots.thin import aggregate_marks, thin_steps


@pytest.fixture(scope="module")
def crowd():
    frame = simulate_cohort(3 * CROWD, seed=4, missing_d14=0.1)
    data = cohort_from_frame(frame).data
    return data.with_columns(nlr_group=pl.when(pl.col("nlr_d0") >= 8).then(pl.lit("NLR ≥ 8"))
                             .otherwise(pl.lit("NLR < 8")))


def test_small_waterfall_keeps_one_bar_a_patient(crowd):
    small = crowd.head(CROWD)
    p = waterfall_plot(small, group="nlr_group")
    assert len(p.data) == small["best_pct_change"].drop_nulls().len()


def test_crowd_waterfall_is_sorted_quantiles_per_group(crowd):
    p = waterfall_plot(crowd, group="nlr_group")
    assert len(p.data) == 2 * QUANTILES
    assert f"More than {CROWD} patients" in p.labels.caption
    n_missing = crowd["best_pct_change"].is_null().sum()
    assert f"{n_missing} patients without" in p.labels.caption.replace("\n", " ")
    for g, sub in p.data.groupby("group", observed=True):
        v = crowd.filter(pl.col("nlr_group") == g)["best_pct_change"].drop_nulls().to_numpy()
        # largest increase on the left, largest shrinkage on the right: the data's own extremes
        assert sub["pct"].iloc[0] == pytest.approx(v.max()) and sub["pct"].iloc[-1] == pytest.approx(v.min())
        assert (np.diff(sub["pct"].to_numpy()) <= 1e-12).all()
    p.draw()


def test_crowd_trajectory_is_the_paired_change_distribution(crowd):
    p = nlr_trajectory_plot(crowd)
    assert "distribution of the paired change" in p.labels.caption.replace("\n", " ")
    both = crowd.filter(pl.col("nlr_d0").is_not_null() & pl.col("nlr_d14").is_not_null())
    for g, sub in p.data.groupby("group", observed=True):
        # shares of the group's patients with both values: they sum to 100 %
        assert sub["share"].sum() == pytest.approx(100.0)
        assert len(sub) == len(CHANGE_BINS) - 1
        assert both.filter(pl.col("best_response") == g).height > 0
    p.draw()


def test_thin_steps_keeps_small_curves_and_the_ends_of_each_slice():
    t = np.sort(np.random.default_rng(1).uniform(0, 60, 100_000))
    assert (thin_steps(t[:100]) == np.arange(100)).all()
    keep = thin_steps(t, bins=1000, span=(0.0, 60.0))
    assert keep[0] == 0 and keep[-1] == t.size - 1 and keep.size <= 2000
    # every slice keeps its first and last step, so the drawn curve meets the full one at each slice's end
    slot = (t / 0.06).astype(int)
    last = np.flatnonzero(np.r_[slot[1:] != slot[:-1], True])
    assert np.isin(last, keep).all()


def test_aggregate_marks_one_per_occupied_slice():
    t = np.sort(np.random.default_rng(2).uniform(0, 10, 5000))
    assert aggregate_marks(t[:50], bins=300) is None
    keep = aggregate_marks(t, bins=300, span=(0.0, 10.0))
    assert len(np.unique((t[keep] / (10 / 300)).astype(int))) == keep.size <= 300


def test_thinned_kaplan_meier_draws_the_same_image(tmp_path, monkeypatch):
    # 30,000 continuous times: beyond 2 x STEP_BINS steps, so the curve and band are thinned
    import matplotlib.image as mpimg

    from nlrstats.present.plots import km as km_module
    from nlrstats.stats.survival import survfit

    rng = np.random.default_rng(5)
    n = 30_000
    frame = pl.DataFrame({"t": rng.exponential(10, n), "e": (rng.random(n) < 0.99).astype(int),
                          "g": np.where(rng.random(n) < 0.3, "high", "low")})
    fit = survfit("Surv(t, e) ~ g", frame)

    def png(name):
        p = km_module.km_plot(fit, censor_marks=False)
        path = tmp_path / name
        p.save(path, width=5.6, height=4.1, dpi=150, verbose=False)
        return mpimg.imread(path)

    thinned = png("thinned.png")
    monkeypatch.setattr(km_module, "thin_steps", lambda t, **_: np.arange(len(t)))
    full = png("full.png")
    assert thinned.shape == full.shape
    # a pixel matches when the other image has its colour within one pixel (anti-aliased edges of the
    # sub-pixel steps may shift by one); a visible change would leave whole strokes unmatched
    shifted = [np.roll(np.roll(full, dy, axis=0), dx, axis=1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    distance = np.min([np.abs(thinned - s).max(axis=-1) for s in shifted], axis=0)
    assert (distance > 0.25).mean() < 1e-4, (distance > 0.25).mean()
