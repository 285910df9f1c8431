"""Sentences and paragraphs for documents, built from typed study results.

A document cell prints what these functions return and formats no number itself: every number goes
through :mod:`nlrstats.present.format`, so prose, tables and figures print a quantity the same way.
Every function returns pandoc markdown in which text from the user's data (cohort names, file names,
group labels) is escaped (:func:`nlrstats.present.text.md_escape`): it shows as text and never becomes a
link, an image or HTML.
"""

from __future__ import annotations

from nlrstats.present.format import (format_auc, format_ci, format_count, format_count_of, format_cut,
                                     format_median_ci, format_pct, format_rate, format_ratio, format_statistic,
                                     p_bound_phrase, p_phrase, RATE_DIGITS, RATIO_DIGITS)
from nlrstats.present.text import markdown, md_escape
from nlrstats.study import published
from nlrstats.study.robustness import BOOTSTRAP_BUDGET

__all__ = ["p_text", "rate_text", "fraction_text", "median_text", "hr_text", "cohort_sentence",
           "groups_sentence", "response_sentence", "survival_sentence", "change_sentence", "cutpoint_bullets",
           "published_sentence", "methods_paragraph", "comparison_sentence", "notes_list", "plan_phrase"]


#: how the cut-point section names maxstat's p-value method
_PMETHODS = {"exactGauss": "exactGauss: the exact distribution of the maximum",
             "Lau94": "Lau94: Lausen et al. 1994's approximation, as the exact method is not feasible with this "
                      "many cuts"}


@markdown
def p_text(p: float | None) -> str:
    """``"p = 0.052"``, ``"p < 0.001"``: the p-value rule of :func:`nlrstats.present.format.format_p`."""
    return p_phrase(p)


@markdown
def rate_text(rate) -> str:
    """``"8/9 (88.9%; 95% CI 51.8–99.7%)"`` from a :class:`~nlrstats.study.summaries.Rate` (or None)."""
    if rate is None:
        return "not available"
    return format_rate(rate.x, rate.n, rate.estimate, rate.conf_low, rate.conf_high)


@markdown
def fraction_text(rate) -> str:
    """``"3/9 (33.3%)"``."""
    if rate is None or not rate.n:
        return "not available"
    return f"{rate.x}/{rate.n} ({format_pct(rate.estimate, RATE_DIGITS)})"


@markdown
def median_text(median, unit: str = "months") -> str:
    """``"4.0 months (95% CI 3.1–NR)"``; ``"not reached (95% CI 5.2–NR)"`` when the curve stays above 0.5."""
    if median is None:
        return "not available"
    if median.estimate is None:
        return f"not reached (95% CI {format_ci(median.conf_low, median.conf_high)})"
    est, ci = format_median_ci(median.estimate, median.conf_low, median.conf_high).split(" ", 1)
    return f"{est} {unit} (95% CI {ci.strip('()')})"


@markdown
def hr_text(hr) -> str:
    """``"HR 10.44, 95% CI 1.83–59.66, p = 0.008"``, naming Firth's model when it was used."""
    if hr is None:
        return "HR not estimable"
    firth = " (Firth penalised Cox)" if hr.firth else ""
    return (f"HR {format_ratio(hr.estimate)}{firth}, 95% CI {format_ci(hr.conf_low, hr.conf_high, RATIO_DIGITS, '—')}, "
            f"{p_phrase(hr.p_value)}")


@markdown
def plan_phrase(plan) -> str:
    """``"NLR ≥ 8"``-style definition of the high group: ``"baseline NLR ≥ 8 is high"``."""
    return f"baseline {md_escape(plan.marker_label)} ≥ {plan.cutoff:g} is high"


