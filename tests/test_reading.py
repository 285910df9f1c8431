"""Reading cohort files: R parity on the corpus, invariances (hypothesis), line numbers, options, units."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlrstats.data.cohort import cohort_from_frame, load_cohort
from nlrstats.data.mapping import read_mapping
from nlrstats.data.messages import ReadError
from nlrstats.data.reading import FileOptions, read_table
from nlrstats.data.schema import MISSING_TOKENS
from nlrstats.data.units import COUNT_FACTORS, count_unit, time_unit
from nlrstats.data.validate import to_number

HERE = Path(__file__).resolve().parent
FILES = HERE / "corpus" / "files"
R_READ = json.loads((HERE / "fixtures" / "reading_r.json").read_text(encoding="utf-8"))
OPTIONS = {"title_rows_above_header.csv": FileOptions(skip_rows=2),
           "file_section_data.csv": read_mapping(FILES / "file_section.toml").file}


@pytest.mark.parametrize("name", sorted(R_READ))
def test_values_as_r_reads_them(name):
    """Every value, as base R's read.csv/read.csv2/read.delim reads the file with the right settings."""
    table = read_table(FILES / name, OPTIONS.get(name))
    frame = table.frame
    for col, r_values in R_READ[name].items():
        ours = frame[col]
        if any(isinstance(v, (int, float)) for v in r_values if v is not None):
            nums = to_number(ours, table.reading.decimal).to_list()
            assert [None if v is None else float(v) for v in r_values] == nums, col
        else:
            assert ours.to_list() == r_values, col
    assert frame.height == len(next(iter(R_READ[name].values())))


def _write_records(records: list[list[str]], blank_after: set[int], sep: str) -> tuple[str, list[int]]:
    """CSV text (QUOTE_MINIMAL) with blank lines after some records, and each record's first line."""
    buf = io.StringIO()
    lines, line = [], 1
    for i, rec in enumerate(records):
        one = io.StringIO()
        csv.writer(one, delimiter=sep, lineterminator="\n").writerow(rec)
        text = one.getvalue()
        buf.write(text)
        lines.append(line)
        line += text.count("\n")
        if i in blank_after:
            buf.write("\n")
            line += 1
    return buf.getvalue(), lines


cell = st.text(alphabet=st.sampled_from(list("abc 12,;\"\n.|")), min_size=1, max_size=8).filter(
    lambda s: s == s.strip() and s not in MISSING_TOKENS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=12),
       blank=st.sets(st.integers(0, 12), max_size=3), sep=st.sampled_from([",", ";", "\t"]))
def test_line_numbers_follow_quoted_newlines(tmp_path, body, blank, sep):
    """The row label of each record is the file's line where it starts, whatever its quoted newlines."""
    records = [["x", "y", "z"]] + body
    text, lines = _write_records(records, {b + 1 for b in blank}, sep)
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    t = read_table(path, FileOptions(separator=sep))
    assert t.frame["_row"].to_list() == [f"line {n}" for n in lines[1:]]
    assert t.frame.select("x", "y", "z").rows() == [tuple(r) for r in body]


GOOD = {
    "patient_id": ["P1", "P2", "P3", "P4"],
    "neutrophils_d0": [4.25, 6.5, 9.0, 3.75],
    "lymphocytes_d0": [2.0, 1.25, 1.0, 0.5],
    "best_response": ["PR", "SD", "PD", "CR"],
    "pfs_months": [3.5, 5.0, 1.25, 7.0],
    "pfs_event": [1, 0, 1, 0],
    "os_months": [6.5, 5.0, 2.0, 9.25],
    "os_event": [1, 0, 1, 0],
}


