"""The check of the cohort file beside the render: a large file is validated while the kernel starts.

``nlrstats render`` checks a cohort file below ``CONCURRENT_CHECK_BYTES`` before any kernel starts and a
larger one beside the built-in engine (``check`` of ``render_document``). Either way a bad file ends the
render with the check's message (row and column), no traceback, and nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import polars as pl
import pytest

from nlrstats.render import RenderError, render_document
from nlrstats.render import cli as render_cli
from tests.quarto_compare import QUARTO, QUARTO_SKIP

DOC = """---
title: "Check"
---

```{python}
import time
x = 1
```

Text `{python} x`.

```{python}
time.sleep(0.3)
print("second")
```

```{python}
print("third")
```
"""

FAILING_DOC = DOC.replace('print("second")', 'raise ValueError("the cohort cannot be read")')


def check_failing_after(seconds: float, message: str) -> Future:
    """A check that fails after ``seconds``, as a validation running beside the kernel."""
    future: Future = Future()

    def run():
        time.sleep(seconds)
        future.set_exception(RenderError(message))

    threading.Thread(target=run, daemon=True).start()
    return future


def passed_check() -> Future:
    future: Future = Future()
    future.set_result(None)
    return future


@pytest.fixture
def doc(tmp_path) -> Path:
    path = tmp_path / "check.qmd"
    path.write_text(DOC, encoding="utf-8")
    return path


@pytest.mark.parametrize("after,message,match", [
    # fails while the cells run, and after the last cell has run (the 0.3 s cell ends well before 6 s)
    (0.2, "line 7 (patient_id G), column pfs_months: not a number", "line 7 .* column pfs_months"),
    (6.0, "line 9, column os_event: 2 is not an event code", "column os_event"),
])
def test_a_check_that_fails_stops_the_render_with_its_message(doc, tmp_path, after, message, match):
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=match):
        render_document(doc, engine="builtin", output_dir=out, quiet=True, check=check_failing_after(after, message))
    assert not (out / "check.html").exists()


def test_a_failing_cell_gives_the_checks_message_not_its_traceback(tmp_path):
    path = tmp_path / "check.qmd"
    path.write_text(FAILING_DOC, encoding="utf-8")
    with pytest.raises(RenderError) as err:
        render_document(path, engine="builtin", output_dir=tmp_path / "out", quiet=True,
                        check=check_failing_after(1.5, "line 3 (patient_id B), column best_response: XX"))
    assert "column best_response" in str(err.value)
    assert "cannot be read" not in str(err.value) and "Traceback" not in str(err.value)


def test_a_passed_check_changes_nothing(doc, tmp_path):
    plain = render_document(doc, engine="builtin", output_dir=tmp_path / "a", quiet=True, date="2026-01-01")
    checked = render_document(doc, engine="builtin", output_dir=tmp_path / "b", quiet=True, date="2026-01-01",
                              check=passed_check())
    assert plain.read_bytes() == checked.read_bytes()


def test_a_failing_cell_with_a_passed_check_is_the_cells_error(tmp_path):
    path = tmp_path / "check.qmd"
    path.write_text(FAILING_DOC, encoding="utf-8")
    with pytest.raises(RenderError, match="cannot be read"):
        render_document(path, engine="builtin", output_dir=tmp_path / "out", quiet=True, check=passed_check())


def test_a_large_bad_cohort_fails_with_row_and_column_and_writes_nothing(tmp_path):
    good = tmp_path / "good.csv"
    subprocess.run([sys.executable, "-m", "nlrstats.cli", "simulate", "--n", "60000", "--seed", "3",
                    "--out", str(good)], check=True, capture_output=True)
    data = pl.read_csv(good, infer_schema_length=0)
    row = 41_234  # 0-based data row: file line row + 2
    bad_id = data["patient_id"][row]
    data = data.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit("soon"))
                             .otherwise(pl.col("pfs_months")).alias("pfs_months"))
    bad = tmp_path / "bad.csv"
    data.write_csv(bad)
    assert bad.stat().st_size >= render_cli.CONCURRENT_CHECK_BYTES  # the concurrent path is the one tested
    res = subprocess.run([sys.executable, "-m", "nlrstats.cli", "render", "validation", "--engine", "builtin",
                          "--data", str(bad), "--output-dir", str(tmp_path / "out")],
                         capture_output=True, text=True, env=dict(os.environ, MPLCONFIGDIR=str(tmp_path)))
    assert res.returncode == 1
    assert "nothing was rendered" in res.stderr and "Traceback" not in res.stderr
    assert "] parse" in res.stderr  # the render had started beside the check
    assert f"line {row + 2} (patient_id {bad_id}), column pfs_months" in res.stderr
    assert not list(tmp_path.glob("out/*.html"))


@pytest.mark.skipif(QUARTO is None, reason=QUARTO_SKIP)
def test_a_failing_check_stops_quarto_and_nothing_is_written(tmp_path):
    path = tmp_path / "check.qmd"
    path.write_text(DOC.replace("time.sleep(0.3)", "time.sleep(20)"), encoding="utf-8")
    out = tmp_path / "out"
    started = time.perf_counter()
    with pytest.raises(RenderError, match="column neutrophils_d0"):
        render_document(path, engine="quarto", output_dir=out, quiet=True,
                        check=check_failing_after(1.0, "line 4, column neutrophils_d0: -3 is below 0"))
    assert time.perf_counter() - started < 18  # Quarto was stopped, not waited for through the 20 s cell
    assert not list(tmp_path.rglob("check.html"))


@pytest.mark.skipif(QUARTO is None, reason=QUARTO_SKIP)
def test_quarto_with_a_passed_check_renders(tmp_path):
    path = tmp_path / "check.qmd"
    path.write_text(DOC, encoding="utf-8")
    out = render_document(path, engine="quarto", output_dir=tmp_path / "out", quiet=True, check=passed_check())
    assert out.exists() and "third" in out.read_text(encoding="utf-8")
