"""Apply a mapping to a table read from a file: rename, read missing-value spellings, recode values.

Also the check that the columns an analysis needs are there; when they are not, the message lists
the columns the file has, says which of them look like the missing ones ("did you mean"), gives the
``[columns]`` lines to add, and points to a header further down (rows above it) or on another sheet.
"""

from __future__ import annotations

import difflib

import polars as pl

from nlrstats.data.mapping import Mapping, MappingError
from nlrstats.data.messages import Problem, escape, quote
from nlrstats.data.reading import RawTable
from nlrstats.data.schema import COLUMNS, EVENT_COLUMNS, RESPONSE_CODES, TIME_COLUMNS
from nlrstats.data.suggest import columns_toml, fold, similar_columns, values_toml
from nlrstats.data.workbook import sheets_with_header

__all__ = ["apply_mapping", "column_problems", "REQUIRED_COLUMNS"]

#: Columns every cohort file needs (baseline counts or nlr_d0 are checked beside them).
REQUIRED_COLUMNS = ("patient_id", "best_response", *TIME_COLUMNS, *EVENT_COLUMNS)
_SHOW_COLUMNS = 25


def _canonical_values(kind: str) -> set[str] | None:
    return {"response": set(RESPONSE_CODES), "sex": {"F", "M"}, "event": {"0", "1", "0.0", "1.0"},
            "bool": {"TRUE", "FALSE", "0", "1", "YES", "NO", "Y", "N", "T", "F"}}.get(kind)


def _missing_from_file(mapping: Mapping, found: list[str]) -> list[str]:
    problems = []
    for canon, src in mapping.columns.items():
        if src not in found:
            close = difflib.get_close_matches(src, found, n=1, cutoff=0.6) or \
                [c for c in found if fold(c) == fold(src)]
            hint = f" (did you mean {quote(close[0])}?)" if close else ""
            problems.append(f"[columns] {canon} = \"{escape(src)}\": the file has no column {quote(src)}{hint}")
        elif canon in found and canon != src:
            problems.append(f"[columns] {canon} = \"{escape(src)}\": the file also has a column '{canon}'; "
                            "rename one of them")
    return problems


def apply_mapping(table: RawTable | pl.DataFrame, mapping: Mapping,
                  source: str | None = None) -> tuple[pl.DataFrame, list[str]]:
    """Rename and recode values; return the frame and notes.

    Reading has already trimmed the values and read the missing-value spellings as missing.

    Parameters
    ----------
    table : a :class:`~nlrstats.data.reading.RawTable` (or its frame: String columns and ``_row``).
    mapping : the mapping to apply.
    source : name for messages (default the table's file name).

    Raises
    ------
    MappingError
        when ``[columns]`` names a column the file lacks, or ``[values.*]`` leaves values unmapped;
        the message gives the TOML lines that fix it.
    """
    raw = table.frame if isinstance(table, RawTable) else table
    source = source or (table.reading.source if isinstance(table, RawTable) else "(data frame)")
    found = [c for c in raw.columns if c != "_row"]
    problems = _missing_from_file(mapping, found)
    if problems:
        raise MappingError(f"mapping {escape(mapping.source)} does not fit {escape(source)}:\n  - "
                           + "\n  - ".join(problems))
    df = raw.rename({src: canon for canon, src in mapping.columns.items() if src != canon})
    notes: list[str] = []
    unmapped: list[str] = []
    coded = [c for c in mapping.values if c in df.columns]
    distinct = df.lazy().select(pl.col(c).drop_nulls().unique().sort().implode() for c in coded).collect() \
        if coded else None
    for canon, table_ in mapping.values.items():
        if canon not in df.columns:
            unmapped.append(f"[values.{canon}]: the data have no column {canon}")
            continue
        seen = distinct[canon][0].to_list()
        kind = COLUMNS[canon].kind
        canonical_ok = _canonical_values(kind)
        left = [v for v in seen if v not in table_ and (canonical_ok is None or v.upper() not in canonical_ok)]
        if left:
            listed = ", ".join(quote(v) for v in left[:20]) + (f" and {len(left) - 20} more" if len(left) > 20 else "")
            lines = values_toml(canon, kind, left).split("\n")[1:]
            unmapped.append(f"[values.{canon}] leaves value(s) unmapped: {listed}\n    add under "
                            f"[values.{canon}]:\n      " + "\n      ".join(lines))
    if unmapped:
        raise MappingError(f"mapping {escape(mapping.source)} on {escape(source)}:\n  - " + "\n  - ".join(unmapped))
    recode = [pl.col(c).replace({k: str(v) for k, v in t.items()}).alias(c) for c, t in mapping.values.items()]
    if recode:  # one query, so that polars recodes the columns side by side
        df = df.lazy().with_columns(recode).collect()
    return df, notes + mapping.describe()


