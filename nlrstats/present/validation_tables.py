"""Tables of the validation sections: the continuous marker, discrimination, pooled studies, REMARK.

Each function takes :class:`~nlrstats.study.validation.ValidationSections` and the cohort's display name and
returns a ``great_tables.GT``; numbers go through :mod:`nlrstats.present.format`, the source note names the
data (and marks the bundled reconstruction synthetic), and what could not be estimated shows its reason.
"""

from __future__ import annotations

import polars as pl
from great_tables import GT

from nlrstats.present.captions import source_note
from nlrstats.present.format import (MISSING, format_auc, format_ci, format_count, format_estimate_ci, format_p,
                                     format_ratio_ci, format_statistic, AUC_DIGITS)
from nlrstats.present.tables import finish
from nlrstats.present.validation_narrative import auc_bootstrap_text

__all__ = ["continuous_table", "discrimination_table", "pooled_table", "remark_table", "REMARK_PARTS"]


def _finish(gt: GT, sections, name, title, notes=()) -> GT:
    # the study tables' finish: letter marks, title, notes, the data's source note, the default theme
    return finish(gt, source=source_note(sections.results, name), theme="default", title=title, notes=notes)


def _chisq(chisq, df, p) -> tuple[str, str]:
    if chisq is None:
        return MISSING, MISSING
    return f"{format_statistic(chisq)} ({df})", format_p(p)


def continuous_table(sections, name: str | None = None, title: str | None = None) -> GT:
    """Per endpoint: patients, events, knots, Wald tests of the marker and of non-linearity, HR per doubling."""
    c = sections.continuous
    label = sections.plan.marker_label
    rows = []
    for e in (c.pfs, c.os):
        wald, wald_p = _chisq(e.chisq, e.df, e.p_value)
        nl, nl_p = _chisq(e.nonlinear_chisq, e.nonlinear_df, e.nonlinear_p)
        d = e.per_doubling
        rows.append({"endpoint": e.label, "n": format_count(e.n), "events": format_count(e.events),
                     "knots": str(e.knots) if e.knots else MISSING, "wald": wald, "wald_p": wald_p,
                     "nl": nl, "nl_p": nl_p,
                     "doubling": format_ratio_ci(d.estimate, d.conf_low, d.conf_high) if d else MISSING,
                     "doubling_p": format_p(d.p_value) if d else MISSING})
    body = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    notes = [f"{e.label}, spline: {e.spline_reason}" for e in (c.pfs, c.os) if e.spline_reason]
    notes += [f"{e.label}, per doubling: {e.doubling_reason}" for e in (c.pfs, c.os) if e.doubling_reason]
    notes.append(f"Wald chi-square (df) of {label} in the spline Cox model and of its non-linear terms (rms anova); "
                 f"hazard ratio per doubling of {label} from Cox's model of log2({label}), 95% Wald CI.")
    gt = (GT(body, rowname_col="endpoint").tab_stubhead("Endpoint")
          .cols_label(n="Patients", events="Events", knots="Knots", wald=f"{label} \u03c7\u00b2 (df)", wald_p="p",
                      nl="Non-linear \u03c7\u00b2 (df)", nl_p="p ", doubling="HR per doubling (95% CI)",
                      doubling_p="p  ")
          .cols_align("right", columns=[k for k in rows[0] if k != "endpoint"]))
    return _finish(gt, sections, name, title, notes)


def _auc_cell(a) -> str:
    if a is None or a.estimate is None:
        return MISSING
    if a.conf_low is None or a.conf_high is None:  # no bootstrap (B = 0) or every resample failed
        return format_auc(a.estimate)
    return f"{format_auc(a.estimate)} ({format_ci(a.conf_low, a.conf_high, AUC_DIGITS, MISSING)})"


