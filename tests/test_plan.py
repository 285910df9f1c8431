"""The study plan: validation, groups and labels that follow it, typed results whose JSON is derived from them."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.data.cohort import cohort_from_frame
from nlrstats.study import published
from nlrstats.study.analyze import analyze
from nlrstats.study.plan import PlanError, StudyPlan
from nlrstats.study.published import lookup


def test_fukuda_plan_is_built_from_published():
    plan = StudyPlan.fukuda2020()
    assert (plan.marker, plan.cutoff) == (published.MARKER, published.CUTOFF)
    assert tuple(plan.labels) == published.PAPER_LABELS == ("NLR < 8", "NLR ≥ 8")
    assert plan.window == (6.0, 10.0) and plan.group_column == "nlr_group"
    assert [e.key for e in plan.endpoints] == ["pfs", "os"]


@pytest.mark.parametrize("bad, words", [
    ({"cutoff": math.nan}, "finite positive"), ({"cutoff": math.inf}, "finite positive"),
    ({"cutoff": -1}, "finite positive"), ({"cutoff": 0}, "finite positive"), ({"cutoff": "eight"}, "finite positive"),
    ({"cutoff": True}, "finite positive"), ({"marker": "crp"}, "nlr, dnlr, plr, lmr, sii"),
    ({"bootstrap": -5}, "bootstrap"), ({"window_ratio": (1.2, 0.8)}, "window_ratio"),
])
def test_invalid_plans_are_refused_with_the_reason(bad, words):
    with pytest.raises(PlanError, match=words):
        StudyPlan.fukuda2020().replace(**bad)


def test_unknown_field_and_none_keeps():
    plan = StudyPlan.fukuda2020()
    assert plan.replace(cutoff=None, marker=None) == plan
    with pytest.raises(PlanError, match="unknown plan field"):
        plan.replace(cut_off=5)


def test_marker_plan_names_everything_after_the_marker(bundled):
    plan = StudyPlan.fukuda2020().replace(marker="plr", cutoff=150)
    assert tuple(plan.labels) == ("PLR < 150", "PLR ≥ 150") and plan.group_column == "plr_group"
    assert set(plan.requirements) == {"baseline_plr", "response", "plr_change", "pfs", "os"}
    assert plan.window == (112.5, 187.5)
    grouped = plan.grouped(bundled)
    expected = ["PLR ≥ 150" if v >= 150 else "PLR < 150" for v in bundled.data["plr_d0"].to_list()]
    assert grouped["plr_group"].cast(pl.String).to_list() == expected
    r = analyze(bundled, plan)
    assert r.groups.low.label == "PLR < 150" and r.groups.low.n + r.groups.high.n == 13
    assert r.pfs.median.low is not None and r.pfs.cox.term == "plr_groupPLR ≥ 150"
    # no day-14 platelets in the schema: the change section says so instead of inventing numbers
    assert r.nlr_change.n == 0 and r.nlr_change.orr.decreased is None
    assert "plr_d0" in r.table_one.tests()["variable"].to_list()


def test_cutoff_equal_to_a_value_is_high():
    frame = pl.DataFrame({"patient_id": ["a", "b"], "nlr_d0": [8.0, 7.999]})
    grouped = StudyPlan.fukuda2020().grouped(frame)
    assert grouped["nlr_group"].cast(pl.String).to_list() == ["NLR ≥ 8", "NLR < 8"]


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif not isinstance(node, list):
        yield ".".join(path), node


def test_every_json_key_path_is_an_attribute_path(bundled):
    r = analyze(bundled, bootstrap=20)
    d = r.to_dict()
    checked = 0
    for key, value in _leaves(d):
        if key.startswith("plan."):
            continue  # the plan's description, not an attribute path
        got = lookup(r, key)
        got = list(got) if isinstance(got, tuple) else got
        assert got == value, key
        checked += 1
    assert checked > 80
    assert json.loads(r.to_json())["response"]["dcr"]["low"]["x"] == 8


@settings(max_examples=15, deadline=None)
@given(cut=st.floats(2.0, 20.0, allow_nan=False), seed=st.integers(0, 10_000))
def test_group_sizes_follow_the_cutoff_and_row_order(bundled, cut, seed):
    plan = StudyPlan.fukuda2020().replace(cutoff=cut, bootstrap=0)
    shuffled = cohort_from_frame(bundled.data.drop("nlr_group", "_row").sample(fraction=1.0, shuffle=True,
                                                                              seed=seed).select(
        [c for c in bundled.data.columns if c in ("patient_id", "age", "sex", "ecog", "neutrophils_d0",
                                                   "lymphocytes_d0", "best_response", "pfs_months", "pfs_event",
                                                   "os_months", "os_event")]))
    a, b = analyze(bundled, plan), analyze(shuffled, plan)
    high = int((bundled.data["nlr_d0"] >= cut).sum())
    assert (a.groups.high.n, b.groups.high.n) == (high, high)
    assert a.response.dcr.p_value == b.response.dcr.p_value
    if a.pfs.logrank is not None:
        assert b.pfs.logrank.statistic == pytest.approx(a.pfs.logrank.statistic, rel=1e-12)