def _export(frame: pl.DataFrame, sep: str, decimal: str, eol: str) -> str:
    def fmt(v):
        text = f"{v:g}" if isinstance(v, float) else str(v)
        return text.replace(".", decimal)
    rows = [sep.join(frame.columns)] + [sep.join(fmt(v) for v in r) for r in frame.iter_rows()]
    return eol.join(rows) + eol


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sep=st.sampled_from([",", ";", "\t", "|"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       comma=st.booleans(), eol=st.sampled_from(["\n", "\r\n"]), name=st.sampled_from(["Zoë", "Ñ", "P"]))
def test_same_cohort_whatever_the_export_settings(tmp_path, sep, encoding, comma, eol, name):
    """Separator, encoding, decimal mark and line ends are detected: the cohort is the same."""
    frame = pl.DataFrame(GOOD).with_columns(pl.lit(name).add(pl.col("patient_id")).alias("patient_id"))
    decimal = "," if comma and sep != "," else "."
    path = tmp_path / "export.csv"
    path.write_bytes(_export(frame, sep, decimal, eol).encode(encoding))
    got = load_cohort(path)
    want = cohort_from_frame(frame)
    assert got.data.drop("_row").equals(want.data.drop("_row"))
    r = got.mapping.reading
    assert (r.separator, r.decimal) == (sep, decimal)
    expected = "utf-8" if encoding == "cp1252" and name == "P" else encoding  # ASCII is both
    assert codecs.lookup(r.encoding).name == codecs.lookup(expected).name


@settings(max_examples=30, deadline=None)
@given(order=st.permutations(range(6)))
def test_problems_do_not_depend_on_row_order(order):
    base = pl.DataFrame({
        "patient_id": ["A", "B", "C", "D", "E", "F"],
        "neutrophils_d0": ["4", "x", "9", "inf", "5", "6"],
        "lymphocytes_d0": ["2", "1", "0", "1", "1", "1"],
        "best_response": ["PR", "SD", "??", "PD", "PR", "PR"],
        "pfs_months": ["3", "5", "1", "2", "9", "1"], "pfs_event": ["1", "0", "1", "1", "0", "1"],
        "os_months": ["6", "5", "2", "3", "4", "2"], "os_event": ["1", "0", "dead", "1", "0", "1"],
    })
    from nlrstats.data.cohort import CohortError

    def found(frame):
        with pytest.raises(CohortError) as exc:
            cohort_from_frame(frame)
        return sorted((p.patient_id, p.column, p.value, p.expected) for p in exc.value.problems)
    assert found(base[list(order)]) == found(base)


def test_bad_rows_are_summarised_quickly(tmp_path):
    n = 200_000
    frame = pl.DataFrame({k: v * (n // 4) for k, v in GOOD.items()}).with_columns(
        pl.format("P{}", pl.int_range(pl.len())).alias("patient_id"),
        pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("dead")).otherwise(pl.lit("alive")).alias("os_event"))
    path = tmp_path / "big.csv"
    frame.write_csv(path)
    from nlrstats.data.cohort import CohortError
    with pytest.raises(CohortError) as exc:
        load_cohort(path)
    msg = str(exc.value)
    assert exc.value.count == n and len(msg.splitlines()) < 10
    assert f"{n} rows" in msg and f"and {n - 3} more" in msg


def test_options_override_the_mapping(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(_export(pl.DataFrame(GOOD), ";", ",", "\n"), encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[file]\nseparator = ","\n', encoding="utf-8")
    with pytest.raises(ReadError, match="is the separator ';'"):
        load_cohort(path, mapping)  # the mapping's wrong separator is used...
    c = load_cohort(path, mapping, separator=";")  # ...unless the caller's option replaces it
    assert c.n == 4 and c.mapping.reading.separator == ";" and c.mapping.reading.detected == ("encoding", "decimal")


def test_na_replaces_the_defaults_and_blank_stays_missing(tmp_path):
    frame = pl.DataFrame(GOOD).with_columns(pl.Series("os_months", ["n.d.", "", "2", "NA"]))
    path = tmp_path / "c.csv"
    frame.write_csv(path)
    c = load_cohort(path, na=["n.d.", "NA"])
    assert c.data["os_months"].to_list() == [None, None, 2.0, None]
    assert c.mapping.reading.na == ("", "n.d.", "NA")
    from nlrstats.data.cohort import CohortError
    with pytest.raises(CohortError, match="'n.d.'"):
        load_cohort(path)  # 'n.d.' is not a default spelling


def test_reading_record_states_units_and_settings(tmp_path):
    c = load_cohort(FILES / "semicolon_decimal_comma.csv")
    r = c.mapping.reading
    d = r.to_dict()
    assert (d["separator"], d["decimal"], d["time_unit"], d["count_unit"]) == (";", ",", "months", "10^9/L")
    assert set(d["detected"]) == {"encoding", "separator", "decimal"}
    assert c.notes[0].startswith("semicolon_decimal_comma.csv: read as encoding utf-8 (detected), separator ';'")
    assert c.notes[1] == "units read: times in months, counts in 10^9/L"
    m = load_cohort(FILES / "counts_micro_sign.csv", FILES / "counts_micro_sign.toml")
    assert m.mapping.reading.count_unit == "cells/uL" and "counts in cells/uL" in m.notes[1]
    assert m.data["neutrophils_d0"].to_list()[0] == pytest.approx(4.2)


def test_zero_patients_from_a_frame_is_an_error():
    with pytest.raises(ReadError, match="no patient rows"):
        cohort_from_frame(pl.DataFrame(GOOD).head(0))


@pytest.mark.parametrize("written, unit", [
    ("cells/µL", "cells/uL"), ("cells/μL", "cells/uL"), ("cells/mcL", "cells/uL"), ("/uL", "cells/uL"),
    ("x10^9/l", "10^9/L"), ("×10⁹/L", "10^9/L"), ("10*9/L", "10^9/L"), ("10E9/L", "10^9/L"), ("G/l", "G/L"),
    ("K/µL", "10^3/uL"), ("10^3/mm³", "10^3/uL"), ("cells/mm³", "cells/mm3"), ("10^6/L", "10^6/L"),
    ("mg/dL", None), ("cells", None)])
def test_count_unit_spellings(written, unit):
    assert count_unit(written) == unit


@pytest.mark.parametrize("written, unit", [("Days", "days"), ("d", "days"), ("wk", "weeks"), ("Months", "months"),
                                           ("yrs", "years"), ("fortnights", None)])
def test_time_unit_spellings(written, unit):
    assert time_unit(written) == unit


def test_unit_factors_by_hand():
    # 4500 cells/uL = 4500 x 10^6/L = 4.5 x 10^9/L; 10^3/uL = 10^9/L
    assert 4500 * COUNT_FACTORS["cells/uL"] == pytest.approx(4.5)
    assert COUNT_FACTORS["10^3/uL"] == COUNT_FACTORS["10^9/L"] == 1.0
    c = load_cohort(FILES / "times_in_months_declared_days.csv", {"units": {"time": "weeks"},
                                                                  "checks": {"unit_plausibility": False}})
    assert c.data["os_months"][0] == pytest.approx(10.2 * 7 / 30.4375)


def test_missing_tokens_default_spellings():
    assert {"n/a", "-", "NaN", "NA", "", "#N/A"} <= set(MISSING_TOKENS)
    assert "none" not in MISSING_TOKENS and "None" not in MISSING_TOKENS


def test_sheet_by_name_and_position_and_row_numbers():
    a = load_cohort(FILES / "second_sheet.xlsx", sheet="Data")
    b = load_cohort(FILES / "second_sheet.xlsx", sheet=2)
    assert a.data.drop("_row").equals(b.data.drop("_row"))
    assert a.mapping.reading.sheets == ("README", "Data") and a.mapping.reading.sheet == "Data"
    low = read_table(FILES / "header_lower_down.xlsx")
    assert low.reading.header_row == 4 and low.frame["_row"][0] == "row 5"


def test_text_named_xlsx_is_read_as_text_with_a_note(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes((FILES / "utf8_bom.csv").read_bytes())
    c = load_cohort(path)
    assert c.n == 8 and any("named .xlsx but holds text" in n for n in c.notes)


def test_parquet_reads_typed_columns(tmp_path):
    frame = pl.DataFrame(GOOD)
    frame.write_parquet(tmp_path / "c.parquet")
    c = load_cohort(tmp_path / "c.parquet")
    assert c.data["neutrophils_d0"].to_list() == GOOD["neutrophils_d0"]
    assert c.data["_row"].to_list() == ["row 1", "row 2", "row 3", "row 4"]
    assert math.isclose(c.data["nlr_d0"][0], 4.25 / 2.0)
