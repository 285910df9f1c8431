"""Loading, mapping and validation of cohort files."""

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlrstats.data.cohort import CohortError, MappingError, cohort_from_frame, load_cohort
from nlrstats.study.plan import StudyPlan
from nlrstats.data.mapping import read_mapping
from nlrstats.data.schema import data_dictionary

GOOD = {
    "patient_id": ["P1", "P2", "P3"],
    "neutrophils_d0": ["4.0", "6.0", "9.0"],
    "lymphocytes_d0": ["2.0", "1.0", "1.0"],
    "best_response": ["PR", "SD", "PD"],
    "pfs_months": ["3.0", "5.0", "1.0"],
    "pfs_event": ["1", "0", "1"],
    "os_months": ["6.0", "5.0", "2.0"],
    "os_event": ["1", "0", "1"],
}


def write(tmp_path, cols: dict, name="c.csv"):
    path = tmp_path / name
    pl.DataFrame(cols).write_csv(path)
    return path


def problems_of(tmp_path, **changes):
    cols = {k: list(v) for k, v in GOOD.items()}
    for key, val in changes.items():
        if val is None:
            cols.pop(key)
        else:
            cols[key] = val
    with pytest.raises(CohortError) as exc:
        load_cohort(write(tmp_path, cols))
    return exc.value, str(exc.value)


def test_valid_file_loads_with_markers(tmp_path):
    c = load_cohort(write(tmp_path, GOOD))
    assert c.n == 3
    assert c.data["nlr_d0"].to_list() == [2.0, 6.0, 9.0]
    assert "nlr_group" not in c.data.columns  # groups are the plan's (tests/test_plan.py)
    assert c.data["responder"].to_list() == [True, False, False]
    assert c.data["disease_control"].to_list() == [True, True, False]


def test_missing_required_column_named(tmp_path):
    err, msg = problems_of(tmp_path, os_event=None)
    assert "column os_event" in msg and "required column" in msg


def test_duplicate_patient_id_names_both_lines(tmp_path):
    err, msg = problems_of(tmp_path, patient_id=["P1", "P1", "P3"])
    assert "line 2 (patient_id P1), column patient_id" in msg
    assert "line 3 (patient_id P1), column patient_id" in msg


def test_non_numeric_count_and_time(tmp_path):
    err, msg = problems_of(tmp_path, neutrophils_d0=["4.0", "lots", "9.0"], os_months=["6.0", "5.0", "two"])
    assert "line 3 (patient_id P2), column neutrophils_d0: value 'lots' — expected a number" in msg
    assert "line 4 (patient_id P3), column os_months: value 'two'" in msg


def test_lymphocytes_zero(tmp_path):
    err, msg = problems_of(tmp_path, lymphocytes_d0=["2.0", "0", "1.0"])
    assert "line 3 (patient_id P2), column lymphocytes_d0" in msg and "NLR is undefined" in msg


def test_negative_time(tmp_path):
    err, msg = problems_of(tmp_path, pfs_months=["-3.0", "5.0", "1.0"])
    assert "line 2 (patient_id P1), column pfs_months" in msg and "time >= 0" in msg


def test_event_code_outside_01(tmp_path):
    err, msg = problems_of(tmp_path, os_event=["1", "2", "dead"])
    assert "line 3 (patient_id P2), column os_event: value '2'" in msg
    assert "line 4 (patient_id P3), column os_event: value 'dead'" in msg


def test_pfs_longer_than_os(tmp_path):
    err, msg = problems_of(tmp_path, pfs_months=["6.02", "5.0", "1.0"])
    assert "line 2 (patient_id P1), column pfs_months" in msg and "no longer than OS" in msg
    # within the 0.01-month tolerance is accepted
    cols = dict(GOOD, pfs_months=["6.005", "5.0", "1.0"])
    assert load_cohort(write(tmp_path, cols)).n == 3


def test_unknown_response_code(tmp_path):
    err, msg = problems_of(tmp_path, best_response=["PR", "Partial", "PD"])
    assert "line 3 (patient_id P2), column best_response: value 'Partial'" in msg


def test_counts_in_wrong_unit_hint(tmp_path):
    err, msg = problems_of(tmp_path, neutrophils_d0=["4500", "6.0", "9.0"])
    assert "line 2 (patient_id P1), column neutrophils_d0: value '4500'" in msg  # as the file wrote it
    assert "looks like cells/uL" in msg


def test_all_problems_collected_in_one_error(tmp_path):
    err, msg = problems_of(tmp_path, patient_id=["P1", "P1", "P3"], os_event=["1", "0", "7"],
                           lymphocytes_d0=["2.0", "1.0", "-1"])
    columns = {p.column for p in err.problems}
    assert {"patient_id", "os_event", "lymphocytes_d0"} <= columns
    assert len(err.problems) >= 4


