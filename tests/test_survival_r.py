"""nlrstats.stats.survival against R's survival 3.5 (fixtures from tests/r/survival_fixtures.R)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import polars as pl
import pytest

from nlrstats.stats.survival import coxph, survdiff, survfit

FIX = Path(__file__).parent / "fixtures"
CASES = json.loads((FIX / "survival_fixtures.json").read_text(encoding="utf-8"))
DATA = {name: pl.read_csv(FIX / f"survival_{name}.csv") for name in ("ties", "nlr13", "fukuda", "sim")}


def _list(v):
    return v if isinstance(v, list) else [v]


def _num(v):
    if v is None:
        return None
    if v == "Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)


def close(ours, theirs, rel, what):
    ours, theirs = _list(ours), [_num(v) for v in _list(theirs)]
    assert len(ours) == len(theirs), f"{what}: {len(ours)} values vs R's {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None, f"{what}[{i}]: {a} but R has NA"
        elif math.isinf(b):
            assert a == b, f"{what}[{i}]: {a} vs R {b}"
        else:
            assert a is not None, f"{what}[{i}]: None but R has {b}"
            assert a == pytest.approx(b, rel=rel, abs=rel * 1e-3), f"{what}[{i}]: {a} vs R {b}"


def ids(case):
    extra = {k: case[k] for k in ("conf_type", "rho", "ties") if k in case}
    return f"{case['call']}-{case['dataset']}-{case['formula']}-{extra}"


KM = [c for c in CASES if c["call"] == "survfit"]
DIFF = [c for c in CASES if c["call"] == "survdiff"]
COX = [c for c in CASES if c["call"] == "coxph"]


@pytest.fixture(params=["numpy", "compiled"])
def kernels(request, monkeypatch):
    """Run a test on the numpy kernels and again on the compiled ones (used from JIT_MIN_ROWS rows)."""
    import nlrstats.stats.survival._data as sdata
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0 if request.param == "compiled" else 10 ** 12)
    return request.param


@pytest.mark.parametrize("case", KM, ids=ids)
def test_survfit_matches_r(case, kernels):
    fit = survfit(case["formula"], DATA[case["dataset"]], conf_type=case["conf_type"],
                  conf_level=case["conf_level"])
    if case["strata_labels"]:
        assert list(fit.strata) == _list(case["strata_labels"])
    t = fit.tidy()
    r = case["tidy"]
    if case["strata_labels"]:
        assert t["strata"].to_list() == _list(r["strata"])
    for col, rel in (("time", 1e-12), ("n_risk", 0), ("n_event", 0), ("n_censor", 0),
                     ("estimate", 1e-8), ("std_error", 1e-8), ("conf_low", 1e-8), ("conf_high", 1e-8)):
        close([None if v is None else float(v) for v in t[col].to_list()], r[col], rel or 1e-15, col)
    m = fit.median()
    for col in ("records", "events", "median", "conf_low", "conf_high"):
        close([None if v is None else float(v) for v in m[col].to_list()], case["median"][col], 1e-12,
              f"median.{col}")
    if "at" in case:
        a = fit.at(case["times"])
        ra = case["at"]
        if case["strata_labels"]:
            assert a["strata"].to_list() == _list(ra["strata"])
        for col in ("time", "n_risk", "n_event", "estimate", "std_error", "conf_low", "conf_high"):
            close([None if v is None else float(v) for v in a[col].to_list()], ra[col], 1e-8, f"at.{col}")


@pytest.mark.parametrize("case", DIFF, ids=ids)
def test_survdiff_matches_r(case, kernels):
    d = survdiff(case["formula"], DATA[case["dataset"]], rho=case["rho"])
    close(d.statistic, case["statistic"], 1e-6, "chisq")
    assert d.df == case["df"]
    close(d.p_value, case["p_value"], 1e-6, "p")
    g = d.groups()
    r = case["groups"]
    assert g["strata"].to_list() == _list(r["strata"])
    for col in ("n", "observed", "expected", "o_e_sq_e", "o_e_sq_v"):
        close([None if v is None else float(v) for v in g[col].to_list()], r[col], 1e-6, col)
    tidy = d.tidy()
    assert tidy.columns == ["statistic", "df", "p_value", "method"]


@pytest.mark.parametrize("case", COX, ids=ids)
def test_coxph_matches_r(case, kernels):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = coxph(case["formula"], DATA[case["dataset"]], ties=case["ties"])
    t = fit.tidy()
    r = case["tidy"]
    assert t["term"].to_list() == _list(r["term"])
    close(t["estimate"].to_list(), r["estimate"], 1e-6, "exp(coef)")
    close(fit.tidy(exponentiate=False)["estimate"].to_list(), r["coef"], 1e-6, "coef")
    for col in ("std_error", "statistic", "p_value", "conf_low", "conf_high"):
        close(t[col].to_list(), r[col], 1e-6, col)
    close(fit.var.ravel(order="F").tolist(), case["var"], 1e-6, "var")
    g = fit.glance().row(0, named=True)
    for col, v in case["glance"].items():
        close(float(g[col]), v, 1e-6, col)
    assert not fit.monotone
    assert fit.iterations == case["iter"]  # same Newton path as coxfit6


@pytest.mark.parametrize("case", [c for c in COX if "zph" in c], ids=ids)
def test_cox_zph_matches_r(case):
    from nlrstats.stats.survival import cox_zph
    fit = coxph(case["formula"], DATA[case["dataset"]], ties=case["ties"])
    z = cox_zph(fit).tidy()
    r = case["zph"]
    assert z["term"].to_list() == _list(r["term"])
    close(z["statistic"].to_list(), r["chisq"], 1e-6, "chisq")
    close([float(v) for v in z["df"].to_list()], r["df"], 1e-12, "df")
    close(z["p_value"].to_list(), r["p"], 1e-6, "p")
