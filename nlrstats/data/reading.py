"""Reading a cohort file into a table of text cells, and the record of how it was read.

:func:`read_table` takes a path and :class:`FileOptions` (the mapping's ``[file]`` section and the
command-line flags) and returns a :class:`RawTable`: one String column per header name, a ``_row``
column with the file's own label of each row ("line 7" of a text file, "row 7" of a sheet or a
Parquet file) and a :class:`Reading` record (encoding, separator, decimal mark, sheet, skipped rows,
missing-value spellings, and later the units) that documents and ``nlrstats validate`` print.

Every file gets an answer: a directory, an empty or header-only file, a binary file, duplicate
column names, a column without a name that holds values in the middle of the table, ragged rows,
and an unknown format are :class:`~nlrstats.data.messages.ReadError` s that say what to change.
Paths are opened as they are named, never expanded as glob patterns (``cohort [final].csv``).
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from nlrstats.data.messages import ReadError, quote
from nlrstats.data.schema import MISSING_TOKENS
from nlrstats.data.charset import decode_text
from nlrstats.data.textfile import read_text_table, sep_name
from nlrstats.data.workbook import read_sheet

__all__ = ["FileOptions", "Reading", "RawTable", "read_table", "table_from_frame", "TEXT_SUFFIXES",
           "EXCEL_SUFFIXES"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".dat")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_FOREIGN = {".sav": "SPSS", ".zsav": "SPSS", ".dta": "Stata", ".sas7bdat": "SAS", ".xpt": "SAS transport",
            ".rds": "R", ".rdata": "R", ".rda": "R", ".feather": "Arrow/Feather", ".json": "JSON",
            ".docx": "Word", ".pdf": "PDF", ".zip": "zip"}
_ZIP, _OLE, _PARQUET, _GZIP = b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"PAR1", b"\x1f\x8b"


@dataclass(frozen=True)
class FileOptions:
    """How to read the file; None means "detect" (or the default). The mapping's ``[file]`` section.

    Attributes
    ----------
    encoding : a Python codec name ("utf-8", "cp1252", "latin-1", "cp932", ...).
    separator : one character; text files only.
    decimal : "." or ","; text files only.
    sheet : a sheet name, or its position from 1; workbooks only.
    skip_rows : lines (rows of a sheet) above the header to skip.
    na : the spellings read as a missing value (replace the defaults, :data:`MISSING_TOKENS`);
        an empty cell is always missing.
    """

    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    sheet: str | int | None = None
    skip_rows: int | None = None
    na: tuple[str, ...] | None = None

    def overridden(self, **flags) -> "FileOptions":
        """These options with each flag that is not None put in place (command-line flags win)."""
        return replace(self, **{k: v for k, v in flags.items() if v is not None})


@dataclass(frozen=True)
class Reading:
    """How a cohort file was read: the record a report prints under "how the file was read".

    Attributes
    ----------
    source : the file name.
    format : "text", "excel", "parquet" or "frame".
    encoding, separator, decimal : of a text file (None otherwise; decimal "." otherwise).
    sheet, sheets : the sheet read and every sheet of the workbook.
    skip_rows : rows skipped above the header as asked; header_row is the file's line/row of the header.
    na : spellings read as missing.
    detected : which of encoding, separator, decimal were detected rather than set.
    time_unit, count_unit : units the values were read in (set by the loader from ``[units]``).
    column_units : (column, unit) for columns whose unit differs from ``count_unit`` / ``time_unit``.
    notes : what reading did that a reader of the results should know.
    """

    source: str
    format: str
    encoding: str | None = None
    separator: str | None = None
    decimal: str = "."
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    skip_rows: int = 0
    header_row: int | None = None
    na: tuple[str, ...] = MISSING_TOKENS
    detected: tuple[str, ...] = ()
    time_unit: str = "months"
    count_unit: str = "10^9/L"
    column_units: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    def _how(self, what: str) -> str:
        return "detected" if what in self.detected else "set"

    def summary(self) -> str:
        """One line: the format and the marks used (for error messages)."""
        if self.format == "text":
            parts = [f"encoding {self.encoding} ({self._how('encoding')})",
                     f"separator {sep_name(self.separator or ',')} ({self._how('separator')})",
                     f"decimal mark '{self.decimal}' ({self._how('decimal')})"]
        elif self.format == "excel":
            others = [s for s in self.sheets if s != self.sheet]
            parts = [f"sheet {quote(self.sheet)}" + (f" (other sheets: {', '.join(quote(s) for s in others)})"
                                                     if others else "")]
        else:
            parts = [self.format]
        if self.header_row is not None:
            parts.append(f"header on {'line' if self.format == 'text' else 'row'} {self.header_row}")
        return "read as " + ", ".join(parts)

    def describe(self) -> list[str]:
        """Lines for a report: how the file was read, the units, the missing-value spellings, the notes."""
        units = f"times in {self.time_unit}, counts in {self.count_unit}"
        if self.column_units:
            units += " (" + ", ".join(f"{c} in {u}" for c, u in self.column_units) + ")"
        lines = [f"{self.source}: {self.summary()}", f"units read: {units}",
                 "read as missing: " + ", ".join(quote(t) for t in self.na)]
        return lines + list(self.notes)

    def to_dict(self) -> dict:
        """The record as plain data (JSON-ready)."""
        return {"source": self.source, "format": self.format, "encoding": self.encoding,
                "separator": self.separator, "decimal": self.decimal, "sheet": self.sheet,
                "sheets": list(self.sheets), "skip_rows": self.skip_rows, "header_row": self.header_row,
                "na": list(self.na), "detected": list(self.detected), "time_unit": self.time_unit,
                "count_unit": self.count_unit, "column_units": dict(self.column_units), "notes": list(self.notes)}


@dataclass(frozen=True)
class RawTable:
    """A file read as text: ``frame`` (header names + ``_row``), its :class:`Reading`, its first rows.

    ``head`` holds the first 30 lines/rows as (number, cells) so that a message can point to a header
    the reading did not use; ``data`` keeps a workbook's bytes to look at its other sheets.
    """

    frame: pl.DataFrame
    reading: Reading
    head: tuple[tuple[int, tuple[str, ...]], ...] = ()
    data: bytes | None = field(default=None, repr=False)


def _open(path: Path) -> bytes:
    name = path.name
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (*TEXT_SUFFIXES, *EXCEL_SUFFIXES,
                                                                              ".parquet"))[:5]
        hint = f"name a file inside it ({', '.join(inside)})" if inside else "name the data file, not its folder"
        raise ReadError(name, "is a directory, not a data file", hint)
    try:
        return path.read_bytes()
    except PermissionError:
        raise ReadError(name, "cannot be read: permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise ReadError(name, f"cannot be read ({exc.strerror or exc})", "check the path") from None


def read_table(path: str | Path, options: FileOptions | None = None) -> RawTable:
    """Read a cohort file as text cells (see the module docstring).

    Parameters
    ----------
    path : a CSV/TSV/TXT, Excel (.xlsx/.xlsm/.xls/.ods) or Parquet file, optionally gzip-compressed;
        the format is judged from the content, the suffix only breaks ties.
    options : :class:`FileOptions` (encoding, separator, decimal, sheet, skip_rows, na).

    Raises
    ------
    ReadError
        naming what is wrong with the file and what to change.
    """
    path = Path(path)
    opts = options or FileOptions()
    name = path.name
    data = _open(path)
    notes: list[str] = []
    if data.startswith(_GZIP):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ReadError(name, f"is a damaged gzip file ({exc})", "compress it again, or give the plain file") \
                from None
        notes.append("gzip-compressed; decompressed")
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ReadError(name, "is empty" if not data else "holds only blank space",
                        "export the data again: a header line and one line a patient")
    if data.startswith(_PARQUET):
        return _parquet(data, name, opts, notes + _said(suffix, ".parquet", "Parquet"))
    if data.startswith((_ZIP, _OLE)):
        if data.startswith(_ZIP) and b"[Content_Types].xml" not in data[:4096] and b"mimetype" not in data[:200] \
                and suffix not in EXCEL_SUFFIXES:
            raise ReadError(name, "is a zip archive, not a workbook", "unzip it and name the data file inside")
        return _excel(data, name, opts, notes + _said(suffix, EXCEL_SUFFIXES, "an Excel workbook"))
    if suffix in _FOREIGN:
        raise ReadError(name, f"is a {_FOREIGN[suffix]} file; nlrstats reads CSV, Excel and Parquet",
                        "export the data as CSV (or .xlsx / .parquet)")
    if suffix in (".parquet", *EXCEL_SUFFIXES):
        notes.append(f"named {suffix} but holds text; read as a delimited text file")
    return _text(data, name, opts, suffix, notes)


def _said(suffix: str, expected, what: str) -> list[str]:
    expected = (expected,) if isinstance(expected, str) else expected
    return [] if suffix in expected else [f"named {suffix or '(no suffix)'} but holds {what}; read as such"]


def _text(data: bytes, name: str, opts: FileOptions, suffix: str, notes: list[str]) -> RawTable:
    if opts.sheet is not None:
        notes.append("[file] sheet is ignored: the file is text, not a workbook")
    utf8, encoding, enc_detected, enc_notes = decode_text(data, opts.encoding, name)
    t = read_text_table(utf8, name, separator=opts.separator, decimal=opts.decimal, skip_rows=opts.skip_rows or 0,
                        suffix=suffix)
    detected = tuple(k for k, d in (("encoding", enc_detected), ("separator", t.separator_detected),
                                    ("decimal", t.decimal_detected)) if d)
    reading = Reading(source=name, format="text", encoding=encoding, separator=t.separator, decimal=t.decimal,
                      skip_rows=opts.skip_rows or 0, header_row=t.header_line, na=_na(opts), detected=detected,
                      notes=tuple(notes + enc_notes + t.notes))
    return _assemble(t.header, t.cells, t.lines, "line", reading, t.head, None, trim=t.trim)


def _excel(data: bytes, name: str, opts: FileOptions, notes: list[str]) -> RawTable:
    for key in ("encoding", "separator", "decimal"):
        if getattr(opts, key) is not None:
            notes.append(f"[file] {key} is ignored: the file is a workbook")
    s = read_sheet(data, name, sheet=opts.sheet, skip_rows=opts.skip_rows or 0)
    reading = Reading(source=name, format="excel", sheet=s.sheet, sheets=s.sheets, skip_rows=opts.skip_rows or 0,
                      header_row=s.header_line, na=_na(opts), notes=tuple(notes))
    return _assemble(s.header, s.cells, s.lines, "row", reading, s.head, data)


def _parquet(data: bytes, name: str, opts: FileOptions, notes: list[str]) -> RawTable:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pyarrow/polars raise several types for a damaged file
        raise ReadError(name, f"cannot be read as Parquet ({str(exc).splitlines()[0][:200]})",
                        "write the file again, or export it as CSV") from None
    return table_from_frame(frame, name, "parquet", _na(opts), notes)


def table_from_frame(frame: pl.DataFrame, source: str, fmt: str = "frame", na: tuple[str, ...] = MISSING_TOKENS,
                     notes: list[str] | None = None) -> RawTable:
    """An in-memory frame (or a Parquet file's) as a :class:`RawTable`: every value cast to text, rows from 1."""
    header = list(frame.columns)
    cells = {}
    for i, col in enumerate(header):
        s = frame[col]
        try:
            cells[f"c{i}"] = s.cast(pl.String)
        except Exception:  # noqa: BLE001 - nested or binary columns do not cast to text
            raise ReadError(source, f"column {quote(col)} holds {s.dtype} values, not one value per cell",
                            "flatten or drop that column before reading") from None
    body = pl.DataFrame(cells) if cells else pl.DataFrame()
    lines = pl.int_range(1, body.height + 1, eager=True, dtype=pl.Int64)
    reading = Reading(source=source, format=fmt, na=na, notes=tuple(notes or ()))
    return _assemble([h if h.strip() else None for h in header], body, lines, "row", reading, (), None)


def _na(opts: FileOptions) -> tuple[str, ...]:
    if opts.na is None:
        return MISSING_TOKENS
    return ("", *[t for t in opts.na if t != ""])


def _assemble(header: list[str | None], cells: pl.DataFrame, lines: pl.Series, word: str, reading: Reading,
              head, data, trim: bool = True) -> RawTable:
    """Name the columns, trim values, read missing-value spellings, drop blank rows, label the rows."""
    source = reading.source
    notes = list(reading.notes)
    names = [None if h is None else h.strip() for h in header]
    if any(n != h for n, h in zip(names, header) if h is not None):
        notes.append("spaces around column names removed")
    keep: dict[str, str] = {}
    unnamed = []
    for i, (col, n) in enumerate(zip(cells.columns, names)):
        if n is None:
            if not cells[col].str.strip_chars().str.len_chars().gt(0).any():
                continue
            n = f"unnamed_{i + 1}"
            unnamed.append(n)
        keep[col] = n
    if unnamed:
        notes.append(f"column(s) without a name kept as {', '.join(unnamed)} (R's row names?)")
    if cells.width - len(keep):
        notes.append(f"{cells.width - len(keep)} empty column(s) without a name dropped")
    _check_duplicates(names, reading)
    if not keep:
        raise ReadError(source, f"has no named column (header on {word} {reading.header_row})",
                        "the first line (row) must name the columns")
    frame = cells.drop([c for c in cells.columns if c not in keep]).rename(keep)
    na = list(reading.na)
    # trimming is a pass over every value: skipped when no value can have blank space at its edges
    lazy = frame.lazy().with_columns(pl.all().str.strip_chars()) if trim else frame.lazy()
    clean = lazy.with_columns(pl.when(pl.col(c).is_in(na)).then(None).otherwise(pl.col(c)).alias(c)
                              for c in frame.columns).collect()
    notes += _na_note(frame, clean, na)
    # a row can be all missing only if every column has a missing value (null counts are free)
    empty = clean.lazy().select(pl.all_horizontal(pl.all().is_null())).collect().to_series() \
        if min(clean.null_count().row(0)) > 0 else pl.Series([], dtype=pl.Boolean)
    if empty.any():  # all missing now; blank only if the file wrote nothing but spaces there
        blank = empty & frame.select(pl.all_horizontal(pl.all().str.strip_chars().fill_null("") == "")).to_series()
        if blank.any():
            gone = lines.filter(blank)
            listed = ", ".join(str(x) for x in gone.head(5).to_list()) + (" ..." if gone.len() > 5 else "")
            notes.append(f"{gone.len()} blank {word}(s) skipped ({word}s {listed})")
            clean, lines = clean.filter(~blank), lines.filter(~blank)
    if clean.height == 0:
        cols = ", ".join(quote(n) for n in keep.values())
        raise ReadError(source, f"has a header ({len(keep)} column(s): {_cut(cols)}) but no patient rows",
                        "export the data with one row a patient below the header")
    labels = pl.select(pl.concat_str([pl.lit(f"{word} "), pl.lit(lines).cast(pl.String)])).to_series()
    clean = clean.hstack([labels.alias("_row")])
    return RawTable(frame=clean, reading=replace(reading, notes=tuple(notes)), head=head, data=data)


def _na_note(before: pl.DataFrame, after: pl.DataFrame, na: list[str]) -> list[str]:
    """How many values were read as missing, per spelling."""
    tally: dict[str, int] = {}
    for c in before.columns:
        k = after[c].null_count() - before[c].null_count()
        if k:
            written = before[c].filter(after[c].is_null() & before[c].is_not_null()).str.strip_chars()
            for tok, n in written.value_counts().iter_rows():
                tally[tok] = tally.get(tok, 0) + n
    if not tally:
        return []
    listed = ", ".join(f"{quote(t) if t else 'blank'} ({n})" for t, n in sorted(tally.items(), key=lambda kv: -kv[1]))
    return [f"{sum(tally.values())} value(s) read as missing: {listed}"]


def _cut(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[:n] + " ..."


def _check_duplicates(names: list[str | None], reading: Reading) -> None:
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        if n is not None:
            seen.setdefault(n, []).append(i + 1)
    dups = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if dups:
        where = "; ".join(f"{quote(n)} is the name of columns {', '.join(map(str, pos))}" for n, pos in dups.items())
        raise ReadError(reading.source, f"has duplicate column names: {where} (header on "
                        f"{'line' if reading.format == 'text' else 'row'} {reading.header_row})",
                        "give each column its own name in the header, so that the data say which one is meant")
