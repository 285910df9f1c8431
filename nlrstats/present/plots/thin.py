"""Thin what a figure draws to the drawing's resolution, so a 10^6-patient figure stays fast and readable.

A Kaplan-Meier curve of 10^6 patients has up to 10^6 steps; a 300 dpi figure at journal width is about
2,000 pixels wide. :func:`thin_steps` keeps, in each of ``bins`` equal slices of the time axis, the
first and the last step: the drawn right-continuous curve then departs from the full one only inside a
slice (less than one pixel at ``STEP_BINS``) and meets it again at every slice's end, so the image does
not change. Beyond ``MARK_LIMIT`` censoring marks a curve, :func:`aggregate_marks` draws one mark per
slice of ``MARK_BINS`` slices holding any censored time: at that size marks overlap anyway, and
hundreds of thousands of glyphs take minutes to draw. Both leave small inputs untouched, so figures of
ordinary cohorts are as before.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STEP_BINS", "MARK_BINS", "MARK_LIMIT", "thin_steps", "thin_line", "aggregate_marks"]

#: slices of the time axis for curve thinning: finer than 300 dpi at 13 inches
STEP_BINS = 4000
#: censoring marks a curve may have before they are aggregated
MARK_LIMIT = 300
#: slices of the time axis for aggregated censoring marks: one "+" every 1.5 mark widths at journal size
MARK_BINS = 75


def _slots(t: np.ndarray, bins: int, span: tuple[float, float] | None) -> np.ndarray:
    """The slice (0 .. bins-1) of ``span`` (default the data's range) each sorted value falls in."""
    lo, hi = span if span is not None else (float(t[0]), float(t[-1]))
    width = (hi - lo) / bins if hi > lo else 1.0
    return np.clip(((t - lo) / width).astype(np.int64), 0, bins - 1)


def thin_steps(time: np.ndarray, bins: int = STEP_BINS, span: tuple[float, float] | None = None) -> np.ndarray:
    """Indices of the steps to draw: the first and last of each of ``bins`` slices of ``span``.

    ``time`` must be sorted. Returns every index when there are no more than ``2 * bins`` steps.
    """
    t = np.asarray(time, dtype=float)
    if t.size <= 2 * bins:
        return np.arange(t.size)
    slot = _slots(t, bins, span)
    first = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    last = np.flatnonzero(np.r_[slot[1:] != slot[:-1], True])
    return np.union1d(first, last)


def aggregate_marks(time: np.ndarray, bins: int = MARK_BINS, span: tuple[float, float] | None = None,
                    limit: int = MARK_LIMIT) -> np.ndarray | None:
    """Indices of the censoring marks to draw, one (the last) per occupied slice; None when all are drawn.

    ``time`` must be sorted. Nothing is aggregated when there are no more than ``limit`` marks.
    """
    t = np.asarray(time, dtype=float)
    if t.size <= limit:
        return None
    slot = _slots(t, bins, span)
    return np.flatnonzero(np.r_[slot[1:] != slot[:-1], True])


def thin_line(x: np.ndarray, y: np.ndarray, bins: int = STEP_BINS) -> np.ndarray:
    """Indices of a polyline's points to draw: first, last, lowest and highest of each of ``bins`` x-slices.

    ``x`` must be sorted. Within a slice narrower than a pixel the line's vertical extent is kept
    (its envelope), so the drawing does not change. Every index when there are <= ``2 * bins`` points.
    """
    xv, yv = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xv.size <= 2 * bins:
        return np.arange(xv.size)
    slot = _slots(xv, bins, None)
    starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
    ends = np.r_[starts[1:], xv.size] - 1
    ymin = starts + np.array([np.argmin(yv[a:b + 1]) for a, b in zip(starts, ends)], dtype=np.int64)
    ymax = starts + np.array([np.argmax(yv[a:b + 1]) for a, b in zip(starts, ends)], dtype=np.int64)
    return np.unique(np.concatenate([starts, ends, ymin, ymax]))
