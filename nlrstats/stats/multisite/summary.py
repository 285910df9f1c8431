"""A site's survival data reduced to counts: the sufficient statistics of stratified analyses.

For ``Surv(time, event) ~ group`` with a categorical group, the Kaplan-Meier curves, the
log-rank (G-rho) test and the Cox partial likelihood with Breslow *or Efron* ties of a
model stratified by site depend on the data only through, per site and distinct event
time t: the deaths d_g(t) and the numbers at risk r_g(t) of each group g. (Efron's
correction for k = 0..d-1 tied deaths needs sum_g d_g exp(b_g), the tied deaths' group
split, which d_g(t) is.) A :class:`SiteSummary` keeps one row per (time, group) with any
event or censoring: ``n_event``, ``n_censor`` and ``n_risk`` (those of the group with time
>= t), so r_g(t) at every event time of the site follows; nothing else of a patient.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from nlrstats.stats.formula import parse_surv_formula
from nlrstats.stats.multisite.coding import SiteSummaryError, code_binary, code_groups
from nlrstats.stats.multisite.counts import life_table
from nlrstats.stats.result import Result, json_safe

__all__ = ["SiteSummary", "site_summary", "read_site_summary", "FORMAT"]

FORMAT = "nlrstats.site_summary"
_COUNTS = ("n_risk", "n_event", "n_censor")


@dataclass(frozen=True, eq=False)  # holds frames: identity equality
class SiteSummary(Result):
    """Counts of one site (see the module notes); build with :func:`site_summary`.

    ``table`` has columns time, group (label), n_risk, n_event, n_censor, sorted by time then
    group; ``n`` the records per group; ``censoring`` is "exact" (censorings at their times) or
    "event_times" (each moved to the last event time of the site at or before it). Cells below
    ``min_cell`` are null and counted in ``suppressed``; such a summary is descriptive only.
    """

    site: str
    formula: str
    time: str
    event: str
    group: str
    group_kind: str  # "string", "enum", "boolean" or "binary" (numeric 0/1)
    levels: tuple[str, ...]
    table: pl.DataFrame = field(repr=False)
    n: tuple[int | None, ...] = ()
    n_missing: int = 0
    censoring: str = "exact"
    timefix: bool = True
    min_cell: int | None = None
    suppressed: int = 0
    response: pl.DataFrame | None = field(default=None, repr=False)  # group, responders, non_responders, missing
    response_column: str | None = None
    categories: tuple[str, ...] = ()  # Enum categories in declared order

    def tidy(self) -> pl.DataFrame:
        """One row per time and group with an event or censoring: time, group, n_risk, n_event, n_censor."""
        return self.table.clone()

    def glance(self) -> pl.DataFrame:
        """One row: site, n, nevent, groups, rows, censoring, suppressed cells."""
        ev = self.table["n_event"]
        return pl.DataFrame({"site": [self.site], "n": [None if None in self.n else int(sum(self.n))],
                             "nevent": [None if ev.null_count() else int(ev.sum())], "groups": [len(self.levels)],
                             "rows": [self.table.height], "censoring": [self.censoring],
                             "suppressed": [self.suppressed]},
                            schema={"site": pl.String, "n": pl.Int64, "nevent": pl.Int64, "groups": pl.Int64,
                                    "rows": pl.Int64, "censoring": pl.String, "suppressed": pl.Int64})

    def to_dict(self) -> dict:
        """The summary as plain data (what :meth:`to_json` writes)."""
        out = {"format": FORMAT, "version": 1, "site": self.site, "formula": self.formula, "time": self.time,
               "event": self.event, "group": self.group, "group_kind": self.group_kind,
               "levels": list(self.levels), "categories": list(self.categories), "n": list(self.n),
               "n_missing": self.n_missing, "censoring": self.censoring, "timefix": self.timefix,
               "min_cell": self.min_cell, "suppressed": self.suppressed}
        out = json_safe(out)
        # counts and finite times only (site_summary refuses infinite times): no per-value conversion
        out["table"] = {c: self.table[c].to_list() for c in self.table.columns}
        if self.response is not None:
            out["response"] = {"column": self.response_column,
                               **{c: self.response[c].to_list() for c in self.response.columns}}
        return out

    def to_json(self, path: str | Path | None = None, indent: int | None = None) -> str:
        """JSON text of the summary (times as shortest round-trip decimals: they survive exactly); written to
        ``path`` if given. The table's columns are rendered by polars (a million rows in well under a second)."""
        head = self.to_dict()
        table, resp = head.pop("table"), head.pop("response", None)
        text = json.dumps(head, indent=indent, ensure_ascii=False)
        cols = {"time": self.table["time"].cast(pl.String), "group": None,
                **{c: self.table[c].cast(pl.String).fill_null("null") for c in _COUNTS}}
        parts = []
        for c, series in cols.items():
            body = json.dumps(table[c], ensure_ascii=False) if series is None else "[" + ",".join(series.to_list()) + "]"
            parts.append(f'"{c}": {body}')
        extra = ', "table": {' + ", ".join(parts) + "}"
        if resp is not None:
            extra += ', "response": ' + json.dumps(resp, ensure_ascii=False)
        text = text[: text.rstrip().rfind("}")].rstrip() + extra + ("\n}" if indent else "}")
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source) -> SiteSummary:
        """Read a summary from JSON text, a dict, or a path to a ``.json`` file (checked, see :func:`read_site_summary`)."""
        return read_site_summary(source)

    def __repr__(self) -> str:
        lines = [f"Site summary '{self.site}': {self.formula}",
                 f"  groups ({self.group}): " + ", ".join(f"{lv} n={'<' + str(self.min_cell) if n is None else n}"
                                                          for lv, n in zip(self.levels, self.n)),
                 f"  {self.table.height} rows of (time, group) counts; censoring {self.censoring}"]
        if self.n_missing:
            lines.append(f"  {self.n_missing} observation{'s' if self.n_missing > 1 else ''} "
                         "deleted due to missingness")
        if self.suppressed:
            lines.append(f"  {self.suppressed} cells suppressed (< {self.min_cell}): descriptive only, cannot be pooled")
        if self.response is not None:
            lines.append(f"  response ({self.response_column}): "
                         + ", ".join(f"{g} {r}/{'?' if r is None or nr is None else r + nr}"
                                     for g, r, nr in self.response.select("group", "responders", "non_responders")
                                     .iter_rows()))
        return "\n".join(lines)


