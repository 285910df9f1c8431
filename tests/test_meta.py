"""nlrstats.rma against R's metafor 3.8 (fixtures from tests/r/meta_fixtures.R), input checks, invariances."""

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

import nlrstats
from nlrstats.stats.meta import MetaInputError, rma, se_from_ci

FIX = Path(__file__).parent / "fixtures"
ALL_CASES = json.loads((FIX / "meta_fixtures.json").read_text(encoding="utf-8"))
CASES = [c for c in ALL_CASES if "error" not in c]
REL = 1e-9


def _data(name: str) -> pl.DataFrame:
    return pl.read_csv(FIX / f"meta_{name}.csv")


def _fit(case, **kw):
    d = _data(case["dataset"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FE with knha warns, checked below
        if "hr" in d.columns:
            return rma(hr=d["hr"], conf_low=d["conf_low"], conf_high=d["conf_high"], labels=d["label"],
                       method=case["method"], test=case["test"], **kw)
        return rma(d["yi"], d["sei"], labels=d["label"], method=case["method"], test=case["test"], **kw)


def _close(ours, theirs, what):
    if theirs is None:
        assert ours is None, f"{what}: {ours} but metafor has NULL"
    else:
        assert ours == pytest.approx(theirs, rel=REL, abs=1e-13), f"{what}: {ours} vs metafor {theirs}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['dataset']}-{c['method']}-{c['test']}")
def test_rma_equals_metafor(case):
    fit = _fit(case)
    assert fit.k == case["k"]
    np.testing.assert_allclose(fit.yi, case["yi"], rtol=1e-14)
    np.testing.assert_allclose(np.sqrt(fit.vi), case["sei"], rtol=1e-14)
    for key in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "tau2", "se_tau2",
                "i2", "h2", "q", "q_p_value", "loglik", "pi_low", "pi_high"):
        _close(getattr(fit, key), case[key], key)
    assert fit.df == case.get("df")
    np.testing.assert_allclose(fit.weights, case["weights"], rtol=REL)


@pytest.mark.parametrize("pi_type", ["riley", "t"])
@pytest.mark.parametrize("case", [c for c in CASES if c["method"] != "FE"],
                         ids=lambda c: f"{c['dataset']}-{c['method']}-{c['test']}")
def test_prediction_interval_types_equal_metafor(case, pi_type):
    fit = _fit(case, pi_type=pi_type)
    _close(fit.pi_low, case[f"pi_low_{pi_type}"], "pi_low")
    _close(fit.pi_high, case[f"pi_high_{pi_type}"], "pi_high")


def test_glance_and_tidy_are_on_the_hazard_ratio_scale():
    case = next(c for c in CASES if c["dataset"] == "published" and c["method"] == "REML" and c["test"] == "z")
    fit = _fit(case)
    g = fit.glance().row(0, named=True)
    for key in ("estimate", "conf_low", "conf_high", "pi_low", "pi_high"):
        assert g[key] == pytest.approx(math.exp(case[key]), rel=REL)
    assert g["tau2"] == pytest.approx(case["tau2"], rel=REL)
    assert g["i2"] == pytest.approx(case["i2"], rel=REL)
    assert g["q_df"] == 5 and g["k"] == 6 and g["method"] == "REML"
    t = fit.tidy()
    assert t["type"].to_list() == ["study"] * 6 + ["summary"]
    d = _data("published")
    # the per-study rows give back the published HRs; the CIs are recomputed from the SE (symmetric on log scale)
    np.testing.assert_allclose(t["estimate"][:6].to_numpy(), d["hr"].to_numpy(), rtol=1e-14)
    assert t["weight"][:6].sum() == pytest.approx(100.0)
    assert t["estimate"][6] == pytest.approx(g["estimate"])
    log = fit.glance(exponentiate=False).row(0, named=True)
    assert log["estimate"] == pytest.approx(case["estimate"], rel=REL)


