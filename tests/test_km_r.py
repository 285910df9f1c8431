"""survfit against R's survival 3.5 on R's data sets (fixtures from tests/r/km_fixtures.R).

Every case runs on the reference kernels and again on the fast ones (``JIT_MIN_ROWS`` 0):
the curve with its CI and cumulative hazard, ``summary(fit)$table`` with the restricted
mean, ``print(fit, rmean = )``'s rmean rules, ``quantile(fit)``, ``summary(fit)`` and
``summary(fit, times = , extend = )``.
"""

from __future__ import annotations

import pytest

from nlrstats.stats.survival import survfit
from tests.km_r_cases import CASES, DATA, as_list, case_id, close, floats

KM = [c for c in CASES if c["call"] == "survfit"]
REL = 1e-10


@pytest.fixture(params=["reference", "fast"])
def kernels(request, monkeypatch):
    import nlrstats.stats.survival._data as sdata
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0 if request.param == "fast" else 10 ** 12)
    return request.param


def _fit(case):
    return survfit(case["formula"], DATA[case["dataset"]], conf_type=case["conf_type"],
                   conf_level=case["conf_level"], stype=case["stype"], ctype=case["ctype"],
                   weights=case.get("weights"))


def _table_cols(case):
    lvl = f"{case['conf_level']:g}"
    cols = [("records", "records"), ("n_max", "n.max"), ("n_start", "n.start"), ("events", "events"),
            ("median", "median")]
    if case["conf_type"] != "none":
        cols += [("conf_low", f"{lvl}LCL"), ("conf_high", f"{lvl}UCL")]
    return cols


@pytest.mark.parametrize("case", KM, ids=case_id)
def test_curve_matches_r(case, kernels):
    fit = _fit(case)
    if case["strata_labels"]:
        assert list(fit.strata) == as_list(case["strata_labels"])
    assert fit.n.tolist() == as_list(case["n"])
    t, r = fit.tidy(), case["tidy"]
    if case["strata_labels"]:
        assert t["strata"].to_list() == as_list(r["strata"])
    for col in ("time", "n_risk", "n_event", "n_censor", "estimate", "std_error", "cumhaz", "std_chaz"):
        close(floats(t[col]), r[col], REL, col)
    if case["conf_type"] != "none":
        for col in ("conf_low", "conf_high"):
            close(floats(t[col]), r[col], REL, col)
    else:
        assert t["conf_low"].null_count() == t.height


@pytest.mark.parametrize("case", KM, ids=case_id)
def test_table_and_restricted_means_match_r(case, kernels):
    fit = _fit(case)
    tab, r = fit.table(), case["table"]  # summary(fit)$table: rmean = "common"
    for ours, theirs in _table_cols(case) + [("rmean", "rmean"), ("se_rmean", "se(rmean)")]:
        close(floats(tab[ours]), r[theirs], REL, f"table.{theirs}")
    for rm in case["rmean"]:  # print(fit, rmean = ) for "common", "individual" and a number
        tab, cols = fit.table(rmean=rm["rule"]), rm["columns"]
        close(floats(tab["rmean_end"]), rm["end_time"], REL, f"{rm['rule']}.end_time")
        close(floats(tab["rmean"]), cols["rmean"], REL, f"{rm['rule']}.rmean")
        close(floats(tab["se_rmean"]), cols["se(rmean)"], REL, f"{rm['rule']}.se(rmean)")
        text = fit.format(rmean=rm["rule"])
        assert "rmean*" in text and "se(rmean)" in text and "restricted mean with" in text


@pytest.mark.parametrize("case", KM, ids=case_id)
def test_quantiles_match_r(case, kernels):
    fit = _fit(case)
    q = fit.quantile(case["probs"])
    labels = as_list(case["strata_labels"]) or [None]
    rq = case["quantile"]
    for i, lab in enumerate(labels):
        rows = q.filter(q["strata"].is_null() if lab is None else q["strata"] == lab)
        assert rows["prob"].to_list() == pytest.approx(case["probs"])
        close(floats(rows["quantile"]), rq["quantile"][i], REL, f"quantile[{lab}]")
        if "lower" in rq:
            close(floats(rows["conf_low"]), rq["lower"][i], REL, f"quantile.lower[{lab}]")
            close(floats(rows["conf_high"]), rq["upper"][i], REL, f"quantile.upper[{lab}]")


@pytest.mark.parametrize("case", KM, ids=case_id)
def test_summary_matches_r(case, kernels):
    fit = _fit(case)
    runs = [(fit.summary(), case["events"])]
    if "at" in case:
        runs.append((fit.summary(times=case["times"], extend=case["extend"]), case["at"]))
    for got, r in runs:
        if case["strata_labels"]:
            assert got["strata"].to_list() == as_list(r["strata"])
        cols = ["time", "n_risk", "n_event", "n_censor", "estimate", "std_error", "cumhaz", "std_chaz"]
        if case["conf_type"] != "none":
            cols += ["conf_low", "conf_high"]
        for col in cols:
            close(floats(got[col]), r[col], REL, f"summary.{col}")


def test_survfit_of_a_cox_fit_is_its_curves():
    from nlrstats.stats.survival import coxph
    d = DATA["lung"]
    fit = coxph("Surv(time, event) ~ age + sex", d)
    new = d.head(3)
    assert survfit(fit, new).tidy().equals(fit.survfit(new).tidy())
