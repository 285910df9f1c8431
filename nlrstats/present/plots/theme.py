"""Journal theme and colour-blind-safe palettes for every nlrstats figure.

The palette is Okabe & Ito (2008), "Color Universal Design", ordered so that the
first two colours (blue, vermillion) stay distinct in all common colour-vision
deficiencies and in greyscale print. Yellow is last because it vanishes on white.

The theme sets matplotlib's ``pdf.fonttype = 42`` (TrueType embedded, text stays
text in PDF) and ``svg.fonttype = "none"`` (text stays ``<text>`` in SVG) so that
journals and co-authors can edit labels in the saved files.
"""

from __future__ import annotations

from collections.abc import Sequence

from plotnine import element_blank, element_line, element_rect, element_text, theme, theme_bw

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "RESPONSE_COLOURS",
    "JOURNAL_WIDTHS",
    "EDITABLE_TEXT_RCPARAMS",
    "theme_journal",
    "palette_for",
    "DISPLAY_WIDTH",
    "with_aspect",
]

#: The eight Okabe-Ito colours in their published order.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

#: Discrete palette in the order groups get colours (low-risk group first: blue).
PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: Fixed colours for RECIST 1.1 best overall response, so a response keeps its
#: colour across figures whatever subset of categories a cohort has.
RESPONSE_COLOURS: dict[str, str] = {
    "CR": OKABE_ITO["bluish_green"],
    "PR": OKABE_ITO["sky_blue"],
    "SD": OKABE_ITO["orange"],
    "PD": OKABE_ITO["vermillion"],
    "NE": "#999999",
    "Missing": "#BBBBBB",
}

#: Column widths in inches (single and double column, as most journals ask).
JOURNAL_WIDTHS: dict[str, float] = {"single": 3.5, "double": 7.0}

#: Keep text editable: TrueType in PDF, real ``<text>`` elements in SVG.
EDITABLE_TEXT_RCPARAMS: dict[str, object] = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}

# Arial/Helvetica are what journals ask for; Liberation Sans has Arial's metrics;
# DejaVu Sans always exists with matplotlib and covers symbols such as "≥".
_SANS_FONTS = ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"]


def palette_for(levels: Sequence[str], palette: Sequence[str] | dict[str, str] | None = None) -> dict[str, str]:
    """Map each level to a colour.

    Parameters
    ----------
    levels
        Group labels in display order.
    palette
        ``None`` for :data:`PALETTE`, a sequence of colours used in order, or a
        dict ``{level: colour}`` (every level must be present).
    """
    levels = list(levels)
    if isinstance(palette, dict):
        missing = [lv for lv in levels if lv not in palette]
        if missing:
            raise ValueError(f"palette has no colour for level(s) {missing!r}")
        return {lv: palette[lv] for lv in levels}
    colours = list(PALETTE if palette is None else palette)
    if len(colours) < len(levels):
        raise ValueError(f"palette has {len(colours)} colours but there are {len(levels)} groups: {levels!r}")
    return dict(zip(levels, colours))


class theme_journal(theme_bw):
    """Compact black-on-white theme for journal figures.

    Based on ``theme_bw`` (as ggplot2's), with no minor grid, light major grid,
    legend on top without a title box, plain strips, 8 pt base text (most journals
    ask for 6-9 pt at final size), sans-serif fonts, and editable text in PDF/SVG
    (see :data:`EDITABLE_TEXT_RCPARAMS`).

    Parameters
    ----------
    base_size
        Base font size in points.
    base_family
        Font family; ``None`` uses sans-serif with Arial / Liberation Sans /
        DejaVu Sans fallbacks.
    """

    def __init__(self, base_size: float = 8, base_family: str | None = None):
        super().__init__(base_size, base_family or "sans-serif")
        self += theme(
            axis_text=element_text(size=base_size * 0.9, color="black"),
            axis_title=element_text(size=base_size),
            axis_ticks=element_line(color="black", size=0.4),
            axis_ticks_minor=element_blank(),
            panel_border=element_rect(fill="none", color="black", size=0.6),
            panel_grid_major=element_line(color="#EBEBEB", size=0.4),
            panel_grid_minor=element_blank(),
            legend_position="top",
            legend_title=element_text(size=base_size),
            legend_text=element_text(size=base_size * 0.9),
            legend_key=element_blank(),
            legend_background=element_blank(),
            legend_box_spacing=0.02,
            strip_background=element_blank(),
            strip_text=element_text(size=base_size, color="black"),
            plot_title=element_text(size=base_size * 1.15, weight="bold"),
            plot_caption=element_text(size=base_size * 0.8, color="#444444", ha="left"),
            svg_usefonts=True,
        )
        self._rcParams.update(EDITABLE_TEXT_RCPARAMS)
        self._rcParams["font.sans-serif"] = _SANS_FONTS + [
            f for f in self._rcParams.get("font.sans-serif", []) if f not in _SANS_FONTS
        ]


#: Width (inches) at which figures display in notebooks and reports; ``save_figure``
#: sets the journal size itself. Wider than a single column so 8 pt text stays
#: readable on screen, narrower than plotnine's 6.4 in default.
DISPLAY_WIDTH = 5.0


def with_aspect(plot, aspect: float):
    """Record a builder's preferred height/width ratio and size the on-screen figure with it.

    ``save_figure`` reads ``plot.nlrstats_aspect`` when no height is given; the
    attribute survives ``plot + layer`` (plotnine deep-copies the plot).
    """
    plot = plot + theme(figure_size=(DISPLAY_WIDTH, round(DISPLAY_WIDTH * aspect, 3)))
    plot.nlrstats_aspect = aspect
    return plot
