"""Resolve a document's options the way Quarto layers them.

Order (later wins): ``_quarto.yml`` top level, ``_quarto.yml`` ``format.<fmt>``,
the document's front matter top level, the front matter's ``format.<fmt>``.
``execute:`` mappings are merged key by key. Output ``pdf`` is produced
through typst, so it reads the ``typst`` format options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nlrstats.render.errors import RenderError

__all__ = ["FORMAT_KEYS", "load_project", "resolve_options"]

#: ``to`` argument -> Quarto format whose options apply
FORMAT_KEYS = {"html": "html", "docx": "docx", "pdf": "typst", "typst": "typst"}

# Keys that describe the project or all formats, never a document option.
_STRUCTURAL = {"project", "format", "website", "book", "manuscript"}


def load_project(root: Path | None) -> dict[str, Any]:
    """Read ``_quarto.yml`` under ``root`` (empty mapping when there is none)."""
    if root is None:
        return {}
    for name in ("_quarto.yml", "_quarto.yaml"):
        f = root / name
        if f.is_file():
            try:
                data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise RenderError(f"{f}: not valid YAML:\n{exc}") from None
            if not isinstance(data, dict):
                raise RenderError(f"{f}: must be a YAML mapping")
            return data
    return {}


def _format_block(config: dict[str, Any], fmt: str) -> dict[str, Any]:
    formats = config.get("format")
    if isinstance(formats, dict):
        block = formats.get(fmt)
        if isinstance(block, dict):
            return block
    return {}


def _merge(into: dict[str, Any], layer: dict[str, Any]) -> None:
    for key, value in layer.items():
        if key in _STRUCTURAL:
            continue
        if key == "execute" and isinstance(value, dict):
            into.setdefault("execute", {})
            into["execute"] = {**into["execute"], **value}
        else:
            into[key] = value


def resolve_options(project: dict[str, Any], front_matter: dict[str, Any], to: str) -> dict[str, Any]:
    """Merge project and document options for output ``to`` (html, docx, pdf)."""
    fmt = FORMAT_KEYS[to]
    merged: dict[str, Any] = {}
    for layer in (project, _format_block(project, fmt), front_matter, _format_block(front_matter, fmt)):
        _merge(merged, layer)
    return merged
