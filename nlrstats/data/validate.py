"""Validation of a raw cohort: typed conversion and row checks, every problem collected.

The raw frame holds strings (as read from the file, after renaming and recoding) plus a
``_row`` column that says where each row stands in the file ("line 5" of a text file, "row 5" of
a sheet). :func:`convert_and_check` converts each canonical column to its type and unit and
returns the typed frame with the problems found, each kind of problem in a column as one
:class:`~nlrstats.data.messages.Finding` over all its rows; the caller raises one
:class:`CohortError` listing them all, so a user fixes a file in one pass.
"""

from __future__ import annotations

import re

import polars as pl

from nlrstats.data.mapping import Mapping
from nlrstats.data.messages import CohortError, Finding, Problem, escape, finding_from
from nlrstats.data.plausibility import MAX_TIME_MONTHS, TYPICAL_COUNT_MEDIANS, marker_of, unit_slips
from nlrstats.data.reading import RawTable
from nlrstats.data.recode import column_problems
from nlrstats.data.schema import COLUMNS, COUNT_COLUMNS, RESPONSE_CODES, TIME_COLUMNS
from nlrstats.data.suggest import values_toml

__all__ = ["Problem", "Finding", "CohortError", "convert_and_check", "to_number"]

_TRUE = ("1", "true", "yes", "y", "t")
_FALSE = ("0", "false", "no", "n", "f")
# "16,150" or "1,234,567.5": digits grouped by thousands, which a decimal comma cannot tell apart from "16.150"
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_TYPOGRAPHIC_MINUS = ("\u2212", "\u2013")
_PFS_OS_TOLERANCE = 0.01  # months; rounding of dates to days makes PFS exceed OS by a day at most
_FIX_NUMBER = ("write a number (or leave the cell empty for a missing value); if the word means missing, "
               "add it to the mapping's [file] na = [...]")


def number_expr(col: str, dtype: pl.DataType = pl.String, decimal: str = ".") -> pl.Expr:
    """Column ``col`` as Float64: text parsed (null where it is not a number) with ``decimal`` as the mark.

    With a decimal comma a value holding a point ("1.234,5", "4.5") is not a number: the point is a
    thousands separator or the other convention, and guessing would change the value.
    """
    c = pl.col(col)
    if dtype != pl.String:
        return c.cast(pl.Float64)
    if decimal == ",":
        c = pl.when(c.str.contains(".", literal=True)).then(None).otherwise(c.str.replace(",", ".", literal=True))
    return c.cast(pl.Float64, strict=False).alias(col)


def to_number(s: pl.Series, decimal: str = ".") -> pl.Series:
    """A text series as Float64 (see :func:`number_expr`)."""
    return s.to_frame().lazy().select(number_expr(s.name, s.dtype, decimal)).collect().to_series()


def _not_number_fix(col: str, kind: str, values: list[str], decimal: str, column: pl.Series) -> str:
    if kind == "event":
        words = [v for v in values if v is not None]
        return "map the codes to 1 (event) and 0 (censored) in the mapping:\n" + values_toml(col, "event", words)
    grouped = [v for v in values if v]
    minus = next((v for v in grouped if any(m in v for m in _TYPOGRAPHIC_MINUS)), None)
    if minus is not None:
        return (f"'{escape(minus)}' has a typographic minus or dash (U+2212 or U+2013, from formatted cells or a word "
                f"processor), not the '-' a number needs: replace it with '-' in the export")
    if grouped and all(v.rstrip().endswith("%") for v in grouped):
        already = f"; {col} is read as a percentage already" if col == "best_pct_change" else ""
        return (f"'{escape(grouped[0])}' carries a '%' sign: export the column as plain numbers (Excel: Format "
                f"Cells > Number){already}")
    if decimal == "." and grouped and all(_THOUSANDS.fullmatch(v) for v in grouped):
        v = grouped[0]
        as_thousands, as_decimal = v.replace(",", ""), v.replace(",", ".", 1) if v.count(",") == 1 else None
        other = f" or {as_decimal} with a decimal comma" if as_decimal else ""
        return (f"'{escape(v)}' reads as {as_thousands} with ',' grouping thousands{other}: if ',' groups thousands, "
                f"export the numbers without digit grouping (Excel: Format Cells > Number, untick 'Use 1000 "
                f"Separator'); if it is the decimal mark, set [file] decimal = \",\" (or --decimal ,)")
    if decimal == "." and any(v and "," in v and v.replace(",", "", 1).lstrip("+-").isdigit() for v in values):
        if column.str.contains(r"^[+-]?\d*\.\d+$").any():
            return ("the column mixes decimal marks (some values with ',', others with '.'): write every value "
                    "with one mark, and set [file] decimal to it")
        return "the numbers use a decimal comma: set [file] decimal = \",\" in the mapping (or --decimal ,)"
    if decimal == "," and any(v and "." in v for v in values):
        return ("the file's decimal mark is ',' but these values use '.': write them with ',' or set "
                "[file] decimal = \".\" (or --decimal .)")
    return _FIX_NUMBER


