"""Excel workbooks (.xlsx, .xlsm, .xls, .ods): the sheet, the header row and the spreadsheet's row numbers.

Read with fastexcel (calamine) from the file's bytes, every cell as text. The sheet is the one set
(``--sheet`` / ``[file] sheet``: a name, or a position counting from 1 as R's ``readxl`` does) or
the first; the reading record names it and lists the others. Rows are counted from the top of the
sheet, so a message's "row 7" is the row Excel shows; as in ``readxl``, empty rows above the header
are skipped, after the ``skip_rows`` rows the user asked to skip.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import polars as pl

from nlrstats.data.messages import ReadError, quote

__all__ = ["SheetTable", "read_sheet", "sheets_with_header"]


@dataclass(frozen=True)
class SheetTable:
    """Header cells, cells (``c0``, ``c1``...), spreadsheet row numbers and the sheet read.

    ``head`` holds the sheet's first 30 rows as (row number, cells), to find a header elsewhere.
    """

    header: list[str | None]
    cells: pl.DataFrame
    lines: pl.Series
    header_line: int
    sheet: str
    sheets: tuple[str, ...]
    head: tuple[tuple[int, tuple[str, ...]], ...]


def _reader(data: bytes, source: str):
    import fastexcel

    try:
        return fastexcel.read_excel(data)
    except Exception as exc:  # noqa: BLE001 - calamine reports corrupt files with several exception types
        raise ReadError(source, f"cannot be read as a workbook ({_first_line(exc)})",
                        "open it in Excel or LibreOffice and save it again as .xlsx, or export it as CSV") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().split("\n")[0]
    return text[:200] or type(exc).__name__


def _choose(names: list[str], wanted: str | int | None, source: str) -> str:
    if not names:
        raise ReadError(source, "is a workbook without sheets", "save the data in a sheet, or export it as CSV")
    listing = ", ".join(quote(n) for n in names)
    if wanted is None:
        return names[0]
    if isinstance(wanted, str) and wanted in names:
        return wanted
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.strip().isdigit()):
        pos = int(wanted)
        if 1 <= pos <= len(names):
            return names[pos - 1]
        raise ReadError(source, f"has {len(names)} sheet(s) ({listing}); there is no sheet number {pos}",
                        "give a sheet name or a position from 1")
    close = difflib.get_close_matches(str(wanted), names, n=1, cutoff=0.6) or \
        [n for n in names if n.strip().lower() == str(wanted).strip().lower()]
    hint = f"did you mean {quote(close[0])}? " if close else ""
    raise ReadError(source, f"has no sheet {quote(wanted)}; its sheets are {listing}",
                    f"{hint}set --sheet (or [file] sheet) to one of them")


def _load(reader, name: str, source: str, n_rows: int | None = None) -> pl.DataFrame:
    try:
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", n_rows=n_rows)
        frame = sheet.to_polars()
    except Exception as exc:  # noqa: BLE001
        raise ReadError(source, f"sheet {quote(name)} cannot be read ({_first_line(exc)})",
                        "open it in Excel or LibreOffice and save it again, or export the sheet as CSV") from None
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    return frame.with_columns(pl.all().cast(pl.String))


def read_sheet(data: bytes, source: str, *, sheet: str | int | None, skip_rows: int) -> SheetTable:
    """Read one sheet: the header is the first non-empty row below ``skip_rows`` rows."""
    reader = _reader(data, source)
    names = list(reader.sheet_names)
    name = _choose(names, sheet, source)
    frame = _load(reader, name, source)
    others = [n for n in names if n != name]
    also = f" (the workbook's other sheets: {', '.join(quote(n) for n in others)})" if others else ""
    if frame.height == 0 or frame.width == 0:
        raise ReadError(source, f"sheet {quote(name)} is empty{also}",
                        "choose the sheet with the data with --sheet (or [file] sheet)" if others
                        else "put the data in the sheet, or export it as CSV")
    filled = frame.select(pl.any_horizontal(pl.all().str.strip_chars().str.len_chars() > 0)).to_series() \
        .fill_null(False)
    below = filled.slice(skip_rows)
    if not below.any():
        raise ReadError(source, f"sheet {quote(name)} has no rows below the {skip_rows} skipped row(s){also}",
                        "lower [file] skip_rows (or --skip-rows)")
    start = skip_rows + int(below.arg_true()[0])
    header = [None if v is None or not v.strip() else v for v in frame.row(start)]
    cells = frame.slice(start + 1)
    lines = pl.int_range(start + 2, start + 2 + cells.height, eager=True, dtype=pl.Int64)
    head = tuple((i + 1, tuple("" if v is None else v for v in frame.row(i))) for i in range(min(30, frame.height)))
    return SheetTable(header=header, cells=cells, lines=lines, header_line=start + 1, sheet=name,
                      sheets=tuple(names), head=head)


def sheets_with_header(data: bytes, source: str, names: set[str], exclude: str) -> list[tuple[str, int]]:
    """Other sheets whose first 30 rows hold a row with at least two of ``names``: (sheet, row number)."""
    reader = _reader(data, source)
    found = []
    wanted = {n.strip().lower() for n in names}
    for name in reader.sheet_names:
        if name == exclude:
            continue
        try:
            frame = _load(reader, name, source, n_rows=30)
        except ReadError:
            continue
        for i, row in enumerate(frame.iter_rows()):
            if sum(1 for v in row if v is not None and v.strip().lower() in wanted) >= 2:
                found.append((name, i + 1))
                break
    return found