def _life_table(t, e, g, levels, censoring: str, fix: bool) -> pl.DataFrame:
    time, gi, risk, ev, cen = life_table(t, e, g, len(levels), censoring, fix)
    lab = pl.Series(list(levels), dtype=pl.String)
    return pl.DataFrame({"time": time.astype(np.float64), "group": lab.gather(gi),
                         "n_risk": risk.astype(np.int64), "n_event": ev, "n_censor": cen.astype(np.int64)})


def _suppress(frame: pl.DataFrame, cols, k: int | None):
    if not k:
        return frame, 0
    small = [(pl.col(c) > 0) & (pl.col(c) < k) for c in cols]
    count = int(frame.select(pl.sum_horizontal([s.cast(pl.Int64) for s in small]).sum()).item())
    return frame.with_columns([pl.when(s).then(None).otherwise(pl.col(c)).alias(c) for s, c in zip(small, cols)]), count


def site_summary(data, formula: str, *, site: str = "site", response: str | None = None,
                 min_cell: int | None = None, censoring: str = "exact", timefix_times: bool = True) -> SiteSummary:
    """Reduce one site's patient rows to the counts that pooled stratified analyses need.

    Parameters
    ----------
    data : polars.DataFrame or pandas.DataFrame
        The site's patients (one row each).
    formula : str
        ``"Surv(time, event) ~ group"`` with one grouping column: string, Enum, boolean, or
        numeric 0/1. Event 0/1 or boolean. Rows missing time, event or group are dropped and
        counted (R's ``na.omit``).
    site : str
        The site's label (unique among the summaries to pool).
    response : str, optional
        A 0/1 or boolean column (e.g. objective response): its 2 x 2 counts by group are kept
        (rows with the group present; missing responses counted).
    min_cell : int, optional
        Small-cell suppression: counts with 0 < count < ``min_cell`` are replaced by null and
        counted. Pooling refuses a summary with suppressed cells (its numbers would change).
    censoring : {"exact", "event_times"}
        "exact" keeps censoring times; "event_times" reports each censoring at the last event
        time of the site at or before it (or the site's first time), which hides censoring
        dates yet leaves every stratified statistic (Cox, log-rank, per-site KM at event times)
        unchanged. Kaplan-Meier curves pooled across sites need "exact".
    timefix_times : bool
        Merge times within ``sqrt(.Machine$double.eps)`` as R's ``aeqSurv`` (``timefix = TRUE``).

    Returns
    -------
    SiteSummary
    """
    if isinstance(data, pl.DataFrame):
        frame = data
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):
        frame = pl.from_pandas(data)
    else:
        raise SiteSummaryError(f"data must be a polars or pandas DataFrame, got {type(data).__name__}")
    if censoring not in ("exact", "event_times"):
        raise SiteSummaryError(f"censoring must be 'exact' or 'event_times', got {censoring!r}")
    if min_cell is not None and (not isinstance(min_cell, int) or min_cell < 1):
        raise SiteSummaryError(f"min_cell must be a positive integer, got {min_cell!r}")
    if not isinstance(site, str) or not site.strip():
        raise SiteSummaryError("site must be a non-empty label")
    f = parse_surv_formula(formula)
    if len(f.terms) != 1 or f.strata:
        raise SiteSummaryError(f"{f.text}: a site summary needs exactly one grouping term and no strata() "
                               "(the site is the stratum when summaries are pooled)")
    f.check(frame)
    group = f.terms[0]
    if response is not None and response not in frame.columns:
        raise SiteSummaryError(f"response column {response!r} is not in the data (available: {', '.join(frame.columns)})")
    kind, levels, categories, gcodes = code_groups(frame[group], f.text)
    present = gcodes >= 0
    tcol, ecol = frame[f.time].cast(pl.Float64), frame[f.event]
    ok = present & tcol.is_not_null().to_numpy() & ~np.isnan(tcol.fill_null(0.0).to_numpy()) \
        & ecol.is_not_null().to_numpy()
    if ecol.dtype.is_float():
        ok &= ~np.isnan(ecol.fill_null(0.0).to_numpy())
    t = tcol.to_numpy()[ok]
    e = code_binary(ecol.filter(pl.Series(ok)), f"{f.text}: event column '{f.event}'")
    g = gcodes[ok]
    if len(t) == 0:
        raise SiteSummaryError(f"{f.text}: no complete observations at site {site!r}")
    if not np.isfinite(t).all():
        raise SiteSummaryError(f"{f.text}: time column '{f.time}' has infinite values; give follow-up times")
    table = _life_table(t, e, g, levels, censoring, timefix_times)
    n = np.bincount(g, minlength=len(levels)).tolist()
    table, suppressed = _suppress(table, _COUNTS, min_cell)
    n = [None if min_cell and 0 < v < min_cell else v for v in n]
    suppressed += sum(v is None for v in n)
    resp = None
    if response is not None:
        rv = frame[response].filter(pl.Series(present))
        known = rv.is_not_null().to_numpy()
        if rv.dtype.is_float():
            known &= ~np.isnan(rv.fill_null(0.0).to_numpy())
        y = code_binary(rv.filter(pl.Series(known)), f"response column '{response}'")
        gr = gcodes[present]
        yes = np.bincount(gr[known][y == 1], minlength=len(levels))
        no = np.bincount(gr[known][y == 0], minlength=len(levels))
        miss = np.bincount(gr[~known], minlength=len(levels))
        resp = pl.DataFrame({"group": list(levels), "responders": yes.astype(np.int64),
                             "non_responders": no.astype(np.int64), "missing": miss.astype(np.int64)})
        resp, more = _suppress(resp, ("responders", "non_responders", "missing"), min_cell)
        suppressed += more
    return SiteSummary(site, f.text, f.time, f.event, group, kind, tuple(levels), table, tuple(n),
                       int((~ok).sum()), censoring, timefix_times, min_cell, suppressed, resp, response,
                       tuple(categories))


