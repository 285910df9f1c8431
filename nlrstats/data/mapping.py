"""Mapping files: read a validation cohort with other column names, codes and units.

A mapping is a TOML file::

    [columns]                 # canonical name = name in the file
    patient_id = "ID"
    [values.best_response]    # value in the file = canonical value
    "Partial response" = "PR"
    [values.os_event]
    "dead" = 1
    [units]
    counts = "cells/uL"       # "10^9/L" (default), "10^3/uL", "cells/uL", "10^6/L"
    time = "days"             # "months" (default), "days", "weeks", "years"

Everything is checked up front: unknown sections, canonical names or units, a column named
in ``[columns]`` that the file lacks, and (when the data are seen) file values that a
``[values.*]`` table leaves unmapped are errors that name the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlrstats.data.schema import COLUMNS

__all__ = ["Mapping", "MappingError", "read_mapping", "COUNT_FACTORS", "TIME_FACTORS"]

#: Multiply a count in this unit by the factor to get 10^9/L.
COUNT_FACTORS = {"10^9/L": 1.0, "10^3/uL": 1.0, "G/L": 1.0, "cells/uL": 1e-3, "cells/mm3": 1e-3, "10^6/L": 1e-3}
#: Multiply a time in this unit by the factor to get months (1 month = 365.25 / 12 = 30.4375 days).
TIME_FACTORS = {"months": 1.0, "days": 1 / 30.4375, "weeks": 7 / 30.4375, "years": 12.0}

_SECTIONS = {"columns", "values", "units"}
_UNIT_KEYS = {"counts": COUNT_FACTORS, "time": TIME_FACTORS}


class MappingError(ValueError):
    """A mapping file that cannot be applied; the message names the offending key."""


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file.

    Attributes
    ----------
    columns : canonical name -> name in the file.
    values : canonical column -> {value in the file: canonical value}.
    counts_unit, time_unit : units the file uses.
    source : where the mapping came from (for reports).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts_unit: str = "10^9/L"
    time_unit: str = "months"
    source: str = "(no mapping)"

    @property
    def count_factor(self) -> float:
        return COUNT_FACTORS[self.counts_unit]

    @property
    def time_factor(self) -> float:
        return TIME_FACTORS[self.time_unit]

    def describe(self) -> list[str]:
        """Human-readable lines saying what the mapping does (for the flow log)."""
        lines = [f"column '{src}' read as {dst}" for dst, src in self.columns.items() if src != dst]
        for col, table in self.values.items():
            lines.append(f"{col}: " + ", ".join(f"'{k}' -> {v}" for k, v in table.items()))
        if self.counts_unit != "10^9/L":
            lines.append(f"counts converted from {self.counts_unit} to 10^9/L (x {self.count_factor:g})")
        if self.time_unit != "months":
            lines.append(f"times converted from {self.time_unit} to months (x {self.time_factor:.6g})")
        return lines


def _parse(raw: dict[str, Any], source: str) -> Mapping:
    problems: list[str] = []
    for key in raw:
        if key not in _SECTIONS:
            problems.append(f"unknown section [{key}] (allowed: {', '.join(sorted(_SECTIONS))})")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict):
        problems.append("[columns] must be a table of canonical_name = \"name in file\"")
        columns = {}
    for canon, src in columns.items():
        if canon not in COLUMNS:
            problems.append(f"[columns] key '{canon}' is not a canonical column "
                            f"(known: {', '.join(COLUMNS)})")
        if not isinstance(src, str):
            problems.append(f"[columns] {canon} must name a column as a string, got {src!r}")
    values = raw.get("values", {})
    if not isinstance(values, dict):
        problems.append("[values] must hold tables such as [values.best_response]")
        values = {}
    clean_values: dict[str, dict[str, Any]] = {}
    for canon, table in values.items():
        if canon not in COLUMNS:
            problems.append(f"[values.{canon}]: '{canon}' is not a canonical column")
            continue
        if not isinstance(table, dict):
            problems.append(f"[values.{canon}] must be a table of \"value in file\" = canonical value")
            continue
        clean_values[canon] = {str(k): v for k, v in table.items()}
    units = raw.get("units", {})
    if not isinstance(units, dict):
        problems.append("[units] must be a table with counts = ... and/or time = ...")
        units = {}
    for key, unit in units.items():
        if key not in _UNIT_KEYS:
            problems.append(f"[units] unknown key '{key}' (allowed: counts, time)")
        elif unit not in _UNIT_KEYS[key]:
            problems.append(f"[units] {key} = '{unit}' is not a known unit "
                            f"(allowed: {', '.join(_UNIT_KEYS[key])})")
    if problems:
        raise MappingError(f"mapping {source}:\n  - " + "\n  - ".join(problems))
    return Mapping(
        columns=dict(columns),
        values=clean_values,
        counts_unit=units.get("counts", "10^9/L"),
        time_unit=units.get("time", "months"),
        source=source,
    )


def read_mapping(mapping: str | Path | dict | Mapping | None) -> Mapping:
    """Read a mapping from a TOML path, a dict of the same shape, or pass one through.

    Parameters
    ----------
    mapping : path to a ``.toml`` file, a dict, a :class:`Mapping`, or None (identity).
    """
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return _parse(mapping, "(dict)")
    path = Path(mapping)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping {path}: not valid TOML: {exc}") from None
    return _parse(raw, str(path))
