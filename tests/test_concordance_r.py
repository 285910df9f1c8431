"""concordance against R's survival 3.5 (fixtures from tests/r/km_fixtures.R).

R's ``concordance(Surv(t, e) ~ x, data, timewt = , reverse = )``, several predictors as R's
``concordance(fit1, fit2)`` computes them (one ``concordancefit`` each, the covariance from
their dfbeta), and ``concordance(coxph_fit, ...)``; on the pairwise reference and on the
compiled tree walk.
"""

from __future__ import annotations

import numpy as np
import pytest

import nlrstats
from nlrstats.stats.formula import FormulaError
from nlrstats.stats.survival import coxph
from tests.km_r_cases import CASES, DATA, case_id, close

REL = 1e-10


@pytest.fixture(params=["pairs", "tree"])
def kernels(request, monkeypatch):
    import nlrstats.stats.survival._concordance_counts as cc
    monkeypatch.setattr(cc, "PAIRWISE_MAX_PAIRS", 10 ** 12 if request.param == "pairs" else -1)
    return request.param


def _check(got, case):
    close(got.concordance.tolist(), case["concordance"], REL, "concordance", "concordance")
    close(got.std_error.tolist(), case["std_error"], REL, "std_error", "concordance")
    close(got.var.ravel(order="F").tolist(), case["var"], REL, "var", "concordance")
    for ours, theirs in zip(got.count, case["count"]):
        close(ours.tolist(), theirs, REL, "count", "concordance")
    assert got.n == case["n"]


@pytest.mark.parametrize("case", [c for c in CASES if c["call"] == "concordance"], ids=case_id)
def test_formula_matches_r(case, kernels):
    got = nlrstats.concordance(case["formula"], DATA[case["dataset"]], timewt=case["timewt"],
                               reverse=case["reverse"], weights=case.get("weights"))
    _check(got, case)
    t = got.tidy()
    assert t.columns == ["term", "estimate", "std_error", "concordant", "discordant", "tied_x", "tied_y", "tied_xy"]
    assert "Concordance=" in repr(got)


@pytest.mark.parametrize("case", [c for c in CASES if c["call"] == "concordance_multi"], ids=case_id)
def test_several_predictors_match_r(case, kernels):
    got = nlrstats.concordance(case["formula"], DATA[case["dataset"]], timewt=case["timewt"],
                               reverse=case["reverse"])
    assert list(got.terms) == case["terms"]
    _check(got, case)


@pytest.mark.parametrize("case", [c for c in CASES if c["call"] == "concordance_coxph"], ids=case_id)
def test_coxph_fits_match_r(case, kernels):
    fits = [coxph(f, DATA[case["dataset"]]) for f in case["formulas"]]
    got = nlrstats.concordance(*fits, timewt=case["timewt"])
    _check(got, case)
    if case["timewt"] == "n":  # what coxph itself reports
        g = fits[0].glance()
        assert g["concordance"][0] == pytest.approx(got.concordance[0], rel=1e-12)
        assert g["std_error_concordance"][0] == pytest.approx(got.std_error[0], rel=1e-12)


def test_factor_predictor_needs_two_levels():
    d = DATA["veteran"]
    with pytest.raises(FormulaError, match="4 levels.*Only one predictor variable allowed"):
        nlrstats.concordance("Surv(time, status) ~ celltype", d)
    with pytest.raises(FormulaError, match="needs a predictor"):
        nlrstats.concordance("Surv(time, status) ~ 1", d)
    with pytest.raises(ValueError, match="timewt must be one of"):
        nlrstats.concordance("Surv(time, status) ~ karno", d, timewt="G")


def test_reverse_is_one_minus():
    d = DATA["lung"]
    a = nlrstats.concordance("Surv(time, event) ~ age", d)
    b = nlrstats.concordance("Surv(time, event) ~ age", d, reverse=True)
    assert b.concordance[0] == pytest.approx(1 - a.concordance[0], rel=1e-14)
    np.testing.assert_array_equal(b.count[0], a.count[0][[1, 0, 2, 3, 4]])