def test_missing_values_kept_and_reported_in_flow(tmp_path):
    cols = dict(GOOD, os_months=["6.0", "", "2.0"], os_event=["1", "NA", "1"])
    c = load_cohort(write(tmp_path, cols))
    assert c.n == 3
    plan = StudyPlan.fukuda2020()
    flow = {r["analysis"]: r for r in plan.flow(c).iter_rows(named=True)}
    assert flow["os"]["excluded"] == 1 and flow["os"]["n_analysed"] == 2
    assert "missing os_months (1)" in flow["os"]["reason"]
    assert flow["pfs"]["excluded"] == 0
    assert flow["nlr_change"]["reason"] == "no nlr_d14 in the data (3)"
    ex = c.exclusions(plan.requirements, "os")
    assert ex["patient_id"].to_list() == ["P2"] and ex["_row"].to_list() == ["line 3"]
    assert plan.analysis_data(c, "os").height == 2


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_round_trip_formats(tmp_path, bundled, suffix):
    from nlrstats.data.simulate import write_cohort
    canon = bundled.data.select([c for c in bundled.data.columns if c in GOOD or c in (
        "age", "sex", "ecog", "distant_metastasis", "wbc", "best_pct_change", "neutrophils_d14", "lymphocytes_d14")])
    path = write_cohort(canon, tmp_path / f"cohort{suffix}")
    again = load_cohort(path)
    for col in canon.columns:
        assert again.data[col].to_list() == canon[col].to_list(), col
    assert again.data["nlr_d0"].to_list() == bundled.data["nlr_d0"].to_list()


def test_mapping_rename_recode_units(tmp_path):
    cols = {
        "ID": ["a", "b"], "ANC": ["4000", "9000"], "ALC": ["2000", "1000"],
        "Response": ["Partial response", "Progressive disease"],
        "PFS_d": ["91.3125", "30.4375"], "PFS_ev": ["1", "1"],
        "OS_d": ["182.625", "60.875"], "Status": ["dead", "alive"],
    }
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\npatient_id = "ID"\nneutrophils_d0 = "ANC"\nlymphocytes_d0 = "ALC"\n'
        'best_response = "Response"\npfs_months = "PFS_d"\npfs_event = "PFS_ev"\nos_months = "OS_d"\n'
        'os_event = "Status"\n[values.best_response]\n"Partial response" = "PR"\n"Progressive disease" = "PD"\n'
        '[values.os_event]\n"dead" = 1\n"alive" = 0\n[units]\ncounts = "cells/uL"\ntime = "days"\n')
    c = load_cohort(write(tmp_path, cols), mapping)
    d = c.data
    assert d["neutrophils_d0"].to_list() == pytest.approx([4.0, 9.0])
    assert d["nlr_d0"].to_list() == pytest.approx([2.0, 9.0])
    assert d["pfs_months"].to_list() == pytest.approx([3.0, 1.0])
    assert d["os_months"].to_list() == pytest.approx([6.0, 2.0])
    assert d["os_event"].to_list() == [1, 0]
    assert d["best_response"].to_list() == ["PR", "PD"]
    assert any("cells/uL" in n for n in c.notes) and any("days" in n for n in c.notes)


def test_mapping_errors_name_the_key(tmp_path):
    with pytest.raises(MappingError, match="unknown section \\[colums\\]"):
        read_mapping({"colums": {}})
    with pytest.raises(MappingError, match="'neutrophil' is not a canonical column"):
        read_mapping({"columns": {"neutrophil": "ANC"}})
    with pytest.raises(MappingError, match="counts = 'mg/dL' is not a known unit"):
        read_mapping({"units": {"counts": "mg/dL"}})
    with pytest.raises(MappingError, match="the file has no column 'ANC'"):
        load_cohort(write(tmp_path, GOOD), {"columns": {"neutrophils_d0": "ANC"}})
    cols = dict(GOOD, os_event=["dead", "alive", "unknown"])
    with pytest.raises(MappingError, match="leaves value\\(s\\) unmapped: 'unknown'"):
        load_cohort(write(tmp_path, cols), {"values": {"os_event": {"dead": 1, "alive": 0}}})


def test_foreign_export_reads_back_to_same_cohort(tmp_path):
    from nlrstats.data.simulate import simulate_cohort, write_foreign_cohort
    frame = simulate_cohort(300, seed=5, missing_d14=0.1)
    data, mapping = write_foreign_cohort(frame, tmp_path / "h.csv", tmp_path / "h.toml")
    foreign = load_cohort(data, mapping)
    direct = cohort_from_frame(frame)
    for col in ("nlr_d0", "nlr_d14", "platelets_d0"):
        a, b = foreign.data[col].to_list(), direct.data[col].to_list()
        assert all((x is None and y is None) or math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b)), col
    assert (foreign.data["os_months"] - direct.data["os_months"]).abs().max() < 2e-4  # days rounded to 0.01
    assert foreign.data["best_response"].to_list() == direct.data["best_response"].to_list()
    plan = StudyPlan.fukuda2020()
    assert plan.flow(foreign).equals(plan.flow(direct))