@markdown
def cohort_sentence(results, name: str) -> str:
    """Which cohort and file this document analyses, and its groups."""
    g = results.groups
    return (f"This document analyses **{md_escape(name)}** (file *{md_escape(results.source)}*, "
            f"{format_count_of(results.n, 'patient')}). Patients with {md_escape(g.high.label)} form the high group "
            f"({format_count_of(g.high.n, 'patient')}; {format_count(g.low.n)} with {md_escape(g.low.label)}).")


@markdown
def groups_sentence(results) -> str:
    """``"Of 13 patients, 9 had NLR < 8 and 4 NLR ≥ 8."``"""
    g = results.groups
    return (f"Of {results.n} patients, {g.low.n} had {md_escape(g.low.label)} and "
            f"{g.high.n} {md_escape(g.high.label)}.")


@markdown
def response_sentence(results) -> str:
    """Disease control and objective response by group, with Fisher's test."""
    r, g = results.response, results.groups
    return (f"Disease control was achieved in {rate_text(r.dcr.low)} of patients with {md_escape(g.low.label)} "
            f"and {rate_text(r.dcr.high)} with {md_escape(g.high.label)} (Fisher's exact test, "
            f"{p_phrase(r.dcr.p_value)}); objective responses were {fraction_text(r.orr.low)} and "
            f"{fraction_text(r.orr.high)} ({p_phrase(r.orr.p_value)}).")


@markdown
def survival_sentence(results, key: str) -> str:
    """``"Median PFS was 4.0 months (...) with NLR < 8 and 1.6 months (...) with NLR ≥ 8 (log-rank ...)."``"""
    e, g = results.endpoint(key), results.groups
    unit = results.plan.time_unit
    lr = p_phrase(e.logrank.p_value) if e.logrank is not None else "not run"
    return (f"Median {e.endpoint.abbreviation} was {median_text(e.median.low, unit)} with "
            f"{md_escape(g.low.label)} and {median_text(e.median.high, unit)} with {md_escape(g.high.label)} "
            f"(log-rank {lr}; {hr_text(e.cox)}).")


@markdown
def change_sentence(results) -> str:
    """Response by whether the marker fell between day 0 and day 14."""
    c = results.nlr_change
    label = md_escape(results.plan.marker_label)
    if c.n == 0:
        return (f"No patient has both a day-0 and a day-14 {label}, so the change by day 14 could not be "
                "analysed.")
    fell = c.orr.decreased.n if c.orr.decreased is not None else 0
    return (f"{label} fell between day 0 and day 14 in {format_count(fell)} of {format_count(c.n)} patients with "
            f"both values. The objective response rate was {rate_text(c.orr.decreased)} when {label} fell and "
            f"{rate_text(c.orr.not_decreased)} when it did not (Fisher's exact test, {p_phrase(c.orr.p_value)}).")


@markdown
def cutpoint_bullets(results) -> str:
    """The cut-point section as a markdown bullet list."""
    cp, label = results.cutpoint, md_escape(results.plan.marker_label)
    if cp is None:
        return "The cut-point analysis was not run for this cohort."
    lines = []
    for key in ("pfs", "os"):
        m = getattr(cp, key)
        name = results.endpoint(key).endpoint.abbreviation
        if m is None:
            lines.append(f"- {name}: too few patients or events to search for a cut.")
            continue
        lines.append(f"- {name}: the data-driven optimal {label} cut is {format_cut(m.cut)} (standardised log-rank "
                     f"statistic {format_statistic(m.statistic)}); its naive {p_phrase(m.p_value_unadjusted)} "
                     f"becomes {p_bound_phrase(m.p_value, m.pmethod)} once adjusted for searching all cuts "
                     f"({_PMETHODS.get(m.pmethod, m.pmethod)}).")
    r = cp.roc_dcr
    if r is not None:
        lines.append(f"- ROC of baseline {label} for disease control: AUC {format_auc(r.auc)} (DeLong 95% CI "
                     f"{format_ci(r.conf_low, r.conf_high, 2)}); Youden-optimal cut {format_cut(r.youden)}.")
    b = cp.bootstrap
    if b is not None:
        corrected = "not estimable" if b.hr_corrected is None else format_ratio(b.hr_corrected)
        lo, hi = b.window
        capped = ""
        if b.B_requested is not None and b.B < b.B_requested:
            capped = (f" of the {b.B_requested} requested: each resample searches all cuts again, so the number is "
                      f"capped at {format_count(BOOTSTRAP_BUDGET)} resampled patients at this cohort's size")
        lines.append(f"- Bootstrap of the PFS cut ({b.B} resamples{capped}, seed {b.seed}): median optimal cut "
                     f"{format_cut(b.cut_median)} (interquartile range {format_ci(b.cut_q25, b.cut_q75, 2)}); it "
                     f"lay within {lo:g}–{hi:g} in {format_pct(b.share_in_window)} of resamples. The "
                     f"optimism-corrected HR at the data-driven cut is {corrected} (apparent "
                     f"{format_ratio(b.hr_apparent)}); {b.n_infinite} of {b.n_valid} resamples had an infinite HR "
                     "(one group without events) and were left out of the correction.")
    return "\n".join(lines)