def read_site_summary(source) -> SiteSummary:
    """A :class:`SiteSummary` from JSON text, a dict, or a path; every field is checked, errors name the site."""
    if isinstance(source, SiteSummary):
        return source
    where = "summary"
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        where = str(source)
        try:
            source = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise SiteSummaryError(f"cannot read site summary {where}: {exc.strerror}") from None
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as exc:
            raise SiteSummaryError(f"{where}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(source, dict) or source.get("format") != FORMAT:
        raise SiteSummaryError(f"{where}: not an nlrstats site summary (no \"format\": \"{FORMAT}\"); "
                               "write one with nlrstats.site_summary(...).to_json() or `nlrstats site-summary`")
    need = ("site", "formula", "time", "event", "group", "group_kind", "levels", "n", "table", "censoring")
    missing = [k for k in need if k not in source]
    if missing:
        raise SiteSummaryError(f"{where}: missing field(s) {', '.join(missing)}")
    site = str(source["site"])
    tab = source["table"]
    cols = ("time", "group", *_COUNTS)
    if not isinstance(tab, dict) or any(c not in tab for c in cols) or len({len(tab[c]) for c in cols}) != 1:
        raise SiteSummaryError(f"site {site!r}: the table needs columns {', '.join(cols)} of equal length")
    try:
        table = pl.DataFrame({"time": pl.Series(tab["time"], dtype=pl.Float64),
                              "group": pl.Series(tab["group"], dtype=pl.String),
                              **{c: pl.Series(tab[c], dtype=pl.Int64) for c in _COUNTS}})
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise SiteSummaryError(f"site {site!r}: the table has values of the wrong type ({exc})") from None
    levels = tuple(str(x) for x in source["levels"])
    bad = set(table["group"].unique().to_list()) - set(levels)
    if bad:
        raise SiteSummaryError(f"site {site!r}: table groups {sorted(bad)} are not among the levels {list(levels)}")
    if any(v is not None and v < 0 for v in table.select([pl.col(c).min() for c in _COUNTS]).row(0)):
        raise SiteSummaryError(f"site {site!r}: negative counts in the table")
    resp = None
    if source.get("response"):
        r = source["response"]
        resp = pl.DataFrame({"group": pl.Series(r["group"], dtype=pl.String),
                             **{c: pl.Series(r[c], dtype=pl.Int64) for c in ("responders", "non_responders", "missing")}})
    n = tuple(None if v is None else int(v) for v in source["n"])
    if len(n) != len(levels):
        raise SiteSummaryError(f"site {site!r}: {len(n)} group sizes for {len(levels)} levels")
    out = SiteSummary(site, str(source["formula"]), str(source["time"]), str(source["event"]), str(source["group"]),
                      str(source["group_kind"]), levels, table, n, int(source.get("n_missing", 0)),
                      str(source["censoring"]), bool(source.get("timefix", True)), source.get("min_cell"),
                      int(source.get("suppressed", 0)), resp, (source.get("response") or {}).get("column"),
                      tuple(source.get("categories") or ()))
    if not out.suppressed:
        _check_consistent(out)
    return out


def _check_consistent(s: SiteSummary) -> None:
    """n_risk must be the reverse cumulative count of each group's rows, and n the group sizes."""
    tab = s.table
    if tab.select([pl.col(c).null_count() for c in _COUNTS]).sum_horizontal().item():
        raise SiteSummaryError(f"site {s.site!r}: the table has missing counts but no suppressed cells are declared")
    g = tab["group"].cast(pl.Enum(list(s.levels))).to_physical().to_numpy().astype(np.int64)
    t = tab["time"].to_numpy()
    order = np.lexsort((-t, g))  # by group, times descending
    cnt = (tab["n_event"] + tab["n_censor"]).to_numpy()[order]
    gs = g[order]
    cum = np.cumsum(cnt)
    first = np.searchsorted(gs, gs, side="left")
    want = cum - np.concatenate(([0], cum))[first]
    have = tab["n_risk"].to_numpy()[order]
    bad = np.flatnonzero(have != want)
    if len(bad):
        i = int(order[bad[0]])
        raise SiteSummaryError(f"site {s.site!r}: n_risk {tab['n_risk'][i]} at time {tab['time'][i]} "
                               f"(group {tab['group'][i]}) is not the number with time >= it ({want[bad[0]]}); "
                               "the summary was edited or damaged")
    sizes = np.bincount(gs, weights=cnt, minlength=len(s.levels))
    for lv, n, size in zip(s.levels, s.n, sizes):
        if int(size) != n:
            raise SiteSummaryError(f"site {s.site!r}: group {lv} has n = {n} but its rows count {int(size)}")
