"""Shared behaviour of result objects: tidy frames, notebook display, JSON-safe values.

Every analysis returns a ``@dataclass(frozen=True)`` that mixes in :class:`Result` and
implements ``tidy()`` (and ``glance()`` where R's broom has one). Numbers that do not
exist are ``None`` in Python and null in frames, never NaN; infinities stay infinite
and are reported as such.
"""

from __future__ import annotations

import html
import math
from typing import Any

import polars as pl

__all__ = ["Result", "json_safe"]


class Result:
    """Mixin for frozen result dataclasses."""

    def tidy(self) -> pl.DataFrame:  # pragma: no cover - interface
        raise NotImplementedError

    def glance(self) -> pl.DataFrame:
        raise NotImplementedError(f"{type(self).__name__} has no glance()")

    def _repr_html_(self) -> str:
        title = html.escape(type(self).__name__)
        return f"<p><strong>{title}</strong></p>" + self.tidy()._repr_html_()


def json_safe(value: Any) -> Any:
    """Convert numpy scalars and non-finite floats so ``json.dumps`` writes valid JSON.

    NaN becomes ``None``; +/-inf become the strings ``"Inf"`` / ``"-Inf"`` as R prints them.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
    return value