@markdown
def published_sentence(compared) -> str:
    """``"16 of 16 published numbers are reproduced at the paper's precision."``"""
    n_agree = int(compared["agrees"].sum())
    return f"{n_agree} of {compared.height} published numbers are reproduced at the paper's precision."


@markdown
def comparison_sentence(results) -> str:
    """The cohort's disease control beside the paper's (numbers from :mod:`nlrstats.study.published`)."""
    r, g = results.response, results.groups
    low = published.published_value("response.dcr.low.estimate").published
    high = published.published_value("response.dcr.high.estimate").published
    p = published.published_value("response.dcr.p_value").published
    return (f"Disease control was {rate_text(r.dcr.low)} with {md_escape(g.low.label)} and {rate_text(r.dcr.high)} "
            f"with {md_escape(g.high.label)} ({p_phrase(r.dcr.p_value)}; {published.SHORT_NAME}: {low} vs {high}, "
            f"p = {p}).")


@markdown
def methods_paragraph(plan) -> str:
    """The statistical methods of the plan, in words."""
    label = md_escape(plan.marker_label)
    return (
        f"Baseline {label} ({md_escape(plan.marker_spec.name)}) is computed from the blood counts on the day treatment "
        f"started; patients with {label} ≥ {plan.cutoff:g} form the high group. Best overall response follows "
        "RECIST 1.1; the objective response rate (ORR) counts complete and partial responses and the disease control "
        "rate (DCR) adds stable disease, with Clopper-Pearson 95% confidence intervals and two-sided Fisher exact "
        "tests. Progression-free (PFS) and overall survival (OS) are estimated by Kaplan-Meier with log-transformed "
        "pointwise confidence intervals (R's `survfit` default); medians carry the interval R prints; groups are "
        "compared by the log-rank test and by Cox proportional-hazards regression with Efron ties, switching to "
        "Firth's penalised likelihood when the ordinary likelihood is monotone. A multivariable model is fitted only "
        f"with at least {plan.events_per_coefficient} events per coefficient. Table 1 uses the Wilcoxon rank-sum test "
        "for continuous and Fisher's exact or the chi-square test for categorical variables, as gtsummary chooses "
        "them. Because a cut-off chosen by looking at the data inflates its p-value, the cut-off's robustness is "
        "checked with maximally selected rank statistics and their adjusted p-value, an ROC analysis and a bootstrap "
        f"of the optimal cut ({plan.bootstrap} resamples, seed {plan.seed})."
    )


@markdown
def notes_list(*groups_of_notes) -> str:
    """The loader's and the analysis' notes as one escaped bullet list ("" when there are none)."""
    lines = [n for notes in groups_of_notes for n in notes]
    return "\n".join(f"- {md_escape(line)}" for line in lines)
