"""Cox regression table: hazard ratios with 95% CI and p, univariable beside multivariable."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import polars as pl
from great_tables import GT, loc

from nlrstats.stats.formula import parse_surv_formula

from nlrstats.present.tables._common import indent_labels, finish
from nlrstats.present.format import DASH, MISSING, P_DIGITS, RATIO_DIGITS, format_number, format_p
from nlrstats.present.tables.labels import variable_label

__all__ = ["gt_cox"]

MONOTONE_NOTE = ("Monotone likelihood: the partial likelihood keeps increasing as the coefficient goes to "
                 "±∞ (e.g. a group without events), so the HR is infinite (or 0) and has no Wald CI or "
                 "p-value; Firth's penalised Cox model (coxph(..., firth=True)) gives a finite estimate.")
FIRTH_NOTE = ("Firth's penalised partial likelihood (as R coxphf): profile penalised-likelihood 95% CI "
              "and penalised likelihood-ratio p-value.")
WALD_TEST = "Wald test"
FIRTH_TEST = "Penalised likelihood-ratio test (Firth)"


def _fits(obj) -> list:
    if obj is None:
        return []
    fits = list(obj) if isinstance(obj, Sequence) and not isinstance(obj, str) else [obj]
    for f in fits:
        if not (hasattr(f, "tidy") and hasattr(f, "terms") and hasattr(f, "formula")):
            raise TypeError(f"expected CoxPH results (coxph), got {type(f).__name__}")
    return fits


def _level_text(level: str) -> str:
    return {"TRUE": "Yes", "FALSE": "No", "true": "Yes", "false": "No"}.get(level, level)


def _term_rows(fit) -> list[dict]:
    """One dict per model term: variable, level (None for numeric), reference, estimates."""
    variables = sorted(parse_surv_formula(fit.formula).terms, key=len, reverse=True)
    refs = dict(getattr(fit, "references", {}) or {})
    tidy = fit.tidy(exponentiate=True)
    out = []
    for i, r in enumerate(tidy.iter_rows(named=True)):
        term = r["term"]
        var = next((v for v in variables if term == v or (v in refs and term.startswith(v))), term)
        level = term[len(var):] if var in refs and term != var else None
        infinite = bool(fit.infinite[i]) if getattr(fit, "infinite", ()) else False
        out.append({"variable": var, "level": level, "reference": refs.get(var), "infinite": infinite,
                    "firth": bool(getattr(fit, "firth", False)), **r})
    return out


def _hr(r: dict, digits: int) -> str:
    est = r["estimate"]
    if est is None:
        return MISSING
    if math.isinf(est):
        return "∞"
    return format_number(est, digits)


def _ci(r: dict, digits: int) -> str:
    lo, hi = r["conf_low"], r["conf_high"]
    if r["infinite"] or lo is None or hi is None:
        return MISSING
    return f"{format_number(lo, digits)}{DASH}{format_number(hi, digits)}"


def gt_cox(univariable, multivariable=None, *, labels: Mapping[str, str] | None = None,
           digits: int = RATIO_DIGITS, p_digits: int = P_DIGITS, source: str | None = None, title: str | None = "Cox proportional hazards regression",
           theme: str = "default", font=None) -> GT:
    """Hazard ratios with 95% CI and p-value; univariable and multivariable side by side.

    As gtsummary's ``tbl_merge(list(tbl_uvregression(...), tbl_regression(...)))``: one row per
    variable (categorical variables as a header row, the reference level with "—" and one indented
    row per other level), spanners "Univariable, N = 13" and "Multivariable, N = 13" with a footnote
    giving the events and any patients excluded for missing data.

    Parameters
    ----------
    univariable : a :class:`~nlrstats.stats.survival.CoxPH` or a list of them (one per variable); ``None``
        to show only the multivariable model.
    multivariable : a CoxPH with several terms, or None.
    labels : variable -> display label (default: nlrstats' labels for canonical columns, else the name).
    digits : decimals of HRs and CIs. p_digits : see :func:`format_p`.
    source : data-set name for the source note.

    Notes
    -----
    HR = exp(coef) with the Wald 95% CI and Wald p, R's ``summary(coxph)``. A monotone-likelihood
    term shows HR "∞" (or 0) with a footnote pointing to Firth; Firth fits are footnoted with their
    profile-likelihood CI and penalised likelihood-ratio p.
    """
    uni, multi = _fits(univariable), _fits(multivariable)
    if not uni and not multi:
        raise ValueError("gt_cox needs at least one model")
    models = [("u", "Univariable", uni)] + ([("m", "Multivariable", multi)] if multi else [])
    models = [m for m in models if m[2]]
    # the row skeleton: variables in order of first appearance, levels in model order
    order: list[str] = []
    levels: dict[str, list[str]] = {}
    refs: dict[str, str | None] = {}
    cells: dict[tuple[str, str, str | None], dict] = {}
    ns: dict[str, set] = {}
    for key, _, fits in models:
        ns[key] = set()
        for fit in fits:
            ns[key].add((fit.n, fit.nevent, int(getattr(fit, "n_missing", 0) or 0)))
            for r in _term_rows(fit):
                v = r["variable"]
                if v not in order:
                    order.append(v)
                    levels[v] = []
                    refs[v] = r["reference"]
                if r["level"] is not None and r["level"] not in levels[v]:
                    levels[v].append(r["level"])
                cells[(key, v, r["level"])] = r
    labels = dict(labels or {})
    rows, indent, notes_at = [], [], {"monotone": [], "firth": [], "tests": []}

    def add(label: str, var: str, level: str | None, is_ref: bool = False, header: bool = False):
        row = {"label": label}
        for key, _, _ in models:
            r = cells.get((key, var, level))
            if header or r is None:
                row.update({f"{key}_hr": "", f"{key}_ci": "", f"{key}_p": ""})
                if is_ref and any((key, var, lv) in cells for lv in levels[var]):
                    row[f"{key}_hr"] = MISSING
                    row[f"{key}_ci"] = MISSING
                continue
            row[f"{key}_hr"] = _hr(r, digits)
            row[f"{key}_ci"] = _ci(r, digits)
            row[f"{key}_p"] = format_p(r["p_value"], p_digits, missing=MISSING)
            if r["infinite"]:
                notes_at["monotone"].append((len(rows), f"{key}_hr"))
            elif r["p_value"] is not None:
                notes_at["tests"].append((len(rows), f"{key}_p", FIRTH_TEST if r["firth"] else WALD_TEST))
            if r["firth"]:
                notes_at["firth"].append((len(rows), f"{key}_hr"))
        rows.append(row)

    for v in order:
        label = labels.get(v, variable_label(v))
        if refs.get(v) is None or not levels[v]:
            add(label, v, None)
            continue
        add(label, v, None, header=True)
        indent.append(len(rows))
        add(_level_text(refs[v]), v, None, is_ref=True)
        for lv in levels[v]:
            indent.append(len(rows))
            add(_level_text(lv), v, lv)

    cols = ["label"] + [f"{k}_{s}" for k, _, _ in models for s in ("hr", "ci", "p")]
    body = pl.DataFrame(rows, schema={c: pl.String for c in cols})
    body = indent_labels(body, "label", indent)
    gt = GT(body, rowname_col="label").tab_stubhead("Characteristic")
    for key, name, _ in models:
        n = ns[key]
        spanner, note = name, None
        if len(n) == 1:
            n_fit, n_event, n_miss = next(iter(n))
            spanner = f"{name}, N = {n_fit}"
            note = f"{name}: {n_event} events"
            if n_miss:
                note += f"; {n_miss} patient{'s' if n_miss != 1 else ''} excluded for missing data"
            note += "."
        else:
            sizes = sorted({x[0] for x in n})
            events = sorted({x[1] for x in n})
            if len(sizes) == 1:
                spanner = f"{name}, N = {sizes[0]}"
            note = (f"{name}: complete cases of each model, N = "
                    f"{sizes[0] if len(sizes) == 1 else f'{sizes[0]} to {sizes[-1]}'}; "
                    f"{events[0] if len(events) == 1 else f'{events[0]} to {events[-1]}'} events.")
        gt = (gt.tab_spanner(spanner, columns=[f"{key}_hr", f"{key}_ci", f"{key}_p"], id=key)
              .tab_footnote(note, locations=loc.spanner_labels(ids=[key]))
              .cols_label(**{f"{key}_hr": "HR", f"{key}_ci": "95% CI", f"{key}_p": "p-value"}))
    gt = gt.cols_align("right", columns=cols[1:])
    gt = gt.tab_footnote("HR = hazard ratio, CI = confidence interval; — = reference level.",
                         locations=loc.column_labels(columns=[f"{k}_hr" for k, _, _ in models]))
    by_test: dict[tuple[str, str], list[int]] = {}
    for row, col, test in notes_at["tests"]:
        by_test.setdefault((test, col), []).append(row)
    for (test, col), rws in by_test.items():
        gt = gt.tab_footnote(test, locations=loc.body(columns=col, rows=rws), placement="right")
    for kind, text in (("monotone", MONOTONE_NOTE), ("firth", FIRTH_NOTE)):
        by_col: dict[str, list[int]] = {}
        for row, col in notes_at[kind]:
            by_col.setdefault(col, []).append(row)
        for col, rws in by_col.items():
            gt = gt.tab_footnote(text, locations=loc.body(columns=col, rows=rws), placement="right")
    return finish(gt, source=source, theme=theme, font=font, title=title)