@settings(max_examples=60, deadline=None)
@given(neut=st.floats(0.5, 40), lymph=st.floats(0.1, 15),
       unit=st.sampled_from([("cells/uL", 1000.0), ("10^3/uL", 1.0), ("10^9/L", 1.0), ("10^6/L", 1000.0)]))
def test_nlr_invariant_to_count_unit(neut, lymph, unit):
    name, scale = unit
    frame = pl.DataFrame({**{k: [v[0]] for k, v in GOOD.items()},
                          "neutrophils_d0": [neut * scale], "lymphocytes_d0": [lymph * scale]})
    c = cohort_from_frame(frame, mapping={"units": {"counts": name}})
    assert math.isclose(c.data["nlr_d0"][0], neut / lymph, rel_tol=1e-12)


def test_markers_by_hand():
    frame = pl.DataFrame({**{k: [v[0]] for k, v in GOOD.items()}, "wbc": [7.0], "platelets_d0": [240.0],
                          "monocytes_d0": [0.5], "neutrophils_d14": [3.0], "lymphocytes_d14": [2.0]})
    d = cohort_from_frame(frame).data.row(0, named=True)
    assert d["nlr_d0"] == 2.0 and d["dnlr_d0"] == 4.0 / 3.0
    assert d["plr_d0"] == 120.0 and d["lmr_d0"] == 4.0 and d["sii_d0"] == 480.0
    assert d["nlr_d14"] == 1.5 and d["nlr_change"] == -0.5 and d["nlr_pct_change"] == -25.0
    assert d["nlr_decreased"] is True
    # day-14 PLR, LMR and SII need day-14 platelets / monocytes, which the schema has not: null, not invented
    assert d["plr_d14"] is None and d["plr_change"] is None and d["dnlr_d14"] is None


def test_data_dictionary_covers_schema():
    dd = data_dictionary()
    assert {"patient_id", "neutrophils_d0", "os_event"} <= set(dd["column"].to_list())
    assert dd.filter(pl.col("required"))["column"].to_list() == [
        "patient_id", "best_response", "pfs_months", "pfs_event", "os_months", "os_event"]


def test_paths_resolve_from_project_root_inside_reports(root, monkeypatch):
    # Quarto runs cells in reports/; users name data from the project root
    monkeypatch.chdir(root / "reports")
    c = load_cohort("data/example_validation.csv", "data/example_validation.toml")
    assert c.n == 120
    with pytest.raises(FileNotFoundError, match="no_such.csv"):
        load_cohort("data/no_such.csv")


def _cli(args, capsys):
    from nlrstats.cli import main
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "0", "eight"])
def test_cutoff_must_be_positive_and_finite(bundled_path, value, capsys):
    for command in ("validate", "analyze"):
        code, text = _cli([command, str(bundled_path), "--cutoff", value], capsys)
        assert code == 2 and "--cutoff" in text and "Traceback" not in text


def test_analyze_refuses_zero_patients_before_any_analysis(tmp_path, capsys):
    path = write(tmp_path, {k: [] for k in GOOD})
    code, text = _cli(["analyze", str(path), "--bootstrap", "0"], capsys)
    assert code == 1 and "no patient rows" in text and "Traceback" not in text


def test_validate_states_how_the_file_was_read(bundled_path, capsys):
    code, text = _cli(["validate", str(bundled_path)], capsys)
    assert code == 0
    assert "Read: encoding utf-8 (detected), separator ',' (detected)" in text
    assert "Units read: times in months, counts in 10^9/L (the defaults" in text


def test_validate_flags_reach_the_reader(tmp_path, capsys):
    path = tmp_path / "c.txt"
    path.write_text("title\n" + "\n".join(";".join(r) for r in zip(*([k] + v for k, v in GOOD.items()))) + "\n",
                    encoding="cp1252")
    code, text = _cli(["validate", str(path), "--skip-rows", "1", "--separator", ";", "--encoding", "cp1252"], capsys)
    assert code == 0 and "separator ';' (set)" in text and "encoding cp1252 (set)" in text


def test_file_not_found_suggests_a_similar_name(tmp_path):
    write(tmp_path, GOOD, name="Kyoto.csv")
    with pytest.raises(FileNotFoundError, match="did you mean .*Kyoto.csv"):
        load_cohort(tmp_path / "kyoto.csv")


def test_a_bracketed_name_is_not_a_glob(tmp_path):
    write(tmp_path, GOOD, name="cohort [final].csv")
    write(tmp_path, dict(GOOD, patient_id=["X1", "X2", "X3"]), name="cohort f.csv")  # what a glob would match
    assert load_cohort(tmp_path / "cohort [final].csv").data["patient_id"].to_list() == ["P1", "P2", "P3"]
