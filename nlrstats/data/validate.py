"""Validation of a raw cohort: typed conversion and row checks, every problem collected.

The raw frame holds strings (as read from the file, after renaming and recoding) plus a
``_row`` column that says where each row stands in the file ("line 5" in a CSV, "row 5" in
a spreadsheet). :func:`convert_and_check` converts each canonical column to its type and
unit and returns the typed frame with a list of :class:`Problem` objects; the caller raises
one :class:`CohortError` listing them all, so a user fixes a file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nlrstats.data.mapping import Mapping
from nlrstats.data.schema import COLUMNS, COUNT_COLUMNS, EVENT_COLUMNS, RESPONSE_CODES, TIME_COLUMNS

__all__ = ["Problem", "CohortError", "convert_and_check"]

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
_PFS_OS_TOLERANCE = 0.01  # months; rounding of dates to days makes PFS exceed OS by a day at most


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (row, patient, column), what value, what was expected."""

    row: str
    patient_id: str | None
    column: str
    value: str | None
    expected: str

    def __str__(self) -> str:
        who = f" (patient_id {self.patient_id})" if self.patient_id is not None else ""
        where = f"{self.row}{who}" if self.row else "file"
        val = "" if self.value is None else f": value '{self.value}'"
        return f"{where}, column {self.column}{val} — expected {self.expected}"


def _row_number(row: str) -> int:
    digits = row.rsplit(" ", 1)[-1]
    return int(digits) if digits.isdigit() else 0