def test_print_looks_like_metafor():
    case = next(c for c in CASES if c["dataset"] == "bcg" and c["method"] == "REML" and c["test"] == "z")
    text = repr(_fit(case))
    assert "Random-Effects Model (k = 13; tau^2 estimator: REML)" in text
    assert "tau^2 (estimated amount of total heterogeneity): 0.3132 (SE = 0.1664)" in text
    assert "Q(df = 12) = 152.2330, p-val < .0001" in text
    assert " -0.7145  0.1798  -3.9744  <.0001  -1.0669  -0.3622  ***" in text
    knha = next(c for c in CASES if c["dataset"] == "bcg" and c["method"] == "DL" and c["test"] == "knha")
    assert " -0.7141  0.1807  -3.9520  12  0.0019  -1.1078  -0.3204  **" in repr(_fit(knha))


def test_top_level_verb():
    assert nlrstats.rma is rma


def test_reml_that_does_not_converge_stops_as_metafor():
    case = next(c for c in ALL_CASES if "error" in c)
    assert "Fisher scoring algorithm did not converge" in case["error"]
    with pytest.raises(MetaInputError, match="Fisher scoring algorithm did not converge"):
        rma(case["yi"], case["sei"], method="REML")
    assert rma(case["yi"], case["sei"], method="DL").tau2 >= 0  # the remedy the message names


