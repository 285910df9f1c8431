"""Write the corpus of everyday and hostile cohort files that ``tests/test_corpus.py`` runs through the CLI.

    .venv/bin/python tests/corpus/make_corpus.py          # (re)writes tests/corpus/files/

Every file is built here from a small valid cohort, byte for byte (encodings, BOMs, NUL bytes,
control characters, workbooks), so the corpus can be regenerated and reviewed; the files are
committed. ``tests/test_corpus.py`` holds the expected outcome of each.
"""

from __future__ import annotations

import codecs
import datetime
import gzip
import io
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "files"
TARGET = OUT  # where write() puts files; make() sets it

HEADER = ["patient_id", "age", "sex", "neutrophils_d0", "lymphocytes_d0", "best_response", "pfs_months",
          "pfs_event", "os_months", "os_event"]
ROWS = [
    ["P01", "71", "F", "4.2", "1.5", "PR", "5.1", "1", "10.2", "1"],
    ["P02", "66", "M", "7.9", "0.9", "SD", "3.9", "1", "7.4", "1"],
    ["P03", "80", "F", "12.4", "1.1", "PD", "1.2", "1", "2.9", "1"],
    ["P04", "59", "M", "3.3", "2.0", "PR", "8.8", "0", "14.0", "0"],
    ["P05", "74", "M", "9.6", "0.8", "PD", "1.6", "1", "3.8", "1"],
    ["P06", "68", "F", "5.0", "1.7", "SD", "4.0", "1", "9.1", "1"],
    ["P07", "77", "M", "15.1", "0.7", "NE", "0.9", "1", "1.9", "1"],
    ["P08", "63", "F", "4.8", "2.2", "CR", "11.5", "0", "16.3", "0"],
]
IDX = {c: i for i, c in enumerate(HEADER)}


def rows(**changes) -> list[list[str]]:
    """The base rows with columns changed: ``os_event=["yes", ...]`` or a callable of (row index, value)."""
    out = [list(r) for r in ROWS]
    for col, new in changes.items():
        for i, r in enumerate(out):
            r[IDX[col]] = new(i, r[IDX[col]]) if callable(new) else new[i]
    return out


def csv_text(header=HEADER, body=None, sep=",", eol="\n") -> str:
    body = ROWS if body is None else body
    return eol.join(sep.join(r) for r in [header, *body]) + eol


def write(name: str, content: str | bytes, encoding: str = "utf-8") -> None:
    path = TARGET / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))


