"""Bad time and event columns are named with their original row (the fast kernels' paths are checked in
tests/test_km_kernels.py and tests/test_concordance_kernels.py, the Cox paths in tests/test_cox_paths.py)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest


def test_bad_time_and_event_name_column_and_original_row():
    from nlrstats.stats.formula import FormulaError
    from nlrstats.stats.survival import survfit
    d = pl.DataFrame({"t": [1.0, None, 3.0, np.inf], "e": [1, 0, 1, 0], "g": ["a", "b", "a", "b"]})
    with pytest.raises(FormulaError, match=r"time column 't' has a non-finite value at row 3"):
        survfit("Surv(t, e) ~ g", d)
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 2, 0], "g": ["a", "b", "a"]})
    with pytest.raises(FormulaError, match=r"event column 'e' must be 0/1.*found 2 at row 1"):
        survfit("Surv(t, e) ~ g", d)
    d = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1.0, 0.5, 0.0], "g": ["a", "b", "a"]})
    with pytest.raises(FormulaError, match=r"found 0.5 at row 1"):
        survfit("Surv(t, e) ~ g", d)