def _fit_or_error(yi, sei, **kw):
    """The fit, or "no convergence" where metafor's REML Fisher scoring stops too."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rma(yi, sei, **kw)
    except MetaInputError as exc:
        assert "did not converge" in str(exc)
        return "no convergence"


def test_fe_with_knha_warns_as_metafor():
    with pytest.warns(UserWarning, match="Knapp & Hartung method is not meant"):
        rma([0.1, 0.5, 0.3], [0.2, 0.3, 0.25], method="FE", test="knha")


def test_extreme_variance_ratio_warns():
    with pytest.warns(UserWarning, match="Ratio of largest to smallest sampling variance"):
        rma([0.1, 0.5, 0.3], [1e-4, 0.5, 0.3], method="DL")


@pytest.mark.parametrize("kwargs, message", [
    (dict(hr=[2.0, 1.5], conf_low=[1.0, 1.6], conf_high=[4.0, 2.5], labels=["A", "B"]),
     r"row 2 \(B\): need conf_low < hr < conf_high"),
    (dict(hr=[2.0, -1.5], conf_low=[1.0, 0.5], conf_high=[4.0, 2.5]), r"row 2 \(Study 2\): .*positive"),
    (dict(hr=[2.0, 1.5], conf_low=[1.0, 1.0], conf_high=[4.0, math.nan]), r"row 2 .*finite"),
    (dict(hr=[2.0, 1.5], conf_low=[1.0, 1.0]), "needed together"),
    (dict(hr=[2.0, 1.5, 1.1], conf_low=[1.0, 1.0], conf_high=[3.0, 3.0]), "differ in length"),
    (dict(yi=[0.2, 0.3], sei=[0.1, 0.0], labels=["x", "y"]), r"row 2 \(y\): the standard error must be positive"),
    (dict(yi=[0.2], sei=[0.1]), "at least 2 studies"),
    (dict(yi=[0.2, 0.1], sei=[0.1]), "differ in length"),
    (dict(yi=[0.2, 0.1], sei=[0.1, 0.2], hr=[1.0, 2.0]), "not both"),
    (dict(yi=[0.2, 0.1], sei=[0.1, 0.2], method="PM"), "method must be"),
    (dict(yi=[0.2, 0.1], sei=[0.1, 0.2], test="t"), "test must be"),
    (dict(yi=[0.2, 0.1], sei=[0.1, 0.2], conf_level=95), "0.95, not 95"),
    (dict(yi=[0.2, 0.1], sei=[0.1, 0.2], labels=["a"]), "1 labels for 2 studies"),
])
def test_bad_input_is_refused_naming_the_row(kwargs, message):
    with pytest.raises(MetaInputError, match=message):
        rma(**kwargs)


def test_hr_input_is_log_hr_and_ci_width():
    se = se_from_ci([1.2], [3.7])[0]
    assert se == pytest.approx((math.log(3.7) - math.log(1.2)) / (2 * 1.959963984540054), rel=1e-15)
    a = rma(hr=[2.1, 1.6], conf_low=[1.2, 0.9], conf_high=[3.7, 2.8])
    b = rma([math.log(2.1), math.log(1.6)], se_from_ci([1.2, 0.9], [3.7, 2.8]))
    assert a.estimate == b.estimate and a.std_error == b.std_error


studies = st.lists(st.tuples(st.floats(-2, 2), st.floats(0.05, 1.0)), min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(studies, st.sampled_from(["REML", "DL", "FE"]), st.sampled_from(["z", "knha"]), st.randoms())
def test_order_of_studies_does_not_matter(rows, method, test, rnd):
    yi, sei = map(np.array, zip(*rows))
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    a = _fit_or_error(yi, sei, method=method, test=test)
    b = _fit_or_error(yi[perm], sei[perm], method=method, test=test)
    if isinstance(a, str) or isinstance(b, str):  # Fisher scoring's path depends only on the set of studies
        assert a == b
        return
    for key in ("estimate", "std_error", "tau2", "q", "i2"):
        assert getattr(b, key) == pytest.approx(getattr(a, key), rel=1e-7, abs=1e-9)
    np.testing.assert_allclose(b.weights, a.weights[perm], rtol=1e-6, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(studies, st.sampled_from(["REML", "DL", "FE"]), st.sampled_from(["z", "knha"]))
def test_reference_group_swap_inverts_the_pooled_hazard_ratio(rows, method, test):
    """HR of low vs high NLR is 1 / HR of high vs low: the pooled HR, CI and PI invert, tau2 and Q stay."""
    yi, sei = map(np.array, zip(*rows))
    fa = _fit_or_error(yi, sei, method=method, test=test)
    fb = _fit_or_error(-yi, sei, method=method, test=test)
    if isinstance(fa, str) or isinstance(fb, str):  # tau^2 does not depend on the sign: both stop or neither
        assert fa == fb
        return
    a, b = fa.glance().row(0, named=True), fb.glance().row(0, named=True)
    assert b["estimate"] == pytest.approx(1 / a["estimate"], rel=1e-7)
    assert b["conf_low"] == pytest.approx(1 / a["conf_high"], rel=1e-7)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-7, abs=1e-12)
    for key in ("tau2", "q", "i2"):
        assert b[key] == pytest.approx(a[key], rel=1e-7, abs=1e-9)


# --- forest plot of the pooled estimate ----------------------------------------------------


def _layer_data(p, geom):
    return [lyr.geom.data if lyr.geom.data is not None else p.data for lyr in p.layers
            if type(lyr.geom).__name__ == geom]


def test_forest_plot_draws_studies_diamond_and_prediction_interval():
    import matplotlib
    matplotlib.use("Agg")
    from nlrstats.present.plots.pooled import pooled_forest_plot
    case = next(c for c in CASES if c["dataset"] == "published" and c["method"] == "REML" and c["test"] == "z")
    fit = _fit(case)
    p = pooled_forest_plot(fit)
    (diamond,) = _layer_data(p, "geom_polygon")
    xs = sorted(diamond["x"])
    assert xs[0] == pytest.approx(math.exp(case["conf_low"]), rel=REL)
    assert xs[-1] == pytest.approx(math.exp(case["conf_high"]), rel=REL)
    assert xs[1] == xs[2] == pytest.approx(math.exp(case["estimate"]), rel=REL)
    segs = _layer_data(p, "geom_segment")
    pi = next(s for s in segs if "xend" in s.columns)
    assert pi["x"][0] == pytest.approx(math.exp(case["pi_low"]), rel=REL)
    assert pi["xend"][0] == pytest.approx(math.exp(case["pi_high"]), rel=REL)
    studies = p.data
    np.testing.assert_allclose(studies["weight"], case["weights"], rtol=REL)
    assert list(studies["label"]) == _data("published")["label"].to_list()
    fig = p.draw()
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert "RE Model" in texts and any("prediction interval" in t for t in texts)
    assert f"{case['weights'][0]:.1f}%" in texts


def test_forest_plot_of_fixed_effect_has_no_prediction_interval():
    from nlrstats.present.plots.pooled import pooled_forest_plot
    case = next(c for c in CASES if c["dataset"] == "k2" and c["method"] == "FE" and c["test"] == "z")
    p = pooled_forest_plot(_fit(case))
    assert all("xend" not in s.columns or "conf_low" in s.columns for s in _layer_data(p, "geom_segment"))
    with pytest.raises(TypeError, match="needs the result of nlrstats.rma"):
        pooled_forest_plot(pl.DataFrame({"a": [1]}))


# --- nlrstats pool ----------------------------------------------------------------------------


def test_cli_pool_reads_analyze_json_and_published_rows(tmp_path, bundled_path, capsys):
    from nlrstats.cli import main
    res = tmp_path / "cohort.json"
    assert main(["analyze", str(bundled_path), "--json", str(res), "--bootstrap", "0"]) == 0
    out = tmp_path / "pooled.json"
    plot = tmp_path / "forest.png"
    rc = main(["pool", str(res), str(FIX / "meta_published.csv"), "--endpoint", "pfs", "--method", "DL",
               "--json", str(out), "--plot", str(plot)])
    assert rc == 0 and plot.stat().st_size > 1000
    text = capsys.readouterr().out
    assert "Random-Effects Model (k = 7; tau^2 estimator: DL)" in text
    got = json.loads(out.read_text(encoding="utf-8"))
    cox = json.loads(res.read_text(encoding="utf-8"))["pfs"]["cox"]
    d = _data("published")
    want = rma(hr=[cox["estimate"], *d["hr"]], conf_low=[cox["conf_low"], *d["conf_low"]],
               conf_high=[cox["conf_high"], *d["conf_high"]], method="DL").glance().row(0, named=True)
    for key in ("estimate", "conf_low", "conf_high", "tau2", "i2", "q", "pi_low", "pi_high", "p_value"):
        assert got["pooled"][key] == pytest.approx(want[key], rel=1e-12)
    assert [r["term"] for r in got["studies"]][:2] == ["fukuda2020_reconstructed", "Fukuda 2020"]


def test_cli_pool_toml_rows_endpoint_filter_and_errors(tmp_path, capsys):
    from nlrstats.cli import main
    toml = tmp_path / "published.toml"
    toml.write_text('[[study]]\nlabel = "A"\nhr = 2.0\nconf_low = 1.2\nconf_high = 3.3\n'
                    '[[study]]\nlabel = "B"\nhr = 1.5\nconf_low = 1.0\nconf_high = 2.25\n', encoding="utf-8")
    csv = tmp_path / "more.csv"
    csv.write_text("label,hr,conf_low,conf_high,endpoint\nC,1.8,1.1,2.9,os\nD,2.5,1.4,4.4,pfs\n", encoding="utf-8")
    assert main(["pool", str(toml), str(csv), "--json", "-"]) == 0
    text = capsys.readouterr().out
    assert "k = 3" in text and "1 row(s) of other endpoints not pooled: D" in text
    bad = tmp_path / "bad.csv"
    bad.write_text("label,hr,conf_low,conf_high\nX,2.0,2.5,3.0\nY,1.2,1.0,1.5\n", encoding="utf-8")
    assert main(["pool", str(bad)]) == 1
    assert "row 1 (X): need conf_low < hr < conf_high" in capsys.readouterr().err
    assert main(["pool", str(tmp_path / "none.csv")]) == 1
    assert "no such file" in capsys.readouterr().err
