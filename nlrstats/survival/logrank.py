"""Log-rank and Harrington-Fleming G-rho tests, as R's ``survdiff``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.stats import chi2

from nlrstats.results import Result
from nlrstats.survival._data import combine_factors, factor, prepare

__all__ = ["survdiff", "SurvDiff"]


@dataclass(frozen=True)
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
        """One row: statistic, df, p_value, method."""
        return pl.DataFrame({"statistic": [float(self.statistic)], "df": [int(self.df)],
                             "p_value": [float(self.p_value)], "method": [self.method]})

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
        lines.append(f" Chisq= {self.statistic:.1f}  on {self.df} degrees of freedom, p= {self.p_value:.3g}")
        return "\n".join(lines)


def logrank_arrays(time, event, group, ngroup, strata=None, rho=0.0):
    """G-rho kernel (R's survdiff2): observed, expected per group x stratum and the variance matrix.

    Counts per (stratum, unique time, group) by bincount, numbers at risk by reverse
    cumulative sums within stratum; no loop over subjects.
    """
    n = len(time)
    strata = np.zeros(n, dtype=np.int64) if strata is None else strata
    nstrat = int(strata.max()) + 1 if n else 1
    # descending time within stratum so that cumulative sums are numbers at risk
    order = np.lexsort((-time, strata))
    t, s, g, e = time[order], strata[order], group[order], event[order].astype(np.float64)
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    brk[1:] = (t[1:] != t[:-1]) | (s[1:] != s[:-1])
    blk = np.cumsum(brk) - 1
    nb = int(blk[-1]) + 1
    cnt = np.bincount(blk * ngroup + g, minlength=nb * ngroup).reshape(nb, ngroup).astype(np.float64)
    dth = np.bincount(blk * ngroup + g, weights=e, minlength=nb * ngroup).reshape(nb, ngroup)
    bs = s[np.flatnonzero(brk)]
    cum = np.cumsum(cnt, axis=0)
    sstart = np.searchsorted(bs, np.arange(nstrat))  # first block of each stratum
    base = np.where(sstart > 0, cum[np.maximum(sstart - 1, 0)].T, 0.0).T  # (nstrat, ngroup)
    risk = cum - base[bs]
    nrisk = risk.sum(axis=1)
    d = dth.sum(axis=1)
    if rho != 0:
        # left-continuous pooled KM within stratum, in ascending time
        w = np.empty(nb)
        for k in range(nstrat):
            sl = slice(sstart[k], sstart[k + 1] if k + 1 < nstrat else nb)
            f = (1.0 - d[sl] / nrisk[sl])[::-1]
            km = np.concatenate(([1.0], np.cumprod(f)[:-1]))
            w[sl] = (km ** rho)[::-1]
    else:
        w = np.ones(nb)
    has = d > 0
    wd = (w * d)[has]
    r, nr, dd, ww = risk[has], nrisk[has], d[has], w[has]
    obs = np.zeros((ngroup, nstrat))
    exp = np.zeros((ngroup, nstrat))
    np.add.at(obs.T, bs, dth * w[:, None])
    np.add.at(exp.T, bs[has], wd[:, None] * r / nr[:, None])
    multi = nr > 1
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(multi, ww ** 2 * dd * (nr - dd) / (nr * (nr - 1)), 0.0)
    cr = c[:, None] * r
    var = np.diag(cr.sum(axis=0)) - (cr / nr[:, None]).T @ r
    return obs, exp, var


def survdiff(formula: str, data, rho: float = 0.0) -> SurvDiff:
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

    Returns
    -------
    SurvDiff
        Chi-square on (groups with expected > 0) - 1 degrees of freedom, as R.
    """
    d = prepare(formula, data)
    f = d.formula
    if not f.terms:
        raise ValueError(f"{f.text}: no groups to test")
    gfac = combine_factors([factor(d.frame[v]) for v in f.terms])
    if len(gfac.labels) < 2:
        raise ValueError(f"{f.text}: there is only 1 group")
    sfac = combine_factors([factor(d.frame[v]) for v in f.strata]) if f.strata else None
    obs, exp, var = logrank_arrays(d.time, d.event, gfac.codes, len(gfac.labels),
                                   None if sfac is None else sfac.codes, rho)
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
    pval = float(chi2.sf(chisq, df)) if df > 0 else 1.0
    n = np.bincount(gfac.codes, minlength=len(gfac.labels))
    return SurvDiff(f.text, gfac.labels, n, o, e, var, chisq, df, pval, rho, d.n_missing)
