"""Shared behaviour of result objects: tidy frames, notebook display, JSON-safe values.

Every analysis returns a ``@dataclass(frozen=True)`` that mixes in :class:`Result` and
implements ``tidy()`` (and ``glance()`` where R's broom has one). Numbers that do not
exist are ``None`` in Python and null in frames, never NaN; infinities stay infinite
and are reported as such.
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

import polars as pl

__all__ = ["Result", "json_safe", "to_plain", "NOT_IN_JSON"]


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


#: ``field(metadata=NOT_IN_JSON)`` keeps a dataclass field (a fitted model, a frame for plots) out of
#: :func:`to_plain` and so out of JSON output.
NOT_IN_JSON = {"json": False}


def to_plain(value: Any) -> Any:
    """Plain dicts, lists and scalars from result objects, derived from their dataclass fields.

    Dataclass fields become keys unless their metadata is :data:`NOT_IN_JSON`; names a class lists in
    ``json_properties`` are added after the fields. An object with a ``to_plain()`` method answers for
    itself. polars frames become lists of row dicts; tuples become lists. Use :func:`json_safe` on the
    result before ``json.dumps``.
    """
    own = getattr(value, "to_plain", None)
    if own is not None and not isinstance(value, type):
        return own()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)
               if f.metadata.get("json", True)}
        for name in getattr(value, "json_properties", ()):
            out[name] = to_plain(getattr(value, name))
        return out
    if isinstance(value, pl.DataFrame):
        return [to_plain(row) for row in value.to_dicts()]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value
