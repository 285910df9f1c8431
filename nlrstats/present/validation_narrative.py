"""Sentences of the validation sections: the continuous marker, discrimination, pooled evidence, REMARK.

As :mod:`nlrstats.present.narrative`: every function takes typed results
(:class:`~nlrstats.study.validation.ValidationSections`), formats every number through
:mod:`nlrstats.present.format`, returns pandoc markdown with user text escaped, and says "not estimable"
with the reason where a small or degenerate cohort gives no number.
"""

from __future__ import annotations

from nlrstats.present.format import (AUC_DIGITS, RATIO_DIGITS, format_auc, format_ci, format_count, format_count_of,
                                     format_cut, format_number, format_ratio, format_statistic, p_phrase)
from nlrstats.present.captions import SYNTHETIC_NOTE, synthetic_mark
from nlrstats.study.discrimination import ALL_MARKERS_MAX, AUC_BOOTSTRAP_MIN
from nlrstats.study.robustness import BOOTSTRAP_BUDGET
from nlrstats.present.text import bullet_list, markdown, md_escape
from nlrstats.study.remark import AUTHOR, PARTLY, REPORTED

__all__ = ["continuous_sentence", "discrimination_sentence", "auc_bootstrap_text", "pooled_sentence", "pooled_notes", "pooled_caption_md",
           "pooled_marks", "remark_sentence"]


def _reason(text: str | None) -> str:
    return md_escape(text or "not estimable")


@markdown
def continuous_sentence(sections, key: str) -> str:
    """The spline model's Wald tests and the hazard ratio per doubling for one endpoint."""
    e = sections.continuous.endpoint(key)
    label = md_escape(sections.plan.marker_label)
    head = (f"**{md_escape(e.label)}** ({format_count_of(e.n, 'patient')}, "
            f"{format_count_of(e.events, 'event')}): ")
    if e.curve is not None:
        spline = (f"with {label} as a restricted cubic spline ({e.knots} knots, chosen by the number of events), "
                  f"the Wald test of {label} gives \u03c7\u00b2 = {format_statistic(e.chisq)} on {e.df} df "
                  f"({p_phrase(e.p_value)}) and the test of non-linearity \u03c7\u00b2 = "
                  f"{format_statistic(e.nonlinear_chisq)} on {e.nonlinear_df} df ({p_phrase(e.nonlinear_p)}); "
                  f"the curve is relative to the median {label}, {format_cut(e.reference)}.")
    else:
        spline = f"the spline model is {_reason(e.spline_reason)}."
    d = e.per_doubling
    if d is not None:
        dbl = (f" Per doubling of {label} the hazard ratio is {format_ratio(d.estimate)} (95% CI "
               f"{format_ci(d.conf_low, d.conf_high, RATIO_DIGITS, '—')}; {p_phrase(d.p_value)}).")
    else:
        dbl = f" The hazard ratio per doubling is {_reason(e.doubling_reason)}."
    return head + spline + dbl


def _c_text(r) -> str:
    if r.harrell is None:
        return _reason(r.reason)
    return (f"Harrell's C {format_auc(r.harrell)} (95% CI {format_ci(r.harrell_conf_low, r.harrell_conf_high, AUC_DIGITS, '—')}), "
            f"Uno's C {format_auc(r.uno)} ({format_ci(r.uno_conf_low, r.uno_conf_high, AUC_DIGITS, '—')})")


@markdown
def discrimination_sentence(sections, key: str) -> str:
    """C indices of the plan's marker, continuous and dichotomised, for one endpoint, and the best other marker."""
    rows = sections.discrimination.for_endpoint(key)
    label = md_escape(sections.plan.marker_label)
    own = [r for r in rows if r.marker == sections.plan.marker]
    cont = next((r for r in own if not r.dichotomised), None)
    dich = next((r for r in own if r.dichotomised), None)
    name = sections.plan.endpoint(key).abbreviation
    parts = [f"For {md_escape(name)}, {label} continuous: {_c_text(cont)}" if cont else "",
             f"dichotomised at {format_cut(sections.plan.cutoff)}: {_c_text(dich)}" if dich else ""]
    text = "; ".join(p for p in parts if p) + "."
    others = [r for r in rows if r.marker != sections.plan.marker and r.harrell is not None]
    if others:
        best = max(others, key=lambda r: r.harrell)
        text += (f" Of the other markers, {md_escape(best.label)} has the highest Harrell's C, "
                 f"{format_auc(best.harrell)}.")
    d = sections.discrimination
    limited = (f" Above {format_count(ALL_MARKERS_MAX)} patients only {label} is assessed." if d.markers_limited else "")
    return text + limited + f" Time-dependent AUCs at {', '.join(f'{t:g}' for t in d.times)} " \
                  f"{md_escape(sections.plan.time_unit)} carry {auc_bootstrap_text(d)}."


