"""Log-rank and Harrington-Fleming G-rho tests, as R's ``survdiff``.

Kernels: counting on a decimal grid (:mod:`._grid`); for two groups without strata,
compiled passes from ``JIT_MIN_ROWS`` rows (:mod:`._jit`, sums in time order as R's
``survdiff2``) or a value sort of packed keys; otherwise per-group value sorts or one
argsort, with numpy sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.stats import chi2

from nlrstats.stats.result import Result
from nlrstats.stats.survival._data import combine_factors, decode_keys, factor, prepare
from nlrstats.stats.survival._grid import grid_table
from nlrstats.stats.survival._packed import jit_prepared, merge_runs, packed_runs
from nlrstats.stats.survival._km_kernels import _sorted_unique_counts, group_time_order

__all__ = ["survdiff", "SurvDiff"]


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


def logrank_arrays(time, event, group, ngroup, strata=None, rho=0.0, order=None):
    """G-rho kernel (R's survdiff2): observed, expected per group x stratum and the variance matrix.

    Counts per (stratum, unique time, group) by bincount over one ascending sort,
    numbers at risk as stratum totals minus cumulative counts; no loop over subjects.
    """
    n = len(time)
    nstrat = 1 if strata is None else int(strata.max()) + 1
    order = group_time_order(time, strata, nstrat, order) if strata is not None else (
        np.argsort(time) if order is None else order)
    t, g, e = time[order], group[order], event[order].astype(np.float64)
    s = strata[order] if strata is not None else np.zeros(n, dtype=np.int64)
    brk = np.empty(n, dtype=bool)
    brk[0] = True
    np.not_equal(t[1:], t[:-1], out=brk[1:])
    if strata is not None:
        brk[1:] |= s[1:] != s[:-1]
    blk = np.cumsum(brk) - 1
    nb = int(blk[-1]) + 1
    key = blk * ngroup + g
    cnt = np.bincount(key, minlength=nb * ngroup).reshape(nb, ngroup).astype(np.float64)
    dth = np.bincount(key, weights=e, minlength=nb * ngroup).reshape(nb, ngroup)
    bs = s[np.flatnonzero(brk)]
    cum = np.cumsum(cnt, axis=0)
    slast = np.searchsorted(bs, np.arange(nstrat), side="right") - 1  # last block of each stratum
    risk = cum[slast][bs] - cum + cnt  # subjects with time >= t in the stratum
    nrisk = risk.sum(axis=1)
    d = dth.sum(axis=1)
    if rho != 0:
        # pooled KM within stratum, left-continuous (weight uses S(t-))
        w = np.empty(nb)
        sfirst = np.searchsorted(bs, np.arange(nstrat), side="left")
        for k in range(nstrat):
            sl = slice(sfirst[k], slast[k] + 1)
            km = np.cumprod(1.0 - d[sl] / nrisk[sl])
            w[sl] = np.concatenate(([1.0], km[:-1])) ** rho
    else:
        w = np.ones(nb)
    has = d > 0
    return _grho(risk[has].T, dth[has].T, nrisk[has], d[has], w[has], bs[has], nstrat, ngroup)


def _grho(r, dg, nr, dd, ww, bsh, nstrat, ngroup):
    """Observed, expected (group x stratum) and variance from per-death-time counts.

    ``r`` and ``dg`` are (group x death time): numbers at risk and deaths per group.
    """
    r, dg = np.ascontiguousarray(r), np.ascontiguousarray(dg)
    if ngroup == 2 and nstrat == 1:
        return _grho_two(r, dg, nr, dd, ww)
    wdn = ww * dd / nr
    # elementwise products and sums rather than BLAS dgemv/dgemm, which thread on long
    # vectors and stall on a busy machine
    if nstrat == 1:
        obs = (dg * ww).sum(axis=1)[:, None]
        exp = (r * wdn).sum(axis=1)[:, None]
    else:
        obs = np.stack([np.bincount(bsh, weights=dg[k] * ww, minlength=nstrat) for k in range(ngroup)])
        exp = np.stack([np.bincount(bsh, weights=r[k] * wdn, minlength=nstrat) for k in range(ngroup)])
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(nr > 1, ww ** 2 * dd * (nr - dd) / (nr * (nr - 1)), 0.0)
    rc = r * (c / nr)
    var = np.diag((r * c).sum(axis=1)) - np.array([[(rc[j] * r[k]).sum() for k in range(ngroup)]
                                                    for j in range(ngroup)])
    return obs, exp, var


def _grho_two(r, dg, nr, dd, ww):
    """:func:`_grho` for two groups in one stratum, in fewer passes.

    With r0 + r1 = n the hypergeometric covariance matrix is v [[1, -1], [-1, 1]],
    v = sum c r0 r1 / n (c = w^2 d (n - d) / (n (n - 1))): no cancellation between the
    diagonal and the off-diagonal sums.
    """
    unit = bool((ww == 1.0).all())  # log-rank: skip the weights (multiplying by 1 is exact)
    wdn = dd / nr if unit else ww * dd / nr
    obs = (dg.sum(axis=1) if unit else (dg * ww).sum(axis=1))[:, None]
    exp = np.array([_wsum(r[0], wdn), _wsum(r[1], wdn)])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        nm1 = nr - 1.0
        c = dd * (nr - dd)
        if not unit:
            c *= ww * ww
        c /= nr * nm1
        c[nr <= 1] = 0.0
    c *= r[0]
    c *= r[1]
    c /= nr
    v = float(c.sum())
    return obs, exp, np.array([[v, -v], [-v, v]])


def _wsum(a, b) -> float:
    return float(np.multiply(a, b).sum())


def _sorted_subset(d, mask):
    t, e = decode_keys(d.sorted_keys if mask is None else np.sort(d.keys[mask]))
    return d.fix_sorted(t), e


def logrank_by_value(d, group, ngroup, strata=None, nstrat=1, rho=0.0):
    """G-rho kernel by value sorts of packed (time, event) keys: no argsort, no gathers.

    Per stratum, the pooled death times come from one sort; each group but the largest
    gets its deaths and numbers at risk at those times by ``searchsorted`` on its own
    sorted times; the largest group is the remainder.
    """
    parts = []
    for sidx in range(nstrat):
        smask = None if strata is None else strata == sidx
        t, e = _sorted_subset(d, smask)
        ut, starts, _ = _sorted_unique_counts(t)
        dth = np.add.reduceat(e, starts).astype(np.float64)
        has = dth > 0
        ud, dd, nr = ut[has], dth[has], (len(t) - starts[has]).astype(np.float64)
        gin = group if smask is None else group[smask]
        sizes = np.bincount(gin, minlength=ngroup)
        big = int(np.argmax(sizes))
        r = np.empty((ngroup, len(ud)))
        dg = np.zeros((ngroup, len(ud)))
        for k in range(ngroup):
            if k == big:
                continue
            m = group == k if smask is None else smask & (group == k)
            tk, ek = _sorted_subset(d, m)
            r[k] = len(tk) - np.searchsorted(tk, ud, side="left")
            tke = tk[ek.astype(bool)]
            if len(tke):
                utk, sk, ck = _sorted_unique_counts(tke)
                dg[k, np.searchsorted(ud, utk)] = ck
        others = [k for k in range(ngroup) if k != big]
        r[big] = nr - r[others].sum(axis=0)
        dg[big] = dd - dg[others].sum(axis=0)
        if rho != 0:
            km = np.cumprod(1.0 - dd / nr)
            w = np.concatenate(([1.0], km[:-1])) ** rho
        else:
            w = np.ones(len(ud))
        parts.append((r, dg, nr, dd, w, np.full(len(ud), sidx, dtype=np.int64)))
    r = np.concatenate([x[0] for x in parts], axis=1)
    dg = np.concatenate([x[1] for x in parts], axis=1)
    nr, dd, w, bsh = (np.concatenate(x) for x in list(zip(*parts))[2:])
    return _grho(r, dg, nr, dd, w, bsh, nstrat, ngroup)


def logrank_grid(counts: np.ndarray, nstrat: int, ngroup: int, rho: float = 0.0):
    """G-rho kernel from per-(time, stratum, group, status) counts (:mod:`._grid`)."""
    parts = []
    for sidx in range(nstrat):
        c = counts[:, sidx]
        tot = c[:, :, 0] + c[:, :, 1]
        risk = np.cumsum(tot[::-1], axis=0)[::-1]  # subjects with time >= t, per group
        dgt = c[:, :, 1]
        dd = dgt.sum(axis=1)
        has = np.flatnonzero(dd)
        r = risk[has].T.astype(np.float64)
        dg = dgt[has].T.astype(np.float64)
        nr = risk[has].sum(axis=1).astype(np.float64)
        dd = dd[has].astype(np.float64)
        if rho != 0:
            km = np.cumprod(1.0 - dd / nr)
            w = np.concatenate(([1.0], km[:-1])) ** rho
        else:
            w = np.ones(len(has))
        parts.append((r, dg, nr, dd, w, np.full(len(has), sidx, dtype=np.int64)))
    r = np.concatenate([x[0] for x in parts], axis=1)
    dg = np.concatenate([x[1] for x in parts], axis=1)
    nr, dd, w, bsh = (np.concatenate(x) for x in list(zip(*parts))[2:])
    return _grho(r, dg, nr, dd, w, bsh, nstrat, ngroup)


def logrank_packed(runs, rho: float = 0.0):
    """G-rho kernel for two groups, no strata, from :func:`._packed.packed_runs` (one value sort)."""
    ut, grp, cnt, nev, _ = runs
    ut, _, ct, et, c1, e1 = merge_runs(ut, np.array([0, len(ut)]), cnt, nev, cnt * grp, nev * grp)  # per time
    nr_all = int(ct.sum()) - (np.cumsum(ct) - ct)
    r1_all = int(c1.sum()) - (np.cumsum(c1) - c1)
    has = np.flatnonzero(et)
    nr = nr_all[has].astype(np.float64)
    dd = et[has].astype(np.float64)
    r = np.empty((2, len(has)))
    dg = np.empty((2, len(has)))
    r[1] = r1_all[has]
    r[0] = nr - r[1]
    dg[1] = e1[has]
    dg[0] = dd - dg[1]
    if rho != 0:
        km = np.cumprod(1.0 - dd / nr)
        w = np.concatenate(([1.0], km[:-1])) ** rho
    else:
        w = np.ones(len(has))
    return _grho(r, dg, nr, dd, w, np.zeros(len(has), dtype=np.int64), 1, 2)


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
    nstrat = 1 if sfac is None else len(sfac.labels)
    gc = grid_table(d.raw_time, d.event, gfac.codes, len(gfac.labels),
                    None if sfac is None else sfac.codes, nstrat, bounds=d.time_range)
    two = gc is None and nstrat == 1 and len(gfac.labels) == 2
    jit = jit_prepared(d, gfac.codes, 2) if two else None
    runs = packed_runs(d.raw_time, d.event, gfac.codes, d.timefix) if two and jit is None else None
    if gc is not None:  # times on a decimal grid: counting sort
        obs, exp, var = logrank_grid(gc[1], nstrat, len(gfac.labels), rho)
    elif jit is not None:  # many rows: compiled passes over one sort
        from nlrstats.stats.survival._jit import logrank_two
        obs, exp, var = logrank_two(jit, rho)
    elif runs is not None:  # two groups: one sort of packed keys
        obs, exp, var = logrank_packed(runs, rho)
    elif d.keys is not None and nstrat * len(gfac.labels) <= 32:
        obs, exp, var = logrank_by_value(d, gfac.codes, len(gfac.labels),
                                         None if sfac is None else sfac.codes, nstrat, rho)
    else:
        obs, exp, var = logrank_arrays(d.time, d.event, gfac.codes, len(gfac.labels),
                                       None if sfac is None else sfac.codes, rho, d.order)
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
