"""Structure of km_plot: layers, risk-table numbers, shared x scale, step band."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from nlrstats.data.cohort import load_cohort
from nlrstats.study.plan import StudyPlan
from nlrstats.present.plots import km_plot, step_band, strata_labels
from nlrstats.present.plots.km import RISK_PANEL, SURVIVAL_PANEL
from nlrstats.stats.survival import coxph, survdiff, survfit

DATA = Path(__file__).resolve().parents[1] / "data" / "fukuda2020_reconstructed.csv"


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    return StudyPlan.fukuda2020().grouped(load_cohort(DATA))


@pytest.fixture(scope="module")
def os_fit(cohort):
    return survfit("Surv(os_months, os_event) ~ nlr_group", cohort)


class _Layer:
    """A layer's geom name and its own data (plotnine keeps it on the geom before drawing)."""

    def __init__(self, lyr, plot):
        self.geom = lyr.geom
        self.data = lyr.geom.data if lyr.geom.data is not None else plot.data


def _layers(p, geom_name=None):
    return [_Layer(lyr, p) for lyr in p.layers if geom_name is None or type(lyr.geom).__name__ == geom_name]


def _risk_layer(p):
    hits = [lyr for lyr in _layers(p, "geom_text") if "n_risk" in lyr.data.columns]
    assert len(hits) == 1
    return hits[0].data


def test_layers_present(os_fit, cohort):
    p = km_plot(os_fit, logrank=survdiff("Surv(os_months, os_event) ~ nlr_group", cohort))
    names = [type(lyr.geom).__name__ for lyr in p.layers]
    for geom in ("geom_ribbon", "geom_segment", "geom_step", "geom_point", "geom_text", "geom_label"):
        assert geom in names, geom
    # Every layer carries the panel column, so the facet puts it in the right panel.
    for lyr in _layers(p):
        assert isinstance(lyr.data, pd.DataFrame)
        assert "panel" in lyr.data.columns


def test_risk_numbers_equal_survfit_at_breaks(os_fit):
    breaks = [0, 5, 10, 15, 20]
    risk = _risk_layer(km_plot(os_fit, breaks=breaks))
    at = os_fit.at(breaks)
    for raw, lab in zip(os_fit.strata, strata_labels(os_fit.strata)):
        shown = risk[risk["strata"] == lab].set_index("time")["n_risk"].to_dict()
        ref = at.filter(pl.col("strata") == raw)
        for t, n in zip(ref["time"].to_list(), ref["n_risk"].to_list()):
            assert shown[t] == n
        # Breaks after the stratum's last follow-up (dropped by at(), R extend=FALSE): nobody at risk.
        for t in set(breaks) - set(ref["time"].to_list()):
            assert shown[float(t)] == 0
    assert set(risk["panel"]) == {RISK_PANEL}


def test_risk_numbers_by_hand(os_fit, cohort):
    # Number at risk at t = patients with follow-up time >= t, counted directly from the data.
    breaks = [0.0, 5.0, 10.0, 15.0, 20.0]
    risk = _risk_layer(km_plot(os_fit, breaks=breaks))
    for grp in ("NLR < 8", "NLR ≥ 8"):
        times = cohort.filter(pl.col("nlr_group") == grp)["os_months"].to_list()
        expected = [sum(x >= b for x in times) for b in breaks]
        got = risk[risk["strata"] == grp].sort_values("time")["n_risk"].tolist()
        assert got == expected
    assert risk[risk["strata"] == "NLR < 8"].sort_values("time")["n_risk"].tolist() == [9, 8, 5, 3, 1]
    assert risk[risk["strata"] == "NLR ≥ 8"].sort_values("time")["n_risk"].tolist() == [4, 1, 0, 0, 0]
    # First stratum on the top row.
    assert set(risk.loc[risk["strata"] == "NLR < 8", "y"]) == {-1.0}
    assert set(risk.loc[risk["strata"] == "NLR ≥ 8", "y"]) == {-2.0}


def test_panels_share_x_limits_and_breaks(os_fit):
    p = km_plot(os_fit, breaks=[0, 6, 12, 18])
    fig = p.draw()
    try:
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert len(axes) == 2
        top, bottom = sorted(axes, key=lambda ax: -ax.get_position().y0)
        assert top.get_xlim() == pytest.approx(bottom.get_xlim())
        assert list(top.get_xticks()) == list(bottom.get_xticks()) == [0, 6, 12, 18]
        # Survival panel spans 0-1; risk panel holds the rows -1, -2.
        assert top.get_ylim()[0] < 0 < 1 < top.get_ylim()[1] <= 1.05
        assert bottom.get_ylim()[1] < 0
        # Same widths and left edges: the numbers sit under the curves' breaks.
        assert top.get_position().x0 == pytest.approx(bottom.get_position().x0)
        assert top.get_position().width == pytest.approx(bottom.get_position().width)
        # The survival panel is three times the risk panel's height unit.
        assert top.get_position().height > 2 * bottom.get_position().height
        texts = [t.get_text() for t in bottom.texts]
        assert RISK_PANEL in texts
        assert "9" in texts and "4" in texts
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_step_band_has_doubled_points():
    band = step_band([0.0, 1.0, 2.0, 4.0], [1.0, 0.8, 0.5, 0.3], [1.0, 1.0, 0.9, 0.7])
    assert band["time"].tolist() == [0.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0]
    assert band["conf_low"].tolist() == [1.0, 1.0, 0.8, 0.8, 0.5, 0.5, 0.3]
    assert band["conf_high"].tolist() == [1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.7]


