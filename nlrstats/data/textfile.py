"""Delimited text files as hospitals export them: encodings, separators, decimal marks, quoted newlines.

:func:`read_text_table` turns the bytes of a CSV/TSV/TXT export into header cells, a frame of cells
(every value a string, as written) and the file's own line number of each record.

- Encoding: decoded beforehand to UTF-8 (see :mod:`nlrstats.data.charset`).
- Separator: set, an Excel ``sep=;`` first line, or detected among ``, ; TAB |`` as the one giving
  the same number of fields on the most of the first 50 lines.
- Decimal mark: set, or ``,`` when the separator is not a comma and sampled numbers use a comma and
  none a point (in a comma-separated file ``"13,450"`` is more often a thousands separator).
- Records: parsed by polars; the line number of each record and its field count come from a
  table of the file's lines, so a quoted newline does not shift the line numbers that follow and a
  ragged row (more or fewer fields than the header) is an error naming its line. A file whose lines
  hold an odd number of quotes (a quoted newline, or a stray quote) is parsed by Python's ``csv``
  module instead, which gives the same answer more slowly.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.data.messages import ReadError, quote

__all__ = ["read_text_table", "needs_trimming", "sep_name", "SEPARATORS", "TextTable"]

SEPARATORS = (",", ";", "\t", "|")
_SEP_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
_SNIFF_LINES = 50
_QUOTED = r'"[^"]*"'
_DEC_COMMA = r"^[+-]?\d*,\d+$"
_DEC_POINT = r"^[+-]?\d*\.\d+$"
_DECIMAL_SAMPLE = 2000


def needs_trimming(data: bytes, sep: str) -> bool:
    """Whether some value may start or end with blank space (else trimming every value can be skipped).

    A value has blank space at an edge only where a space or tab touches a separator, a quote, a
    line end or the file's ends; when no space does (the usual machine-written export), no value does.
    """
    if (sep != "\t" and b"\t" in data) or b"\xc2\xa0" in data:
        return True
    buf = np.frombuffer(data, dtype=np.uint8)
    spaces = np.flatnonzero(buf == 32)
    if spaces.size == 0:
        return False
    if spaces[0] == 0 or spaces[-1] == buf.size - 1:
        return True
    edge = np.zeros(256, dtype=bool)
    edge[[ord(sep), 34, 10, 13]] = True
    return bool(edge[buf[spaces - 1]].any() or edge[buf[spaces + 1]].any())


def sep_name(sep: str) -> str:
    """How a separator is named in messages (``tab`` rather than an invisible character)."""
    return _SEP_NAMES.get(sep, quote(sep))


@dataclass(frozen=True)
class TextTable:
    """What :func:`read_text_table` returns.

    Attributes
    ----------
    header : the header's cells (None for an empty cell).
    cells : one String column per header cell (``c0``, ``c1``...), one row per record after the header.
    lines : the file's line number of each record (polars Int64 series).
    header_line : the file's line number of the header.
    separator, separator_detected, decimal, decimal_detected : the marks used and whether detected.
    trim : whether values may carry blank space at their edges (see :func:`needs_trimming`).
    notes : what reading did that the user should know.
    head : the first 30 lines as (line number, cells), to find a header the reading did not use.
    """

    header: list[str | None]
    cells: pl.DataFrame
    lines: pl.Series
    header_line: int
    separator: str
    separator_detected: bool
    decimal: str
    decimal_detected: bool
    trim: bool
    notes: list[str]
    head: tuple[tuple[int, tuple[str, ...]], ...]


def _field_counts(lines: pl.Series, sep: str) -> pl.Series:
    """Fields per line: separators outside quoted segments, plus one."""
    if lines.str.contains('"', literal=True).any():
        lines = lines.str.replace_all(_QUOTED, "")
    return lines.str.count_matches(sep, literal=True) + 1


def _mode(counts: list[int]) -> tuple[int, int]:
    """The most common field count of at least 2, and how many lines have it."""
    tally: dict[int, int] = {}
    for c in counts:
        if c >= 2:
            tally[c] = tally.get(c, 0) + 1
    if not tally:
        return 1, 0
    best = max(tally.items(), key=lambda kv: (kv[1], kv[0]))
    return best


def _sniff(lines: list[str], wanted: str | None, suffix: str) -> tuple[str, bool, int, list[int]]:
    """The separator (set or detected), whether detected, the modal field count and each line's count."""
    if not lines:
        return wanted or ",", wanted is None, 1, []
    series = pl.Series(lines, dtype=pl.String)
    if wanted is not None:
        counts = _field_counts(series, wanted).to_list()
        return wanted, False, _mode(counts)[0], counts
    best = ("\t" if suffix == ".tsv" else ",", (0, 0), [1] * len(lines))
    for sep in SEPARATORS:
        counts = _field_counts(series, sep).to_list()
        mode, same = _mode(counts)
        if (same, mode) > best[1]:
            best = (sep, (same, mode), counts)
    return best[0], True, best[1][1] or 1, best[2]