def auc_bootstrap_text(d) -> str:
    """What the AUC intervals rest on: the resamples run, and why fewer (or none) than the plan asked."""
    asked = d.B_requested if d.B_requested is not None else d.B
    budget = f"{format_count(BOOTSTRAP_BUDGET)} resampled patients for the section"
    if d.B:
        capped = f" of the {asked} requested (capped at {budget})" if d.B < asked else ""
        return f"bootstrap percentile intervals over {d.B} resamples{capped} (seed {d.seed})"
    if asked:
        return f"no bootstrap intervals: fewer than {AUC_BOOTSTRAP_MIN} resamples fit the budget of {budget}"
    return "no bootstrap intervals (B = 0)"


@markdown
def pooled_sentence(sections, key: str) -> str:
    """The pooled hazard ratio with its CI, prediction interval and heterogeneity, or why there is none."""
    p = sections.pooling.endpoint(key)
    name = md_escape(sections.plan.endpoint(key).abbreviation)
    if p.estimate is None:
        return f"{name}: the pooled hazard ratio is {_reason(p.reason)}."
    pi = (f"; 95% prediction interval {format_ci(p.pi_low, p.pi_high, 2, '—')}" if p.pi_low is not None else "")
    return (f"{name}: pooling {len(p.studies)} studies ({md_escape(p.method)} random effects) gives a hazard ratio of "
            f"{format_ratio(p.estimate)} (95% CI {format_ci(p.conf_low, p.conf_high, RATIO_DIGITS, '—')}; "
            f"{p_phrase(p.p_value)}){pi}; "
            f"I\u00b2 = {p.i2:.0f}%, Cochran's Q = {format_statistic(p.q)} on {p.q_df} df ({p_phrase(p.q_p_value)}).")


def pooled_marks(sections, key: str, reference_name: str | None = None) -> list[str]:
    """The synthetic marks of a pooled figure: the cohort's, and the reference's only when it was pooled."""
    p = sections.pooling.endpoint(key)
    marks = [m for m in (synthetic_mark(sections.results),) if m]
    if sections.reference_synthetic and any(s.source == "reference" for s in p.studies):
        marks.append(f"{reference_name or 'Reference cohort'}: {SYNTHETIC_NOTE}")
    return marks


@markdown
def pooled_caption_md(sections, key: str, text: str, reference_name: str | None = None) -> str:
    """Caption of a pooled forest plot: ``text`` and the synthetic marks of what it shows (escaped)."""
    return f"{text}." + "".join(f" {md_escape(m)}" for m in pooled_marks(sections, key, reference_name))


@markdown
def pooled_notes(sections) -> str:
    """What the pooling left out or approximated, as a bullet list per endpoint ("" when nothing)."""
    lines = [f"{sections.plan.endpoint(k).abbreviation}: {note}." for k in ("pfs", "os")
             for note in sections.pooling.endpoint(k).notes]
    return bullet_list(lines)


@markdown
def remark_sentence(sections) -> str:
    """How many REMARK items the analysis answers, partly answers, and leaves to the authors."""
    r = sections.remark
    fu = ("" if r.followup is None else
          f" Median follow-up (reverse Kaplan-Meier, overall survival) is {format_number(r.followup, 1)} "
          f"{md_escape(sections.plan.time_unit)}.")
    return (f"Of the {len(r.items)} REMARK items, this analysis reports {r.count(REPORTED)}, answers "
            f"{r.count(PARTLY)} in part and leaves {r.count(AUTHOR)} to the authors (\"{AUTHOR}\").{fu}")
