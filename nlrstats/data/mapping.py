"""Mapping files: read a validation cohort with other column names, codes, units and file layout.

A mapping is a TOML file::

    [file]                    # how to read the file; every key is optional (default: detect)
    encoding = "cp1252"       # "utf-8", "cp1252", "latin-1", "cp932", ...
    separator = ";"           # text files: ",", ";", "\\t" (or "tab"), "|"
    decimal = ","             # text files: "." or ","
    sheet = "Data"            # workbooks: a sheet name, or its position from 1
    skip_rows = 2             # lines (rows) above the header
    na = ["", "NA", "n.d."]   # spellings of a missing value (replace the defaults)
    [columns]                 # canonical name = name in the file
    patient_id = "ID"
    [values.best_response]    # value in the file = canonical value
    "Partial response" = "PR"
    [values.os_event]
    "dead" = 1
    [units]
    counts = "cells/uL"       # "10^9/L" (default), "10^3/uL", "cells/uL" (µL, mcL), "cells/mm3", "10^6/L"
    time = "days"             # "months" (default), "days", "weeks", "years"
    platelets_d0 = "10^9/L"   # a column whose unit differs from the others
    [checks]
    unit_plausibility = false # turn off the unit-slip checks (see nlrstats.data.plausibility)

Everything is checked up front: unknown sections, keys, canonical names or units, and (when the
data are seen) a column named in ``[columns]`` that the file lacks, or file values a ``[values.*]``
table leaves unmapped, are errors that name the key.
"""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlrstats.data.messages import DataError, escape
from nlrstats.data.reading import FileOptions, Reading
from nlrstats.data.schema import COLUMNS, COUNT_COLUMNS, TIME_COLUMNS
from nlrstats.data.units import COUNT_FACTORS, TIME_FACTORS, count_unit, time_unit

__all__ = ["Mapping", "MappingError", "read_mapping", "parse_file_options", "COUNT_FACTORS", "TIME_FACTORS"]

_SECTIONS = {"file", "columns", "values", "units", "checks"}
_FILE_KEYS = {"encoding", "separator", "decimal", "sheet", "skip_rows", "na"}
_CHECK_KEYS = {"unit_plausibility"}
_SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}


class MappingError(DataError):
    """A mapping file that cannot be applied; the message names the offending key."""


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file.

    Attributes
    ----------
    columns : canonical name -> name in the file.
    values : canonical column -> {value in the file: canonical value}.
    counts_unit, time_unit : units the file uses (canonical names of :mod:`nlrstats.data.units`).
    column_units : canonical column -> its own unit, where it differs from counts_unit / time_unit.
    file : how to read the file (the ``[file]`` section).
    unit_plausibility : whether the unit-slip checks run (``[checks]``).
    source : where the mapping came from (for reports).
    notes : what reading the mapping itself did (e.g. its encoding).
    reading : how the data file was read (set by the loader; None before).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts_unit: str = "10^9/L"
    time_unit: str = "months"
    column_units: dict[str, str] = field(default_factory=dict)
    file: FileOptions = field(default_factory=FileOptions)
    unit_plausibility: bool = True
    source: str = "(no mapping)"
    notes: tuple[str, ...] = ()
    reading: Reading | None = None

    @property
    def count_factor(self) -> float:
        return COUNT_FACTORS[self.counts_unit]

    @property
    def time_factor(self) -> float:
        return TIME_FACTORS[self.time_unit]

    def unit_of(self, column: str) -> str:
        """The unit the file gives ``column`` in (a count or a time column)."""
        if column in self.column_units:
            return self.column_units[column]
        return self.time_unit if column in TIME_COLUMNS else self.counts_unit

    def factor_of(self, column: str) -> float:
        """Multiply the file's values of ``column`` by this to get the canonical unit."""
        unit = self.unit_of(column)
        return TIME_FACTORS[unit] if column in TIME_COLUMNS else COUNT_FACTORS[unit]

    def describe(self) -> list[str]:
        """Human-readable lines saying what the mapping does (for the flow log)."""
        lines = list(self.notes)
        renamed = [f"'{escape(src)}' as {dst}" for dst, src in self.columns.items() if src != dst]
        if renamed:
            # one line, not one a column: a hospital export renames twenty columns
            lines.append(f"{len(renamed)} column(s) read under the canonical names: " + ", ".join(renamed))
        for col, table in self.values.items():
            lines.append(f"{col}: " + ", ".join(f"'{escape(k)}' -> {v}" for k, v in table.items()))
        if self.counts_unit != "10^9/L":
            lines.append(f"counts converted from {self.counts_unit} to 10^9/L (x {self.count_factor:g})")
        if self.time_unit != "months":
            lines.append(f"times converted from {self.time_unit} to months (x {self.time_factor:.6g})")
        for col, unit in self.column_units.items():
            lines.append(f"{col} converted from {unit} (x {self.factor_of(col):.6g})")
        if not self.unit_plausibility:
            lines.append("unit-slip checks turned off ([checks] unit_plausibility = false)")
        return lines


