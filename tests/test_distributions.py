"""nlrstats.stats.distributions against scipy.stats on grids that include the edges.

Normal, chi-square and t call the same special functions as scipy.stats 1.17 and must agree to
the bit; beta quantiles, binomial and hypergeometric tails use other (public) special functions
than scipy.stats' private Boost wrappers: they agree with scipy to 2e-11 relative and with R's
dbinom to 1e-13, pbinom to 1e-12, dhyper/phyper to 5e-12 (at 10^6 trials scipy's binomial tails are 1e-11 off R's). R golden values for
the tests built on them are in test_htest_r.py, test_survival_r.py and the maxstat tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.stats import distributions as d

X = np.array([-np.inf, -40.0, -8.5, -1.96, -1.0, -1e-300, 0.0, 1e-300, 1e-8, 0.5, 1.0, 1.96, 3.84,
              10.0, 38.0, 700.0, np.inf, np.nan])
Q = np.array([-0.5, 0.0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.5, 0.95, 0.975, 1 - 1e-12, 1.0, 1.5, np.nan])
DF = [0.0, -1.0, 0.5, 1.0, 2.0, 3.7, 30.0, 1e6, np.nan]


def same(a, b) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("fn", ["cdf", "sf"])
def test_normal_tails_are_scipys(fn):
    same(getattr(d.norm, fn)(X), getattr(ss.norm, fn)(X))


@pytest.mark.parametrize("fn", ["ppf", "isf"])
def test_normal_quantiles_are_scipys(fn):
    same(getattr(d.norm, fn)(Q), getattr(ss.norm, fn)(Q))


@pytest.mark.parametrize("df", DF)
@pytest.mark.parametrize("fn", ["cdf", "sf"])
def test_chi_square_tails_are_scipys(fn, df):
    same(getattr(d.chi2, fn)(X, df), getattr(ss.chi2, fn)(X, df))


@pytest.mark.parametrize("df", DF)
def test_chi_square_quantiles_are_scipys(df):
    same(d.chi2.ppf(Q, df), ss.chi2.ppf(Q, df))


@pytest.mark.parametrize("df", DF + [np.inf])
@pytest.mark.parametrize("fn", ["cdf", "sf"])
def test_t_tails_are_scipys(fn, df):
    same(getattr(d.t, fn)(X, df), getattr(ss.t, fn)(X, df))


@pytest.mark.parametrize("df", DF)
def test_t_quantiles_are_scipys(df):
    same(d.t.ppf(Q, df), ss.t.ppf(Q, df))


def test_scalars_come_back_as_scalars():
    assert np.ndim(d.chi2.sf(3.84, 1)) == 0
    assert isinstance(float(d.norm.ppf(0.975)), float)
    assert d.norm.ppf(0.975) == ss.norm.ppf(0.975)


@pytest.mark.parametrize("a,b", [(1, 13), (5, 9), (0.5, 0.5), (40, 2), (1, 1), (300, 700000), (0, 3), (2, -1)])
def test_beta_quantiles_agree_with_scipy(a, b):
    np.testing.assert_allclose(d.beta.ppf(Q, a, b), ss.beta.ppf(Q, a, b), rtol=1e-12, atol=0, equal_nan=True)


@pytest.mark.parametrize("n,p", [(1, 0.5), (13, 0.3), (25, 0.04), (100, 0.5), (1000, 0.999), (10**6, 1e-4),
                                 (20, 0.0), (20, 1.0), (10**7, 0.3), (40, 0.05), (40, 0.95)])
def test_binomial_agrees_with_scipy(n, p):
    k = np.array([-3, -1, 0, 1, 2, n // 3, n // 2, n - 1, n, n + 2, 2.7], dtype=float)
    for fn in ("pmf", "cdf", "sf"):
        np.testing.assert_allclose(getattr(d.binom, fn)(k, n, p), getattr(ss.binom, fn)(k, n, p),
                                   rtol=2e-11, atol=1e-300, err_msg=fn)


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 400), st.data())
def test_hypergeometric_agrees_with_scipy(total, data):
    white = data.draw(st.integers(0, total))
    drawn = data.draw(st.integers(0, total))
    k = data.draw(st.integers(-2, total + 2))
    args = (total, white, drawn)
    support = np.arange(-1, drawn + 2)
    np.testing.assert_allclose(d.hypergeom.logpmf(support, *args), ss.hypergeom.logpmf(support, *args),
                               rtol=1e-11, atol=1e-11)
    # tails: relative agreement, also deep in the tail where 1 - cdf would have lost it
    np.testing.assert_allclose(d.hypergeom.cdf(k, *args), ss.hypergeom.cdf(k, *args), rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(d.hypergeom.sf(k, *args), ss.hypergeom.sf(k, *args), rtol=1e-10, atol=1e-300)


def test_hypergeometric_far_tail_keeps_its_relative_precision():
    # P(X >= 60) drawing 100 of 200 with 60 white: every white ball drawn, ~1e-19, far below 1 - cdf's reach
    sf = float(d.hypergeom.sf(59, 200, 60, 100))
    assert sf == pytest.approx(float(ss.hypergeom.sf(59, 200, 60, 100)), rel=1e-10)
    assert 0 < sf < 1e-15


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5) | st.floats(-1e3, 1e3, allow_nan=False), max_size=40))
def test_average_ranks_are_scipys(values):
    same(d.rankdata(np.array(values, dtype=float)), ss.rankdata(np.array(values, dtype=float)))


def test_ranks_of_integers_and_nan():
    same(d.rankdata(np.array([3, 1, 3, 2])), [3.5, 1.0, 3.5, 2.0])
    assert np.isnan(d.rankdata(np.array([1.0, np.nan, 2.0]))).all()
    assert d.rankdata(np.array([])).size == 0


def test_an_analysis_and_its_figures_never_import_scipy_stats_or_optimize(tmp_path):
    # the reason for this module: scipy.stats costs about a second per render and CLI call, scipy.optimize 0.3 s
    code = ("import sys\n"
            "from nlrstats.data.cohort import bundled_cohort_path, load_cohort\n"
            "from nlrstats.study.analyze import analyze\n"
            "from nlrstats.study.plan import StudyPlan\n"
            "import nlrstats.present.figures, nlrstats.present.validation_figures\n"
            "import nlrstats.study.validation\n"
            "analyze(load_cohort(bundled_cohort_path()), StudyPlan.fukuda2020(), bootstrap=20)\n"
            "print(sorted(m for m in sys.modules if m.startswith(('scipy.stats', 'scipy.optimize'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"MPLCONFIGDIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- R golden values
R = json.loads((Path(__file__).parent / "fixtures" / "distributions.json").read_text())


def column(block: str, name: str) -> np.ndarray:
    return np.array([float(v) for v in R[block][name]])


def close_to_r(actual, block: str, name: str, rtol: float) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), column(block, name), rtol=rtol, atol=1e-300)


def test_binomial_is_rs_dbinom_and_pbinom():
    k, n, p = column("binom", "k"), column("binom", "n"), column("binom", "p")
    close_to_r([d.binom.pmf(a, b, c) for a, b, c in zip(k, n, p)], "binom", "pmf", rtol=1e-13)
    close_to_r([d.binom.cdf(a, b, c) for a, b, c in zip(k, n, p)], "binom", "cdf", rtol=1e-12)
    close_to_r([d.binom.sf(a, b, c) for a, b, c in zip(k, n, p)], "binom", "sf", rtol=1e-12)


def test_hypergeometric_is_rs_dhyper_and_phyper():
    rows = zip(*(column("hypergeom", c) for c in ("k", "M", "n", "N")))
    rows = [(k, int(M), int(n), int(N)) for k, M, n, N in rows]
    close_to_r([d.hypergeom.pmf(*r) for r in rows], "hypergeom", "pmf", rtol=5e-12)
    close_to_r([d.hypergeom.cdf(*r) for r in rows], "hypergeom", "cdf", rtol=5e-12)
    close_to_r([d.hypergeom.sf(*r) for r in rows], "hypergeom", "sf", rtol=5e-12)


def test_continuous_distributions_are_rs():
    close_to_r(d.beta.ppf(column("beta_ppf", "q"), column("beta_ppf", "a"), column("beta_ppf", "b")),
               "beta_ppf", "ppf", rtol=1e-12)
    close_to_r(d.chi2.sf(column("chi2_sf", "x"), column("chi2_sf", "df")), "chi2_sf", "sf", rtol=1e-12)
    close_to_r(d.chi2.ppf(column("chi2_ppf", "q"), column("chi2_ppf", "df")), "chi2_ppf", "ppf", rtol=1e-12)
    close_to_r(d.t.cdf(column("t_cdf", "x"), column("t_cdf", "df")), "t_cdf", "cdf", rtol=1e-12)
    close_to_r(d.t.ppf(column("t_ppf", "q"), column("t_ppf", "df")), "t_ppf", "ppf", rtol=1e-12)
    close_to_r(d.norm.cdf(column("norm_cdf", "x")), "norm_cdf", "cdf", rtol=1e-14)
    close_to_r(d.norm.ppf(column("norm_ppf", "q")), "norm_ppf", "ppf", rtol=1e-14)