def _event_code_fix(col: str, num: pl.Series) -> str:
    codes = sorted(num.drop_nulls().unique().to_list())
    if set(codes) <= {1.0, 2.0}:
        return (f"the codes are 1 and 2, R's Surv convention for censored and event; if so, add to the mapping:\n"
                f"[values.{col}]\n\"1\" = 0\n\"2\" = 1")
    shown = [f"{c:g}" for c in codes if c not in (0.0, 1.0)]
    return "map the codes to 1 (event) and 0 (censored) in the mapping:\n" + values_toml(col, "event", shown)


def _distinct(f: Finding, limit: int = 25) -> list[str]:
    return f.rows["value"].drop_nulls().unique(maintain_order=True).head(limit).to_list()


def _numbers(df: pl.DataFrame, col: str, kind: str, decimal: str, problems: list, num: pl.Series) -> pl.Series:
    bad = df[col].is_not_null() & num.is_null()
    if bad.any():
        f = finding_from(df, bad, col, "a number" if kind != "event" else
                         "an event code 0 or 1 (after recoding; map words such as 'dead' in "
                         f"[values.{col}])")
        problems.append(Finding(f.column, f.expected, f.rows,
                                _not_number_fix(col, kind, _distinct(f), decimal, df[col])))
    nonfinite = num.is_not_null() & ~num.is_finite()
    problems.append(finding_from(df, nonfinite, col, "a finite number (inf and NaN are not measurements)",
                                 fix="write the value, or leave the cell empty for a missing value"))
    return num.scatter(nonfinite.arg_true(), None) if nonfinite.any() else num


def _codes(df: pl.DataFrame, col: str, kind: str, problems: list) -> pl.Series:
    s = df[col].cast(pl.String)
    if kind == "bool":
        low = s.str.to_lowercase()
        bad = low.is_not_null() & ~low.is_in(list(_TRUE + _FALSE))
        expected = "true/false, yes/no or 1/0"
        out = low.replace_strict({**{t: True for t in _TRUE}, **{f: False for f in _FALSE}}, default=None,
                                 return_dtype=pl.Boolean)
    else:
        out = s.str.to_uppercase()
        allowed = ["F", "M"] if kind == "sex" else list(RESPONSE_CODES)
        bad = out.is_not_null() & ~out.is_in(allowed)
        expected = "F or M" if kind == "sex" else "a RECIST code CR, PR, SD, PD or NE"
    if bad.any():
        f = finding_from(df, bad, col, f"{expected} (map other codes in [values.{col}])")
        problems.append(Finding(col, f.expected, f.rows,
                                f"add to the mapping:\n{values_toml(col, kind, _distinct(f))}"))
    return out


def convert_and_check(raw: pl.DataFrame, mapping: Mapping, table: RawTable | None = None,
                      decimal: str | None = None) -> tuple[pl.DataFrame, list]:
    """Convert canonical columns to their types and units, then run every row check.

    Checks: required columns (with "did you mean"); missing or duplicate patient_id; non-numeric
    or non-finite numbers; event codes outside {0, 1}; unknown response, sex or yes/no codes (with
    the ``[values.*]`` lines to add); negative times and times above 50 years; PFS longer than OS by
    more than 0.01 month; lymphocytes <= 0; WBC not above neutrophils; unit slips (see
    :mod:`nlrstats.data.plausibility`); values outside the plausible range of their unit.

    Parameters
    ----------
    raw : String columns (canonical names after mapping) and ``_row``.
    mapping : gives the units.
    table : the file as read (for hints about headers and sheets), when known.
    decimal : the decimal mark of the numbers (default the table's, else ".").

    Returns
    -------
    (typed frame, list of :class:`~nlrstats.data.messages.Problem` / ``Finding``)
    """
    decimal = decimal or (table.reading.decimal if table is not None else ".")
    problems: list = list(column_problems(raw.columns, mapping, table))
    df = raw
    if "patient_id" in df.columns:
        pid = df["patient_id"].cast(pl.String)
        problems.append(finding_from(df, pid.is_null(), "patient_id", "a non-empty identifier",
                                     fix="fill in the patient's identifier, or delete the row"))
        problems.append(finding_from(df, pid.is_duplicated() & pid.is_not_null(), "patient_id",
                                     "a unique identifier (this one appears more than once)",
                                     fix="keep one row a patient; give each patient its own identifier"))
    out: dict[str, pl.Series] = {}
    numeric = [c for c in raw.columns if c in COLUMNS and COLUMNS[c].kind in ("float", "int", "event")]
    # one query for every column's parse, so that polars spreads the columns over the cores
    parsed = df.lazy().select(number_expr(c, df.schema[c], decimal) for c in numeric).collect() if numeric \
        else pl.DataFrame()
    for name in raw.columns:
        spec = COLUMNS.get(name)
        if spec is None or name in ("patient_id", "_row"):
            continue
        if spec.kind in ("float", "int", "event"):
            num = _numbers(df, name, spec.kind, decimal, problems, parsed[name])
            if name in COUNT_COLUMNS or name in TIME_COLUMNS:
                num = num * mapping.factor_of(name)
            if spec.kind == "int":
                frac = num.is_not_null() & (num != num.round(0))
                problems.append(finding_from(df, frac, name, "a whole number",
                                             fix=f"correct the value ({name} is {COLUMNS[name].unit})"))
            if spec.kind == "event":
                bad = num.is_not_null() & ~num.is_in([0.0, 1.0])
                f = finding_from(df, bad, name, "an event code 0 or 1 (after recoding)")
                if f is not None:
                    problems.append(Finding(name, f.expected, f.rows, _event_code_fix(name, num)))
            out[name] = num.cast(pl.Int64, strict=False) if spec.kind in ("int", "event") else num
        elif spec.kind in ("bool", "sex", "response"):
            out[name] = _codes(df, name, spec.kind, problems)
    if "patient_id" in df.columns:
        out["patient_id"] = df["patient_id"].cast(pl.String)
    typed = pl.DataFrame([out[c].alias(c) if c in out else df[c] for c in df.columns])
    slips, flagged = unit_slips(typed, mapping)
    problems += slips
    problems += _range_checks(typed, mapping, raw, flagged)
    return typed, [p for p in problems if p is not None]