def _expected_names(mapping: Mapping) -> set[str]:
    names = {mapping.columns.get(c, c) for c in (*REQUIRED_COLUMNS, "neutrophils_d0", "lymphocytes_d0")}
    return names | set(REQUIRED_COLUMNS)


def _header_elsewhere(table: RawTable | None, mapping: Mapping) -> str:
    """A hint when the expected names sit in a row below the header read, or on another sheet."""
    if table is None:
        return ""
    wanted = {fold(n) for n in _expected_names(mapping)}
    word = "line" if table.reading.format == "text" else "row"
    header_row = table.reading.header_row or 0
    for number, cells in table.head:
        if number > header_row and sum(1 for c in cells if c and fold(c) in wanted) >= 2:
            skip = number - 1
            return (f"the header seems to be on {word} {number}: set [file] skip_rows = {skip} in the mapping "
                    f"(or --skip-rows {skip})")
    if table.reading.format == "excel" and table.data is not None:
        for sheet, row in sheets_with_header(table.data, table.reading.source, _expected_names(mapping),
                                             table.reading.sheet or ""):
            return (f"sheet {quote(sheet)} has these columns (row {row}); this is sheet {quote(table.reading.sheet)}: "
                    f"use --sheet {quote(sheet)} (or [file] sheet = \"{escape(sheet)}\")")
    return ""


def column_problems(columns: list[str], mapping: Mapping, table: RawTable | None = None) -> list[Problem]:
    """The required columns missing after mapping, as one problem with the fix (see module docstring)."""
    have = set(columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in have]
    counts_missing = not ({"neutrophils_d0", "lymphocytes_d0"} <= have or "nlr_d0" in have)
    if counts_missing:
        missing += [c for c in ("neutrophils_d0", "lymphocytes_d0") if c not in have]
    if not missing:
        return []
    found = [c for c in columns if c != "_row" and c not in COLUMNS]
    pairs, taken = [], set()
    for canon in missing:
        for cand in similar_columns(canon, [c for c in found if c not in taken], n=1):
            pairs.append((canon, cand))
            taken.add(cand)
    shown = ", ".join(quote(c) for c in found[:_SHOW_COLUMNS]) + (" ..." if len(found) > _SHOW_COLUMNS else "")
    listing = f"the file's {len(found)} other column(s): {shown}" if found else "the file has no other column"
    what = "required column" + ("s" if len(missing) > 1 else "") + " missing"
    if counts_missing:
        what += " (baseline NLR needs neutrophils_d0 and lymphocytes_d0, or nlr_d0)"
    fixes = []
    elsewhere = _header_elsewhere(table, mapping)
    if elsewhere:
        fixes.append(elsewhere)
    if len(found) == 1 and any(s in found[0] for s in (";", "\t", "|", ",")):
        fixes.append(f"the one column {quote(found[0][:60])} holds separators: set [file] separator "
                     "(or --separator)")
    if pairs and not elsewhere:
        names = ", ".join(f"{canon} = {quote(src)}" for canon, src in pairs)
        fixes.append(f"did you mean {names}? Add to the mapping (--mapping FILE.toml):\n" + columns_toml(pairs))
    elif not elsewhere:
        fixes.append("map the file's names to canonical ones in a mapping's [columns] table "
                     "(`nlrstats dictionary` lists the canonical columns)")
    return [Problem("", None, ", ".join(missing), None, f"{what}; {listing}", "\n".join(fixes))]