def discrimination_table(sections, name: str | None = None, title: str | None = None) -> GT:
    """Per endpoint and marker: Harrell's C, Uno's C, and the AUC at each landmark time, with 95% CIs."""
    d = sections.discrimination
    unit = sections.plan.time_unit
    rows, notes = [], []
    for r in d.rows:
        row = {"group": r.endpoint.upper(), "marker": r.label + (" (dichotomised)" if r.dichotomised else ""),
               "harrell": format_estimate_ci(r.harrell, r.harrell_conf_low, r.harrell_conf_high, AUC_DIGITS, MISSING),
               "uno": format_estimate_ci(r.uno, r.uno_conf_low, r.uno_conf_high, AUC_DIGITS, MISSING)}
        for i, t in enumerate(d.times):
            a = r.auc[i] if i < len(r.auc) else None
            row[f"auc{i}"] = _auc_cell(a)
            if a is not None and a.reason:
                notes.append(f"{r.endpoint.upper()} {r.label}, AUC at {t:g} {unit}: {a.reason}")
        if r.reason:
            notes.append(f"{r.endpoint.upper()} {r.label}: {r.reason}")
        rows.append(row)
    body = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    ci = auc_bootstrap_text(d)
    notes.append("C: concordance with the marker as a risk score (LMR reversed: low values carry the risk), "
                 "95% CI C \u00b1 1.96 se (infinitesimal jackknife); Harrell's C weights every pair alike, "
                 f"Uno's C by 1/G(t)\u00b2. AUC: cumulative/dynamic time-dependent AUC with IPCW, {ci}.")
    gt = (GT(body, rowname_col="marker", groupname_col="group").tab_stubhead("Marker")
          .cols_label(harrell="Harrell's C (95% CI)", uno="Uno's C (95% CI)",
                      **{f"auc{i}": f"AUC at {t:g} {unit}" + (" (95% CI)" if d.B else "") for i, t in enumerate(d.times)})
          .cols_align("right", columns=["harrell", "uno", *[f"auc{i}" for i in range(len(d.times))]]))
    return _finish(gt, sections, name, title, notes)


def pooled_table(sections, key: str, name: str | None = None, title: str | None = None) -> GT | None:
    """The studies pooled for one endpoint with their weights, and the pooled row; None when nothing was pooled."""
    p = sections.pooling.endpoint(key)
    if p.fit is None:
        return None
    t = p.fit.tidy()
    rows = [{"study": r["term"], "hr": format_ratio_ci(r["estimate"], r["conf_low"], r["conf_high"]),
             "weight": f"{r['weight']:.1f}%" if r["weight"] is not None else MISSING}
            for r in t.iter_rows(named=True)]
    body = pl.DataFrame(rows, schema={"study": pl.String, "hr": pl.String, "weight": pl.String})
    notes = list(p.notes) + [f"Random-effects model ({p.method}) of the log hazard ratios (metafor rma); "
                             f"I\u00b2 = {p.i2:.0f}%, \u03c4\u00b2 = {p.tau2:.3g}."]
    gt = (GT(body, rowname_col="study").tab_stubhead("Study")
          .cols_label(hr="HR (95% CI)", weight="Weight").cols_align("right", columns=["hr", "weight"]))
    return _finish(gt, sections, name, title, notes)


#: the checklist's two halves: methods (items 1-11) and results with discussion (12-20). One table of all 20
#: is too long for Quarto's typst path (its CSS inliner truncates a table's HTML near 15,000 characters and
#: the table is dropped), and two halves also read better on paper.
REMARK_PARTS = {"methods": range(1, 12), "results": range(12, 21)}


def remark_table(sections, name: str | None = None, title: str | None = None, part: str | None = None) -> GT:
    """The REMARK items (all, or ``part`` "methods" = 1-11 / "results" = 12-20): item, status, what is reported."""
    body = sections.remark.tidy()
    if part is not None:
        if part not in REMARK_PARTS:
            raise ValueError(f"part must be one of {', '.join(REMARK_PARTS)} or None, got {part!r}")
        body = body.filter(pl.col("number").is_in(list(REMARK_PARTS[part])))
    body = body.select(pl.col("number").cast(pl.String), "section", "item", "status", "answer")
    gt = (GT(body, rowname_col="number", groupname_col="section").tab_stubhead("Item")
          .cols_label(item="Recommendation (abridged)", status="Status", answer="What this analysis reports"))
    return _finish(gt, sections, name, title,
                   ["REMARK: McShane LM, Altman DG, Sauerbrei W, et al. J Natl Cancer Inst 2005;97:1180-4. "
                    "'partly' and 'author to complete': what only the study team can say."])
