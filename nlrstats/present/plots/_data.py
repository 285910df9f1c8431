"""Input checks and number formatting shared by the figure builders.

Figures compute no statistics; these helpers only validate columns, order
levels and turn numbers into the strings printed on figures.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import polars as pl
from plotnine import labs

from nlrstats.present.format import format_ratio_ci, p_phrase

__all__ = [
    "log_breaks",
    "as_frame",
    "require_columns",
    "require_numeric",
    "levels_of",
    "fmt_p",
    "fmt_ci",
    "count_note",
    "id_list",
    "wrap_caption",
    "with_note",
]


def as_frame(data: Any, what: str = "data") -> pl.DataFrame:
    """Return a polars DataFrame from a polars/pandas frame or a Cohort (its ``.data``)."""
    if isinstance(data, pl.DataFrame):
        return data
    inner = getattr(data, "data", None)
    if isinstance(inner, pl.DataFrame):
        return inner
    if hasattr(data, "to_pandas") or type(data).__module__.startswith("pandas"):
        try:
            return pl.from_pandas(data)  # type: ignore[arg-type]
        except Exception as exc:  # pragma: no cover - pandas-like objects we cannot read
            raise TypeError(f"{what}: cannot convert {type(data).__name__} to a polars DataFrame") from exc
    raise TypeError(f"{what} must be a polars DataFrame, a pandas DataFrame or a Cohort; got {type(data).__name__}")


def require_columns(df: pl.DataFrame, columns: Sequence[str | None], what: str = "data") -> None:
    """Raise ``KeyError`` naming every requested column that ``df`` lacks."""
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise KeyError(f"{what} has no column(s) {missing!r}; available: {df.columns!r}")


def require_numeric(df: pl.DataFrame, column: str, what: str = "data") -> None:
    """Raise ``TypeError`` when ``column`` is not numeric."""
    if not df.schema[column].is_numeric():
        raise TypeError(f"{what} column {column!r} must be numeric; it is {df.schema[column]}")


def levels_of(series: pl.Series, preferred: Sequence[str] | None = None, missing_label: str = "Missing") -> list[str]:
    """Display order of a grouping column's levels.

    Enum columns keep their declared order; otherwise ``preferred`` levels come
    first in their order, then the others sorted. ``missing_label`` is appended
    when the column holds nulls (they are shown, not dropped).
    """
    if isinstance(series.dtype, pl.Enum):
        present = set(series.drop_nulls().cast(pl.String).to_list())
        levels = [lv for lv in series.dtype.categories.to_list() if lv in present]
    else:
        present_list = sorted({str(v) for v in series.drop_nulls().to_list()})
        first = [lv for lv in (preferred or []) if lv in present_list]
        levels = first + [lv for lv in present_list if lv not in first]
    if series.null_count():
        levels.append(missing_label)
    return levels


def fmt_p(p: float | None) -> str:
    """``p = 0.012`` or ``p < 0.001``: the package's one p-value rule (:func:`nlrstats.present.format.p_phrase`)."""
    return p_phrase(p, missing="p = NA")


def fmt_ci(estimate: float | None, low: float | None, high: float | None, label: str = "HR") -> str:
    """``HR 10.44 (95% CI 1.83–59.66)``: ratios as :func:`nlrstats.present.format.format_ratio_ci` prints them."""
    est, ci = format_ratio_ci(estimate, low, high, missing="NA").split(" ", 1) if estimate is not None else ("NA", "")
    return f"{label} {est} (95% CI {ci.strip('()')})" if ci else f"{label} NA"


def count_note(n: int, singular: str, plural: str | None = None) -> str:
    """``"1 patient"`` / ``"3 patients"``."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def id_list(ids: Sequence[object], limit: int = 5) -> str:
    """First ``limit`` patient ids, then "..." (a caption names examples, the count says how many)."""
    shown = ["?" if i is None else str(i) for i in list(ids)[:limit]]
    return ", ".join(shown) + (", ..." if len(ids) > limit else "")


def wrap_caption(text: str | None, width: int = 70) -> str | None:
    """Wrap a caption so it fits a single-column figure (about 70 characters at 7 pt)."""
    if not text:
        return None
    return "\n".join(textwrap.fill(part, width) for part in text.split("\n"))


def with_note(plot, note: str | None):
    """``plot`` with ``note`` appended to its caption (on a line of its own); unchanged for no note.

    Used for the synthetic-data mark, so a figure copied out of a document still carries it.
    """
    if not note:
        return plot
    current = getattr(plot.labels, "caption", None)
    text = wrap_caption(note)
    return plot + labs(caption=f"{current}\n{text}" if current else text)


def log_breaks(lo: float, hi: float, with_one: bool = False) -> list[float]:
    """Ticks of a log axis from ``lo`` to ``hi``: 1-2-5 per decade, 1-5 once the range passes 2 decades
    (1-2-5 crowds a single-column axis there), finer steps on a range within one decade (a hazard ratio
    curve from 0.95 to 2.9 had only the ticks 1 and 2); ``with_one`` adds 1, the null hazard ratio."""
    decades = math.log10(hi / lo)
    if decades <= 0.5:
        mult = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
    elif decades <= 1:
        mult = (1, 1.5, 2, 3, 5, 7)
    else:
        mult = (1, 2, 5) if decades <= 2 else (1, 5)
    ticks = {round(m * 10.0 ** k, 12) for k in range(-4, 5) for m in mult if lo <= m * 10.0 ** k <= hi}
    if len(ticks) < 2:
        # a range narrower than the finest step (1.05 to 1.12): its ends, to three significant digits
        ticks |= {float(f"{lo:.3g}"), float(f"{hi:.3g}")}
    return sorted(ticks | {1.0} if with_one else ticks)
