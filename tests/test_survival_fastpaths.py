"""The fast Cox kernels' special paths against direct (loop) computations.

(The Kaplan-Meier, log-rank and concordance fast paths are in tests/test_km_kernels.py and
tests/test_concordance_kernels.py.) Cox: the likelihood sums run per subject, per segment (censored / dead part of a time block,
for heavily tied data) or with death sums gathered row by row (when timefix merges times so
that a block's deaths are not its last rows); Efron's k >= 1 terms are summed per block.
Each path is checked against a loop over death times that follows the textbook formulas.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.survival import coxph


def _efron_loop(time, event, X, strata, beta):
    """Efron log partial likelihood, score and information by a loop over strata and death times."""
    p = X.shape[1]
    eta = X @ beta
    w = np.exp(eta)
    ll, U, info = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        ins = strata == s
        for t in np.unique(time[ins & (event == 1)]):
            risk = ins & (time >= t)
            dead = ins & (time == t) & (event == 1)
            d = int(dead.sum())
            r0, r1, r2 = w[risk].sum(), (w[risk, None] * X[risk]).sum(0), \
                (w[risk, None, None] * X[risk, :, None] * X[risk, None, :]).sum(0)
            d0, d1, d2 = w[dead].sum(), (w[dead, None] * X[dead]).sum(0), \
                (w[dead, None, None] * X[dead, :, None] * X[dead, None, :]).sum(0)
            ll += eta[dead].sum()
            U += X[dead].sum(0)
            for k in range(d):
                f = k / d
                s0, s1, s2 = r0 - f * d0, r1 - f * d1, r2 - f * d2
                ll -= np.log(s0)
                U -= s1 / s0
                info += s2 / s0 - np.outer(s1, s1) / s0 ** 2
    return ll, U, info


def _frame(n, seed, time):
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"t": time(rng, n), "e": rng.integers(0, 2, n), "g": rng.choice(["a", "b"], n),
                         "x": rng.normal(0, 1, n), "s": rng.integers(0, 3, n)})


CASES = {
    # heavy ties: few time blocks, sums run over segments
    "segments": (lambda rng, n: rng.integers(1, 16, n).astype(float), lambda t: t),
    # many blocks with some ties: sums per subject, death sums from the running sums
    "subjects": (lambda rng, n: np.round(rng.exponential(5, n), 1) + 0.1, lambda t: t),
    # near-ties merged by timefix: deaths and censorings interleave inside merged blocks
    "timefix": (lambda rng, n: rng.integers(1, 16, n) + rng.uniform(0, 1e-10, n), np.round),
}


@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_efron_paths_match_loop(case, stratified):
    make_time, merged = CASES[case]
    df = _frame(1200 if case != "subjects" else 300, 3, make_time)
    formula = "Surv(t, e) ~ g + x" + (" + strata(s)" if stratified else "")
    fit = coxph(formula, df)
    rs = fit._conc_args[0]
    assert (rs.seg is not None) == (case == "segments")
    assert (rs.dcol is None) == (case == "timefix")
    X = np.column_stack([(df["g"] == "b").to_numpy().astype(float), df["x"].to_numpy()])
    strata = df["s"].to_numpy() if stratified else np.zeros(df.height)
    ll, U, info = _efron_loop(merged(df["t"].to_numpy()), df["e"].to_numpy(), X, strata, fit.coef)
    assert fit.loglik == pytest.approx(ll, rel=1e-10)
    assert np.abs(U).max() < 1e-6  # the fit is at the maximum
    np.testing.assert_allclose(fit.var, np.linalg.inv(info), rtol=1e-9)
    ll0, _, _ = _efron_loop(merged(df["t"].to_numpy()), df["e"].to_numpy(), X, strata, np.zeros(2))
    assert fit.loglik_null == pytest.approx(ll0, rel=1e-10)


def test_bad_time_and_event_name_column_and_original_row():
    from nlrstats.stats.formula import FormulaError
    from nlrstats.stats.survival import survfit
    d = pl.DataFrame({"t": [1.0, None, 3.0, np.inf], "e": [1, 0, 1, 0], "g": ["a", "b", "a", "b"]})
    with pytest.raises(FormulaError, match=r"time column 't' has a non-finite value at row 3"):
        survfit("Surv(t, e) ~ g", d)
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 2, 0], "g": ["a", "b", "a"]})
    with pytest.raises(FormulaError, match=r"event column 'e' must be 0/1.*found 2 at row 1"):
        survfit("Surv(t, e) ~ g", d)
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1.0, 0.5, 0.0], "g": ["a", "b", "a"]})
    with pytest.raises(FormulaError, match=r"found 0.5 at row 1"):
        survfit("Surv(t, e) ~ g", d)
