"""Validation messages: located, escaped, summarised, and fixes that work when pasted into the mapping."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.data.cohort import CohortError, MappingError, load_cohort
from nlrstats.data.messages import SHOW_ROWS, Finding, Problem, escape, escape_message, toml_string
from nlrstats.data.plausibility import COUNT_MEDIAN_BOUNDS, FOLLOW_UP_MEDIAN_MONTHS
from nlrstats.data.suggest import guess_code, similar_columns

FILES = Path(__file__).resolve().parent / "corpus" / "files"


def _error(path, mapping=None, **kw) -> CohortError:
    with pytest.raises(CohortError) as exc:
        load_cohort(path, mapping, **kw)
    return exc.value


def _toml_in(fix: str) -> str:
    """The TOML part of a fix: from the first [section] line on."""
    lines = fix.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("["))
    return "\n".join(lines[start:])


def _merge(tables: list[dict]) -> dict:
    out: dict = {}
    for t in tables:
        for k, v in t.items():
            if isinstance(v, dict):
                out[k] = _merge([out.get(k, {}), v])
            else:
                out[k] = v
    return out


@pytest.mark.parametrize("name", ["events_yes_no.csv", "events_dead_alive.csv", "events_boolean.csv",
                                  "events_coded_1_2.csv", "response_words.csv", "sex_words.csv",
                                  "case_and_spacing_of_names.csv", "hospital_names_no_mapping.csv",
                                  "counts_cells_per_ul_undeclared.csv", "times_in_days_declared_months.csv",
                                  "platelets_other_unit.csv"])
def test_the_printed_fix_makes_the_file_load(name):
    """Each fix is TOML that, pasted into a mapping as printed, makes the file valid."""
    err = _error(FILES / name)
    fixes = [p.fix for p in err.findings if "[" in p.fix]
    assert fixes, str(err)
    mapping = _merge([tomllib.loads(_toml_in(f)) for f in fixes])
    cohort = load_cohort(FILES / name, mapping)
    assert cohort.n == 8


def test_fixed_times_and_counts_are_the_right_numbers():
    days = load_cohort(FILES / "times_in_days_declared_months.csv", {"units": {"time": "days"}})
    assert days.data["os_months"][0] == pytest.approx(310 / 30.4375)  # 10.2 months written as 310 days
    cells = load_cohort(FILES / "counts_cells_per_ul_undeclared.csv", {"units": {"counts": "cells/uL"}})
    assert cells.data["neutrophils_d0"][0] == pytest.approx(4.2)


def test_single_problem_line_names_row_patient_column_value_and_fix(tmp_path):
    err = _error(FILES / "negative_time.csv")
    line = str(err).splitlines()[1]
    assert line == "  - line 6 (patient_id P05), column os_months: value '-2.0' — expected a time >= 0"
    assert "    fix: times count from the start of treatment" in str(err)


def test_repeated_problems_are_one_summary():
    err = _error(FILES / "five_thousand_bad_event_codes.csv")
    assert err.count == 5000 and len(err.findings) == 1
    text = str(err)
    assert len(text.splitlines()) == 6  # head, the summary, 'fix:' and three TOML lines
    assert "5000 rows (line 2 to line 5001)" in text
    assert "first line 2 (patient_id Q00000) 'dead', line 3 (patient_id Q00001) 'alive'" in text
    assert len(err.problems) == 5000 and err.problems[4999].row == "line 5001"


def test_few_problems_are_listed_one_a_line():
    rows = pl.DataFrame({"row": [f"line {i}" for i in range(2, 2 + SHOW_ROWS)], "patient_id": ["A"] * SHOW_ROWS,
                         "value": ["x"] * SHOW_ROWS})
    assert len(str(Finding("age", "a number", rows)).splitlines()) == SHOW_ROWS
    more = pl.concat([rows, rows.head(1)])
    assert len(str(Finding("age", "a number", more)).splitlines()) == 1


def test_file_level_problems_come_first_then_file_order():
    p_row9 = Problem("line 9", "B", "age", "x", "a number")
    p_row2 = Problem("line 2", "A", "age", "y", "a number")
    p_file = Problem("", None, "os_event", None, "a required column")
    err = CohortError("f.csv", [p_row9, p_file, p_row2])
    assert [p.row for p in err.findings] == ["", "line 2", "line 9"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escape_leaves_no_control_character(text):
    shown = escape(text)
    assert all(ch.isprintable() for ch in shown)
    assert escape_message(text).count("\n") == text.count("\n")  # a message keeps its own line breaks only
    assert escape(shown) == shown  # escaping twice changes nothing


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_toml_string_round_trips(text):
    """A suggested TOML key or value reads back as exactly the file's value."""
    assert tomllib.loads(f"k = {toml_string(text)}")["k"] == text


