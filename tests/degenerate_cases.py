"""Degenerate cohorts that pass validation but leave some analysis with nothing to estimate.

Each case is a simulated cohort changed in one way; the validation document must render for every
one of them and say what could not be estimated (see tests/test_degenerate.py).
"""

from __future__ import annotations

import polars as pl

from nlrstats.data.simulate import simulate_cohort

__all__ = ["CASES", "degenerate_cohort"]

_BASE_N = 40


def _base() -> pl.DataFrame:
    return simulate_cohort(_BASE_N, seed=3)


def _high(frame: pl.DataFrame) -> pl.Expr:
    return (pl.col("neutrophils_d0") / pl.col("lymphocytes_d0")) >= 8


def _one_group_empty(frame: pl.DataFrame) -> pl.DataFrame:
    # every patient below the cut-off: NLR = 2
    return frame.with_columns(neutrophils_d0=(2 * pl.col("lymphocytes_d0")).round(2))


def _no_events_in_one_group(frame: pl.DataFrame) -> pl.DataFrame:
    high = _high(frame)
    return frame.with_columns(pfs_event=pl.when(high).then(0).otherwise(pl.col("pfs_event")),
                              os_event=pl.when(high).then(0).otherwise(pl.col("os_event")))


#: case name -> how the base cohort is changed
CASES = {
    "one patient": lambda f: f.head(1),
    "two patients": lambda f: f.head(2),
    "three patients": lambda f: f.head(3),
    "all censored": lambda f: f.with_columns(pfs_event=pl.lit(0, pl.Int64), os_event=pl.lit(0, pl.Int64)),
    "no events in one group": _no_events_in_one_group,
    "one NLR group empty": _one_group_empty,
    "every response NE": lambda f: f.with_columns(best_response=pl.lit("NE"),
                                                  best_pct_change=pl.lit(None, pl.Float64)),
    "no day-14 counts": lambda f: f.with_columns(neutrophils_d14=pl.lit(None, pl.Float64),
                                                 lymphocytes_d14=pl.lit(None, pl.Float64)),
}


def degenerate_cohort(case: str) -> pl.DataFrame:
    """The base simulated cohort changed as ``CASES[case]`` says."""
    return CASES[case](_base())
