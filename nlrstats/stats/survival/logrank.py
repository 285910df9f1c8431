"""Log-rank and Harrington-Fleming G-rho tests, as R's ``survdiff``.

:func:`logrank_arrays` is the reference kernel: rows sorted by (stratum, time), per death
time the deaths and numbers at risk per group, then R's ``survdiff2`` sums (:func:`grho`).
From ``JIT_MIN_ROWS`` rows two fast kernels take over where they apply and are tested
against it: counts on a decimal grid (:func:`logrank_grid`, the same sums from counts) and,
for two groups without strata, one compiled pass over sorted packed keys
(:func:`._jit.logrank_two`, the sums in time order).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.distributions import chi2
from nlrstats.stats.result import Result
from nlrstats.stats.survival._data import combine_factors, factor, prepare
from nlrstats.stats.survival._fastpaths import compiled_keys, grid_table
from nlrstats.stats.survival._km_kernels import group_time_order

__all__ = ["survdiff", "SurvDiff", "grho", "logrank_arrays", "logrank_grid", "left_km"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class SurvDiff(Result):
    """Result of :func:`survdiff` (R's ``survdiff`` object).

    ``observed`` / ``expected`` are per group summed over strata (weighted by
    S(t-)^rho as R does for rho != 0); ``var`` is the group covariance matrix.
    """

    formula: str
    groups_labels: tuple[str, ...]
    n: np.ndarray = field(repr=False)
    observed: np.ndarray = field(repr=False)
    expected: np.ndarray = field(repr=False)
    var: np.ndarray = field(repr=False)
    statistic: float = 0.0
    df: int = 0
    p_value: float = 1.0
    rho: float = 0.0
    n_missing: int = 0

    @property
    def method(self) -> str:
        return "Log-rank" if self.rho == 0 else f"Harrington-Fleming G-rho (rho = {self.rho:g})"

    def tidy(self) -> pl.DataFrame:
        """One row: statistic, df, p_value (null where R has NA: no events), method."""
        p = None if np.isnan(self.p_value) else float(self.p_value)
        return pl.DataFrame({"statistic": [float(self.statistic)], "df": [int(self.df)],
                             "p_value": pl.Series([p], dtype=pl.Float64), "method": [self.method]})

    def groups(self) -> pl.DataFrame:
        """Per group: strata, n, observed, expected, (O-E)^2/E, (O-E)^2/V as R prints them."""
        o, e = self.observed, self.expected
        with np.errstate(divide="ignore", invalid="ignore"):
            oe = (o - e) ** 2 / e
            ov = (o - e) ** 2 / np.diag(self.var)
        clean = lambda a: [None if np.isnan(v) else float(v) for v in a]  # noqa: E731
        return pl.DataFrame({"strata": list(self.groups_labels), "n": self.n.astype(np.int64),
                             "observed": o.astype(float), "expected": e.astype(float),
                             "o_e_sq_e": pl.Series(clean(oe), dtype=pl.Float64),
                             "o_e_sq_v": pl.Series(clean(ov), dtype=pl.Float64)})

    glance = tidy

    def __repr__(self) -> str:
        g = self.groups()
        head = ["N", "Observed", "Expected", "(O-E)^2/E", "(O-E)^2/V"]
        names = g["strata"].to_list()
        w0 = max(len(x) for x in names)
        cells = [[str(r["n"]), f"{r['observed']:.4g}", f"{r['expected']:.4g}",
                  "NA" if r["o_e_sq_e"] is None else f"{r['o_e_sq_e']:.4g}",
                  "NA" if r["o_e_sq_v"] is None else f"{r['o_e_sq_v']:.4g}"] for r in g.iter_rows(named=True)]
        widths = [max(len(h), *(len(c[j]) for c in cells)) for j, h in enumerate(head)]
        lines = [f"Call: survdiff({self.formula})", ""]
        if self.n_missing:
            lines.insert(1, f"n={int(self.n.sum())}, {self.n_missing} observation"
                         f"{'s' if self.n_missing > 1 else ''} deleted due to missingness.")
        lines.append(" " * w0 + " " + " ".join(h.rjust(w) for h, w in zip(head, widths)))
        lines += [nm.ljust(w0) + " " + " ".join(v.rjust(w) for v, w in zip(c, widths))
                  for nm, c in zip(names, cells)]
        lines.append("")
        p = "NA" if np.isnan(self.p_value) else f"{self.p_value:.3g}"
        lines.append(f" Chisq= {self.statistic:.1f}  on {self.df} degrees of freedom, p= {p}")
        return "\n".join(lines)


def left_km(deaths: np.ndarray, n_risk: np.ndarray, rho: float) -> np.ndarray:
    """G-rho weights S(t-)^rho at the death times of one stratum (R's left-continuous pooled KM).

    S(t-) is the product of (1 - d/n) over the earlier death times (times without deaths
    multiply by 1); 1 for rho = 0. Same length as ``deaths``, also when it is empty.
    """
    if rho == 0:
        return np.ones(len(deaths))
    km = np.ones(len(deaths))
    np.cumprod(1.0 - deaths[:-1] / n_risk[:-1], out=km[1:])
    return km ** rho


def logrank_arrays(time, event, group, ngroup, strata=None, rho=0.0, order=None):
    """Reference G-rho kernel: observed, expected (group x stratum) and the variance matrix.

    Rows sorted by stratum then time (``order``: an ascending time order to reuse); per
    unique (stratum, time) block the deaths and rows per group; the numbers at risk are the
    rows of the stratum at or after the block. Only blocks with deaths enter :func:`grho`.
    """
    n = len(time)
    nstrat = 1 if strata is None else int(strata.max()) + 1
    order = group_time_order(time, strata, nstrat, order) if strata is not None else (
        np.argsort(time) if order is None else order)
    t, g, e = time[order], group[order], event[order].astype(np.float64)
    s = strata[order] if strata is not None else np.zeros(n, dtype=np.int64)
    brk = np.empty(n, dtype=bool)
    brk[:1] = True
    np.not_equal(t[1:], t[:-1], out=brk[1:])
    brk[1:] |= s[1:] != s[:-1]
    blk = np.cumsum(brk) - 1
    nb = int(blk[-1]) + 1 if n else 0
    key = blk * ngroup + g
    rows = np.bincount(key, minlength=nb * ngroup).reshape(nb, ngroup).astype(np.float64)
    deaths = np.bincount(key, weights=e, minlength=nb * ngroup).reshape(nb, ngroup)
    bs = s[np.flatnonzero(brk)]  # stratum of each block
    after = np.cumsum(rows[::-1], axis=0)[::-1]  # rows at or after each block, over all strata
    snext = np.searchsorted(bs, bs, side="right")  # first block of the next stratum
    risk = after - np.concatenate((after, np.zeros((1, ngroup))))[snext]
    return _death_times(risk, deaths, bs, nstrat, ngroup, rho)


def logrank_grid(counts: np.ndarray, nstrat: int, ngroup: int, rho: float = 0.0):
    """G-rho kernel from per-(time, stratum, group, status) counts (:func:`._fastpaths.grid_table`)."""
    risk, deaths, bs = [], [], []
    for k in range(nstrat):
        c = counts[:, k]
        tot = c[:, :, 0] + c[:, :, 1]
        risk.append(np.cumsum(tot[::-1], axis=0)[::-1].astype(np.float64))  # rows at or after t
        deaths.append(c[:, :, 1].astype(np.float64))
        bs.append(np.full(len(c), k, dtype=np.int64))
    return _death_times(np.concatenate(risk), np.concatenate(deaths), np.concatenate(bs), nstrat, ngroup, rho)


def _death_times(risk, deaths, bs, nstrat, ngroup, rho):
    """Keep the (stratum, time) blocks with deaths, weight them by S(t-)^rho per stratum, sum."""
    d = deaths.sum(axis=1)
    has = np.flatnonzero(d > 0)
    r, dg, bsh = risk[has], deaths[has], bs[has]
    nr, dd = r.sum(axis=1), d[has]
    w = np.empty(len(has))
    for k in range(nstrat):
        sl = slice(*np.searchsorted(bsh, [k, k + 1]))
        w[sl] = left_km(dd[sl], nr[sl], rho)
    return grho(r.T, dg.T, nr, dd, w, bsh, nstrat)


def grho(r, dg, nr, dd, w, bsh, nstrat):
    """Observed, expected (group x stratum) and variance from per-death-time counts (R's survdiff2).

    ``r`` and ``dg`` are (group x death time): numbers at risk and deaths per group; ``nr``,
    ``dd`` their totals, ``w`` the weights S(t-)^rho, ``bsh`` the stratum of each time.
    observed_k = sum w d_k, expected_k = sum w d r_k / n, and the hypergeometric covariance
    V_jk = sum w^2 d (n - d) / (n - 1) * r_j (delta_jk n - r_k) / n^2 (no term where n = 1).
    The diagonal is formed as r_j (n - r_j), not as a difference of sums, so it keeps its
    digits when one group is small.
    """
    r, dg = np.ascontiguousarray(r), np.ascontiguousarray(dg)
    ngroup = r.shape[0]
    wdn = w * dd / nr
    obs = np.stack([np.bincount(bsh, weights=dg[k] * w, minlength=nstrat) for k in range(ngroup)])
    exp = np.stack([np.bincount(bsh, weights=r[k] * wdn, minlength=nstrat) for k in range(ngroup)])
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(nr > 1, w * w * dd * (nr - dd) / (nr * (nr - 1)), 0.0) / nr
    var = np.empty((ngroup, ngroup))
    for j in range(ngroup):
        cr = c * r[j]
        var[j, j] = (cr * (nr - r[j])).sum()
        for k in range(j + 1, ngroup):
            var[j, k] = var[k, j] = -(cr * r[k]).sum()
    return obs, exp, var


def survdiff(formula: str, data, rho: float = 0.0, subset=None, timefix: bool = True) -> SurvDiff:
    """Test for differences between survival curves, as R's ``survdiff``.

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ group + strata(s)"``: groups are the combinations of the
        non-strata terms; ``strata()`` terms give a stratified test.
    data : polars.DataFrame or pandas.DataFrame
    rho : float
        Harrington & Fleming (1982) G-rho weight S(t-)^rho; 0 is the log-rank test
        (Mantel-Haenszel), 1 the Peto & Peto modification of the Gehan-Wilcoxon test.
    subset : str, polars expression or boolean array, optional
        Rows to use (R's ``subset =``). R's ``survdiff`` has no case weights, nor has this.
    timefix : bool
        Merge times closer than sqrt(machine eps), as R's ``aeqSurv`` (default True).

    Returns
    -------
    SurvDiff
        Chi-square on (groups with expected > 0) - 1 degrees of freedom, as R. Without any
        event that is -1: the statistic is 0, ``p_value`` NaN (null in ``tidy()``) and a
        RuntimeWarning says so, as R's p = NA with its warning "NaNs produced".
    """
    d = prepare(formula, data, timefix=timefix, subset=subset)
    f = d.formula
    if not f.terms:
        raise ValueError(f"{f.text}: no groups to test")
    gfac = combine_factors([factor(d.frame[v]) for v in f.terms])
    if len(gfac.labels) < 2:
        raise ValueError(f"{f.text}: there is only 1 group")
    sfac = combine_factors([factor(d.frame[v]) for v in f.strata]) if f.strata else None
    nstrat = 1 if sfac is None else len(sfac.labels)
    ngroup = len(gfac.labels)
    scodes = None if sfac is None else sfac.codes
    gc = grid_table(d.raw_time, d.event, gfac.codes, ngroup, scodes, nstrat, bounds=d.time_range)
    jk = compiled_keys(d, gfac.codes, ngroup) if gc is None and nstrat == 1 else None
    if gc is not None:  # many rows on a decimal grid: counts, no sort
        obs, exp, var = logrank_grid(gc[1], nstrat, ngroup, rho)
    elif jk is not None:  # many rows, two groups: one compiled pass over sorted keys
        from nlrstats.stats.survival._jit import logrank_two  # numba only for large cohorts
        obs, exp, var = logrank_two(jk, rho)
    else:
        obs, exp, var = logrank_arrays(d.time, d.event, gfac.codes, ngroup, scodes, rho, d.order)
    o, e = obs.sum(axis=1), exp.sum(axis=1)
    keep = np.flatnonzero(e > 0)
    df = len(keep) - 1
    if len(keep) < 2:
        chisq = 0.0
    else:
        idx = keep[1:]
        diff = (o - e)[idx]
        vv = var[np.ix_(idx, idx)]
        try:
            sol = np.linalg.solve(vv, diff)
        except np.linalg.LinAlgError:
            sol = np.linalg.pinv(vv) @ diff
        chisq = float(sol @ diff)
    if df < 0:
        # R: pchisq(0, -1) is NaN, "NaNs produced"
        warnings.warn(f"survdiff({f.text}): no group has an expected number of events above 0 (no events), "
                      "so the test has -1 degrees of freedom and no p-value (R: p = NA, 'NaNs produced')",
                      RuntimeWarning, stacklevel=2)
        pval = float("nan")
    else:
        pval = float(chi2.sf(chisq, df)) if df > 0 else 1.0  # R: pchisq(0, 0, lower.tail = FALSE) = 1
    n = np.bincount(gfac.codes, minlength=len(gfac.labels))
    return SurvDiff(f.text, gfac.labels, n, o, e, var, chisq, df, pval, rho, d.n_missing)