def parse_file_options(table: Any, problems: list[str], where: str = "[file]") -> FileOptions:
    """Check a ``[file]`` table (or the command-line flags as a dict) and return its options."""
    if not isinstance(table, dict):
        problems.append(f"{where} must be a table of key = value")
        return FileOptions()
    for key in table:
        if key not in _FILE_KEYS:
            problems.append(f"{where} unknown key '{escape(key)}' (allowed: {', '.join(sorted(_FILE_KEYS))})")
    enc = table.get("encoding")
    if enc is not None:
        try:
            codecs.lookup(str(enc))
        except LookupError:
            problems.append(f"{where} encoding = '{escape(enc)}' is not an encoding Python knows "
                            "(e.g. \"utf-8\", \"cp1252\", \"latin-1\", \"cp932\")")
            enc = None
    sep = table.get("separator")
    if sep is not None:
        sep = _SEPARATOR_NAMES.get(str(sep).lower(), sep)
        if not isinstance(sep, str) or len(sep) != 1 or sep in "\"\r\n":
            problems.append(f"{where} separator = '{escape(table['separator'])}' must be one character "
                            "(\",\", \";\", \"\\t\" or \"tab\", \"|\")")
            sep = None
    dec = table.get("decimal")
    if dec is not None and dec not in (".", ","):
        problems.append(f"{where} decimal = '{escape(dec)}' must be \".\" or \",\"")
        dec = None
    if dec is not None and sep is not None and dec == sep:
        problems.append(f"{where} decimal and separator are both '{escape(dec)}'")
    sheet = table.get("sheet")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        problems.append(f"{where} sheet must be a sheet name or a position from 1")
        sheet = None
    skip = table.get("skip_rows")
    if skip is not None and (isinstance(skip, bool) or not isinstance(skip, int) or skip < 0):
        problems.append(f"{where} skip_rows = {escape(skip)!s} must be a whole number >= 0")
        skip = None
    na = table.get("na")
    if na is not None:
        if isinstance(na, str):
            na = [na]
        if not isinstance(na, list) or not all(isinstance(t, str) for t in na):
            problems.append(f"{where} na must be a list of strings, e.g. na = [\"\", \"NA\", \"n.d.\"]")
            na = None
        else:
            na = tuple(t.strip() for t in na)
    return FileOptions(encoding=enc, separator=sep, decimal=dec, sheet=sheet, skip_rows=skip, na=na)


def _units(units: Any, problems: list[str]) -> tuple[str, str, dict[str, str]]:
    counts, time, per_column = "10^9/L", "months", {}
    if not isinstance(units, dict):
        problems.append("[units] must be a table with counts = ... and/or time = ...")
        return counts, time, per_column
    for key, written in units.items():
        is_time = key == "time" or key in TIME_COLUMNS
        if key not in ("counts", "time", *COUNT_COLUMNS, *TIME_COLUMNS):
            problems.append(f"[units] unknown key '{escape(key)}' (allowed: counts, time, or a count or time "
                            f"column such as platelets_d0)")
            continue
        unit = (time_unit if is_time else count_unit)(str(written))
        if unit is None:
            allowed = ", ".join(TIME_FACTORS if is_time else COUNT_FACTORS)
            problems.append(f"[units] {key} = '{escape(written)}' is not a known unit (allowed: {allowed}; "
                            "µL, μL and mcL are read as uL)")
        elif key == "counts":
            counts = unit
        elif key == "time":
            time = unit
        else:
            per_column[key] = unit
    return counts, time, per_column


