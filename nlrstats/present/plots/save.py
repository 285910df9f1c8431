"""Save figures at journal sizes: PNG (300 dpi), SVG and PDF chosen by the file suffix."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib as mpl
from plotnine import ggplot

from nlrstats.present.plots.theme import EDITABLE_TEXT_RCPARAMS, JOURNAL_WIDTHS

__all__ = ["save_figure", "figure_size"]

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def figure_size(width: str | float = "single", height: float | None = None, aspect: float = 0.75) -> tuple[float, float]:
    """Width and height in inches.

    Parameters
    ----------
    width
        ``"single"`` (3.5 in), ``"double"`` (7 in) or a number of inches.
    height
        Inches; ``None`` gives ``width * aspect``.
    aspect
        Height / width when ``height`` is ``None``.
    """
    if isinstance(width, str):
        try:
            w = JOURNAL_WIDTHS[width]
        except KeyError:
            raise ValueError(f"width must be one of {sorted(JOURNAL_WIDTHS)} or inches; got {width!r}") from None
    else:
        w = float(width)
    if not w > 0:
        raise ValueError(f"width must be positive; got {width!r}")
    h = w * aspect if height is None else float(height)
    if not h > 0:
        raise ValueError(f"height must be positive; got {height!r}")
    return w, h


def save_figure(
    plot: ggplot,
    path: str | os.PathLike[str],
    width: str | float = "single",
    height: float | None = None,
    dpi: int = 300,
) -> Path:
    """Save a plotnine figure as PNG, SVG or PDF, chosen by the suffix of ``path``.

    Text stays editable (TrueType in PDF, ``<text>`` in SVG) whatever theme the
    plot carries. The figure is exactly ``width x height`` inches (no tight
    bounding box), so a single-column PNG at 300 dpi is 1050 pixels wide.

    Parameters
    ----------
    plot
        A plotnine ``ggplot``.
    path
        Output file ending in ``.png``, ``.svg`` or ``.pdf``.
    width
        ``"single"`` (3.5 in), ``"double"`` (7 in) or inches.
    height
        Inches; ``None`` uses the figure's preferred aspect (``plot.nlrstats_aspect``
        set by the nlrstats builders, else 0.75) times the width.
    dpi
        Raster resolution (PNG); journals ask for at least 300.

    Returns
    -------
    Path
        The written file.
    """
    if not isinstance(plot, ggplot):
        raise TypeError(f"plot must be a plotnine ggplot; got {type(plot).__name__}")
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the format of {str(path)!r}: use a suffix among {sorted(_FORMATS)}")
    aspect = getattr(plot, "nlrstats_aspect", 0.75)
    w, h = figure_size(width, height, aspect=aspect)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The rc_context covers plots whose theme was replaced by a non-nlrstats one;
    # plotnine applies the plot theme's rcParams inside this context.
    with mpl.rc_context(EDITABLE_TEXT_RCPARAMS):
        plot.save(path, format=fmt, width=w, height=h, units="in", dpi=dpi, verbose=False)
    return path
