"""Inflammation markers from blood counts, their change by day 14, and grouping at a cut-off.

All counts are in 10^9/L (the loader converts). Definitions:

- NLR  = neutrophils / lymphocytes
- dNLR = neutrophils / (WBC - neutrophils)       (Proctor et al., Br J Cancer 2012)
- PLR  = platelets / lymphocytes
- LMR  = lymphocytes / monocytes
- SII  = platelets x neutrophils / lymphocytes   (Hu et al., Clin Cancer Res 2014)

The grouping follows Fukuda et al. (In Vivo 2020): NLR >= cut-off is "high".
"""

from __future__ import annotations

import polars as pl

__all__ = ["derive_markers", "group_labels", "nlr_group_expr", "RESPONDER_CODES", "CONTROL_CODES",
           "DERIVED_COLUMNS"]

RESPONDER_CODES = ("CR", "PR")
CONTROL_CODES = ("CR", "PR", "SD")

#: Every column :func:`derive_markers` adds (or replaces, for a given ``nlr_d0`` / ``nlr_d14``).
DERIVED_COLUMNS = ("nlr_d0", "nlr_d14", "dnlr_d0", "plr_d0", "lmr_d0", "sii_d0", "nlr_change", "nlr_pct_change",
                   "nlr_decreased", "nlr_high", "nlr_group", "responder", "disease_control")


def group_labels(cutoff: float, marker: str = "NLR") -> tuple[str, str]:
    """Labels of the low and high group, e.g. ``("NLR < 8", "NLR ≥ 8")``."""
    return f"{marker} < {cutoff:g}", f"{marker} ≥ {cutoff:g}"


def nlr_group_expr(cutoff: float, column: str = "nlr_d0") -> pl.Expr:
    """``nlr_group`` as an ordered Enum (low level first); null where the NLR is null."""
    low, high = group_labels(cutoff)
    return (
        pl.when(pl.col(column) >= cutoff).then(pl.lit(high))
        .when(pl.col(column) < cutoff).then(pl.lit(low))
        .otherwise(None)
        .cast(pl.Enum([low, high]))
        .alias("nlr_group")
    )


def _ratio(num: str, den: str, df: pl.DataFrame) -> pl.Expr | None:
    if num in df.columns and den in df.columns:
        return pl.col(num) / pl.col(den)
    return None


def derive_markers(df: pl.DataFrame, cutoff: float = 8.0) -> pl.DataFrame:
    """Add marker, change, grouping and response-flag columns to a validated canonical frame.

    Parameters
    ----------
    df : canonical frame (counts in 10^9/L, ``best_response`` in RECIST codes).
    cutoff : NLR cut-off; ``nlr_d0 >= cutoff`` is high (the paper's convention).

    Returns
    -------
    polars.DataFrame
        ``df`` with nlr_d0, nlr_d14, dnlr_d0, plr_d0, lmr_d0, sii_d0 (where inputs exist),
        nlr_change, nlr_pct_change, nlr_decreased, nlr_high, nlr_group, responder and
        disease_control. A ratio whose inputs are missing is null.
    """
    out = df
    for day in ("d0", "d14"):
        computed = _ratio(f"neutrophils_{day}", f"lymphocytes_{day}", df)
        given = f"nlr_{day}" in df.columns
        if computed is not None and given:
            # counts win; a given ratio only fills rows whose counts are missing
            out = out.with_columns(pl.coalesce(computed, pl.col(f"nlr_{day}")).alias(f"nlr_{day}"))
        elif computed is not None:
            out = out.with_columns(computed.alias(f"nlr_{day}"))
        elif not given:
            out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias(f"nlr_{day}"))
    extra = {
        "dnlr_d0": (pl.col("neutrophils_d0") / (pl.col("wbc") - pl.col("neutrophils_d0")))
        if {"neutrophils_d0", "wbc"} <= set(df.columns) else None,
        "plr_d0": _ratio("platelets_d0", "lymphocytes_d0", df),
        "lmr_d0": _ratio("lymphocytes_d0", "monocytes_d0", df),
        "sii_d0": (pl.col("platelets_d0") * pl.col("neutrophils_d0") / pl.col("lymphocytes_d0"))
        if {"platelets_d0", "neutrophils_d0", "lymphocytes_d0"} <= set(df.columns) else None,
    }
    out = out.with_columns(
        [(e if e is not None else pl.lit(None, dtype=pl.Float64)).alias(k) for k, e in extra.items()]
    )
    out = out.with_columns(
        (pl.col("nlr_d14") - pl.col("nlr_d0")).alias("nlr_change"),
        ((pl.col("nlr_d14") - pl.col("nlr_d0")) / pl.col("nlr_d0") * 100).alias("nlr_pct_change"),
        (pl.col("nlr_d14") < pl.col("nlr_d0")).alias("nlr_decreased"),
        (pl.col("nlr_d0") >= cutoff).alias("nlr_high"),
        nlr_group_expr(cutoff),
    )
    if "best_response" in out.columns:
        br = pl.col("best_response")
        out = out.with_columns(
            pl.when(br.is_null()).then(None).otherwise(br.is_in(RESPONDER_CODES)).alias("responder"),
            pl.when(br.is_null()).then(None).otherwise(br.is_in(CONTROL_CODES)).alias("disease_control"),
        )
    return out