def _sep_line(first: str) -> str | None:
    """Excel's separator hint: a first line ``sep=;``."""
    m = re.fullmatch(r'"?sep=(.)"?\s*', first)
    return m.group(1) if m else None


def _check_title_rows(lines: list[tuple[int, str]], counts: list[int], mode: int, sep: str,
                      source: str, first_line: int) -> None:
    """A first line of one field above lines that mostly have more is a title above the header."""
    if len(counts) < 3 or counts[0] != 1 or mode < 2 or sum(c == mode for c in counts) < 2 \
            or lines[0][0] != first_line:
        return
    j = next(i for i, c in enumerate(counts) if c == mode)
    header_line = lines[j][0]
    raise ReadError(source, f"line {lines[0][0]} ({quote(lines[0][1][:60])}) has {counts[0]} field(s) but the "
                    f"lines from line {header_line} have {mode} (separator {sep_name(sep)}): the header seems "
                    f"to be line {header_line}, under a title",
                    f"set [file] skip_rows = {header_line - 1} in the mapping (or --skip-rows {header_line - 1})")


def read_text_table(data: bytes, source: str, *, separator: str | None, decimal: str | None,
                    skip_rows: int, suffix: str) -> TextTable:
    """Parse UTF-8 bytes of a delimited file into header cells, cells and line numbers (see module doc)."""
    notes: list[str] = []
    head_text = data[: 1 << 16].decode("utf-8", errors="ignore")
    if "\n" not in head_text and "\r" in head_text:  # classic Mac line ends
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        head_text = head_text.replace("\r", "\n")
        notes.append("lines end in CR only (classic Mac); read as line breaks")
    head_all = [ln.rstrip("\r") for ln in head_text.split("\n")]
    skip = skip_rows
    hinted = _sep_line(head_all[0]) if head_all else None
    if hinted is not None and skip_rows == 0:
        skip = 1
        notes.append(f"line 1 'sep={escape_sep(hinted)}' (Excel's separator hint) gives the separator")
        separator = separator or hinted
    first = skip
    while first < len(head_all) - 1 and not head_all[first].strip():
        first += 1
    if first > skip:
        notes.append(f"{first - skip} blank line(s) above the header skipped")
        skip = first
    # lines inside a quoted newline hold an odd number of quotes: they say nothing about the separator
    numbered = [(skip + 1 + i, ln) for i, ln in enumerate(head_all[skip:])
                if ln.strip() and ln.count('"') % 2 == 0][:_SNIFF_LINES]
    sep, sep_detected, mode, counts = _sniff([ln for _, ln in numbered], separator, suffix)
    other_seps = numbered and any(c in numbered[0][1] for c in SEPARATORS if c != sep)
    if sep_detected or not other_seps:  # a header split by another separator is not a title
        _check_title_rows(numbered, counts, mode, sep, source, skip + 1)
    cells, lines = _parse(data, source, sep, skip)
    if cells.height == 0 or all(v is None or not str(v).strip() for v in cells.row(0)):
        raise ReadError(source, "is empty" + (f" below the {skip} skipped line(s)" if skip else ""),
                        "the file holds no header and no rows: export the data again"
                        + (", or lower [file] skip_rows" if skip_rows else ""))
    header = [None if v is None or not v.strip() else v for v in cells.row(0)]
    header_line = int(lines[0])
    cells, lines = cells.slice(1), lines.slice(1)
    dec, dec_detected = _decimal(cells, sep, decimal)
    if dec_detected and dec == ",":
        notes.append("decimal mark ',' detected (numbers such as '4,5' read as 4.5)")
    return TextTable(header=header, cells=cells, lines=lines, header_line=header_line, separator=sep,
                     separator_detected=sep_detected, decimal=dec, decimal_detected=dec_detected,
                     trim=needs_trimming(data, sep), notes=notes,
                     head=tuple((i + 1, tuple(_split(ln, sep))) for i, ln in enumerate(head_all[:30])))


