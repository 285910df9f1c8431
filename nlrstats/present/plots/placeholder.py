"""A figure that says why it is empty, for a document whose figure could not be drawn from these data."""

from __future__ import annotations

import pandas as pd
from plotnine import aes, element_blank, geom_text, ggplot, labs, theme, xlim, ylim

from nlrstats.present.plots.theme import theme_journal, with_aspect

__all__ = ["placeholder_plot"]


def placeholder_plot(message: str, title: str | None = None):
    """An empty panel carrying ``message`` (a figure slot whose data allow no drawing says so)."""
    frame = pd.DataFrame({"x": [0.5], "y": [0.5], "text": [message]})
    p = (ggplot(frame, aes(x="x", y="y", label="text")) + geom_text(size=9, color="#444444")
         + xlim(0, 1) + ylim(0, 1) + labs(x="", y="", title=title) + theme_journal()
         + theme(axis_text=element_blank(), axis_ticks=element_blank(), panel_grid_major=element_blank(),
                 panel_grid_minor=element_blank(), panel_border=element_blank(), axis_line=element_blank()))
    return with_aspect(p, 0.4)
