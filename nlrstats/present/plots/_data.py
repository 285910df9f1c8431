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

__all__ = [
    "as_frame",
    "require_columns",
    "require_numeric",
    "levels_of",
    "fmt_num",
    "fmt_p",
    "fmt_ci",
    "count_note",
    "id_list",
    "wrap_caption",
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


def fmt_num(x: float | None) -> str:
    """Estimate for a figure: 2 significant digits below 10, whole numbers above."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    if math.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    ax = abs(x)
    if ax >= 10:
        return f"{x:.0f}"
    if ax >= 1:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_p(p: float | None, digits: int = 3) -> str:
    """``p = 0.012`` or ``p < 0.001``, the package's one p-value rule (:func:`nlrstats.present.narrative.p_text`)."""
    from nlrstats.present.narrative import p_text  # here, not at the top: it loads great_tables for plots' users
    return p_text(p, digits, missing="p = NA")


def fmt_ci(estimate: float | None, low: float | None, high: float | None, label: str = "HR") -> str:
    """``HR 3.2 (95% CI 1.1–9.4)``; missing limits print as NA, infinite as Inf."""
    return f"{label} {fmt_num(estimate)} (95% CI {fmt_num(low)}\u2013{fmt_num(high)})"


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
