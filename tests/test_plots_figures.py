"""Structure of the waterfall, trajectory, forest, ROC and cut-point figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import polars as pl
import pytest

from nlrstats.data.cohort import load_cohort
from nlrstats.present.format import p_phrase
from nlrstats.study.plan import StudyPlan
from nlrstats.present.plots import (
    RESPONSE_COLOURS,
    cutpoint_plot,
    forest_plot,
    nlr_trajectory_plot,
    roc_plot,
    waterfall_plot,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "fukuda2020_reconstructed.csv"


def _layers(p, geom_name):
    return [
        (lyr.geom.data if lyr.geom.data is not None else p.data)
        for lyr in p.layers
        if type(lyr.geom).__name__ == geom_name
    ]


def _geoms(p):
    return [type(lyr.geom).__name__ for lyr in p.layers]


def _draw_texts(p):
    fig = p.draw()
    try:
        return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    finally:
        plt.close(fig)


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    return StudyPlan.fukuda2020().grouped(load_cohort(DATA))


@pytest.fixture
def small() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "best_pct_change": [-40.0, 25.0, None, -10.0, float("nan"), 5.0],
            "nlr_group": ["NLR < 8", "NLR ≥ 8", "NLR < 8", None, "NLR ≥ 8", "NLR < 8"],
            "nlr_d0": [3.0, 9.0, 4.0, 5.0, 12.0, 2.0],
            "nlr_d14": [2.0, 11.0, None, 4.0, None, None],
            "best_response": ["PR", "PD", "SD", "SD", None, "CR"],
        }
    )


# --- waterfall -------------------------------------------------------------------------


def test_waterfall_sorted_descending_and_missing_counted(small):
    p = waterfall_plot(small)
    bars = p.data
    assert bars["pct"].tolist() == [25.0, 5.0, -10.0, -40.0]
    assert bars["id"].tolist() == ["P2", "P6", "P4", "P1"]
    # Categories follow the sorted order so bars are drawn left to right as sorted.
    assert list(bars["id"].cat.categories) == ["P2", "P6", "P4", "P1"]
    # P3 (null) and P5 (NaN) cannot be drawn: named in the caption, not dropped silently.
    assert "2 patients" in p.labels.caption and "P3" in p.labels.caption and "P5" in p.labels.caption
    # Missing group is its own level.
    assert bars.set_index("id").loc["P4", "group"] == "Missing"
    assert "geom_col" in _geoms(p)
    hlines = sorted(float(d["yintercept"].iloc[0]) for d in _layers(p, "geom_hline"))
    assert hlines == [-30.0, 0.0, 20.0]


def test_waterfall_on_cohort_keeps_enum_order(cohort):
    p = waterfall_plot(cohort)
    assert list(p.data["group"].cat.categories) == ["NLR < 8", "NLR ≥ 8"]
    n_missing = cohort["best_pct_change"].null_count()
    assert len(p.data) == cohort.height - n_missing
    assert p.data["pct"].is_monotonic_decreasing


def test_waterfall_errors(small):
    with pytest.raises(KeyError, match="best_pct"):
        waterfall_plot(small.drop("best_pct_change"))
    with pytest.raises(TypeError, match="nlr_group"):
        waterfall_plot(small, pct="nlr_group")


def test_waterfall_markup_is_plain_text():
    df = pl.DataFrame({"patient_id": ["<b>x</b>", "y"], "best_pct_change": [10.0, -50.0], "g": ["<i>A</i>", "B"]})
    texts = _draw_texts(waterfall_plot(df, group="g"))
    assert "<b>x</b>" in texts and "<i>A</i>" in texts


# --- trajectory ------------------------------------------------------------------------


def test_trajectory_lines_only_for_complete_pairs(small):
    p = nlr_trajectory_plot(small)
    (lines,) = _layers(p, "geom_line")
    assert sorted(set(lines["id"])) == ["P1", "P2", "P4"]
    (points,) = _layers(p, "geom_point")
    # Every available value is drawn: 6 day-0 values and 3 day-14 values.
    assert len(points) == 9
    cap = p.labels.caption
    assert "3 patients without Day 14 value" in cap and "P3" in cap and "P6" in cap
    # Fixed RECIST colours; a null response is "Missing".
    assert list(points["group"].cat.categories) == ["CR", "PR", "SD", "PD", "Missing"]


def test_trajectory_uses_response_colours(small):
    p = nlr_trajectory_plot(small)
    scale = [s for s in p.scales if "color" in s.aesthetics][0]
    assert scale.palette(5) == {k: RESPONSE_COLOURS[k] for k in ("CR", "PR", "SD", "PD", "Missing")}
    # Another column gets the Okabe-Ito palette in level order.
    q = nlr_trajectory_plot(small, colour="nlr_group")
    qs = [s for s in q.scales if "color" in s.aesthetics][0]
    assert qs.palette(3) == {"NLR < 8": "#0072B2", "NLR ≥ 8": "#D55E00", "Missing": "#009E73"}
    texts = _draw_texts(p)
    assert "Day 0" in texts and "Day 14" in texts and "Best response" in texts


def test_trajectory_log_axis_and_errors(small, cohort):
    p = nlr_trajectory_plot(cohort, log_y=True, cutoff=8)
    assert any(type(s).__name__ == "scale_y_log10" for s in p.scales)
    assert "geom_hline" in _geoms(p)
    with pytest.raises(ValueError, match="nlr_d0"):
        nlr_trajectory_plot(small.with_columns(pl.lit(0.0).alias("nlr_d0")), log_y=True)
    with pytest.raises(KeyError, match="nlr_d14"):
        nlr_trajectory_plot(small.drop("nlr_d14"))


# --- forest ----------------------------------------------------------------------------


@pytest.fixture
def hr_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "label": ["PFS", "PFS", "OS", "OS"],
            "cohort": ["Original", "Validation", "Original", "Validation"],
            "estimate": [3.2, 1.8, 5.1, 2.2],
            "conf_low": [1.1, 1.05, 1.3, None],
            "conf_high": [9.4, 3.1, math.inf, 4.4],
        }
    )


def test_forest_rows_arrows_and_note(hr_frame):
    p = forest_plot(hr_frame, group="cohort")
    segs = _layers(p, "geom_segment")
    arrows = [lyr for lyr in p.layers if type(lyr.geom).__name__ == "geom_segment" and lyr.geom.params.get("arrow")]
    assert len(segs) == 3 and len(arrows) == 2  # finite CIs, one right arrow (Inf), one left arrow (None)
    d = p.data
    assert d["y"].is_monotonic_decreasing  # rows top to bottom in input order
    assert d.loc[2, "right_arrow"] and not d.loc[2, "left_arrow"]
    assert d.loc[3, "left_arrow"] and not d.loc[3, "right_arrow"]
    # ratios print as everywhere else (2 decimals, nlrstats.present.format); infinite as ∞, missing NA
    assert d["text"].tolist() == ["3.20 (1.10\u20139.40)", "1.80 (1.05\u20133.10)", "5.10 (1.30\u2013\u221e)",
                                  "2.20 (NA\u20134.40)"]
    assert "infinite or not estimable" in p.labels.caption
    assert any(type(s).__name__ == "scale_x_log10" for s in p.scales)
    (ref,) = _layers(p, "geom_vline")
    assert ref["xintercept"].tolist() == [1.0]
    # Clipped ends stop inside the axis; finite ends are drawn where they are.
    lo_lim, hi_lim = (10**v for v in [s for s in p.scales if type(s).__name__ == "scale_x_log10"][0].limits)
    assert d.loc[2, "hi_draw"] < hi_lim and d.loc[3, "lo_draw"] > lo_lim
    assert d.loc[0, "lo_draw"] == 1.1 and d.loc[0, "hi_draw"] == 9.4


def test_forest_without_group_and_errors(hr_frame):
    p = forest_plot(hr_frame.head(2).with_columns(pl.Series("label", ["a", "b"])))
    assert p.labels.caption is None
    assert p.data["y"].tolist() == [0.0, -1.0]
    with pytest.raises(ValueError, match="row 1"):
        forest_plot(hr_frame.with_columns(pl.Series("estimate", [3.2, -2.0, 5.1, 2.2])))
    with pytest.raises(ValueError, match="outside its CI"):
        forest_plot(hr_frame.with_columns(pl.Series("estimate", [1.0, 1.8, 2.0, 3.0])))
    with pytest.raises(KeyError, match="hr"):
        forest_plot(hr_frame, estimate="hr")


# --- ROC -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeRoc:
    threshold: tuple
    sensitivity: tuple
    specificity: tuple
    auc: float
    conf_low: float | None
    conf_high: float | None

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "threshold": list(self.threshold),
                "sensitivity": list(self.sensitivity),
                "specificity": list(self.specificity),
            },
            schema={"threshold": pl.Float64, "sensitivity": pl.Float64, "specificity": pl.Float64},
        )

    def youden(self) -> dict:
        j = [se + sp - 1 for se, sp in zip(self.sensitivity, self.specificity)]
        i = j.index(max(j))
        return {"threshold": self.threshold[i], "sensitivity": self.sensitivity[i], "specificity": self.specificity[i]}


ROC1 = FakeRoc(
    (-math.inf, 2.0, 4.0, 8.0, 10.0, math.inf),
    (1.0, 1.0, 0.75, 0.75, 0.25, 0.0),
    (0.0, 0.25, 0.5, 0.9, 1.0, 1.0),
    0.83,
    0.60,
    1.0,
)
ROC2 = FakeRoc((-math.inf, 5.0, math.inf), (1.0, 0.5, 0.0), (0.0, 0.5, 1.0), 0.5, None, None)


def test_roc_single_curve():
    p = roc_plot(ROC1)
    path = p.data
    assert (path["fpr"].iloc[0], path["tpr"].iloc[0]) == (0.0, 0.0)
    assert (path["fpr"].iloc[-1], path["tpr"].iloc[-1]) == (1.0, 1.0)
    assert path["fpr"].is_monotonic_increasing
    pts = _layers(p, "geom_point")[0]
    assert pts["fpr"].iloc[0] == pytest.approx(0.1) and pts["tpr"].iloc[0] == 0.75
    assert pts["text"].iloc[0] == "cut 8.00"  # cut-points to 2 decimals, as in tables and prose
    labels = [d for d in _layers(p, "geom_text") if "AUC" in str(d["text"].iloc[0])]
    assert labels[0]["text"].iloc[0] == "AUC 0.83 (95% CI 0.60\u20131.00)"
    assert "geom_abline" in _geoms(p)


def test_roc_several_curves_in_legend():
    p = roc_plot([ROC1, ROC2], labels=["day 0", "day 14"])
    assert list(p.data["curve"].cat.categories) == ["day 0: AUC 0.83 (95% CI 0.60\u20131.00)", "day 14: AUC 0.50"]
    p2 = roc_plot({"a": ROC1, "b": ROC2}, youden=False)
    assert "geom_point" not in _geoms(p2)
    with pytest.raises(ValueError, match="labels"):
        roc_plot([ROC1, ROC2], labels=["x"])
    with pytest.raises(TypeError):
        roc_plot(42)


# --- cut-point -------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeMaxstat:
    cuts: tuple
    stats: tuple
    estimate: float
    statistic: float
    p_value: float
    pmethod: str

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({"cut": list(self.cuts), "statistic": list(self.stats)})


MAXSTAT = FakeMaxstat((2.0, 4.0, 6.0, 7.5, 9.0), (0.5, 1.2, 2.0, 2.9, 2.5), 7.5, 2.9, 0.043, "Lau94")


def test_cutpoint_marks_chosen_and_published():
    p = cutpoint_plot(MAXSTAT, published=8.0)
    vlines = [d["xintercept"].iloc[0] for d in _layers(p, "geom_vline")]
    assert sorted(vlines) == [7.5, 8.0]
    texts = [d["text"].iloc[0] for d in _layers(p, "geom_text")]
    assert texts == ["Chosen 7.50", "Prespecified 8"]
    assert p.labels.caption.replace("\n", " ") == "Maximally selected statistic M = 2.90, p = 0.043 (Lau94, adjusted for the search)."
    assert p.data["statistic"].tolist() == [0.5, 1.2, 2.0, 2.9, 2.5]
    # Labels sit above the curve so they never cover it.
    assert min(d["y"].iloc[0] for d in _layers(p, "geom_text")) > max(MAXSTAT.stats)
    q = cutpoint_plot(MAXSTAT, published=None)
    assert len(_layers(q, "geom_vline")) == 1


def test_forest_groups_rows_by_label_and_keeps_not_estimable():
    # As nlrstats.study.analyze.hazard_ratio_frame orders them: cohort by cohort, endpoint within.
    frame = pl.DataFrame(
        {
            "label": ["PFS", "OS", "PFS", "OS"],
            "cohort": ["Original", "Original", "Validation", "Validation"],
            "estimate": [3.0, math.inf, 1.5, None],
            "conf_low": [1.2, 1.4, 0.9, None],
            "conf_high": [7.5, math.inf, 2.5, None],
            "method": ["Cox", "Cox", "Firth", None],
        }
    )
    p = forest_plot(frame, group="cohort", note="method")
    d = p.data
    assert list(zip(d["label"], d["group"])) == [
        ("PFS", "Original"), ("PFS", "Validation"), ("OS", "Original"), ("OS", "Validation")
    ]
    assert d["text"].tolist() == ["3.00 (1.20–7.50) Cox", "1.50 (0.90–2.50) Firth", "∞ (1.40–∞) Cox", "not estimable"]
    # Points only for finite estimates; the infinite one is an arrow from its lower limit.
    (points,) = _layers(p, "geom_point")
    assert points["estimate"].tolist() == [3.0, 1.5]
    inf_row = d[d["estimate"] == math.inf].iloc[0]
    assert inf_row["right_arrow"] and inf_row["lo_draw"] == 1.4
    assert "Not estimable: OS (Validation)." in p.labels.caption.replace("\n", " ")
    # One tick per label, centred on its rows.
    ys = [s for s in p.scales if "y" in s.aesthetics][0]
    assert list(ys.labels) == ["PFS", "OS"]


def test_cutpoint_with_real_maxstat(cohort):
    from nlrstats.stats.cutpoint import maxstat

    m = maxstat("Surv(os_months, os_event) ~ nlr_d0", cohort, pmethod="Lau94")
    p = cutpoint_plot(m, published=8.0)
    assert p.data["cut"].tolist() == m.tidy()["cut"].to_list()
    assert p.data["statistic"].tolist() == m.tidy()["statistic"].to_list()
    assert sorted(d["xintercept"].iloc[0] for d in _layers(p, "geom_vline")) == sorted([m.estimate, 8.0])
    cap = p.labels.caption.replace("\n", " ")
    # the figure prints p-values by the one rule of prose and tables (gtsummary style_pvalue, 2 digits)
    assert f"{p_phrase(m.p_value)} (Lau94" in cap and p_phrase(m.p_value) == "p = 0.25"
    assert f"unadjusted log-rank {p_phrase(m.p_value_unadjusted)}" in cap


def test_roc_with_real_rocresult(cohort):
    from nlrstats.stats.cutpoint.roc import roc

    r = roc("disease_control", "nlr_d0", data=cohort)
    p = roc_plot(r)
    tidy = r.tidy()
    # Every (1 - specificity, sensitivity) pair of the curve is on the drawn path.
    drawn = set(zip(p.data["fpr"].round(12), p.data["tpr"].round(12)))
    for sp, se in zip(tidy["specificity"].to_list(), tidy["sensitivity"].to_list()):
        assert (round(1 - sp, 12), round(se, 12)) in drawn
    y = r.youden().row(0, named=True)
    (pts,) = _layers(p, "geom_point")
    assert pts["fpr"].iloc[0] == pytest.approx(1 - y["specificity"])
    assert pts["tpr"].iloc[0] == pytest.approx(y["sensitivity"])
    assert p.data["curve"].iloc[0] == "nlr_d0"
    auc = [d for d in _layers(p, "geom_text") if "AUC" in str(d["text"].iloc[0])][0]["text"].iloc[0]
    assert auc == f"AUC {r.auc:.2f} (95% CI {r.conf_low:.2f}\u2013{r.conf_high:.2f})"


def test_captions_count_without_naming_when_ids_hidden():
    import polars as pl
    from nlrstats.present.plots import nlr_trajectory_plot, waterfall_plot
    df = pl.DataFrame({"patient_id": ["P1", "P2", "P3"], "best_pct_change": [10.0, None, -40.0],
                       "nlr_group": ["NLR < 8", "NLR ≥ 8", "NLR < 8"], "nlr_d0": [3.0, 9.0, 4.0],
                       "nlr_d14": [2.0, None, 5.0], "best_response": ["PR", "PD", "SD"]})
    hidden = waterfall_plot(df, show_ids=False).labels.caption
    assert "1 patient" in hidden and "P2" not in hidden
    assert "P2" in waterfall_plot(df, show_ids=True).labels.caption
    assert "P2" not in nlr_trajectory_plot(df, show_ids=False).labels.caption
    assert "P2" in nlr_trajectory_plot(df).labels.caption


def test_cutpoint_with_a_lau94_bound_above_one():
    # maxstat's Lau94 p is an upper bound; with no effect R returns it above 1 (1.434 on this cohort,
    # tests/r/crosscheck.R). The figure must say it tells nothing, not crash or print "p > 0.99".
    import polars as pl

    from nlrstats.present.format import p_bound_phrase
    from nlrstats.stats.cutpoint import maxstat

    d = pl.read_csv(Path(__file__).resolve().parent / "fixtures" / "crosscheck" / "cohort400.csv")
    m = maxstat("Surv(time, status) ~ x", d, pmethod="Lau94")
    assert m.p_value > 1
    cap = cutpoint_plot(m, published=None).labels.caption.replace("\n", " ")
    assert "an uninformative p (the Lau94 bound is 1.43, above 1)" in cap
    assert p_bound_phrase(0.25, "Lau94") == "p = 0.25" and p_bound_phrase(None) == "p not available"


@pytest.mark.parametrize("lo,hi", [(0.95, 2.9), (0.5, 4.0), (0.8, 1.3), (0.1, 10.0), (0.01, 100.0), (0.001, 1000.0),
                                   (1.05, 1.12), (0.3, 0.31), (2.0, 60.0)])
def test_log_axis_ticks_label_any_range_with_two_or_more_round_values(lo, hi):
    from nlrstats.present.plots._data import log_breaks
    ticks = log_breaks(lo, hi)
    inside = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    assert len(inside) >= 2 and inside == ticks
    assert all(t == float(f"{t:.3g}") for t in ticks)  # labels print without float noise (0.7, not 0.70000001)
    assert 1.0 in log_breaks(lo, hi, with_one=True)
    # never crowded: at most 6 ticks a decade on a single-column axis
    assert len(ticks) <= 6 * max(1.0, math.log10(hi / lo)) + 1


def test_a_narrow_hazard_ratio_range_gets_ticks_between_1_and_its_top():
    from nlrstats.present.plots._data import log_breaks
    assert log_breaks(0.95, 2.9, with_one=True) == [1.0, 1.25, 1.5, 2.0, 2.5]
    assert log_breaks(0.1, 10) == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]  # a wide range keeps 1-2-5