def test_plot_band_is_step_shaped(os_fit):
    p = km_plot(os_fit)
    (ribbon,) = _layers(p, "geom_ribbon")
    tidy = os_fit.tidy()
    for raw, lab in zip(os_fit.strata, strata_labels(os_fit.strata)):
        d = ribbon.data[ribbon.data["strata"] == lab].reset_index(drop=True)
        # Between consecutive points either x stays (a vertical jump) or both limits stay (flat).
        for i in range(len(d) - 1):
            a, b = d.iloc[i], d.iloc[i + 1]
            assert a["time"] == b["time"] or (a["conf_low"] == b["conf_low"] and a["conf_high"] == b["conf_high"])
        # Each fit time with a defined CI appears twice (end of the old step, start of the new).
        sub = tidy.filter((pl.col("strata") == raw) & pl.col("conf_low").is_not_null())
        counts = d["time"].value_counts()
        for t in sub["time"].to_list()[:-1]:
            assert counts[t] == 2
        assert d.iloc[0]["time"] == 0.0 and d.iloc[0]["conf_low"] == 1.0


def test_band_stops_where_ci_is_undefined(os_fit):
    # NLR >= 8: S reaches 0 at 7.0 where R's CI is NA; the band holds the last limits until then.
    p = km_plot(os_fit)
    (ribbon,) = _layers(p, "geom_ribbon")
    d = ribbon.data[ribbon.data["strata"] == "NLR ≥ 8"]
    assert d["time"].max() == 7.0
    last = os_fit.tidy().filter((pl.col("strata") == "nlr_group=NLR ≥ 8") & (pl.col("time") == 3.8))
    assert d.iloc[-1]["conf_low"] == pytest.approx(last["conf_low"][0])
    assert d["conf_low"].notna().all()


def test_curves_start_at_one_and_censor_marks(os_fit):
    p = km_plot(os_fit)
    step = p.data
    for lab in ("NLR < 8", "NLR ≥ 8"):
        first = step[step["strata"] == lab].iloc[0]
        assert (first["time"], first["estimate"]) == (0.0, 1.0)
    (marks,) = [lyr for lyr in _layers(p, "geom_point")]
    tidy = os_fit.tidy().filter(pl.col("n_censor") > 0)
    assert sorted(marks.data["time"].tolist()) == sorted(tidy["time"].to_list())


def test_median_lines_at_medians(os_fit):
    p = km_plot(os_fit)
    (seg,) = _layers(p, "geom_segment")
    med = os_fit.median()["median"].to_list()
    vertical = seg.data[seg.data["x"] == seg.data["xend"]]
    assert sorted(vertical["x"].tolist()) == sorted(med)
    assert (vertical["y"] == 0.5).all() and (vertical["yend"] == 0).all()
    horizontal = seg.data[seg.data["y"] == seg.data["yend"]]
    assert horizontal["x"].tolist() == [0.0] and horizontal["xend"].tolist() == [max(med)]
    assert _layers(km_plot(os_fit, median_lines=False), "geom_segment") == []


def test_annotations(os_fit, cohort):
    sd = survdiff("Surv(os_months, os_event) ~ nlr_group", cohort)
    cx = coxph("Surv(os_months, os_event) ~ nlr_group", cohort)
    p = km_plot(os_fit, logrank=sd, cox=cx)
    (label,) = _layers(p, "geom_label")
    text = label.data["text"][0]
    r = cx.tidy().row(0, named=True)
    assert text.splitlines()[0] == f"Log-rank p = {sd.p_value:.3f}"
    hr = text.splitlines()[1]
    assert hr.startswith("HR ") and "95% CI" in hr
    assert f"{r['estimate']:.1f}" in hr
    (lab2,) = _layers(km_plot(os_fit, logrank=0.0001), "geom_label")
    assert lab2.data["text"][0] == "Log-rank p < 0.001"


def test_single_stratum_fit(cohort):
    fit = survfit("Surv(pfs_months, pfs_event) ~ 1", cohort)
    p = km_plot(fit, breaks=[0, 10, 20])
    risk = _risk_layer(p)
    assert set(risk["strata"]) == {"All patients"}
    times = cohort["pfs_months"].to_list()
    assert risk.sort_values("time")["n_risk"].tolist() == [sum(t >= b for t in times) for b in (0, 10, 20)]
    assert p.data.iloc[0][["time", "estimate"]].tolist() == [0.0, 1.0]


def test_three_strata_and_no_risk_table():
    df = pl.DataFrame(
        {
            "t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 2.5, 3.5, 7.0],
            "e": [1, 0, 1, 1, 0, 1, 1, 1, 0],
            "g": ["a", "a", "a", "b", "b", "b", "c", "c", "c"],
        }
    )
    fit = survfit("Surv(t, e) ~ g", df)
    p = km_plot(fit)
    risk = _risk_layer(p)
    assert sorted(set(risk["y"])) == [-3.0, -2.0, -1.0]
    assert list(p.data["strata"].cat.categories) == ["a", "b", "c"]
    q = km_plot(fit, risk_table=False, conf_int=False)
    assert not any("n_risk" in lyr.data.columns for lyr in _layers(q, "geom_text"))
    assert _layers(q, "geom_ribbon") == []
    assert set(q.data["panel"]) == {SURVIVAL_PANEL}


def test_strata_labels():
    assert strata_labels(["nlr_group=NLR < 8", "nlr_group=NLR ≥ 8"]) == ["NLR < 8", "NLR ≥ 8"]
    assert strata_labels([None]) == ["All patients"]
    assert strata_labels(["sex=F, ecog=1", "sex=M, ecog=1"]) == ["F, 1", "M, 1"]
    # Ambiguous once shortened: keep the full names.
    assert strata_labels(["a=1", "b=1"]) == ["a=1", "b=1"]
