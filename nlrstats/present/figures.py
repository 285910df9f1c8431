"""The study's figures from its results: the plan names the groups, the data say if they are synthetic.

Each function takes :class:`~nlrstats.study.analyze.StudyResults` and returns a plotnine ``ggplot`` built by
:mod:`nlrstats.present.plots`; labels follow the plan's marker and cut-off, and the figure's own caption
carries the synthetic mark when the data are the bundled reconstruction (so a figure copied out of a
document still says so).
"""

from __future__ import annotations

from nlrstats.present.captions import synthetic_mark
from nlrstats.present.plots import cutpoint_plot, forest_plot, km_plot, nlr_trajectory_plot, roc_plot, waterfall_plot
from nlrstats.present.plots import placeholder_plot, with_note
from nlrstats.study.analyze import hazard_ratio_frame

__all__ = ["km_figure", "trajectory_figure", "waterfall_figure", "cutpoint_figure", "roc_figure", "forest_figure"]


def km_figure(results, key: str):
    """Kaplan-Meier curves of an endpoint by group, with the number at risk, log-rank p and HR."""
    e = results.endpoint(key)
    plot = km_plot(e.fit, logrank=e.survdiff, cox=e.preferred_fit, title=e.label,
                   xlab=results.plan.time_unit.capitalize())
    return with_note(plot, synthetic_mark(results))


def trajectory_figure(results, show_ids: bool = False):
    """The marker at day 0 and day 14 for each patient, coloured by best overall response."""
    d0, d14, _ = results.plan.change_columns
    plot = nlr_trajectory_plot(results.cohort.data, before=d0, after=d14, ylab=results.plan.marker_label,
                               show_ids=bool(show_ids))
    return with_note(plot, synthetic_mark(results))


def waterfall_figure(results, show_ids: bool = False):
    """Best change of the target lesions per patient, coloured by the plan's group."""
    data = results.plan.grouped(results.cohort)
    plot = waterfall_plot(data, group=results.plan.group_column, show_ids=bool(show_ids))
    return with_note(plot, synthetic_mark(results))


def cutpoint_figure(results, key: str = "pfs"):
    """Standardised log-rank statistic for every candidate cut, the chosen one and the plan's marked.

    Without a cut search (fewer than 4 patients, no events, or one marker value) a panel saying so.
    """
    m = getattr(results.cutpoint, f"maxstat_{key}", None) if results.cutpoint is not None else None
    if m is None:
        # the document keeps its figure slot: it says why it is empty (the narrative says it too)
        return placeholder_plot(f"No cut search for {results.endpoint(key).label}:\n"
                                "too few patients or events, or one marker value")
    plot = cutpoint_plot(m, published=results.plan.cutoff, xlab=f"{results.plan.marker_label} cut-point")
    return with_note(plot, synthetic_mark(results))


def roc_figure(results):
    """ROC curve of the baseline marker for disease control (None when it could not be computed)."""
    r = results.cutpoint.roc if results.cutpoint is not None else None
    if r is None:
        return None
    return with_note(roc_plot(r, labels=[results.plan.marker_label]), synthetic_mark(results))


def forest_figure(named_results: dict):
    """Hazard ratios of the high vs the low group per endpoint, one colour per cohort."""
    plot = forest_plot(hazard_ratio_frame(named_results), group="cohort", legend_title="Cohort")
    marks = [f"{name}: {synthetic_mark(r)}" for name, r in named_results.items() if r.synthetic]
    return with_note(plot, " ".join(marks))
