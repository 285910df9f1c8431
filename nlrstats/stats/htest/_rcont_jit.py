"""The compiled (numba) form of :func:`._rcont_kernel.sim_tables`, for many or large tables.

Importing this module imports numba (~0.3 s) and loads the kernel from numba's cache
(compiled once, a few seconds), so :mod:`.r2dtable` uses it only for large jobs.
"""

from __future__ import annotations

from numba import njit

from nlrstats.stats.htest._rcont_kernel import sim_tables as _sim_tables_py

__all__ = ["sim_tables"]

sim_tables = njit(cache=True, nogil=True)(_sim_tables_py)
