"""Pooling site summaries: stratified log-rank and Cox, Kaplan-Meier by group, response counts.

Every result equals the patient-level analysis of the stacked rows with the site as stratum
(``survdiff``/``coxph`` with ``+ strata(site)``), because each needs only the per-site counts
of :mod:`.summary`. Summaries with suppressed cells are refused, never approximated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.distributions import chi2
from nlrstats.stats.htest import fisher_test
from nlrstats.stats.multisite.coding import SiteSummaryError
from nlrstats.stats.multisite.counts import grid, stack_tables
from nlrstats.stats.multisite.cox import PooledCoxPH, cox_counts
from nlrstats.stats.multisite.summary import SiteSummary, read_site_summary
from nlrstats.stats.result import Result
from nlrstats.stats.survival import SurvDiff, SurvFit

__all__ = ["pool_sites", "PooledSites"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class PooledSites(Result):
    """Site summaries checked to be poolable; analyses as methods (see :func:`pool_sites`)."""

    summaries: tuple[SiteSummary, ...]
    levels: tuple[str, ...]
    risk: np.ndarray = field(repr=False)  # (site event time) x group: numbers at risk
    dead: np.ndarray = field(repr=False)  # ... deaths
    block_site: np.ndarray = field(repr=False)  # site index of each block
    grids: tuple = field(repr=False, default=())  # per site: (events, censored), time x group

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(s.site for s in self.summaries)

    @property
    def first(self) -> SiteSummary:
        return self.summaries[0]

    @property
    def n(self) -> np.ndarray:
        """Records per group over all sites."""
        out = np.zeros(len(self.levels), dtype=np.int64)
        for s in self.summaries:
            for lv, k in zip(s.levels, s.n):
                out[self.levels.index(lv)] += k
        return out

    def formula(self, stratified: bool = True) -> str:
        f = self.first
        return f"Surv({f.time}, {f.event}) ~ {f.group}" + (" + strata(site)" if stratified else "")

    def tidy(self) -> pl.DataFrame:
        """Per site and group: n, events (from the summaries)."""
        rows = []
        for s in self.summaries:
            ev = dict(s.table.group_by("group").agg(pl.col("n_event").sum()).iter_rows())
            rows += [(s.site, lv, k, int(ev.get(lv, 0))) for lv, k in zip(s.levels, s.n)]
        return pl.DataFrame(rows, schema={"site": pl.String, "group": pl.String, "n": pl.Int64, "nevent": pl.Int64},
                            orient="row")

    def glance(self) -> pl.DataFrame:
        """One row: sites, n, nevent, groups."""
        return pl.DataFrame({"n_sites": [len(self.summaries)], "n": [int(self.n.sum())],
                             "nevent": [int(self.dead.sum())], "groups": [len(self.levels)]})

    def survdiff(self, rho: float = 0.0) -> SurvDiff:
        """Log-rank (G-rho) test stratified by site, as ``survdiff(Surv(t, e) ~ group + strata(site), rho)``."""
        r, d = self.risk, self.dead
        nr, dd = r.sum(axis=1), d.sum(axis=1)
        if rho != 0:  # S(t-)^rho from the pooled Kaplan-Meier of each site
            w = np.empty(len(nr))
            for k in range(len(self.summaries)):
                sl = np.flatnonzero(self.block_site == k)
                km = np.cumprod(1.0 - dd[sl] / nr[sl])
                w[sl] = np.concatenate(([1.0], km[:-1])) ** rho
        else:
            w = np.ones(len(nr))
        obs = (d * w[:, None]).sum(axis=0)
        exp = (r * (w * dd / nr)[:, None]).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(nr > 1, w ** 2 * dd * (nr - dd) / (nr * (nr - 1)), 0.0)
        rc = r * (c / nr)[:, None]
        var = np.diag((r * c[:, None]).sum(axis=0)) - rc.T @ r
        keep = np.flatnonzero(exp > 0)
        df = len(keep) - 1
        chisq = 0.0
        if len(keep) >= 2:
            idx = keep[1:]
            diff = (obs - exp)[idx]
            vv = var[np.ix_(idx, idx)]
            try:
                chisq = float(np.linalg.solve(vv, diff) @ diff)
            except np.linalg.LinAlgError:
                chisq = float(np.linalg.pinv(vv) @ diff @ diff)
        pval = float(chi2.sf(chisq, df)) if df > 0 else 1.0
        labels = tuple(f"{self.first.group}={lv}" for lv in self.levels)
        return SurvDiff(self.formula(), labels, self.n, obs, exp, var, chisq, df, pval, rho,
                        sum(s.n_missing for s in self.summaries))

    def coxph(self, ties: str = "efron", reference: str | None = None, eps: float = 1e-9,
              iter_max: int = 20) -> PooledCoxPH:
        """Cox model stratified by site, as ``coxph(Surv(t, e) ~ group + strata(site), ties = )``.

        Parameters
        ----------
        ties : {"efron", "breslow"}
        reference : str, optional
            Reference level of the group (R's ``relevel``; default the first level).
        eps, iter_max : float, int
            Convergence control as R's ``coxph.control``.
        """
        if ties not in ("efron", "breslow"):
            raise SiteSummaryError(f"ties must be 'efron' or 'breslow', got {ties!r}")
        ref = 0
        if reference is not None:
            if str(reference) not in self.levels:
                raise SiteSummaryError(f"reference level {reference!r} is not a level of "
                                       f"{self.first.group} ({', '.join(self.levels)})")
            ref = self.levels.index(str(reference))
        fit = cox_counts(self.risk, self.dead, ref, ties, eps, iter_max, self.levels)
        g = self.first.group
        terms = tuple(g if self.first.group_kind == "binary" else f"{g}{lv}"
                      for i, lv in enumerate(self.levels) if i != ref)
        return PooledCoxPH(self.formula(), terms, fit["coef"], fit["var"], fit["loglik"], fit["loglik_null"],
                           fit["score"], fit["wald"], int(self.n.sum()), int(self.dead.sum()), ties,
                           fit["iterations"], fit["converged"], any(fit["infinite"]), fit["infinite"],
                           fit["warnings"], {g: self.levels[ref]}, len(self.summaries),
                           (self.grids, np.insert(np.where(np.isnan(fit["coef"]), 0.0, fit["coef"]), ref, 0.0)))

    def survfit(self, by_site: bool = False, conf_type: str = "log", conf_level: float = 0.95) -> SurvFit:
        """Kaplan-Meier curves by group over all sites (``survfit(Surv(t, e) ~ group)`` of the stacked rows),
        or by group and site with ``by_site`` (labels ``"group=a, site=S"``). Greenwood standard errors.

        Curves over all sites need every summary made with ``censoring = "exact"`` (the number at risk at
        another site's event time depends on where censorings fall); per-site curves work with both.
        """
        if conf_type not in ("log", "log-log", "plain"):
            raise SiteSummaryError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")
        coarse = [s.site for s in self.summaries if s.censoring != "exact"]
        if coarse and not by_site:
            raise SiteSummaryError("Kaplan-Meier over all sites needs censoring times: site(s) "
                                   + ", ".join(coarse) + " reported censorings at event times "
                                   "(censoring='event_times'); use survfit(by_site=True) or exact summaries")
        g = self.first.group
        site_rank = {name: i for i, name in enumerate(sorted(self.sites))}  # R's factor(site): sorted levels
        nsite = len(self.summaries) if by_site else 1
        parts = []
        for s in self.summaries:
            gi = _codes(s, self.levels)
            code = gi * nsite + (site_rank[s.site] if by_site else 0)
            parts.append((code, s.table["time"].to_numpy(), gi, s.table["n_event"].to_numpy(),
                          s.table["n_censor"].to_numpy()))
        code, time, nev, ncen = stack_tables(parts, len(self.levels))
        present, stratum = np.unique(code, return_inverse=True)
        names = sorted(self.sites)
        labels = [f"{g}={self.levels[c // nsite]}" + (f", site={names[c % nsite]}" if by_site else "")
                  for c in present.tolist()]
        cnt = nev + ncen
        sizes = np.bincount(stratum, weights=cnt, minlength=len(labels)).astype(np.int64)
        start = np.searchsorted(stratum, np.arange(len(labels)))
        cum = np.cumsum(cnt)
        before = cum - cnt - np.concatenate(([0], cum))[start][stratum]
        nrisk = sizes[stratum] - before
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = (nrisk - nev) / nrisk
            hz = np.where(nev > 0, nev / (nrisk * (nrisk - nev).astype(float)), 0.0)
        surv, var = np.empty(len(nev)), np.empty(len(nev))
        bounds = np.searchsorted(stratum, np.arange(len(labels) + 1))
        for k in range(len(labels)):
            sl = slice(bounds[k], bounds[k + 1])
            surv[sl] = np.cumprod(frac[sl])
            var[sl] = np.cumsum(hz[sl])
        formula = f"Surv({self.first.time}, {self.first.event}) ~ {g}" + (" + site" if by_site else "")
        return SurvFit(formula, tuple(labels), stratum, time, nrisk, nev, ncen, surv,
                       np.sqrt(var), sizes, conf_type, conf_level, sum(s.n_missing for s in self.summaries))

    def response_table(self) -> pl.DataFrame:
        """Response counts per site and group, and their totals (site "all")."""
        have = [s for s in self.summaries if s.response is not None]
        if len(have) != len(self.summaries):
            raise SiteSummaryError("response counts are missing for site(s) "
                                   + ", ".join(s.site for s in self.summaries if s.response is None)
                                   + "; summarise with site_summary(..., response='column')")
        cols = {s.response_column for s in have}
        if len(cols) > 1:
            raise SiteSummaryError(f"sites summarised different response columns: {sorted(cols)}")
        tab = pl.concat([s.response.with_columns(pl.lit(s.site).alias("site")) for s in have])
        tot = tab.group_by("group").agg(pl.col("responders", "non_responders", "missing").sum()) \
            .with_columns(pl.lit("all").alias("site"))
        out = pl.concat([tab, tot.select(tab.columns)])
        order = {lv: i for i, lv in enumerate(self.levels)}
        return out.with_columns(pl.col("group").replace_strict(order, return_dtype=pl.Int64).alias("_o")) \
            .sort(pl.col("site") == "all", "site", "_o").drop("_o").select("site", "group", "responders",
                                                                              "non_responders", "missing")

    def fisher_test(self, **kwargs):
        """Fisher's exact test of the pooled group x response table (rows groups in level order, columns
        non-responders, responders as R's ``table(group, response)``): equals the test on the stacked rows."""
        tot = self.response_table().filter(pl.col("site") == "all")
        return fisher_test(tot.select("non_responders", "responders").to_numpy(), **kwargs)

    def __repr__(self) -> str:
        n, ev = self.n, self.dead.sum(axis=0)
        lines = [f"{len(self.summaries)} pooled site summaries: {self.formula(stratified=False)}",
                 "  sites: " + ", ".join(self.sites)]
        lines += [f"  {self.first.group}={lv}: n={int(a)}, events={int(b)}" for lv, a, b in zip(self.levels, n, ev)]
        return "\n".join(lines)


def _levels(summaries) -> tuple[str, ...]:
    kinds = {s.group_kind for s in summaries}
    if len(kinds) > 1:
        raise SiteSummaryError("the group is coded differently across sites ("
                               + ", ".join(f"{s.site}: {s.group_kind}" for s in summaries) + "); code it the same way")
    kind = kinds.pop()
    seen = {lv for s in summaries for lv in s.levels}
    if kind == "enum":
        cats = {s.categories for s in summaries}
        if len(cats) > 1:
            raise SiteSummaryError("sites code the group with different categories ("
                                   + "; ".join(f"{s.site}: {', '.join(s.categories)}" for s in summaries)
                                   + "); summarise every site with the same levels (the same cut-off)")
        return tuple(c for c in cats.pop() if c in seen)
    if kind == "boolean":
        return tuple(v for v in ("FALSE", "TRUE") if v in seen)
    if kind == "binary":
        return tuple(v for v in ("0", "1") if v in seen)
    return tuple(sorted(seen))


def _codes(s: SiteSummary, levels) -> np.ndarray:
    return s.table["group"].cast(pl.Enum(list(levels))).to_physical().to_numpy().astype(np.int64)


def _blocks(s: SiteSummary, levels):
    """Per event time of a site: numbers at risk and deaths per pooled group (time x group); and the
    site's (events, censored) grid over all its times."""
    _, ev, cen = grid(s.table["time"].to_numpy(), _codes(s, levels), s.table["n_event"].to_numpy(),
                      s.table["n_censor"].to_numpy(), len(levels))
    risk = np.cumsum((ev + cen)[::-1], axis=0)[::-1]
    has = ev.sum(axis=1) > 0
    return risk[has], ev[has], (ev, cen)


def pool_sites(summaries) -> PooledSites:
    """Pool site summaries (objects, JSON text, dicts or paths to ``.json`` files) for stratified analyses.

    The summaries must describe the same ``Surv(time, event) ~ group`` (same column names and group
    coding), have distinct site labels and no suppressed cells. ``.survdiff()`` and ``.coxph()`` then
    equal R's ``survdiff``/``coxph`` of the stacked patient rows with ``+ strata(site)``; ``.survfit()``
    gives Kaplan-Meier curves by group; ``.response_table()`` and ``.fisher_test()`` the response counts.
    """
    if isinstance(summaries, (SiteSummary, str, dict)):
        summaries = [summaries]
    items = tuple(read_site_summary(s) for s in summaries)
    if not items:
        raise SiteSummaryError("no site summaries to pool")
    names = [s.site for s in items]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise SiteSummaryError(f"site labels must be unique; repeated: {', '.join(dup)} "
                               "(give each site its own label with site_summary(..., site=))")
    for s in items:
        if s.suppressed:
            raise SiteSummaryError(f"site {s.site!r}: {s.suppressed} cell(s) were suppressed (min_cell={s.min_cell});"
                                   " pooled numbers would be wrong, so nothing is pooled. Summarise that site "
                                   "without min_cell for pooling, or pool published estimates with rma()")
    ref = items[0]
    for s in items[1:]:
        if (s.time, s.event, s.group) != (ref.time, ref.event, ref.group):
            raise SiteSummaryError(f"site {s.site!r} summarises Surv({s.time}, {s.event}) ~ {s.group} but site "
                                   f"{ref.site!r} Surv({ref.time}, {ref.event}) ~ {ref.group}; summarise every site with the "
                                   "same endpoint and group (map their files to the same columns)")
    levels = _levels(items)
    if len(levels) < 2:
        raise SiteSummaryError(f"the group {ref.group} has a single level ({', '.join(levels)}) over all sites")
    risk, dead, site, grids = [], [], [], []
    for k, s in enumerate(items):
        r, d, grid = _blocks(s, levels)
        grids.append(grid)
        risk.append(r)
        dead.append(d)
        site.append(np.full(len(r), k, dtype=np.int64))
    return PooledSites(items, levels, np.concatenate(risk), np.concatenate(dead), np.concatenate(site),
                       tuple(grids))
