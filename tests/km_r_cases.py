"""R's results from tests/r/km_fixtures.R and the comparison the R-fixture tests share (not a test module).

:func:`close` also records the largest relative difference from R seen per verb, so
``python -m tests.km_r_cases`` can print it after running every comparison.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest

FIX = Path(__file__).parent / "fixtures"
CASES = json.loads((FIX / "km_fixtures.json").read_text(encoding="utf-8"))
DATASETS = ("lung", "pbc", "colon", "ovarian", "veteran", "aml", "gbsg", "mgus2", "empty", "censored")
DATA = {name: pl.read_csv(FIX / f"km_{name}.csv", infer_schema_length=None) for name in DATASETS}
LARGEST = defaultdict(float)  # verb -> largest relative difference from R


def as_list(v):
    return v if isinstance(v, list) else [v]


def r_value(v):
    if v is None:
        return None
    if v == "Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)


def close(ours, theirs, rel, what, verb="survfit"):
    """Element-wise: None where R has NA, equal infinities, else within ``rel`` of R's value."""
    ours, theirs = as_list(ours), [r_value(v) for v in as_list(theirs)]
    assert len(ours) == len(theirs), f"{what}: {len(ours)} values vs R's {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b is None:
            assert a is None or (isinstance(a, float) and math.isnan(a)), f"{what}[{i}]: {a} but R has NA"
        elif math.isinf(b):
            assert a == b, f"{what}[{i}]: {a} vs R {b}"
        else:
            assert a is not None and not math.isnan(a), f"{what}[{i}]: None but R has {b}"
            if b != 0:
                LARGEST[verb] = max(LARGEST[verb], abs(a - b) / abs(b))
            assert a == pytest.approx(b, rel=rel, abs=rel * 1e-3), f"{what}[{i}]: {a} vs R {b}"


def floats(series) -> list:
    return [None if v is None else float(v) for v in series.to_list()]


def case_id(case) -> str:
    extra = {k: case[k] for k in ("conf_type", "stype", "ctype", "rho", "timewt", "reverse") if k in case}
    return f"{case['call']}-{case['dataset']}-{case.get('formula', case.get('formulas'))}-{extra}"


if __name__ == "__main__":  # pragma: no cover - reporting helper
    import sys

    code = pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_km_r.py", "tests/test_logrank_r.py",
                        "tests/test_concordance_r.py"])
    print({k: f"{v:.2e}" for k, v in sys.modules["tests.km_r_cases"].LARGEST.items()})
    sys.exit(code)
