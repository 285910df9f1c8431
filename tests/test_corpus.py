"""Every file of the corpus (tests/corpus/files, written by tests/corpus/make_corpus.py) through the real CLI.

One row a case: the arguments after ``nlrstats validate``, what the file exercises, the exit code,
and words the output must contain. Every case also asserts: no traceback, no raw control or bidi
characters in what is printed, and a bounded message (a file with 5,000 bad rows prints a summary).
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nlrstats.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = CORPUS / "files"
# C0 controls except newline, DEL, C1 controls, bidi embeddings/overrides/isolates, zero-width marks
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MAX_LINES = 40  # a failing validation prints at most this many lines, whatever the file

# (arguments, what it exercises, exit code, words the output must contain)
CASES = [
    # files that are not tables
    ("empty.csv", "a 0-byte file", 1, ["empty.csv", "is empty"]),
    ("blank_space_only.csv", "only newlines and blanks", 1, ["only blank space"]),
    ("header_only.csv", "a header and no rows (zero patients)", 1, ["no patient rows", "10 column(s)"]),
    ("header_then_blank_lines.csv", "a header and blank lines only", 1, ["no patient rows"]),
    ("folder.csv", "a directory named like a data file", 1, ["is a directory", "readme.txt"]),
    ("nul_bytes.csv", "NUL bytes inside a text file", 1, ["NUL bytes", "binary"]),
    ("png_named.csv", "an image named .csv", 1, ["binary file"]),
    ("corrupt.xlsx", "a damaged workbook", 1, ["cannot be read as a workbook", "save it again"]),
    ("corrupt.parquet", "a damaged Parquet file", 1, ["cannot be read as Parquet"]),
    ("spss_export.sav", "an SPSS file", 1, ["SPSS", "export the data as CSV"]),
    ("plain_zip.csv", "a zip archive named .csv", 1, ["zip archive", "unzip"]),
    ("no_such_file.csv", "a path that does not exist", 1, ["data file not found", "no_such_file.csv"]),
    # encodings, separators, decimal marks, line ends (read correctly: exit 0)
    ("latin1_windows_export.csv", "cp1252 names (Zoë, Müller)", 0, ["valid — 8 patients", "encoding cp1252 (detected)",
                                                                   "not UTF-8 (byte 0xeb on line 2)"]),
    ("latin1_windows_export.csv --encoding utf-8", "a wrong encoding set", 1, ["not valid utf-8", "byte 0xeb",
                                                                              "line 2"]),
    ("utf8_bom.csv", "UTF-8 with a byte-order mark", 0, ["encoding utf-8-sig (detected)"]),
    ("utf16_excel_unicode_text.txt", "Excel 'Unicode text': UTF-16, tabs, CRLF", 0, ["encoding utf-16", "separator tab"]),
    ("semicolon_decimal_comma.csv", "semicolons and decimal commas", 0, ["separator ';' (detected)",
                                                                        "decimal mark ',' (detected)"]),
    ("excel_sep_hint.csv", "Excel's sep=; first line", 0, ["separator ';'", "header on line 2", "sep=;"]),
    ("tabs_in_a_csv.csv", "tabs in a .csv", 0, ["separator tab (detected)"]),
    ("pipes.txt", "pipe-separated .txt", 0, ["separator '|' (detected)"]),
    ("crlf_line_ends.csv", "Windows line ends", 0, ["valid — 8 patients"]),
    ("classic_mac_cr.csv", "CR-only line ends", 0, ["valid — 8 patients", "CR only"]),
    ("gzipped.csv.gz", "a gzip-compressed CSV", 0, ["valid — 8 patients", "gzip"]),
    ("Kyoto cohort [final].csv", "brackets in the name (not a glob)", 0, ["Kyoto cohort [final].csv: valid"]),
    ("trailing_blank_and_empty_rows.csv", "blank lines and ',,,,' rows at the end", 0,
     ["valid — 8 patients", "3 blank line(s) skipped (lines 10, 11, 12)"]),
    ("mixed_decimal_marks.csv", "'4.2' and '7,9' in one column", 1, ["mixes decimal marks", "line 3 (patient_id P02)"]),
    ("decimal_comma_in_comma_file.csv", "quoted '4,2' in a comma-separated file", 1,
     ['[file] decimal = ","', "'4,2'"]),
    ("thousands_separator.csv", "'6,450' with ',' grouping thousands", 1,
     ["'4,200' reads as 4200 with ',' grouping thousands or 4.200 with a decimal comma", "Use 1000 Separator"]),
    ("typographic_minus.csv", "'\u22121.0' (U+2212) as a time", 1, ["line 4 (patient_id P03)", "typographic minus"]),
    ("percent_signs.csv", "'71%' in a number column", 1, ["carries a '%' sign", "Format Cells"]),
    ("totals_row_at_the_end.csv", "a 'Total' footer and an ID-only record", 0,
     ["valid — 8 patients", "2 row(s) with an identifier and no other value left out", "line 10 (Total)",
      "line 11 (P99)"]),
    # structure
    ("ragged_long_row.csv", "a row with an extra field", 1, ["line 4 has 11", "header's 10 field(s)"]),
    ("ragged_short_row.csv", "a row missing fields", 1, ["line 6 has 8"]),
    ("unquoted_separator_in_value.csv", "'liver, lung' without quotes", 1, ["line 5 has 12", "needs quotes"]),
    ("quoted_newline_then_error.csv", "a quoted newline before a bad row", 1, ["line 8 (patient_id P06)",
                                                                               "column os_event", "'9'"]),
    ("unterminated_quote.csv", "a quote never closed", 1, ["line 5", "malformed"]),
    ("stray_quote_in_value.csv", "5\" inside an unquoted value", 0, ["valid — 8 patients"]),
    ("title_rows_above_header.csv", "two title lines above the header", 1, ["header seems to be line 3",
                                                                            "skip_rows = 2", "--skip-rows 2"]),
    ("title_rows_above_header.csv --skip-rows 2", "the same, skipped", 0, ["valid — 8 patients", "header on line 3"]),
    ("duplicate_header_names.csv", "two columns named 'age'", 1, ["duplicate column names", "'age'",
                                                                 "columns 2, 3"]),
    ("case_and_spacing_of_names.csv", "names in another case", 1, ["did you mean", 'os_months = "OS_Months"',
                                                                  "[columns]", "'Patient_ID'"]),
    ("hospital_names_no_mapping.csv", "hospital names, no mapping", 1, ['patient_id = "Study ID"',
                                                                       'neutrophils_d0 = "ANC"',
                                                                       'os_event = "Vital status"']),
    ("r_row_names.csv", "R's write.csv row names (unnamed column)", 0, ["unnamed_1"]),
    ("one_column_semicolons_forced_comma.csv --separator ,", "a wrong separator set", 1,
     ["holds separators", "--separator", "1 other column(s)"]),
    # values
    ("events_yes_no.csv", "events coded yes/no", 1, ["[values.os_event]", '"yes" = 1', '"no" = 0']),
    ("events_dead_alive.csv", "events coded dead/alive and progressed/censored", 1,
     ['"dead" = 1', '"alive" = 0', "[values.pfs_event]", '"censored" = 0']),
    ("events_boolean.csv", "events coded TRUE/FALSE", 1, ['"TRUE" = 1', '"FALSE" = 0']),
    ("events_coded_1_2.csv", "events coded 1/2 as R's Surv allows", 1, ['"1" = 0', '"2" = 1', "R's Surv"]),
    ("response_words.csv", "responses as words", 1, ['"Partial response" = "PR"', '"Stable disease" = "SD"',
                                                    '"Not evaluable" = "NE"']),
    ("sex_words.csv", "sex as female/male", 1, ['"female" = "F"', '"male" = "M"']),
    ("inf_and_nan_values.csv", "inf, -Infinity and 1e999", 1, ["'inf'", "'-Infinity'", "'1e999'", "finite number"]),
    ("ansi_escape_in_value.csv", "an ANSI colour escape in a value", 1, ["\\x1b[31mPR\\x1b[0m", "\\u001b[31m"]),
    ("bidi_override_in_id.csv", "a right-to-left override in an id", 1, ["P\\u202e10"]),
    ("missing_patient_id.csv", "an empty patient_id", 1, ["line 5, column patient_id", "non-empty identifier"]),
    ("duplicate_patient_id.csv", "a repeated patient_id", 1, ["line 2 (patient_id P01)", "line 7 (patient_id P01)",
                                                             "unique identifier"]),
    ("pfs_longer_than_os.csv", "PFS beyond OS", 1, ["'12.0 (OS 10.2)'", "no longer than OS"]),
    ("negative_time.csv", "a negative OS", 1, ["line 6 (patient_id P05), column os_months", "a time >= 0"]),
    ("lymphocytes_zero.csv", "a zero lymphocyte count", 1, ["line 4 (patient_id P03)", "NLR is undefined"]),
    ("detection_limit_and_nd.csv", "'<0.1' and 'n.d.' in a count", 1, ["'<0.1'", "'n.d.'", "[file] na"]),
    ("ecog_fraction.csv", "ECOG 1.5", 1, ["column ecog: value '1.5'", "whole number"]),
    ("na_spellings.csv", "NA, n/a, -, NaN and blank read as missing", 0, ["4 value(s) read as missing", "'NA' (1)",
                                                                         "'n/a' (1)", "'-' (1)", "'NaN' (1)",
                                                                         "missing os_months (5)"]),
    ("na_spellings.csv --na NA", "NA spellings set on the command line", 1, ["'n/a'", "a number"]),
    ("five_thousand_bad_event_codes.csv", "5,000 bad rows summarised", 1, ["5000 rows", "and 4997 more",
                                                                          "'alive' (2500)", '"dead" = 1']),
    # units
    ("counts_cells_per_ul_undeclared.csv", "counts in cells/uL read as 10^9/L", 1,
     ["neutrophils_d0 6450", 'counts = "cells/uL"', "[units]"]),
    ("counts_micro_sign.csv --mapping counts_micro_sign.toml", "cells/µL with a micro sign", 0,
     ["counts in cells/uL"]),
    ("counts_micro_sign.csv --mapping counts_micro_sign_latin1.toml", "a cp1252 mapping with µ", 0,
     ["counts in cells/uL", "mapping counts_micro_sign_latin1.toml is not UTF-8"]),
    ("times_in_days_declared_months.csv", "times in days read as months", 1,
     ["median is 251 months", 'time = "days"', "8.25 months"]),
    ("times_in_months_declared_days.csv --mapping declared_days.toml", "months declared as days", 1,
     ['time = "months"', "below the bound"]),
    ("platelets_other_unit.csv", "counts in cells/uL, platelets in 10^9/L", 1,
     ['counts = "cells/uL"', 'platelets_d0 = "10^9/L"']),
    ("platelets_other_unit.csv --mapping counts_cells.toml", "the same with cells/mcL declared", 1,
     ['platelets_d0 = "10^9/L"', "values read in cells/uL"]),
    # mappings
    ("utf8_bom.csv --mapping not_toml.toml", "a mapping that is not TOML", 1, ["not valid TOML", "line 1"]),
    ("utf8_bom.csv --mapping unknown_section.toml", "a misspelt section", 1, ["unknown section [colums]"]),
    ("utf8_bom.csv --mapping unknown_unit.toml", "an unknown unit", 1, ["'mg/dL' is not a known unit"]),
    ("utf8_bom.csv --mapping names_not_in_file.toml", "a mapped column the file lacks", 1,
     ["the file has no column 'Study_ID'"]),
    ("utf8_bom.csv --mapping nothere.toml", "a mapping path that does not exist", 1, ["mapping file not found"]),
    ("hospital_export.csv --mapping hospital_export.toml", "a value the mapping leaves unmapped", 1,
     ["leaves value(s) unmapped: 'unknown'", '"unknown" = 0']),
    ("file_section_data.csv --mapping file_section.toml", "[file]: cp1252, ';', ',', skip_rows, na", 0,
     ["encoding cp1252 (set)", "separator ';' (set)", "header on line 3", "'n.d.' (1)"]),
    # workbooks
    ("second_sheet.xlsx", "the data on the second sheet", 1, ["sheet 'Data' has these columns", "--sheet 'Data'",
                                                             "read as sheet 'README' (other sheets: 'Data')"]),
    ("second_sheet.xlsx --sheet Data", "the sheet chosen by name", 0, ["sheet 'Data' (other sheets: 'README')"]),
    ("second_sheet.xlsx --sheet 2", "the sheet chosen by position", 0, ["sheet 'Data'"]),
    ("second_sheet.xlsx --sheet Daten", "a sheet that does not exist", 1, ["no sheet 'Daten'", "did you mean 'Data'"]),
    ("second_sheet.xlsx --sheet 5", "a sheet position beyond the last", 1, ["no sheet number 5"]),
    ("title_rows.xlsx", "a title row above the header in a sheet", 1, ["header seems to be on row 3",
                                                                      "skip_rows = 2"]),
    ("header_lower_down.xlsx", "empty rows above the header", 0, ["header on row 4"]),
    ("empty_first_sheet.xlsx", "an empty first sheet", 1, ["sheet 'Empty' is empty", "'Data'"]),
    ("bad_value_row_numbers.xlsx", "row numbers as Excel shows them", 1, ["row 6 (patient_id P03)", '"dead" = 1']),
    # usage errors (argparse: exit 2)
    ("utf8_bom.csv --cutoff nan", "--cutoff nan", 2, ["finite positive number", "'nan'"]),
    ("utf8_bom.csv --cutoff -3", "--cutoff negative", 2, ["finite positive number, got '-3'"]),
    ("utf8_bom.csv --cutoff inf", "--cutoff inf", 2, ["finite positive number, got 'inf'"]),
    ("utf8_bom.csv --encoding klingon", "an unknown encoding", 2, ["not an encoding Python knows"]),
    ("utf8_bom.csv --skip-rows -1", "a negative skip", 2, ["--skip-rows"]),
]


def run_cli(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    return code, out.getvalue() + err.getvalue()


def _split(args: str) -> list[str]:
    # file names hold spaces and brackets: split on " --" only
    head, *flags = args.split(" --")
    out = [head]
    for f in flags:
        name, _, value = f.partition(" ")
        out += [f"--{name}"] + ([value] if value else [])
    return out


@pytest.mark.parametrize("args, what, code, words", CASES, ids=[c[0] for c in CASES])
def test_corpus_case(args, what, code, words, monkeypatch):
    monkeypatch.chdir(FILES)
    got, text = run_cli(["validate", *_split(args)])
    assert "Traceback" not in text
    assert got == code, f"{args} ({what}): exit {got}\n{text}"
    for w in words:
        assert w in text, f"{args} ({what}): missing {w!r} in\n{text}"
    assert not RAW_CONTROL.search(text), f"raw control character in output of {args}: {text!r}"
    if code == 1:
        assert len(text.splitlines()) <= MAX_LINES, f"{args}: {len(text.splitlines())} lines"


def test_corpus_has_at_least_40_bad_files():
    bad = {_split(a)[0] for a, _, code, _ in CASES if code != 0}
    assert len(bad) >= 40


def test_every_corpus_file_has_a_case():
    used = {a for args, *_ in CASES for a in _split(args)}
    files = {p.name for p in FILES.iterdir()}
    assert files - used == set()


def test_corpus_is_what_the_script_writes(tmp_path):
    sys.path.insert(0, str(CORPUS))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(CORPUS))
    make_corpus.make(tmp_path / "files")
    written = {p.relative_to(tmp_path / "files"): p.read_bytes() for p in (tmp_path / "files").rglob("*") if p.is_file()}
    committed = {p.relative_to(FILES): p.read_bytes() for p in FILES.rglob("*") if p.is_file()}
    assert written.keys() == committed.keys()
    assert [k for k in written if written[k] != committed[k]] == []


@pytest.mark.parametrize("args", ["ansi_escape_in_value.csv", "bidi_override_in_id.csv", "empty.csv",
                                  "utf8_bom.csv --cutoff nan"])
def test_console_script_prints_no_raw_control_bytes(args):
    """The installed ``nlrstats`` script, as a user runs it: bytes on the terminal, not Python strings."""
    exe = Path(sys.executable).with_name("nlrstats")
    proc = subprocess.run([str(exe), "validate", *_split(args)], cwd=FILES, capture_output=True, timeout=120)
    raw = proc.stdout + proc.stderr
    assert b"Traceback" not in raw
    assert proc.returncode in (1, 2)
    text = raw.decode("utf-8")
    assert not RAW_CONTROL.search(text)
    assert b"\x1b" not in raw and "\u202e".encode() not in raw
