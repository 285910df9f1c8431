"""Where a cohort's rows come from: is it the bundled synthetic reconstruction of Fukuda et al. (2020)?

Documents mark every table and figure of the reconstruction as synthetic, and nothing else. The test is
on content, not on the file name: the canonical columns, sorted by patient and rounded to 9 significant
digits (so a copy converted to Excel or through a unit mapping is still recognised), hashed with SHA-256.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import polars as pl

from nlrstats.data.cohort import Cohort, bundled_cohort_path, load_cohort
from nlrstats.data.schema import COLUMNS

__all__ = ["fingerprint", "is_reconstruction", "RECONSTRUCTION_FILE"]

RECONSTRUCTION_FILE = "fukuda2020_reconstructed.csv"


def fingerprint(data: pl.DataFrame) -> str:
    """SHA-256 of the canonical columns of ``data`` (sorted by patient_id; floats to 9 significant digits)."""
    cols = [c for c in COLUMNS if c in data.columns]
    frame = data.select(cols).sort("patient_id")
    frame = frame.with_columns(
        pl.col(c).map_elements(lambda v: f"{v:.9g}", return_dtype=pl.String)
        for c in cols if frame.schema[c].is_float()
    )
    return hashlib.sha256(frame.write_csv().encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _reconstruction() -> tuple[int, str]:
    bundled = load_cohort(bundled_cohort_path(RECONSTRUCTION_FILE))
    return bundled.n, fingerprint(bundled.data)


def is_reconstruction(cohort: Cohort) -> bool:
    """True when ``cohort`` holds exactly the rows of the bundled synthetic reconstruction."""
    n, digest = _reconstruction()
    return cohort.n == n and fingerprint(cohort.data) == digest
