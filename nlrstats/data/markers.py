"""Inflammation markers from blood counts, their change by day 14, and grouping at a cut-off.

All counts are in 10^9/L (the loader converts). Definitions:

- NLR  = neutrophils / lymphocytes
- dNLR = neutrophils / (WBC - neutrophils)       (Proctor et al., Br J Cancer 2012)
- PLR  = platelets / lymphocytes
- LMR  = lymphocytes / monocytes
- SII  = platelets x neutrophils / lymphocytes   (Hu et al., Clin Cancer Res 2014)

Each marker is computed at day 0 (``<key>_d0``) and, where the day-14 counts exist, at day 14
(``<key>_d14``) with its change (``<key>_change``, ``<key>_pct_change``, ``<key>_decreased``). Grouping
at a cut-off is the study plan's business (:class:`nlrstats.study.plan.StudyPlan`); this module only
provides the expression: a value at or above the cut-off is "high", as in Fukuda et al. (2020).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["Marker", "MARKERS", "derive_markers", "group_labels", "group_expr", "RESPONDER_CODES",
           "CONTROL_CODES", "DERIVED_COLUMNS"]

RESPONDER_CODES = ("CR", "PR")
CONTROL_CODES = ("CR", "PR", "SD")


@dataclass(frozen=True)
class Marker:
    """One blood-count marker.

    Attributes
    ----------
    key : short name used in column names and plans (``"nlr"``).
    label : how tables and prose name it (``"NLR"``).
    name : its long name.
    inputs : the count columns (without the ``_d0``/``_d14`` day suffix) it is computed from.
    reference : where it is defined.
    """

    key: str
    label: str
    name: str
    inputs: tuple[str, ...]
    reference: str

    def column(self, day: str = "d0") -> str:
        """The marker's column at a day: ``"nlr_d0"``, ``"nlr_d14"``."""
        return f"{self.key}_{day}"

    def expr(self, day: str, columns) -> pl.Expr | None:
        """The marker computed from the day's counts, or None when an input column is absent."""
        names = {c: (c if c == "wbc" else f"{c}_{day}") for c in self.inputs}
        if day != "d0" and "wbc" in self.inputs:  # WBC is recorded at baseline only
            return None
        if not all(n in columns for n in names.values()):
            return None
        n = {c: pl.col(v) for c, v in names.items()}
        return {
            "nlr": lambda: n["neutrophils"] / n["lymphocytes"],
            "dnlr": lambda: n["neutrophils"] / (n["wbc"] - n["neutrophils"]),
            "plr": lambda: n["platelets"] / n["lymphocytes"],
            "lmr": lambda: n["lymphocytes"] / n["monocytes"],
            "sii": lambda: n["platelets"] * n["neutrophils"] / n["lymphocytes"],
        }[self.key]()


MARKERS: dict[str, Marker] = {m.key: m for m in (
    Marker("nlr", "NLR", "neutrophil-to-lymphocyte ratio", ("neutrophils", "lymphocytes"),
           "Zahorec, Bratisl Lek Listy 2001"),
    Marker("dnlr", "dNLR", "derived neutrophil-to-lymphocyte ratio", ("neutrophils", "wbc"),
           "Proctor et al., Br J Cancer 2012"),
    Marker("plr", "PLR", "platelet-to-lymphocyte ratio", ("platelets", "lymphocytes"),
           "Templeton et al., Cancer Epidemiol Biomarkers Prev 2014"),
    Marker("lmr", "LMR", "lymphocyte-to-monocyte ratio", ("lymphocytes", "monocytes"),
           "Nishijima et al., Cancer Treat Rev 2015"),
    Marker("sii", "SII", "systemic immune-inflammation index", ("platelets", "neutrophils", "lymphocytes"),
           "Hu et al., Clin Cancer Res 2014"),
)}

#: Every column :func:`derive_markers` adds (or replaces, for a given ``nlr_d0`` / ``nlr_d14``).
DERIVED_COLUMNS = tuple(
    [f"{k}_{s}" for k in MARKERS for s in ("d0", "d14", "change", "pct_change", "decreased")]
    + ["responder", "disease_control"]
)


def group_labels(label: str, cutoff: float) -> tuple[str, str]:
    """Labels of the low and high group, e.g. ``("NLR < 8", "NLR ≥ 8")``."""
    return f"{label} < {cutoff:g}", f"{label} ≥ {cutoff:g}"


def group_expr(column: str, cutoff: float, labels: tuple[str, str], name: str) -> pl.Expr:
    """The group of ``column`` at ``cutoff`` as an ordered Enum (low level first); null where the value is null."""
    low, high = labels
    return (
        pl.when(pl.col(column) >= cutoff).then(pl.lit(high))
        .when(pl.col(column) < cutoff).then(pl.lit(low))
        .otherwise(None)
        .cast(pl.Enum([low, high]))
        .alias(name)
    )


def derive_markers(df: pl.DataFrame) -> pl.DataFrame:
    """Add marker, change and response-flag columns to a validated canonical frame.

    Parameters
    ----------
    df : canonical frame (counts in 10^9/L, ``best_response`` in RECIST codes).

    Returns
    -------
    polars.DataFrame
        ``df`` with ``<marker>_d0`` and ``<marker>_d14`` for every marker of :data:`MARKERS` (null where an
        input column is absent), their change by day 14 (``_change``, ``_pct_change`` = change / day 0 x 100,
        ``_decreased`` = day 14 below day 0), and ``responder`` (CR, PR) and ``disease_control`` (CR, PR, SD).
        A given ``nlr_d0`` / ``nlr_d14`` only fills rows whose counts are missing: counts win.
    """
    out = df
    for marker in MARKERS.values():
        for day in ("d0", "d14"):
            col = marker.column(day)
            computed = marker.expr(day, df.columns)
            given = col in df.columns
            if computed is not None and given:
                out = out.with_columns(pl.coalesce(computed, pl.col(col)).alias(col))
            elif computed is not None:
                out = out.with_columns(computed.alias(col))
            elif not given:
                out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
        d0, d14 = pl.col(marker.column("d0")), pl.col(marker.column("d14"))
        out = out.with_columns(
            (d14 - d0).alias(f"{marker.key}_change"),
            ((d14 - d0) / d0 * 100).alias(f"{marker.key}_pct_change"),
            (d14 < d0).alias(f"{marker.key}_decreased"),
        )
    if "best_response" in out.columns:
        br = pl.col("best_response")
        out = out.with_columns(
            pl.when(br.is_null()).then(None).otherwise(br.is_in(RESPONDER_CODES)).alias("responder"),
            pl.when(br.is_null()).then(None).otherwise(br.is_in(CONTROL_CODES)).alias("disease_control"),
        )
    return out