def workbook(name: str, sheets: list[tuple[str, list[list], int]]) -> None:
    """An .xlsx with fixed metadata: (sheet name, rows, first row index) per sheet."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": datetime.datetime(2024, 1, 1)})
    for sheet, body, first in sheets:
        ws = wb.add_worksheet(sheet)
        for i, r in enumerate(body):
            for j, v in enumerate(r):
                if v is None:
                    continue
                try:
                    ws.write_number(first + i, j, float(v)) if i and v not in ("", "NA") else ws.write(first + i, j, v)
                except ValueError:
                    ws.write(first + i, j, v)
    wb.close()
    write(name, buf.getvalue())


def make(out: Path = OUT) -> None:
    """Write every corpus file into ``out`` (emptied first)."""
    global TARGET
    TARGET = out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    base = csv_text()
    # --- files that are not tables -------------------------------------------------------------
    write("empty.csv", b"")
    write("blank_space_only.csv", b"\n  \n\t\n")
    write("header_only.csv", ",".join(HEADER) + "\n")
    write("header_then_blank_lines.csv", ",".join(HEADER) + "\n\n\n  \n")
    write("folder.csv/readme.txt", "a directory named like a data file\n")
    write("nul_bytes.csv", base.encode()[:40] + b"\x00\x00\x01\x02" + base.encode()[40:])
    write("png_named.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)))
    write("corrupt.xlsx", b"PK\x03\x04[Content_Types].xml" + bytes(range(200)) * 3)
    write("corrupt.parquet", b"PAR1" + b"not really parquet" * 10 + b"PAR1")
    write("spss_export.sav", b"$FL2@(#) SPSS DATA FILE" + bytes(100))
    write("plain_zip.csv", b"PK\x03\x04" + bytes(60) + b"data.csv")
    # --- encodings, separators, decimal marks, line ends ----------------------------------------
    names = rows(patient_id=["Zoë", "José", "Müller", "Ångström", "Çelik", "Øster", "Ñuñez", "Þór"])
    write("latin1_windows_export.csv", csv_text(body=names), encoding="cp1252")
    write("utf8_bom.csv", codecs.BOM_UTF8 + base.encode())
    write("utf16_excel_unicode_text.txt", codecs.BOM_UTF16_LE + csv_text(sep="\t", eol="\r\n").encode("utf-16-le"))
    comma = rows(**{c: (lambda i, v: v.replace(".", ",")) for c in ("neutrophils_d0", "lymphocytes_d0", "pfs_months",
                                                                     "os_months")})
    write("semicolon_decimal_comma.csv", csv_text(body=comma, sep=";"))
    write("excel_sep_hint.csv", "sep=;\n" + csv_text(body=comma, sep=";"))
    write("tabs_in_a_csv.csv", csv_text(sep="\t"))
    write("pipes.txt", csv_text(sep="|"))
    write("crlf_line_ends.csv", csv_text(eol="\r\n"))
    write("classic_mac_cr.csv", csv_text(eol="\r"))
    write("gzipped.csv.gz", gzip.compress(base.encode(), mtime=0))
    write("Kyoto cohort [final].csv", base)
    write("trailing_blank_and_empty_rows.csv", base + ",,,,,,,,,\n\n\n")
    mixed = rows(neutrophils_d0=lambda i, v: v.replace(".", ",") if i % 2 else v)
    write("mixed_decimal_marks.csv", csv_text(body=mixed, sep=";"))
    thousands = rows(neutrophils_d0=lambda i, v: f'"{v.replace(".", ",")}"')
    write("decimal_comma_in_comma_file.csv", csv_text(body=thousands))
    # counts in cells/uL with Excel's digit grouping: "6,450" is 6450, or 6.45 with a decimal comma
    grouped = rows(neutrophils_d0=lambda i, v: f'"{int(float(v) * 1000):,}"')
    write("thousands_separator.csv", csv_text(body=grouped))
    # Word/Excel formatting: a typographic minus (U+2212) and '%' signs in numbers
    minus = rows(os_months=lambda i, v: "\u22121.0" if i == 2 else v)
    write("typographic_minus.csv", csv_text(body=minus))
    percent = rows(age=lambda i, v: v + "%")
    write("percent_signs.csv", csv_text(body=percent))
    # an export's footer: an identifier cell ("Total") and nothing else, and a withdrawn patient's empty record
    write("totals_row_at_the_end.csv", base + "Total,,,,,,,,,\nP99,,,,,,,,,\n")
    # --- structure: ragged rows, quotes, headers, names -----------------------------------------
    long_row = [list(r) for r in ROWS]
    long_row[2] = long_row[2] + ["extra"]
    write("ragged_long_row.csv", csv_text(body=long_row))
    short_row = [list(r) for r in ROWS]
    short_row[4] = short_row[4][:-2]
    write("ragged_short_row.csv", csv_text(body=short_row))
    write("unquoted_separator_in_value.csv",
          csv_text(header=HEADER + ["comment"], body=[r + ["ok"] for r in ROWS[:3]] + [ROWS[3] + ["liver, lung"]]
                   + [r + ["ok"] for r in ROWS[4:]]))
    quoted = [r + [('"first line\nsecond line"' if i == 1 else "none")] for i, r in enumerate(ROWS)]
    quoted[5][IDX["os_event"]] = "9"
    write("quoted_newline_then_error.csv", csv_text(header=HEADER + ["comment"], body=quoted))
    write("unterminated_quote.csv", csv_text(body=ROWS[:3]) + 'P04,59,M,3.3,2.0,"PR,8.8,0,14.0,0\n'
          + csv_text(body=ROWS[4:]).split("\n", 1)[1])
    write("stray_quote_in_value.csv", csv_text(header=HEADER + ["tumour"],
                                              body=[r + ['5" mass'] for r in ROWS]))
    write("title_rows_above_header.csv", "Kyoto University Hospital ATC cohort\nexported 2024-05-01\n" + base)
    dup = [h if h != "sex" else "age" for h in HEADER]
    write("duplicate_header_names.csv", csv_text(header=dup))
    write("case_and_spacing_of_names.csv",
          csv_text(header=["Patient_ID", "Age", "Sex", "Neutrophils_D0", "Lymphocytes_D0", "Best Response",
                           "PFS_Months", "PFS_Event", "OS_Months", "OS_Event"]))
    write("hospital_names_no_mapping.csv",
          csv_text(header=["Study ID", "Age (years)", "Gender", "ANC", "ALC", "Response", "PFS (months)",
                           "Progressed", "OS (months)", "Vital status"]))
    write("r_row_names.csv", csv_text(header=[""] + HEADER, body=[[str(i + 1)] + r for i, r in enumerate(ROWS)]))
    write("one_column_semicolons_forced_comma.csv", csv_text(sep=";"))
    # --- values ---------------------------------------------------------------------------------
    write("events_yes_no.csv", csv_text(body=rows(os_event=lambda i, v: "yes" if v == "1" else "no")))
    write("events_dead_alive.csv", csv_text(body=rows(os_event=lambda i, v: "dead" if v == "1" else "alive",
                                                      pfs_event=lambda i, v: "progressed" if v == "1" else "censored")))
    write("events_boolean.csv", csv_text(body=rows(os_event=lambda i, v: "TRUE" if v == "1" else "FALSE")))
    write("events_coded_1_2.csv", csv_text(body=rows(os_event=lambda i, v: "2" if v == "1" else "1")))
    words = {"PR": "Partial response", "SD": "Stable disease", "PD": "Progressive disease", "CR": "Complete response",
             "NE": "Not evaluable"}
    write("response_words.csv", csv_text(body=rows(best_response=lambda i, v: words[v])))
    write("sex_words.csv", csv_text(body=rows(sex=lambda i, v: "female" if v == "F" else "male")))
    write("inf_and_nan_values.csv", csv_text(body=rows(neutrophils_d0=lambda i, v: "inf" if i == 1 else v,
                                                       os_months=lambda i, v: "-Infinity" if i == 2 else v,
                                                       lymphocytes_d0=lambda i, v: "1e999" if i == 3 else v)))
    write("ansi_escape_in_value.csv", csv_text(body=rows(best_response=lambda i, v: "\x1b[31mPR\x1b[0m" if i == 0
                                                         else v)))
    write("bidi_override_in_id.csv", csv_text(body=rows(patient_id=lambda i, v: "P\u202e10" if i == 1 else v,
                                                        os_event=lambda i, v: "7" if i == 1 else v)))
    write("missing_patient_id.csv", csv_text(body=rows(patient_id=lambda i, v: "" if i == 3 else v)))
    write("duplicate_patient_id.csv", csv_text(body=rows(patient_id=lambda i, v: "P01" if i == 5 else v)))
    write("pfs_longer_than_os.csv", csv_text(body=rows(pfs_months=lambda i, v: "12.0" if i == 0 else v)))
    write("negative_time.csv", csv_text(body=rows(os_months=lambda i, v: "-2.0" if i == 4 else v)))
    write("lymphocytes_zero.csv", csv_text(body=rows(lymphocytes_d0=lambda i, v: "0" if i == 2 else v)))
    write("detection_limit_and_nd.csv", csv_text(body=rows(lymphocytes_d0=lambda i, v: "<0.1" if i == 1 else
                                                            "n.d." if i in (3, 6) else v)))
    write("ecog_fraction.csv", csv_text(header=HEADER + ["ecog"], body=[r + (["1.5"] if i == 0 else ["1"])
                                                                        for i, r in enumerate(ROWS)]))
    write("na_spellings.csv", csv_text(body=rows(os_months=lambda i, v: ("NA", "n/a", "-", "NaN", "", v, v, v)[i])))
    many = [[f"Q{i:05d}", "70", "F", "5.0", "1.0", "PR", "3.0", "1", "6.0", ("dead", "alive")[i % 2]]
            for i in range(5000)]
    write("five_thousand_bad_event_codes.csv", csv_text(body=many))
    # --- units ----------------------------------------------------------------------------------
    cells = rows(neutrophils_d0=lambda i, v: str(round(float(v) * 1000)),
                 lymphocytes_d0=lambda i, v: str(round(float(v) * 1000)))
    write("counts_cells_per_ul_undeclared.csv", csv_text(body=cells))
    write("counts_micro_sign.csv", csv_text(body=cells))
    write("counts_micro_sign.toml", '[units]\ncounts = "cells/µL"\n')
    write("counts_micro_sign_latin1.toml", '# Windows Notepad, ANSI\n[units]\ncounts = "cells/µL"\n',
          encoding="cp1252")
    days = rows(pfs_months=lambda i, v: str(round(float(v) * 30.4375)), os_months=lambda i, v:
                str(round(float(v) * 30.4375)))
    write("times_in_days_declared_months.csv", csv_text(body=days))
    write("times_in_months_declared_days.csv", base)
    write("declared_days.toml", '[units]\ntime = "days"\n')
    plt = [r + [str(200 + 17 * i)] for i, r in enumerate(cells)]
    write("platelets_other_unit.csv", csv_text(header=HEADER + ["platelets_d0"], body=plt))
    write("counts_cells.toml", '[units]\ncounts = "cells/mcL"\n')
    # --- mappings -------------------------------------------------------------------------------
    write("not_toml.toml", "[columns\npatient_id = 'ID'\n")
    write("unknown_section.toml", "[colums]\npatient_id = \"ID\"\n")
    write("unknown_unit.toml", "[units]\ncounts = \"mg/dL\"\n")
    write("names_not_in_file.toml", '[columns]\npatient_id = "Study_ID"\n')
    write("hospital_export.csv", csv_text(header=["Study ID"] + HEADER[1:],
                                          body=rows(os_event=lambda i, v: ("dead", "alive", "unknown")[i % 3])))
    write("hospital_export.toml", '[columns]\npatient_id = "Study ID"\n[values.os_event]\n"dead" = 1\n"alive" = 0\n')
    write("file_section.toml", '[file]\nseparator = ";"\ndecimal = ","\nencoding = "cp1252"\nskip_rows = 2\n'
          'na = ["", "n.d."]\n')
    lis = rows(**{c: (lambda i, v: v.replace(".", ",")) for c in ("neutrophils_d0", "pfs_months", "os_months")},
               patient_id=lambda i, v: "Zoë" if i == 0 else v,
               lymphocytes_d0=lambda i, v: "n.d." if i == 1 else v.replace(".", ","))
    write("file_section_data.csv", "Report\nGenerated by LIS\n" + csv_text(body=lis, sep=";"), encoding="cp1252")
    # --- workbooks ------------------------------------------------------------------------------
    table = [HEADER, *ROWS]
    workbook("second_sheet.xlsx", [("README", [["This workbook holds the Kyoto ATC cohort"], ["see sheet Data"]], 0),
                                   ("Data", table, 0)])
    workbook("title_rows.xlsx", [("Cohort", [["Kyoto ATC cohort, exported 2024"], [None]] + table, 0)])
    workbook("header_lower_down.xlsx", [("Sheet1", table, 3)])
    workbook("empty_first_sheet.xlsx", [("Empty", [], 0), ("Data", table, 0)])
    bad_xl = [list(r) for r in table]
    bad_xl[3][IDX["os_event"]] = "dead"
    workbook("bad_value_row_numbers.xlsx", [("Data", bad_xl, 2)])


if __name__ == "__main__":
    make()
    n = sum(1 for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {n} files to {OUT}", file=sys.stderr)
