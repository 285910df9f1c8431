"""Table 1: patient characteristics by group, from :func:`nlrstats.study.table_one.summarize`."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
from great_tables import GT, loc

from nlrstats.present.tables._common import check_columns, finish, footnote_tests, grouped_gt
from nlrstats.present.tables.labels import pretty_label
from nlrstats.present.format import COMPOSITION_DIGITS, MISSING, P_DIGITS, format_number, format_p

__all__ = ["gt_table_one", "CONTINUOUS_STATISTICS"]

#: continuous summary -> (statistics used, footnote text)
CONTINUOUS_STATISTICS = {
    "median_iqr": (("median", "p25", "p75"), "Median (Q1, Q3)"),
    "mean_sd": (("mean", "sd"), "Mean (SD)"),
    "median_range": (("median", "min", "max"), "Median (min, max)"),
}
_BOOL_LEVELS = {"true": "Yes", "false": "No"}


def _continuous_cell(vals: dict, stats: tuple[str, ...], digits: int) -> str:
    a = [vals.get(s) for s in stats]
    if a[0] is None:
        return MISSING
    f = [format_number(x, digits, "NA") for x in a]
    if len(f) == 2:
        return f"{f[0]} ({f[1]})"
    return f"{f[0]} ({f[1]}, {f[2]})"


def gt_table_one(table_one, *, statistic: str = "median_iqr", digits: int | Mapping[str, int] = 1, pct_digits: int = COMPOSITION_DIGITS,
                 p_digits: int = P_DIGITS, overall: str | bool = "first", missing: str = "ifany",
                 missing_text: str = "Unknown", dichotomous: bool = True,
                 labels: Mapping[str, str] | None = None, source: str | None = None,
                 title: str | None = "Patient characteristics", theme: str = "default", font=None) -> GT:
    """Table 1 as gtsummary's ``tbl_summary(by = ) |> add_p() |> add_overall()`` prints it.

    Parameters
    ----------
    table_one : :class:`nlrstats.study.table_one.TableOne` (``summarize(...)``): its long results
        (variable, label, level, group, statistic, value), tests (variable, test, p_value),
        variables (variable, type, levels) and group sizes are read; nothing is recomputed.
    statistic : continuous variables as ``"median_iqr"`` "72.0 (68.0, 77.0)" (default, gtsummary's),
        ``"mean_sd"`` or ``"median_range"``.
    digits : decimals of continuous statistics, one for all or a dict variable -> decimals (others 1).
    pct_digits : decimals of percentages (gtsummary: 0).
    p_digits : p-value decimals, "<0.001" below (see :func:`format_p`).
    overall : ``"first"`` (default), ``"last"`` or ``False`` for the Overall column.
    missing : ``"ifany"`` (a "Unknown" row where a value is missing), ``"always"`` or ``"no"``
        (gtsummary's ``missing =``); ``missing_text`` names the row.
    dichotomous : booleans on one row showing the ``True`` count (gtsummary's dichotomous type);
        ``False`` shows both "No" and "Yes" rows.
    labels : variable -> display label, over the labels stored in ``table_one``.
    source : data-set name for the source note.

    Notes
    -----
    Columns: Characteristic | Overall, N = 13 | NLR < 8, N = 9 | NLR ≥ 8, N = 4 | p-value. Categorical
    levels are indented with "n (%)" (percent of non-missing values). Each p-value carries a
    footnote naming the test that produced it (the test chosen by ``summarize``); the group columns
    carry a footnote naming the statistics shown.
    """
    if statistic not in CONTINUOUS_STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(CONTINUOUS_STATISTICS)}; got {statistic!r}")
    if missing not in ("ifany", "always", "no"):
        raise ValueError(f"missing must be 'ifany', 'always' or 'no'; got {missing!r}")
    if overall not in ("first", "last", False, None):
        raise ValueError(f"overall must be 'first', 'last' or False; got {overall!r}")
    results = check_columns(table_one.tidy(), ("variable", "label", "level", "group", "statistic", "value"),
                            "table_one results")
    tests = check_columns(table_one.tests(), ("variable", "test", "p_value"), "table_one tests")
    variables = check_columns(table_one.variables(), ("variable", "type"), "table_one variables")
    sizes = dict(table_one.group_sizes.iter_rows())
    groups = [g for g in table_one.groups if g != "Overall"]
    shown = (["Overall"] if overall == "first" else []) + groups + (["Overall"] if overall == "last" else [])
    if not groups:
        shown = ["Overall"]
    gcol = {g: f"g{i}" for i, g in enumerate(shown)}
    stats, stat_text = CONTINUOUS_STATISTICS[statistic]
    labels = dict(labels or {})
    pvals = {r["variable"]: r for r in tests.iter_rows(named=True)}

    # index the long frame once: (variable, level, group, statistic) -> value
    values = {(v, lv, g, s): x for v, lv, g, s, x in
              results.select("variable", "level", "group", "statistic", "value").iter_rows()}
    stored_label = dict(results.select("variable", "label").unique("variable").iter_rows())

    rows, indent, p_rows, kinds_seen = [], [], [], set()

    def row(label: str, cells: dict, p: str = "") -> None:
        rows.append({"label": label, **{gcol[g]: cells.get(g, "") for g in shown}, "p_value": p})

    for r in variables.iter_rows(named=True):
        v, kind = r["variable"], r["type"]
        label = labels.get(v, pretty_label(stored_label.get(v, v)))
        t = pvals.get(v, {})
        p = format_p(t.get("p_value"), p_digits) if t.get("p_value") is not None else ""
        if p:
            p_rows.append((len(rows), t.get("test")))
        levels = list(r.get("levels") or [])
        is_bool = set(levels) <= {"true", "false"} and levels
        if kind == "continuous":
            kinds_seen.add(stat_text)
            dv = digits.get(v, 1) if isinstance(digits, Mapping) else digits
            row(label, {g: _continuous_cell({s: values.get((v, None, g, s)) for s in stats}, stats, dv)
                        for g in shown}, p)
        elif is_bool and dichotomous:
            kinds_seen.add("n (%)")
            row(label, {g: _count_cell(values, v, "true", g, pct_digits) for g in shown}, p)
        else:
            kinds_seen.add("n (%)")
            row(label, {}, p)
            for lv in levels:
                indent.append(len(rows))
                row(_BOOL_LEVELS.get(lv, lv) if is_bool else lv,
                    {g: _count_cell(values, v, lv, g, pct_digits) for g in shown})
        n_miss = {g: int(values.get((v, "Missing", g, "n")) or 0) for g in shown}
        if missing == "always" or (missing == "ifany" and any(n_miss.values())):
            indent.append(len(rows))
            row(missing_text, {g: str(n_miss[g]) for g in shown})

    gt = grouped_gt(rows, shown, gcol, sizes, indent)
    order = [stat_text, "n (%)"]
    gt = gt.tab_footnote("; ".join(k for k in order if k in kinds_seen),
                         locations=loc.column_labels(columns=[gcol[g] for g in shown]))
    gt = footnote_tests(gt, "p_value", p_rows)
    if not p_rows:
        gt = gt.cols_hide("p_value")
    notes = []
    n_excl = getattr(table_one, "n_excluded", 0)
    if n_excl:
        by = getattr(table_one, "by", None) or "the grouping variable"
        notes.append(f"{n_excl} patient{'s' if n_excl != 1 else ''} without {by} "
                     f"{'are' if n_excl != 1 else 'is'} left out of every column.")
    return finish(gt, source=source, theme=theme, font=font, title=title, notes=notes)


def _count_cell(values: dict, v: str, lv: str, g: str, pct_digits: int) -> str:
    n = values.get((v, lv, g, "n"))
    pct = values.get((v, lv, g, "pct"))
    if n is None:
        return MISSING
    if pct is None:
        return f"{int(n)}"
    return f"{int(n)} ({format_number(pct, pct_digits)}%)"
