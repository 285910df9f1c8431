"""The wheel works outside this checkout: it carries the documents, the project template and the
bundled data, its extras are complete, and it renders from an empty folder in a fresh venv.

Slow (builds the wheel, makes a venv, installs the wheel with ``[render]`` from the package index or
pip's cache): about two minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.quarto_compare import QUARTO

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# file in the wheel -> the one file in the checkout it must equal (the template links to these)
SHIPPED = {
    "nlrstats/project/template/_quarto.yml": "_quarto.yml",
    "nlrstats/project/template/reports/replication.qmd": "reports/replication.qmd",
    "nlrstats/project/template/reports/validation.qmd": "reports/validation.qmd",
    "nlrstats/project/template/styles/offline.scss": "styles/offline.scss",
    "nlrstats/project/template/styles/csp.html": "styles/csp.html",
    "nlrstats/project/template/styles/print.lua": "styles/print.lua",
    "nlrstats/project/template/styles/print.typ": "styles/print.typ",
    "nlrstats/project/template/styles/docx_floats.lua": "styles/docx_floats.lua",
    "nlrstats/data/bundled/fukuda2020_reconstructed.csv": "data/fukuda2020_reconstructed.csv",
    "nlrstats/data/bundled/example_validation.csv": "data/example_validation.csv",
    "nlrstats/data/bundled/example_validation.toml": "data/example_validation.toml",
    "nlrstats/render/filters/quarto.lua": "nlrstats/render/filters/quarto.lua",
}


def _run(args, **kw):
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{args[:3]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)])
    (path,) = out.glob("nlrstats-*.whl")
    return path


def test_wheel_carries_documents_template_and_data_as_the_checkout_has_them(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        missing = [n for n in SHIPPED if n not in names]
        assert not missing, f"not in the wheel: {missing}"
        for inside, source in SHIPPED.items():
            assert z.read(inside) == (ROOT / source).read_bytes(), f"{inside} differs from {source}"
        assert "nlrstats/project/template/gitignore" in names
        assert not [n for n in names if n.startswith(("tests/", "reports/", "benchmarks/"))]


def test_extras_are_honest():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = " ".join(meta["dependencies"]).lower()
    extras = meta["optional-dependencies"]
    assert "pyyaml" in deps  # imported by nlrstats.render whenever the CLI starts
    assert "papermill" in " ".join(extras["render"])  # Quarto's -P needs it in QUARTO_PYTHON
    for name in ("lifelines", "statsmodels", "openpyxl"):  # not imported by the package at run time
        assert name not in deps
    assert "selenium" in " ".join(extras["test"])


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(d)])
    _run([str(d / "bin" / "python"), "-m", "pip", "install", "-q", f"{wheel}[render]"])
    return d


def test_wheel_renders_from_an_empty_folder(venv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QUARTO_PYTHON", "VIRTUAL_ENV")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    empty = tmp_path / "empty"
    empty.mkdir()
    nlrstats = str(venv / "bin" / "nlrstats")
    proc = _run([nlrstats, "render", "replication", "--engine", "builtin", "-P", "bootstrap:0", "-q"], cwd=empty, env=env)
    out = empty / "_output" / "replication.html"
    assert proc.stdout.strip() == str(out) and out.is_file()
    assert "16 of 16 published numbers are reproduced" in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in empty.iterdir()) == ["_output"]  # nothing else left behind
    # the installed package reads its data from site-packages, not from this checkout
    where = _run([str(venv / "bin" / "python"), "-c",
                  "from nlrstats.data.cohort import bundled_cohort_path; print(bundled_cohort_path())"],
                 cwd=empty, env=env).stdout
    assert str(venv) in where and str(ROOT) not in where


def test_wheel_new_project_renders_with_quarto(venv, tmp_path):
    if QUARTO is None:
        pytest.skip("Quarto is not on PATH (.ci/run installs it from ../shared/tools/quarto when that exists)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QUARTO_PYTHON", "VIRTUAL_ENV")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    _run([str(venv / "bin" / "nlrstats"), "new", "proj", "--data", str(ROOT / "data" / "example_validation.csv")],
         cwd=tmp_path, env=env)
    proj = tmp_path / "proj"
    # Quarto with the venv's Python (papermill from the render extra) and -P as a user types it
    env["QUARTO_PYTHON"] = str(venv / "bin" / "python")
    _run([QUARTO, "render", "reports/validation.qmd", "-P", "data:data/example_validation.csv",
          "-P", "mapping:data/example_validation.toml", "-P", "bootstrap:0", "-P", "cohort_name:Own cohort"],
         cwd=proj, env=env)
    html = (proj / "_output" / "reports" / "validation.html").read_text(encoding="utf-8")
    assert "Own cohort" in html and "120 patients" in html
