"""``nlrstats new DIR [--data FILE] [--mapping FILE]``: a Quarto project the researcher owns."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest

from nlrstats.cli import main
from nlrstats.data.cohort import load_cohort
from nlrstats.data.simulate import simulate_cohort, write_foreign_cohort
from nlrstats.project import ProjectExistsError, new_project
from nlrstats.project.propose import propose_mapping
from nlrstats.render import render_document
from tests.quarto_compare import QUARTO, QUARTO_SKIP


def test_project_files_are_real_copies_of_the_documents(tmp_path, root):
    project = new_project(tmp_path / "p")
    rel = sorted(str(f.relative_to(project.root)) for f in project.files)
    assert rel == [".gitignore", "README.md", "_quarto.yml", "reports/replication.qmd", "reports/validation.qmd",
                   "styles/csp.html", "styles/docx_floats.lua", "styles/offline.scss", "styles/print.lua",
                   "styles/print.typ"]
    for name in ("_quarto.yml", "reports/replication.qmd", "styles/print.lua"):
        f = project.root / name
        assert not f.is_symlink() and f.read_bytes() == (root / name).read_bytes()
    assert (project.root / "data").is_dir() and project.data is None
    assert "/.quarto/" in (project.root / ".gitignore").read_text().splitlines()  # Quarto appends nothing


def test_proposed_mapping_reads_the_example_export_as_its_own_mapping(root):
    data = root / "data" / "example_validation.csv"
    proposed = tomllib.loads(propose_mapping(data))
    shipped = tomllib.loads((root / "data" / "example_validation.toml").read_text())
    assert proposed["columns"] == shipped["columns"]
    assert proposed["units"] == shipped["units"]
    assert set(proposed["values"]) == set(shipped["values"])
    for column, table in proposed["values"].items():
        # every word of the file translated as the shipped mapping does (it also lists words the file lacks)
        assert table.items() <= shipped["values"][column].items(), column
    assert load_cohort(data, mapping=propose_mapping_file(data)).n == 120


def propose_mapping_file(data):
    import tempfile
    f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    f.write(propose_mapping(data))
    f.close()
    return f.name


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_proposed_mapping_loads_a_simulated_export_like_the_truth(tmp_path, suffix):
    frame = simulate_cohort(60, seed=3)
    data, truth = write_foreign_cohort(frame, tmp_path / f"export{suffix}", tmp_path / "truth.toml")
    proposal = tmp_path / "proposal.toml"
    proposal.write_text(propose_mapping(data))
    a, b = load_cohort(data, mapping=proposal), load_cohort(data, mapping=truth)
    assert a.data.equals(b.data)


def test_unknown_words_and_missing_columns_stay_visible(tmp_path):
    f = tmp_path / "odd.csv"
    f.write_text("Patient ID,Response,OS months,Died\nA,partial response,3.5,yes\nB,maybe,4.0,no\n")
    text = propose_mapping(f)
    assert 'patient_id = "Patient ID"' in text and 'best_response = "Response"' in text
    assert 'os_months = "OS months"' in text and 'os_event = "Died"' in text
    assert '# "maybe" = ?' in text  # not guessed
    assert "# pfs_months = ?   # no column found (required)" in text
    assert 'time = "months"   # named in the headers' in text
    tomllib.loads(text)  # still valid TOML


def test_cli_new_with_data_and_refusal_to_overwrite(tmp_path, root, capsys):
    data = root / "data" / "example_validation.csv"
    assert main(["new", str(tmp_path / "p"), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "quarto render reports/validation.qmd -P data:data/example_validation.csv" in out
    assert (tmp_path / "p" / "data" / "example_validation.csv").read_bytes() == data.read_bytes()
    assert main(["new", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert "already has" in err and "--force" in err and "Traceback" not in err
    with pytest.raises(ProjectExistsError):
        new_project(tmp_path / "p")
    assert main(["new", str(tmp_path / "q"), "--data", str(tmp_path / "nope.csv")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_new_project_renders_with_nlrstats_render(tmp_path, root):
    new_project(tmp_path / "p", data=root / "data" / "example_validation.csv")
    env = dict(os.environ, MPLCONFIGDIR=str(tmp_path / "mpl"))
    proc = subprocess.run([sys.executable, "-m", "nlrstats.cli", "render", "validation", "--engine", "builtin",
                           "--data", "data/example_validation.csv", "--mapping", "data/example_validation.toml",
                           "-P", "bootstrap:0", "-q"], cwd=tmp_path / "p", capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "p" / "_output" / "validation.html").is_file()


@pytest.mark.slow
@pytest.mark.skipif(QUARTO is None, reason=QUARTO_SKIP)
def test_new_project_renders_with_plain_quarto_render(tmp_path, root):
    new_project(tmp_path / "p")
    env = dict(os.environ, MPLCONFIGDIR=str(tmp_path / "mpl"), QUARTO_PYTHON=sys.executable)
    proc = subprocess.run([QUARTO, "render"], cwd=tmp_path / "p", capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("replication", "validation"):
        assert (tmp_path / "p" / "_output" / "reports" / f"{name}.html").is_file()
    assert (tmp_path / "p" / ".gitignore").read_text().count(".quarto") == 1
