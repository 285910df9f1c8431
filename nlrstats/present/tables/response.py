"""Best overall response table: BOR counts, ORR and DCR with exact CIs, Fisher p-values."""

from __future__ import annotations

import polars as pl
from great_tables import GT, loc

from nlrstats.present.tables._common import check_columns, finish, footnote_tests, grouped_gt
from nlrstats.present.format import (COMPOSITION_DIGITS, MISSING, P_DIGITS, RATE_DIGITS, format_n_pct, format_p,
                                     format_rate_ci)

__all__ = ["gt_response", "RESPONSE_NAMES"]

RESPONSE_NAMES = {
    "CR": "Complete response (CR)",
    "PR": "Partial response (PR)",
    "SD": "Stable disease (SD)",
    "PD": "Progressive disease (PD)",
    "NE": "Not evaluable (NE)",
}
ENDPOINT_ROWS = {
    "orr": "Objective response rate (CR + PR)",
    "dcr": "Disease control rate (CR + PR + SD)",
}


def gt_response(response, *, pct_digits: int = COMPOSITION_DIGITS, p_digits: int = P_DIGITS, overall: str | bool = "first",
                source: str | None = None, title: str | None = "Best overall response (RECIST 1.1)",
                theme: str = "default", font=None) -> GT:
    """BOR counts per group, ORR and DCR with exact 95% CI, and Fisher's exact p-values.

    Parameters
    ----------
    response : a study's response section (``results.response``) or the
        :class:`nlrstats.study.response.ResponseResult` of ``response_by_group(...)``: its counts
        (group, category, n, pct), rates (endpoint, group, x, n, estimate, conf_low, conf_high),
        tests (endpoint, test, p_value) and exclusions are read; nothing is recomputed.
    pct_digits : decimals of the category percentages (ORR and DCR and their CIs print as rates, with
        :data:`~nlrstats.present.format.RATE_DIGITS`). p_digits : see :func:`format_p`.
    overall : ``"first"``, ``"last"`` or ``False`` for the Overall column.
    source : data-set name for the source note.

    Notes
    -----
    Rows: the five RECIST categories as "n (%)" (percent of the group's patients with a response
    recorded, NE included), then ORR and DCR as "n (%)" with the Clopper-Pearson 95% CI (R's
    ``binom.test``) on the row below. p-values: Fisher's exact test on groups x 5 categories for
    the response distribution and on the 2 x 2 table for ORR and DCR (R's ``fisher.test``).
    Patients without a recorded response are shown as an "Unknown (excluded)" row (Overall
    column) and are in no denominator.
    """
    response = getattr(response, "result", response)
    if overall not in ("first", "last", False, None):
        raise ValueError(f"overall must be 'first', 'last' or False; got {overall!r}")
    counts = check_columns(response.tidy(), ("group", "category", "n", "pct"), "response counts")
    rates = check_columns(response.rates(), ("endpoint", "group", "x", "n", "estimate", "conf_low", "conf_high"),
                          "response rates")
    tests = check_columns(response.tests(), ("endpoint", "test", "p_value"), "response tests")
    groups = list(response.groups)
    shown = (["Overall"] if overall == "first" else []) + groups + (["Overall"] if overall == "last" else [])
    if not groups:
        shown = ["Overall"]
    gcol = {g: f"g{i}" for i, g in enumerate(shown)}
    sizes = {g: int(n) for g, n in counts.group_by("group").agg(pl.col("n").sum()).iter_rows()}
    cnt = {(g, c): (n, p) for g, c, n, p in counts.select("group", "category", "n", "pct").iter_rows()}
    rate = {(r["endpoint"], r["group"]): r for r in rates.iter_rows(named=True)}
    test = {r["endpoint"]: r for r in tests.iter_rows(named=True)}
    categories = list(dict.fromkeys(counts["category"].to_list()))

    rows, indent, p_rows, ci_rows = [], [], [], []

    def row(label, cells, p=""):
        rows.append({"label": label, **{gcol[g]: cells.get(g, "") for g in shown}, "p_value": p})

    def p_of(endpoint):
        t = test.get(endpoint)
        if t is None or t["p_value"] is None:
            return ""
        p_rows.append((len(rows), t["test"]))
        return format_p(t["p_value"], p_digits)

    row("Best overall response", {}, p_of("bor"))
    for c in categories:
        indent.append(len(rows))
        row(RESPONSE_NAMES.get(c, c), {g: format_n_pct(*_n_total(cnt, sizes, g, c), digits=pct_digits)
                                       for g in shown})
    excluded = getattr(response, "excluded", None)
    n_missing_resp = 0
    if excluded is not None and excluded.height:
        resp_col = getattr(response, "response", "best_response")
        n_missing_resp = int(excluded.filter(pl.col("reason") == f"missing {resp_col}")["n"].sum())
    if n_missing_resp:
        indent.append(len(rows))
        row("Unknown (excluded)", {"Overall": str(n_missing_resp)})
    for endpoint, label in ENDPOINT_ROWS.items():
        row(label, {g: _rate_cell(rate.get((endpoint, g))) for g in shown}, p_of(endpoint))
        indent.append(len(rows))
        ci_rows.append(len(rows))
        row("95% CI", {g: _ci_cell(rate.get((endpoint, g))) for g in shown})

    gt = (
        grouped_gt(rows, shown, gcol, sizes, indent)
        .tab_footnote("n (%) of patients with a best overall response recorded (NE included).",
                      locations=loc.column_labels(columns=[gcol[g] for g in shown]))
        .tab_footnote("Exact (Clopper-Pearson) confidence interval, as R binom.test.",
                      locations=loc.stub(rows=ci_rows))
    )
    gt = footnote_tests(gt, "p_value", p_rows)
    notes = []
    if excluded is not None:
        by = getattr(response, "by", "the group")
        n_no_group = int(excluded.filter(pl.col("reason") == f"missing {by}")["n"].sum())
        if n_no_group:
            notes.append(f"{n_no_group} patient{'s' if n_no_group != 1 else ''} without {by} "
                         f"{'are' if n_no_group != 1 else 'is'} left out of every column.")
    return finish(gt, source=source, theme=theme, font=font, title=title, notes=notes)


def _n_total(cnt, sizes, g, c):
    n, _ = cnt.get((g, c), (None, None))
    return n, sizes.get(g)


def _rate_cell(r):
    if r is None or r["n"] == 0:
        return MISSING
    return format_n_pct(r["x"], r["n"], digits=RATE_DIGITS)


def _ci_cell(r):
    if r is None:
        return MISSING
    return format_rate_ci(r["conf_low"], r["conf_high"])
