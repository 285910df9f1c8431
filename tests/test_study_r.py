"""``analyze`` on the example hospital export equals the same plan done by hand in R from the raw file.

tests/r/study_validation.R reads data/example_validation.csv itself, applies the mapping's recodes and
units (days / 30.4375, cells/uL / 1000), forms NLR >= 8 and runs binom.test, fisher.test, survfit,
survdiff, coxph and wilcox.test. A slip anywhere between the file and the estimators (a unit, a recode,
a group, a denominator) shows here as a difference, at 1e-9 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlrstats.data.cohort import load_cohort
from nlrstats.study.analyze import analyze

ROOT = Path(__file__).resolve().parents[1]
RTOL = 1e-9


def _r_values() -> dict[str, np.ndarray]:
    out = {}
    for line in (ROOT / "tests" / "fixtures" / "study_validation.tsv").read_text().splitlines():
        key, *vals = line.split("\t")
        out[key] = np.array([float(v) for v in vals])
    return out


R = _r_values()


@pytest.fixture(scope="module")
def results():
    cohort = load_cohort(ROOT / "data" / "example_validation.csv", mapping=ROOT / "data" / "example_validation.toml")
    return analyze(cohort, bootstrap=0)


def _rate(r):
    return [r.x, r.n, r.conf_low, r.conf_high]


def _median(m):
    return [m.estimate, m.conf_low, m.conf_high]


def _hr(h):
    return [h.estimate, h.conf_low, h.conf_high, h.p_value]


CASES = {
    "dcr_low": lambda r: _rate(r.response.dcr.low), "dcr_high": lambda r: _rate(r.response.dcr.high),
    "orr_low": lambda r: _rate(r.response.orr.low), "orr_high": lambda r: _rate(r.response.orr.high),
    "dcr_p": lambda r: r.response.dcr.p_value, "orr_p": lambda r: r.response.orr.p_value,
    "pfs_median": lambda r: _median(r.pfs.median.low) + _median(r.pfs.median.high),
    "os_median": lambda r: _median(r.os.median.low) + _median(r.os.median.high),
    "pfs_logrank": lambda r: r.pfs.logrank.statistic, "os_logrank": lambda r: r.os.logrank.statistic,
    "pfs_hr": lambda r: _hr(r.pfs.cox), "os_hr": lambda r: _hr(r.os.cox),
    "age_p": lambda r: r.table_one.tests_frame.filter(variable="age")["p_value"].item(),
    "nlr_median": lambda r: float(r.cohort.data["nlr_d0"].median()),
}


def test_every_r_value_has_a_case():
    assert set(CASES) == set(R)


@pytest.mark.parametrize("name", sorted(CASES))
def test_study_equals_r_by_hand(results, name):
    np.testing.assert_allclose(np.atleast_1d(np.asarray(CASES[name](results), dtype=float)), R[name],
                               rtol=RTOL, atol=0)