def test_escape_examples():
    assert escape("\x1b[31mPR") == "\\x1b[31mPR"
    assert escape("P\u202e10") == "P\\u202e10"
    assert escape("4.5\xa0") == "4.5\\xa0"
    assert escape("Zoë µL ≥ 8") == "Zoë µL ≥ 8"


def test_did_you_mean():
    found = ["Study ID", "OS (months)", "Vital status", "ANC", "alc", "Pfs_Months"]
    assert similar_columns("patient_id", found) == ["Study ID"]
    assert similar_columns("os_months", found)[0] == "OS (months)"
    assert similar_columns("os_event", found) == ["Vital status"]
    assert similar_columns("lymphocytes_d0", found) == ["alc"]
    assert similar_columns("pfs_months", found) == ["Pfs_Months"]
    assert similar_columns("best_response", found) == []


@pytest.mark.parametrize("kind, value, code", [
    ("event", "Dead", 1), ("event", "alive", 0), ("event", "TRUE", 1), ("event", "censored", 0),
    ("event", "lost", None), ("response", "Partial Response", "PR"), ("response", "progressive disease", "PD"),
    ("response", "not evaluable", "NE"), ("response", "cCR", None), ("sex", "Female", "F"), ("sex", "male", "M"),
    ("bool", "M1", "true"), ("bool", "absent", "false")])
def test_code_guesses(kind, value, code):
    assert guess_code(kind, value) == code


def test_unmapped_values_print_the_lines_to_add():
    with pytest.raises(MappingError) as exc:
        load_cohort(FILES / "hospital_export.csv", FILES / "hospital_export.toml")
    msg = str(exc.value)
    assert "leaves value(s) unmapped: 'unknown'" in msg
    assert '"unknown" = 0  # fill in: 1 = event, 0 = censored' in msg


def test_thresholds_are_principled_constants():
    assert FOLLOW_UP_MEDIAN_MONTHS == (0.25, 120.0)
    assert COUNT_MEDIAN_BOUNDS["neutrophils"][1] == 100.0 and COUNT_MEDIAN_BOUNDS["platelets"][1] == 2000.0


def test_median_just_inside_the_bound_passes(tmp_path):
    # medians of 120 months exactly (the bound) are accepted: times scaled so that the OS median is 120
    frame = pl.read_csv(FILES / "times_in_days_declared_months.csv")
    scale = 120.0 / frame["os_months"].median()
    frame = frame.with_columns(pl.col("os_months") * scale, pl.col("pfs_months") * min(scale, 1.0))
    path = tmp_path / "t.csv"
    frame.write_csv(path)
    assert load_cohort(path).n == 8
    frame = frame.with_columns(pl.col("os_months") * 1.01)
    frame.write_csv(path)
    assert "os_months" in {p.column for p in _error(path).findings}


def test_unit_checks_can_be_turned_off():
    c = load_cohort(FILES / "times_in_days_declared_months.csv", {"checks": {"unit_plausibility": False}})
    assert c.data["os_months"][0] == 310.0
    assert any("unit-slip checks turned off" in n for n in c.notes)


def test_no_raw_values_in_messages_of_hostile_files():
    err = _error(FILES / "ansi_escape_in_value.csv")
    assert "\x1b" not in str(err)
    assert re.search(r"\\x1b\[31mPR", str(err))