class CohortError(ValueError):
    """Raised with every problem found in a cohort file; ``.problems`` holds them."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        # file-level problems first, then by row, so the list reads top to bottom like the file
        self.problems = sorted(problems, key=lambda p: (p.row != "", _row_number(p.row)))
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) found:\n{lines}")


def _rows_where(df: pl.DataFrame, mask: pl.Series, column: str, expected: str,
                raw: pl.DataFrame | None = None) -> list[Problem]:
    """Problems for the rows where ``mask`` holds; values are shown as the file wrote them (``raw``)."""
    sub = df.filter(mask)
    if sub.height == 0:
        return []
    ids = sub["patient_id"].cast(pl.String).to_list() if "patient_id" in sub.columns else [None] * sub.height
    source = (raw if raw is not None else df).filter(mask)
    vals = source[column].cast(pl.String).to_list() if column in source.columns else [None] * sub.height
    return [Problem(r, i, column, v, expected) for r, i, v in zip(sub["_row"].to_list(), ids, vals)]


#: Typical clinical ranges (10^9/L) used only to guess the unit an implausible count was written in.
_TYPICAL = {"wbc": (1, 100), "neutrophils": (0.5, 40), "lymphocytes": (0.1, 15), "monocytes": (0.05, 5),
            "platelets": (20, 1500)}


def _unit_hint(column: str, values: pl.Series, factor: float) -> str:
    """Say which unit an implausible count looks like it was given in."""
    low, high = _TYPICAL[column.split("_")[0]]
    raw = values.drop_nulls() / factor  # the numbers as written in the file
    if raw.len() and ((raw / 1000 >= low) & (raw / 1000 <= high)).all():
        return ' (looks like cells/uL: set [units] counts = "cells/uL")'
    if raw.len() and ((raw * 1000 >= low) & (raw * 1000 <= high)).all():
        return ' (looks like 10^9/L: set [units] counts = "10^9/L")'
    return ""


def _numeric(df: pl.DataFrame, col: str, problems: list[Problem]) -> pl.Series:
    raw = df[col]
    num = raw.cast(pl.Float64, strict=False) if raw.dtype == pl.String else raw.cast(pl.Float64)
    bad = raw.is_not_null() & num.is_null()
    problems += _rows_where(df, bad, col, "a number")
    return num


def convert_and_check(raw: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, list[Problem]]:
    """Convert canonical columns to their types and units, then run every row check.

    Checks: required columns; missing or duplicate patient_id; non-numeric numbers; event
    codes outside {0, 1}; unknown response or sex codes; negative times; PFS longer than OS
    by more than 0.01 month; lymphocytes <= 0; WBC below neutrophils; values outside the
    plausible range of their unit, with a hint at the unit they look like.
    """
    problems: list[Problem] = []
    have = set(raw.columns)
    for name in ("patient_id", "best_response", *TIME_COLUMNS, *EVENT_COLUMNS):
        if name not in have:
            problems.append(Problem("", None, name, None, "a required column (map it in [columns])"))
    if not ({"neutrophils_d0", "lymphocytes_d0"} <= have or "nlr_d0" in have):
        problems.append(Problem("", None, "neutrophils_d0, lymphocytes_d0",
                                None, "both baseline counts, or an nlr_d0 column"))
    out: dict[str, pl.Series] = {}
    df = raw
    if "patient_id" in have:
        pid = df["patient_id"].cast(pl.String)
        problems += _rows_where(df, pid.is_null(), "patient_id", "a non-empty identifier")
        problems += _rows_where(df, pid.is_duplicated() & pid.is_not_null(), "patient_id",
                                "a unique identifier (this one appears more than once)")
    for name in raw.columns:
        spec = COLUMNS.get(name)
        if spec is None or name in ("patient_id", "_row"):
            continue
        s = df[name]
        if spec.kind in ("float", "int"):
            num = _numeric(df, name, problems)
            if name in COUNT_COLUMNS:
                num = num * mapping.count_factor
            elif name in TIME_COLUMNS:
                num = num * mapping.time_factor
            if spec.kind == "int":
                frac = num.is_not_null() & (num != num.round(0))
                problems += _rows_where(df, frac, name, "a whole number")
            out[name] = num.cast(pl.Int64, strict=False) if spec.kind == "int" else num
        elif spec.kind == "event":
            num = _numeric(df, name, problems)
            bad = num.is_not_null() & ~num.is_in([0.0, 1.0])
            problems += _rows_where(df, bad, name, "an event code 0 or 1 (after recoding; map words such "
                                    f"as 'dead' in [values.{name}])")
            out[name] = num.cast(pl.Int64, strict=False)
        elif spec.kind == "bool":
            low = s.cast(pl.String).str.to_lowercase()
            bad = low.is_not_null() & ~low.is_in(list(_TRUE | _FALSE))
            problems += _rows_where(df, bad, name, "true/false, yes/no or 1/0")
            out[name] = low.replace_strict({**{t: True for t in _TRUE}, **{f: False for f in _FALSE}},
                                           default=None, return_dtype=pl.Boolean)
        elif spec.kind == "sex":
            up = s.cast(pl.String).str.to_uppercase()
            bad = up.is_not_null() & ~up.is_in(["F", "M"])
            problems += _rows_where(df, bad, name, "F or M (map other codes in [values.sex])")
            out[name] = up
        elif spec.kind == "response":
            up = s.cast(pl.String).str.to_uppercase()
            bad = up.is_not_null() & ~up.is_in(list(RESPONSE_CODES))
            problems += _rows_where(df, bad, name, "a RECIST code CR, PR, SD, PD or NE "
                                    "(map other codes in [values.best_response])")
            out[name] = up
    typed = df.with_columns([v.alias(k) for k, v in out.items()])
    if "patient_id" in typed.columns:
        typed = typed.with_columns(pl.col("patient_id").cast(pl.String))
    problems += _range_checks(typed, mapping, raw)
    return typed, problems


def _range_checks(df: pl.DataFrame, mapping: Mapping, raw: pl.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    cols = set(df.columns)
    for t in TIME_COLUMNS:
        if t in cols and df[t].dtype.is_numeric():
            problems += _rows_where(df, df[t] < 0, t, "a time >= 0", raw)
    if {"pfs_months", "os_months"} <= cols and df["pfs_months"].dtype.is_numeric() \
            and df["os_months"].dtype.is_numeric():
        longer = df["pfs_months"] > df["os_months"] + _PFS_OS_TOLERANCE
        sub = df.filter(longer)
        raw_pfs = raw.filter(longer)["pfs_months"].cast(pl.String)
        for r, i, p, o in zip(sub["_row"], sub["patient_id"] if "patient_id" in cols else [None] * sub.height,
                              raw_pfs, sub["os_months"]):
            problems.append(Problem(r, i, "pfs_months", p,
                                    f"PFS no longer than OS ({o:g} months) beyond 0.01 month"))
    for day in ("d0", "d14"):
        lym = f"lymphocytes_{day}"
        if lym in cols and df[lym].dtype.is_numeric():
            problems += _rows_where(df, df[lym] <= 0, lym, "a count > 0 (NLR is undefined otherwise)", raw)
    if {"wbc", "neutrophils_d0"} <= cols and df["wbc"].dtype.is_numeric() \
            and df["neutrophils_d0"].dtype.is_numeric():
        problems += _rows_where(df, df["wbc"] <= df["neutrophils_d0"], "wbc",
                                "a white cell count above neutrophils_d0 (dNLR is undefined otherwise)", raw)
    for name in cols:
        spec = COLUMNS.get(name)
        if spec is None or spec.plausible is None or not df[name].dtype.is_numeric():
            continue
        lo, hi = spec.plausible
        out_of_range = (df[name] < lo) | (df[name] > hi)
        if name.startswith("lymphocytes"):
            out_of_range = out_of_range & (df[name] > 0)  # <= 0 has its own message
        if not out_of_range.any():
            continue
        hint = ""
        if name in COUNT_COLUMNS:
            hint = _unit_hint(name, df.filter(out_of_range)[name], mapping.count_factor)
            declared = " 10^9/L" + (f" after conversion from the declared unit {mapping.counts_unit}"
                                     if mapping.counts_unit != "10^9/L" else "")
        else:
            declared = f" ({spec.unit})" if spec.unit else ""
        problems += _rows_where(df, out_of_range, name, f"a value in [{lo:g}, {hi:g}]{declared}{hint}", raw)
    return problems
