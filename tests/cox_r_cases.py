"""Shared loading and comparison for the Cox fixtures of tests/r/cox_fixtures.R (R's survival 3.5, rms)."""

from __future__ import annotations

import json
import math
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from nlrstats.stats.survival import coxph

FIX = Path(__file__).parent / "fixtures"


@lru_cache(maxsize=1)
def fixtures() -> dict:
    return json.loads((FIX / "cox_fixtures.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def dataset(name: str) -> pl.DataFrame:
    return pl.read_csv(FIX / f"cox_{name}.csv", null_values="NA", infer_schema_length=None)


def cases() -> list[dict]:
    return fixtures()["cases"]


def case(cid: str) -> dict:
    return next(c for c in cases() if c["id"] == cid)


def r_num(v):
    if v is None:
        return math.nan
    if v == "Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)


def r_vec(v) -> np.ndarray:
    return np.array([r_num(x) for x in (v if isinstance(v, list) else [v])], dtype=float)


def r_mat(cols) -> np.ndarray:
    """A matrix stored column by column."""
    return np.column_stack([r_vec(c) for c in cols]) if cols else np.zeros((0, 0))


def rel_diff(ours, theirs) -> float:
    """Largest relative difference, NaN where both are NaN; values below 1e-7 of the array's largest
    are compared relative to that floor (residuals and centred terms cross 0)."""
    a, b = np.asarray(ours, dtype=float).ravel(), np.asarray(theirs, dtype=float).ravel()
    assert a.shape == b.shape, f"{a.shape} values vs R's {b.shape}"
    both_nan = np.isnan(a) & np.isnan(b)
    assert not (np.isnan(a) ^ np.isnan(b)).any(), f"NA pattern differs: ours {a[:6]}, R {b[:6]}"
    same_inf = np.isinf(a) & (a == b)
    ok = ~(both_nan | same_inf)
    if not ok.any() or not np.abs(b[ok]).max() and not np.abs(a[ok]).max():
        return 0.0
    scale = np.maximum(np.abs(b[ok]), 1e-7 * np.abs(b[ok]).max())
    return float(np.max(np.abs(a[ok] - b[ok]) / scale))


def fit_case(c: dict, **kw):
    """coxph on the fixture's data with the fixture's arguments; returns (fit, warning messages)."""
    args = {"ties": c["ties"], "iter_max": c["iter_max"]}
    if c.get("weights"):
        args["weights"] = c["weights"]
    if c.get("subset"):
        args["subset"] = c["subset"]
    if c.get("robust") is not None:
        args["robust"] = c["robust"]
    args.update(kw)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fit = coxph(c["formula"], dataset(c["dataset"]), **args)
    return fit, [str(x.message) for x in w]
