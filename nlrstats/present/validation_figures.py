"""Figures of the validation sections: hazard ratio curves and the pooled forest plot.

As :mod:`nlrstats.present.figures`: each function takes the typed sections and returns a plotnine
``ggplot`` (a panel saying why when the section is not estimable, so no figure slot is left empty), with the synthetic mark in the figure's caption when
the data, or a pooled study, are the bundled reconstruction.
"""

from __future__ import annotations

from nlrstats.present.captions import synthetic_mark
from nlrstats.present.plots import placeholder_plot, with_note
from nlrstats.present.plots.hr_curve import hr_curve_plot
from nlrstats.present.plots.pooled import pooled_forest_plot
from nlrstats.present.validation_narrative import pooled_marks

__all__ = ["hr_curve_figure", "pooled_figure"]


def hr_curve_figure(sections, key: str):
    """Hazard ratio across the marker's range for one endpoint (a panel saying why when not fitted)."""
    e = sections.continuous.endpoint(key)
    if e.curve is None:
        return placeholder_plot(f"No hazard ratio curve for {e.label.lower()}:\n{e.spline_reason}", title=e.label)
    plan = sections.plan
    plot = hr_curve_plot(e.curve, cutoff=plan.cutoff, xlab=f"Baseline {plan.marker_label}", title=e.label)
    return with_note(plot, synthetic_mark(sections.results))


def pooled_figure(sections, key: str, reference_name: str | None = None):
    """Forest plot of the pooled hazard ratio for one endpoint (a panel saying why with fewer than two studies)."""
    p = sections.pooling.endpoint(key)
    if p.fit is None:
        return placeholder_plot(f"Nothing pooled for {p.label.lower()}:\n{p.reason}", title=p.label)
    plot = pooled_forest_plot(p.fit, title=p.label,
                              xlab=f"Hazard ratio, {sections.plan.labels.high} vs {sections.plan.labels.low} (95% CI)")
    return with_note(plot, " ".join(pooled_marks(sections, key, reference_name)))
