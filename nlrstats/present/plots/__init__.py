"""Publication figures (plotnine) built from nlrstats results and cohort frames.

Each builder returns a plotnine ``ggplot`` (add layers or themes as usual) and
computes no statistics: numbers come from result objects (``SurvFit``,
``SurvDiff``, ``CoxPH``, ``RocResult``, ``MaxstatResult``) or the cohort frame.
:func:`save_figure` writes PNG (300 dpi), SVG or PDF at journal widths with
editable text.
"""

from nlrstats.present.plots._data import with_note
from nlrstats.present.plots.cutpoint import cutpoint_plot
from nlrstats.present.plots.forest import forest_plot
from nlrstats.present.plots.km import km_plot, step_band, strata_labels
from nlrstats.present.plots.placeholder import placeholder_plot
from nlrstats.present.plots.roc import roc_plot
from nlrstats.present.plots.save import figure_size, save_figure
from nlrstats.present.plots.theme import JOURNAL_WIDTHS, OKABE_ITO, PALETTE, RESPONSE_COLOURS, palette_for, theme_journal
from nlrstats.present.plots.trajectory import nlr_trajectory_plot
from nlrstats.present.plots.waterfall import waterfall_plot

__all__ = [
    "km_plot",
    "waterfall_plot",
    "nlr_trajectory_plot",
    "forest_plot",
    "roc_plot",
    "cutpoint_plot",
    "save_figure",
    "figure_size",
    "step_band",
    "strata_labels",
    "theme_journal",
    "palette_for",
    "OKABE_ITO",
    "PALETTE",
    "RESPONSE_COLOURS",
    "JOURNAL_WIDTHS",
    "with_note",
    "placeholder_plot",
]