def escape_sep(sep: str) -> str:
    return "\\t" if sep == "\t" else sep


def _split(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=sep))
    except (csv.Error, StopIteration):
        return [line]


def _records(data: bytes, sep: str, skip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record (from the line after ``skip`` lines): its first line's number, its field count, blank or not.

    A record ends at a line break outside quotes and its fields are split by separators outside
    quotes (RFC 4180: a quote opens or closes a quoted part, a doubled quote toggles twice). Read
    from the bytes with numpy: the positions of separators, line breaks and quotes, in order, are
    the only bytes looked at twice.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    offset = 0
    if skip:
        nl = np.flatnonzero(buf == 10)
        offset = buf.size if skip > nl.size else int(nl[skip - 1]) + 1
    body = buf[offset:]
    quoted = data.find(b'"', offset) != -1
    mask = (body == ord(sep)) | (body == 10)
    if quoted:
        mask |= body == 34
    events = np.flatnonzero(mask)
    kind = body[events]
    all_nl = events[kind == 10]
    if quoted:
        is_quote = kind == 34
        outside = (np.cumsum(is_quote, dtype=np.uint8) & 1) == 0  # parity of the quotes before each event
        keep = outside & ~is_quote
        events, kind = events[keep], kind[keep]
    nl_idx = np.flatnonzero(kind == 10)
    counts = np.diff(np.concatenate(([-1], nl_idx)))  # separators between two line ends, plus one
    starts = np.concatenate(([0], events[nl_idx] + 1))
    if starts[-1] >= body.size:
        starts = starts[:-1]
    else:  # the last record has no line end
        counts = np.append(counts, kind.size - (int(nl_idx[-1]) + 1 if nl_idx.size else 0) + 1)
    if starts.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    first_line = skip + 1 + np.searchsorted(all_nl, starts, side="left")
    blank = np.zeros(starts.size, dtype=bool)
    ends_at = np.append(starts[1:], body.size)
    for i in np.flatnonzero(counts != counts[0]):  # only a record with another field count may be blank
        blank[i] = not bytes(body[starts[i]:ends_at[i]]).strip()
    return first_line.astype(np.int64), counts.astype(np.int64), blank


def _parse(data: bytes, source: str, sep: str, skip: int) -> tuple[pl.DataFrame, pl.Series]:
    """Cells (header row first) and the file's line number of each record; ragged records are errors."""
    numbers, counts, blank = _records(data, sep, skip)
    try:
        cells = pl.read_csv(io.BytesIO(data), has_header=False, separator=sep, skip_lines=skip,
                            infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)
    except Exception:  # noqa: BLE001 - a file polars cannot parse is judged by the csv module
        return _parse_csv_module(data, source, sep, skip)
    if cells.height != numbers.size:  # a stray quote: polars and RFC 4180 disagree; csv decides
        return _parse_csv_module(data, source, sep, skip)
    cells = cells.rename({c: f"c{i}" for i, c in enumerate(cells.columns)})
    lines = pl.Series("line", numbers, dtype=pl.Int64)
    _check_ragged(pl.Series(counts), pl.Series(blank), lines, sep, source, _first_record(cells))
    return cells, lines


def _first_record(cells: pl.DataFrame) -> str:
    return "" if cells.height == 0 else "".join(v or "" for v in cells.row(0))


def _check_ragged(counts: pl.Series, blank: pl.Series, numbers: pl.Series, sep: str, source: str,
                  header: str = "") -> None:
    if counts.len() == 0:
        return
    n_header = int(counts[0])
    bad = (counts != n_header) & ~blank
    if not bad.any():
        return
    frame = pl.DataFrame({"line": numbers, "fields": counts}).filter(bad)
    first = frame.head(5)
    listed = ", ".join(f"line {ln} has {k}" for ln, k in first.iter_rows())
    more = f", and {frame.height - 5} more line(s)" if frame.height > 5 else ""
    others = [c for c in SEPARATORS if c != sep and c in header]
    if others:
        raise ReadError(source, f"the header (line {int(numbers[0])}) has {n_header} field(s) split by "
                        f"{sep_name(sep)}, and {frame.height} row(s) another number ({listed}{more}); the header "
                        f"holds {sep_name(others[0])}",
                        f"is the separator {sep_name(others[0])}? Set [file] separator (or --separator), or remove "
                        "it to detect the separator")
    raise ReadError(source, f"{frame.height} row(s) do not have the header's {n_header} field(s) "
                    f"(separator {sep_name(sep)}, header on line {int(numbers[0])}): {listed}{more}",
                    "a value holding the separator needs quotes (\"...\"), a cut row needs its missing "
                    "fields; if lines above the header hold a title, set [file] skip_rows (or --skip-rows); "
                    "if the separator is another one, set [file] separator (or --separator)")


def _parse_csv_module(data: bytes, source: str, sep: str, skip: int) -> tuple[pl.DataFrame, pl.Series]:
    text = data.decode("utf-8")
    pos = 0
    for _ in range(skip):
        nxt = text.find("\n", pos)
        pos = len(text) if nxt < 0 else nxt + 1
    reader = csv.reader(io.StringIO(text[pos:], newline=""), delimiter=sep, quotechar='"', strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    prev = 0
    try:
        for row in reader:
            rows.append(row)
            starts.append(skip + prev + 1)
            prev = reader.line_num
    except csv.Error as exc:
        line = skip + prev + 1
        raise ReadError(source, f"a quoted value starting on line {line} is malformed ({exc})",
                        "inside quotes a quote is written twice (\"5\"\" tumour\"); close every quote "
                        "before the separator or the line end") from None
    if not rows:
        return pl.DataFrame(), pl.Series("line", [], dtype=pl.Int64)
    n = len(rows[0])
    counts = pl.Series([len(r) for r in rows])
    blank = pl.Series([not any(c.strip() for c in r) for r in rows])
    numbers = pl.Series("line", starts, dtype=pl.Int64)
    _check_ragged(counts, blank, numbers, sep, source, "".join(rows[0]))
    cols = {f"c{i}": [r[i] if i < len(r) and r[i] != "" else None for r in rows] for i in range(n)}
    return pl.DataFrame(cols, schema={c: pl.String for c in cols}), numbers


def _decimal(cells: pl.DataFrame, sep: str, wanted: str | None) -> tuple[str, bool]:
    if wanted is not None:
        return wanted, False
    if sep == "," or cells.height == 0:
        return ".", True
    sample = cells.head(_DECIMAL_SAMPLE)
    stats = sample.select(
        pl.sum_horizontal([pl.col(c).str.strip_chars().str.contains(_DEC_COMMA).sum() for c in sample.columns])
        .alias("comma"),
        pl.sum_horizontal([pl.col(c).str.strip_chars().str.contains(_DEC_POINT).sum() for c in sample.columns])
        .alias("point"),
    ).row(0)
    return ("," if stats[0] and not stats[1] else "."), True
