"""A second core for kernels that split their work in two: one worker thread per process.

The kernels that use it (the compiled Kaplan-Meier passes and key sort, the cut-point
bootstrap) run one half on the worker while the calling thread does the other; both halves
are numba ``nogil`` code or numpy calls that release the GIL, so two cores work at once.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["second_core", "ENABLED"]

#: False runs every kernel on the calling thread only (the one-core path, for tests)
ENABLED = True

_POOL: tuple[int, ThreadPoolExecutor | None] | None = None  # (process id, executor or None)


def second_core() -> ThreadPoolExecutor | None:
    """The worker thread for the second core, or None on a single core (or when switched off).

    Made per process: a child made by fork has the parent's executor object but not its
    thread, and would wait forever on it.
    """
    global _POOL
    if not ENABLED:
        return None
    if _POOL is None or _POOL[0] != os.getpid():
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlrstats") if cores > 1
                 else None)
    return _POOL[1]
