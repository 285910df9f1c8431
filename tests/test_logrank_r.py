"""survdiff against R's survival 3.5 (fixtures from tests/r/km_fixtures.R), and its edge cases.

Issue 14: with rho != 0 a stratum without events crashed (weights of the wrong length), and
all-censored data reported df -1 with p = 1 where R has p = NA and a warning.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.survival import survdiff
from tests.km_r_cases import CASES, DATA, as_list, case_id, close, floats

DIFF = [c for c in CASES if c["call"] == "survdiff"]
REL = 1e-10


@pytest.fixture(params=["reference", "fast"])
def kernels(request, monkeypatch):
    import nlrstats.stats.survival._data as sdata
    monkeypatch.setattr(sdata, "JIT_MIN_ROWS", 0 if request.param == "fast" else 10 ** 12)
    return request.param


@pytest.mark.parametrize("case", DIFF, ids=case_id)
def test_survdiff_matches_r(case, kernels):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = survdiff(case["formula"], DATA[case["dataset"]], rho=case["rho"])
    ours = [str(w.message) for w in caught]
    assert bool(ours) == bool(case["warnings"]), f"warnings {ours} vs R's {case['warnings']}"
    if case["warnings"]:  # R: "NaNs produced" by pchisq on -1 df
        assert all(isinstance(w.message, RuntimeWarning) and "no p-value" in str(w.message) for w in caught)
    close(d.statistic, case["statistic"], REL, "chisq", "survdiff")
    assert d.df == case["df"]
    close(floats(d.tidy()["p_value"]), case["p_value"], REL, "p", "survdiff")
    close(d.var.ravel(order="F").tolist(), case["var"], REL, "var", "survdiff")
    g, r = d.groups(), case["groups"]
    assert g["strata"].to_list() == as_list(r["strata"])
    for col in ("n", "observed", "expected", "o_e_sq_e", "o_e_sq_v"):
        close(floats(g[col]), r[col], REL, col, "survdiff")
    if case["warnings"]:
        assert "p= NA" in repr(d)


def _strata_without_events(seed: int, n: int = 400) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    s = rng.choice(["s1", "s2", "s3", "s4"], n)
    e = rng.integers(0, 2, n)
    e[(s == "s2") | (s == "s4")] = 0  # two strata without events
    return pl.DataFrame({"t": np.round(rng.exponential(10, n), 1) + 0.1, "e": e, "g": rng.choice(["a", "b", "c"], n),
                         "s": s})


@pytest.mark.parametrize("rho", [-1.0, 0.0, 0.5, 1.0, 2.0])
def test_strata_without_events_add_nothing_under_every_rho(rho, kernels):
    df = _strata_without_events(1)
    full = survdiff("Surv(t, e) ~ g + strata(s)", df, rho=rho)
    kept = survdiff("Surv(t, e) ~ g + strata(s)", df.filter(pl.col("s").is_in(["s1", "s3"])), rho=rho)
    # a stratum without deaths has no death time: no observed, expected or variance term
    np.testing.assert_allclose(full.observed, kept.observed, rtol=1e-13)
    np.testing.assert_allclose(full.expected, kept.expected, rtol=1e-13)
    np.testing.assert_allclose(full.var, kept.var, rtol=1e-12)
    assert full.statistic == pytest.approx(kept.statistic, rel=1e-12)
    assert full.df == kept.df == 2


@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_no_events_anywhere_has_no_p_value(rho, kernels):
    df = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [0, 0, 0, 0], "g": ["a", "b", "a", "b"],
                       "s": ["x", "x", "y", "y"]})
    for formula in ("Surv(t, e) ~ g", "Surv(t, e) ~ g + strata(s)"):
        with pytest.warns(RuntimeWarning, match="-1 degrees of freedom"):
            d = survdiff(formula, df, rho=rho)
        assert d.statistic == 0.0 and d.df == -1 and np.isnan(d.p_value)
        assert d.tidy()["p_value"].to_list() == [None]


def test_one_group_at_risk_has_zero_df_and_p_one():
    # group a is censored before the first death: expected 0, so 0 degrees of freedom (R: p = 1)
    df = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "e": [0, 0, 1, 0, 1, 0],
                       "g": ["a", "a", "b", "b", "b", "b"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = survdiff("Surv(t, e) ~ g", df)
    assert d.df == 0 and d.statistic == 0.0 and d.p_value == 1.0
