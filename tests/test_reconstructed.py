"""The bundled reconstruction reproduces the published aggregates (checked through the package)."""

import subprocess
import sys

import polars as pl


def test_generator_is_deterministic(tmp_path, root, bundled_path):
    sys.path.insert(0, str(root / "scripts"))
    try:
        import make_reconstructed_cohort as gen
    finally:
        sys.path.pop(0)
    out = gen.main(tmp_path / "again.csv")
    assert out.read_bytes() == bundled_path.read_bytes()


def test_groups_and_response_counts(bundled):
    d = bundled.data
    assert bundled.n == 13
    counts = d.group_by("nlr_group").agg(pl.len(), pl.col("disease_control").sum(),
                                         pl.col("responder").sum()).sort("nlr_group")
    assert counts.rows() == [("NLR < 8", 9, 8, 3), ("NLR ≥ 8", 4, 1, 0)]
    dec = d.group_by("nlr_decreased").agg(pl.len(), pl.col("responder").sum()).sort("nlr_decreased")
    assert dec.rows() == [(False, 6, 0), (True, 7, 3)]


def test_cli_validate_exit_codes(tmp_path, bundled_path):
    ok = subprocess.run([sys.executable, "-m", "nlrstats.cli", "validate", str(bundled_path)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "13 patients" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,best_response,pfs_months,pfs_event,os_months,os_event,neutrophils_d0,lymphocytes_d0\n"
                   "A,PR,3,1,2,1,4,1.2\nA,XX,1,1,5,1,4,0\n")
    res = subprocess.run([sys.executable, "-m", "nlrstats.cli", "validate", str(bad)],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    for needle in ("line 2 (patient_id A), column pfs_months", "line 3 (patient_id A), column best_response",
                   "line 3 (patient_id A), column lymphocytes_d0", "column patient_id"):
        assert needle in res.stderr


def test_data_readme_lists_every_schema_column(root):
    from nlrstats.data.schema import SCHEMA
    text = (root / "data" / "README.md").read_text()
    assert "synthetic" in text and "not the real patients" in text
    for spec in SCHEMA:
        assert f"| `{spec.name}` |" in text, spec.name
