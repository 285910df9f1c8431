"""Simulated two-group survival data shared by the fast-path tests (not a test module)."""

from __future__ import annotations

import numpy as np
import polars as pl

# times that exercise the packed-key kernels: scaling, ties, zeros, timefix near-ties
PACKED_TIMES = {
    "continuous": lambda rng, n: rng.exponential(10, n),
    "ties_and_zeros": lambda rng, n: np.where(rng.random(n) < 0.05, 0.0, np.round(rng.exponential(10, n), 1)) + 1e-3,
    # near-ties merged by timefix, within and across groups
    "near_ties": lambda rng, n: np.round(rng.exponential(10, n), 1) + rng.choice([0.0, 1e-12, 3e-11], n) + 1e-3,
    "below_two": lambda rng, n: rng.uniform(0, 1.9, n),  # no scaling of the packed keys
    "huge": lambda rng, n: rng.exponential(1e12, n),
}


def two_group_frame(case: str, n: int = 4000, seed: int = 17, solo: bool = False,
                    all_events: bool = False) -> pl.DataFrame:
    """Columns t, e, g ("lo"/"hi"); ``solo``: group "hi" is one patient; 50 zero times in
    the "ties_and_zeros" case."""
    rng = np.random.default_rng(seed)
    t = PACKED_TIMES[case](rng, n)
    if case == "ties_and_zeros":
        t[:50] = 0.0
    g = rng.choice(["lo", "hi"], n)
    if solo:
        g[:] = "lo"
        g[123] = "hi"
    e = np.ones(n, dtype=np.int64) if all_events else rng.integers(0, 2, n)
    return pl.DataFrame({"t": t, "e": e, "g": g})
