"""Problems found in a cohort file, and how they are told: located, escaped, summarised, with the fix.

Every problem names where it is (the file's own line or spreadsheet row, the patient, the column),
the value as the file wrote it, what was expected and, where one exists, the exact fix (a TOML line
for the mapping, a flag). A problem repeated on many rows is one :class:`Finding` that holds the
rows as a frame and prints the first few with a count, so a file with 10^6 bad rows gives a short
message quickly. Control and format characters (ANSI escapes, bidi overrides, NUL) are printed
escaped, so that a value in a file cannot drive the user's terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["DataError", "CohortError", "ReadError", "Problem", "Finding", "escape", "escape_message",
           "quote", "toml_string", "finding_from", "SHOW_ROWS"]

#: A finding on more rows than this prints its first rows and a count instead of one line per row.
SHOW_ROWS = 3
#: Distinct values listed in a summary (with their counts) before "and N other values".
SHOW_VALUES = 5


def escape(text: object) -> str:
    """``text`` with every control or format character shown as a Python escape (``\\x1b``, ``\\u202e``).

    Printable characters, accented letters and symbols such as ``µ`` or ``≥`` are kept; tabs,
    newlines and no-break spaces inside a value are escaped too (``\\t``, ``\\n``, ``\\xa0``), since
    a value never spans lines and a hidden space is a common reason a value does not match.
    """
    s = str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\t\n\r":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF
                       else f"\\U{code:08x}")
    return "".join(out)


def escape_message(text: str) -> str:
    """A multi-line message with each line escaped (its line breaks kept); safe to print to a terminal."""
    return "\n".join(escape(line) for line in str(text).split("\n"))


def toml_string(value: object) -> str:
    """``value`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def quote(value: object) -> str:
    """A value as it appears in messages: escaped and in single quotes."""
    return f"'{escape(value)}'"


class DataError(ValueError):
    """Base of every error about the user's data or mapping: the CLI prints it without a traceback."""


class ReadError(DataError):
    """The file cannot be read as a table (missing, a directory, empty, undecodable, ragged...)."""

    def __init__(self, source: str, what: str, fix: str = ""):
        self.source, self.what, self.fix = source, what, fix
        super().__init__(f"{escape(source)}: {what}" + (f"\n  fix: {fix}" if fix else ""))


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (row, patient, column), what value, what was expected, the fix.

    ``row`` is the file's own label ("line 5" of a text file, "row 5" of a sheet or frame); empty for
    a problem of the whole file or column.
    """

    row: str
    patient_id: str | None
    column: str
    value: str | None
    expected: str
    fix: str = ""

    def __str__(self) -> str:
        who = f" (patient_id {escape(self.patient_id)})" if self.patient_id is not None else ""
        where = f"{self.row}{who}" if self.row else "file"
        val = "" if self.value is None else f": value {quote(self.value)}"
        text = f"{where}, column {escape(self.column)}{val} — expected {self.expected}"
        return text + _fix_text(self.fix)


def _fix_text(fix: str) -> str:
    if not fix:
        return ""
    lines = fix.split("\n")
    return "\n    fix: " + lines[0] + "".join(f"\n      {escape(line)}" for line in lines[1:])


def _row_number(row: str) -> int:
    digits = row.rsplit(" ", 1)[-1]
    return int(digits) if digits.isdigit() else 0


@dataclass(frozen=True)
class Finding:
    """One kind of problem in one column, on every row where it occurs.

    Attributes
    ----------
    column : the column (canonical name, or the file's name before mapping).
    expected : what a value should be.
    rows : frame with ``row`` (the file's label), ``patient_id`` and ``value`` (as the file wrote it).
    fix : the change that resolves it (may span lines: TOML to add), or "".
    """

    column: str
    expected: str
    rows: pl.DataFrame
    fix: str = ""

    @property
    def count(self) -> int:
        return self.rows.height

    @property
    def first_row(self) -> int:
        return _row_number(self.rows["row"][0]) if self.rows.height else 0

    def problems(self) -> list[Problem]:
        """One :class:`Problem` per row (built on demand: a finding can hold 10^6 rows)."""
        return [Problem(r, p, self.column, v, self.expected, self.fix)
                for r, p, v in self.rows.select("row", "patient_id", "value").iter_rows()]

    def __str__(self) -> str:
        if self.count <= SHOW_ROWS:
            return "\n  - ".join(str(p) for p in self.problems())
        first = self.rows.head(SHOW_ROWS)
        shown = ", ".join(
            f"{r}" + (f" (patient_id {escape(p)})" if p is not None else "") + (f" {quote(v)}" if v is not None else "")
            for r, p, v in first.select("row", "patient_id", "value").iter_rows())
        counts = (self.rows.filter(pl.col("value").is_not_null()).group_by("value").len()
                  .sort(["len", "value"], descending=[True, False]))
        values = ""
        if counts.height:
            listed = ", ".join(f"{quote(v)} ({n})" for v, n in counts.head(SHOW_VALUES).iter_rows())
            more = counts.height - SHOW_VALUES
            values = f"; values {listed}" + (f" and {more} other value(s)" if more > 0 else "")
        last = self.rows["row"][-1]
        return (f"column {escape(self.column)}, {self.count} rows ({self.rows['row'][0]} to {last}) — "
                f"expected {self.expected}; first {shown}, and {self.count - SHOW_ROWS} more{values}"
                + _fix_text(self.fix))


def finding_from(frame: pl.DataFrame, mask: pl.Series, column: str, expected: str,
                 values: pl.Series | None = None, fix: str = "") -> Finding | None:
    """The rows of ``frame`` where ``mask`` holds as a :class:`Finding`, or None when there are none.

    ``frame`` carries ``_row`` and, when present, ``patient_id``; ``values`` (default the column
    itself) gives the value shown, so the message shows what the file wrote, not the converted number.
    """
    mask = mask.fill_null(False)
    if not mask.any():
        return None
    if values is None:
        values = frame[column] if column in frame.columns else pl.repeat(None, frame.height, dtype=pl.String,
                                                                        eager=True)
    pid = frame["patient_id"].cast(pl.String) if "patient_id" in frame.columns else \
        pl.repeat(None, frame.height, dtype=pl.String, eager=True)
    rows = pl.DataFrame({"row": frame["_row"], "patient_id": pid, "value": values.cast(pl.String)}).filter(mask)
    return Finding(column, expected, rows, fix)


class CohortError(DataError):
    """Raised with every problem found in a cohort file.

    Parameters
    ----------
    source : the file (or frame) name.
    problems : :class:`Problem` and :class:`Finding` objects, in any order.
    context : how the file was read (encoding, separator, sheet...), printed under the first line.

    Attributes
    ----------
    findings : the problems as given, file-level first, then in the file's row order.
    problems : every problem, one per row and column (built on access).
    count : the number of problems.
    """

    def __init__(self, source: str, problems: list, context: str = ""):
        self.source = source
        items = [p for p in problems if p is not None]
        self.findings = sorted(items, key=lambda p: (_first(p) != 0, _first(p)))
        self.context = context
        self.count = sum(p.count if isinstance(p, Finding) else 1 for p in self.findings)
        lines = "\n".join(f"  - {p}" for p in self.findings)
        head = f"{escape(source)}: {self.count} problem(s) found"
        super().__init__(head + (f" ({context})" if context else "") + f":\n{lines}")

    @property
    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        for p in self.findings:
            out.extend(p.problems() if isinstance(p, Finding) else [p])
        return out


def _first(p) -> int:
    return p.first_row if isinstance(p, Finding) else _row_number(p.row) if p.row else 0