def _parse(raw: dict[str, Any], source: str, notes: tuple[str, ...] = ()) -> Mapping:
    problems: list[str] = []
    for key in raw:
        if key not in _SECTIONS:
            problems.append(f"unknown section [{escape(key)}] (allowed: {', '.join(sorted(_SECTIONS))})")
    file_options = parse_file_options(raw.get("file", {}), problems)
    columns = raw.get("columns", {})
    if not isinstance(columns, dict):
        problems.append("[columns] must be a table of canonical_name = \"name in file\"")
        columns = {}
    by_source: dict[str, list[str]] = {}
    for canon, src in columns.items():
        if canon not in COLUMNS:
            problems.append(f"[columns] key '{escape(canon)}' is not a canonical column "
                            f"(known: {', '.join(COLUMNS)})")
        if not isinstance(src, str):
            problems.append(f"[columns] {canon} must name a column as a string, got {escape(src)!s}")
        else:
            by_source.setdefault(src.strip(), []).append(canon)
    for src, canons in by_source.items():
        if len(canons) > 1:
            problems.append(f"[columns] {' and '.join(canons)} all name the column '{escape(src)}'; "
                            "a file column maps to one canonical column")
    values = raw.get("values", {})
    if not isinstance(values, dict):
        problems.append("[values] must hold tables such as [values.best_response]")
        values = {}
    clean_values: dict[str, dict[str, Any]] = {}
    for canon, table in values.items():
        if canon not in COLUMNS:
            problems.append(f"[values.{escape(canon)}]: '{escape(canon)}' is not a canonical column")
            continue
        if not isinstance(table, dict):
            problems.append(f"[values.{canon}] must be a table of \"value in file\" = canonical value")
            continue
        clean_values[canon] = {str(k).strip(): v for k, v in table.items()}
    counts, time, per_column = _units(raw.get("units", {}), problems)
    checks = raw.get("checks", {})
    unit_plausibility = True
    if not isinstance(checks, dict):
        problems.append("[checks] must be a table, e.g. unit_plausibility = false")
    else:
        for key, val in checks.items():
            if key not in _CHECK_KEYS:
                problems.append(f"[checks] unknown key '{escape(key)}' (allowed: {', '.join(sorted(_CHECK_KEYS))})")
            elif not isinstance(val, bool):
                problems.append(f"[checks] {key} must be true or false")
            else:
                unit_plausibility = val
    if problems:
        raise MappingError(f"mapping {escape(source)}:\n  - " + "\n  - ".join(problems))
    return Mapping(columns={k: v.strip() for k, v in columns.items()}, values=clean_values, counts_unit=counts,
                   time_unit=time, column_units=per_column, file=file_options, unit_plausibility=unit_plausibility,
                   source=source, notes=notes)


def _toml_text(path: Path) -> tuple[str, tuple[str, ...]]:
    """The mapping's text: UTF-8 (as TOML requires), with or without a byte-order mark, else cp1252."""
    if path.is_dir():
        raise MappingError(f"mapping {escape(path)} is a directory, not a TOML file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MappingError(f"mapping file not found: {escape(path)}") from None
    except OSError as exc:
        raise MappingError(f"mapping {escape(path)} cannot be read ({exc.strerror or exc})") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise MappingError(f"mapping {escape(path)} is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}): "
                               "save it as UTF-8") from None
        return text, (f"mapping {path.name} is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); read as "
                      "cp1252 — save it as UTF-8 to be sure of its names",)


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
    text, notes = _toml_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping {escape(path)}: not valid TOML: {escape(exc)}") from None
    return _parse(raw, str(path), notes)
