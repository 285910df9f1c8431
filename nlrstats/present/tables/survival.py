"""Survival summary table: events/N, median with 95% CI, survival at chosen times, log-rank p."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
from great_tables import GT, loc

from nlrstats.present.tables._common import finish
from nlrstats.present.format import (MISSING, P_DIGITS, SURVIVAL_DIGITS, TIME_DIGITS, format_ci, format_fraction, format_median_ci, format_number, format_p,
                     strata_label)

__all__ = ["gt_survival", "ENDPOINT_NAMES"]

#: time column -> endpoint name, for fits passed without a label
ENDPOINT_NAMES = {
    "pfs_months": "Progression-free survival",
    "os_months": "Overall survival",
    "pfs": "Progression-free survival",
    "os": "Overall survival",
}


def _time_column(fit) -> str:
    lhs = str(fit.formula).split("~", 1)[0]
    inner = lhs[lhs.find("(") + 1: lhs.rfind(")")] if "(" in lhs else lhs
    return inner.split(",")[0].strip()


def _as_pairs(fits, logranks, labels) -> list[tuple[str, object, object]]:
    if isinstance(fits, Mapping):
        keys = list(fits)
        fit_list = [fits[k] for k in keys]
    else:
        fit_list = list(fits) if isinstance(fits, Sequence) else [fits]
        keys = [_time_column(f) for f in fit_list]
    if logranks is None:
        lr_list = [None] * len(fit_list)
    elif isinstance(logranks, Mapping):
        unknown = [k for k in logranks if k not in keys]
        if unknown:
            raise KeyError(f"logranks given for {unknown}, which are not among the fits ({keys})")
        lr_list = [logranks.get(k) for k in keys]
    else:
        lr_list = list(logranks) if isinstance(logranks, Sequence) else [logranks]
        if len(lr_list) != len(fit_list):
            raise ValueError(f"{len(lr_list)} log-rank tests for {len(fit_list)} fits")
    labels = dict(labels or {})
    names = [labels.get(k, ENDPOINT_NAMES.get(k, str(k))) for k in keys]
    for f in fit_list:
        if not (hasattr(f, "median") and hasattr(f, "at")):
            raise TypeError(f"expected SurvFit objects (survfit results), got {type(f).__name__}")
    return list(zip(names, fit_list, lr_list))


def gt_survival(fits, logranks=None, times: Sequence[float] = (6, 12), labels: Mapping[str, str] | None = None,
                *, time_unit: str = "months", digits: int = TIME_DIGITS, pct_digits: int = SURVIVAL_DIGITS,
                p_digits: int = P_DIGITS,
                source: str | None = None, title: str | None = "Survival by group",
                theme: str = "default", font=None) -> GT:
    """Kaplan-Meier summary per endpoint and group.

    Parameters
    ----------
    fits : a :class:`~nlrstats.stats.survival.SurvFit`, a list of them, or a dict endpoint -> SurvFit.
        Without a dict key the endpoint is named from the time column (``pfs_months`` ->
        "Progression-free survival", ``os_months`` -> "Overall survival", else the column name).
    logranks : matching :class:`~nlrstats.stats.survival.SurvDiff` results (same container shape), or None.
    times : times at which survival is shown (R's ``summary(fit, times = )``), in ``time_unit``.
    labels : endpoint key -> display name.
    digits : decimals of the median and its CI (R prints the fit's time values; 1 suits months).
    pct_digits : decimals of survival percentages. p_digits : see :func:`format_p`.
    source : data-set name for the source note.

    Notes
    -----
    Median and 95% CI are R's ``print(survfit)`` values (CI where the log-transformed pointwise
    band first reaches 0.5); a median or limit that is not reached prints "NR". Survival at t is
    S(t) with the pointwise CI (log transform, as R). A time beyond a group's last follow-up prints
    Patients left out for missing data (R's "deleted due to missingness") appear as an
    "Unknown (excluded)" row with their number. A time shows
    "—" when the last patient at risk was censored before it (R's ``extend = FALSE``) and "0" when
    every patient had the event before it. The log-rank p (R's ``survdiff``, rho = 0) sits in each
    endpoint's first row.
    """
    pairs = _as_pairs(fits, logranks, labels)
    times = [float(t) for t in times]
    tcols = [f"t{i}" for i in range(len(times))]
    rows, lr_rows, methods, not_est, missing_rows = [], [], set(), [], []
    for name, fit, lr in pairs:
        med = fit.median()
        at = fit.at(times) if times else None
        tidy = fit.tidy()
        last = {k: v for k, v in tidy.group_by("strata", maintain_order=True)
                .agg(pl.col("estimate").last()).iter_rows()}
        first = True
        for r in med.iter_rows(named=True):
            stratum = r["strata"]
            row = {
                "endpoint": name,
                "group": strata_label(stratum),
                "events": format_fraction(r["events"], r["records"]),
                "median": format_median_ci(r["median"], r["conf_low"], r["conf_high"], digits),
            }
            for tc, t in zip(tcols, times):
                hit = at.filter((pl.col("time") == t) & (
                    pl.col("strata").is_null() if stratum is None else pl.col("strata") == stratum))
                if hit.height == 0 and last.get(stratum) == 0.0:
                    # every patient had the event before t: S(t) = 0 (R's extend = TRUE), no CI
                    row[tc] = format_number(0.0, pct_digits)
                elif hit.height == 0:
                    row[tc] = MISSING
                    not_est.append((len(rows), tc))
                else:
                    h = hit.row(0, named=True)
                    row[tc] = (f"{format_number(100 * h['estimate'], pct_digits)} "
                               f"({format_ci(_pct(h['conf_low']), _pct(h['conf_high']), pct_digits, MISSING)})")
            row["p_value"] = ""
            if first and lr is not None:
                row["p_value"] = format_p(lr.p_value, p_digits)
                lr_rows.append(len(rows))
                methods.add(getattr(lr, "method", "Log-rank"))
            first = False
            rows.append(row)
        n_missing = int(getattr(fit, "n_missing", 0) or 0)
        if n_missing:
            # R: "n observations deleted due to missingness": shown as its own row, never dropped
            rows.append({"endpoint": name, "group": "Unknown (excluded)", "events": str(n_missing),
                         "median": "", **{tc: "" for tc in tcols}, "p_value": ""})
            missing_rows.append(len(rows) - 1)
    schema = {c: pl.String for c in ("endpoint", "group", "events", "median", *tcols, "p_value")}
    body = pl.DataFrame(rows, schema=schema)
    unit = time_unit
    labels_map = {"events": "Events/N", "median": f"Median, {unit} (95% CI)",
                  **{tc: f"{t:g} {unit}" for tc, t in zip(tcols, times)},
                  "p_value": "p-value"}
    gt = (
        GT(body, rowname_col="group", groupname_col="endpoint")
        .tab_stubhead("Group")
        .cols_label(**labels_map)
        .cols_align("right", columns=["events", "median", *tcols, "p_value"])
        .tab_footnote("Kaplan-Meier estimate; 95% CI with log transform, as R survfit; "
                      "NR = not reached.", locations=loc.column_labels(columns="median"))
    )
    if missing_rows:
        gt = gt.tab_footnote("Patients without time or status (or group) for this endpoint, left out of "
                             "the analysis.", locations=loc.stub(rows=missing_rows))
    if tcols:
        gt = gt.tab_spanner("Survival, % (95% CI)", columns=tcols)
    if lr_rows:
        test = "; ".join(sorted(m if m != "Log-rank" else "Log-rank test" for m in methods))
        gt = gt.tab_footnote(test, locations=loc.body(columns="p_value", rows=lr_rows),
                             placement="right")
    if not_est:
        for tc in {c for _, c in not_est}:
            gt = gt.tab_footnote("Not estimable: every patient still at risk was censored before this time.",
                                 locations=loc.body(columns=tc, rows=[r for r, c in not_est if c == tc]))
    if not pairs or all(lr is None for _, _, lr in pairs):
        gt = gt.cols_hide("p_value")
    return finish(gt, source=source, theme=theme, font=font, title=title)


def _pct(x):
    return None if x is None else 100.0 * x