def _unit_hint(column: str, values: pl.Series, factor: float) -> str:
    """Say which unit single implausible counts look like they were given in."""
    low, high = TYPICAL_COUNT_MEDIANS[marker_of(column)]
    written = values.drop_nulls() / factor
    if written.len() and ((written / 1000 >= low / 4) & (written / 1000 <= high * 4)).all():
        return ' (looks like cells/uL; if the whole column is, set [units] counts = "cells/uL")'
    if written.len() and ((written * 1000 >= low / 4) & (written * 1000 <= high * 4)).all():
        return ' (looks like 10^9/L; if the whole column is, set [units] counts = "10^9/L")'
    return ""


def _range_checks(df: pl.DataFrame, mapping: Mapping, raw: pl.DataFrame, flagged: set[str]) -> list:
    problems: list = []
    cols = set(df.columns)

    def numeric(c: str) -> bool:
        return c in cols and df[c].dtype.is_numeric()

    def shown(c: str) -> pl.Series:
        return raw[c].cast(pl.String)

    for t in TIME_COLUMNS:
        if numeric(t):
            problems.append(finding_from(df, df[t] < 0, t, "a time >= 0", shown(t),
                                         fix="times count from the start of treatment; correct the value"))
            if t not in flagged:
                problems.append(finding_from(df, df[t] > MAX_TIME_MONTHS, t,
                                             f"a time below {MAX_TIME_MONTHS:g} months (50 years)", shown(t),
                                             fix="correct the value, or the unit in [units] time"))
    if numeric("pfs_months") and numeric("os_months"):
        longer = df["pfs_months"] > df["os_months"] + _PFS_OS_TOLERANCE
        both = pl.concat_str([shown("pfs_months"), pl.lit(" (OS "), shown("os_months"), pl.lit(")")])
        problems.append(finding_from(df, longer, "pfs_months", "PFS no longer than OS beyond 0.01 month",
                                     pl.select(both).to_series(),
                                     fix="PFS ends at progression or death, so it cannot outlast OS: check both"))
    for day in ("d0", "d14"):
        lym = f"lymphocytes_{day}"
        if numeric(lym):
            problems.append(finding_from(df, df[lym] <= 0, lym, "a count > 0 (NLR is undefined otherwise)",
                                         shown(lym), fix="correct the count, or leave the cell empty"))
    if numeric("wbc") and numeric("neutrophils_d0"):
        problems.append(finding_from(df, df["wbc"] <= df["neutrophils_d0"], "wbc",
                                     "a white cell count above neutrophils_d0 (dNLR is undefined otherwise)",
                                     shown("wbc"), fix="check both counts and their units"))
    for name in df.columns:
        spec = COLUMNS.get(name)
        if spec is None or spec.plausible is None or not numeric(name) or name in flagged:
            continue
        lo, hi = spec.plausible
        out_of_range = (df[name] < lo) | (df[name] > hi)
        if name.startswith("lymphocytes"):
            out_of_range = out_of_range & (df[name] > 0)  # <= 0 has its own message
        if not out_of_range.any():
            continue
        hint = ""
        if name in COUNT_COLUMNS:
            unit = mapping.unit_of(name)
            hint = _unit_hint(name, df.filter(out_of_range)[name], mapping.factor_of(name))
            declared = " 10^9/L" + (f" after conversion from the declared unit {unit}" if unit != "10^9/L" else "")
        else:
            declared = f" ({spec.unit})" if spec.unit else ""
        problems.append(finding_from(df, out_of_range, name, f"a value in [{lo:g}, {hi:g}]{declared}{hint}",
                                     shown(name), fix="correct the value, or the unit in [units]"))
    return problems
