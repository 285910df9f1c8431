"""Choices that depend on a cohort's size: response test, bootstrap cap, progress lines."""

import subprocess
import sys

import numpy as np
import pytest

from nlrstats.data import progress
from nlrstats.stats.htest import chisq_test, fisher_test
from nlrstats.study.response import distribution_test, response_test_name
from nlrstats.study.robustness import BOOTSTRAP_BUDGET, BOOTSTRAP_MIN, affordable_bootstrap


def test_response_distribution_fisher_when_an_expected_count_is_small():
    small = np.array([[3, 4, 2, 1, 0], [1, 0, 2, 3, 1]])
    h = distribution_test(small, seed=1)
    assert h.p_value == pytest.approx(fisher_test(small).p_value, rel=1e-12)
    assert response_test_name(h) == "Fisher's exact test"


def test_response_distribution_chi_square_when_every_expected_count_is_5_or_more():
    big = np.array([[30, 400, 300, 60, 20], [10, 150, 200, 80, 30]])
    h = distribution_test(big, seed=1)
    assert h.p_value == pytest.approx(chisq_test(big, correct=False).p_value, rel=1e-12)
    assert response_test_name(h).startswith("Pearson's chi-squared test")


def test_response_distribution_monte_carlo_beyond_the_workspace():
    # an expected count below 5 (the CR column) in a table too large for the exact walk
    tab = np.array([[3, 4000, 3000, 600, 1], [1, 1500, 2000, 800, 3]])
    h = distribution_test(tab, seed=7)
    ref = fisher_test(tab, simulate_p_value=True, B=2000, seed=7)
    assert h.p_value == ref.p_value and h.replicates == 2000
    assert "B = 2000, seed = 7" in response_test_name(h)


def test_empty_response_category_is_left_out_of_the_test():
    tab = np.array([[0, 40, 30, 6, 2], [0, 15, 20, 8, 3]])
    assert distribution_test(tab).p_value == pytest.approx(fisher_test(tab[:, 1:]).p_value)


@pytest.mark.parametrize("n, expected", [(13, 200), (25_000, 200), (100_000, 50), (1_000_000, 5), (10**8, 5)])
def test_bootstrap_capped_by_resampled_patients(n, expected):
    assert affordable_bootstrap(200, n) == expected
    assert affordable_bootstrap(200, n) * n <= max(BOOTSTRAP_BUDGET, BOOTSTRAP_MIN * n)
    assert affordable_bootstrap(0, n) == 0


def test_progress_is_off_unless_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.setitem(progress._state, "target", None)
    with progress.stage("nothing"):
        pass
    assert progress.bar("loop", 3) is None
    log = tmp_path / "progress.log"
    monkeypatch.setenv(progress.ENV, str(log))
    with progress.stage("a stage"):
        pass
    update = progress.bar("loop", 2)
    update(1, 2)
    update(2, 2)
    lines = log.read_text().splitlines()
    assert lines[0].startswith("[nlrstats") and lines[0].endswith("a stage (0.0 s)")
    assert lines[-1].split("] ", 1)[1].startswith("loop: 2/2")
    assert capsys.readouterr().err == ""


def test_analyze_prints_a_line_per_stage_and_nothing_with_q(tmp_path):
    from nlrstats.data.simulate import simulate_cohort, write_cohort
    data = write_cohort(simulate_cohort(60, seed=2), tmp_path / "c.csv")
    cmd = [sys.executable, "-m", "nlrstats.cli", "analyze", str(data), "--bootstrap", "0", "--json", "-"]
    loud = subprocess.run(cmd, capture_output=True, text=True)
    assert loud.returncode == 0
    for stage in ("read c.csv", "validate c.csv", "analyze 60 patients: Table 1", "overall survival",
                  "cut-point robustness", "write JSON"):
        assert stage in loud.stderr, stage
    quiet = subprocess.run(cmd + ["-q"], capture_output=True, text=True)
    assert quiet.returncode == 0 and "[nlrstats" not in quiet.stderr
    assert quiet.stdout == loud.stdout
