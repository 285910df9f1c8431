"""Fukuda et al. (In Vivo 2020;34(5):2859-64): the study's design and its published results, as data.

This module and :class:`nlrstats.study.plan.StudyPlan` are the only places the paper's constants live.
Each published number carries the precision the paper printed it with; a reproduced value agrees when it
rounds to the same value at that precision (or, for "p < 0.05", when it lies below the threshold). The
keys are attribute paths into :class:`nlrstats.study.analyze.StudyResults`, the same paths as the keys of
``nlrstats analyze --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from nlrstats.data.markers import MARKERS, group_labels

__all__ = ["CITATION", "SHORT_NAME", "PLAN_NAME", "MARKER", "CUTOFF", "ENDPOINTS", "COVARIATES",
           "PAPER_LABELS", "PublishedValue", "PUBLISHED", "compare_published", "lookup", "published_value"]

CITATION = ("Fukuda N, Toda K, Fujiwara YU, et al. Neutrophil-to-lymphocyte ratio as a prognostic marker for "
            "anaplastic thyroid cancer treated with lenvatinib. In Vivo 2020;34(5):2859-64")
SHORT_NAME = "Fukuda 2020"
PLAN_NAME = "Fukuda et al. 2020"
MARKER = "nlr"
CUTOFF = 8.0
#: key, time column, event column, label, abbreviation
ENDPOINTS = (("pfs", "pfs_months", "pfs_event", "Progression-free survival", "PFS"),
             ("os", "os_months", "os_event", "Overall survival", "OS"))
#: the paper's group names
PAPER_LABELS = group_labels(MARKERS[MARKER].label, CUTOFF)
#: covariates of the univariable (and, events allowing, multivariable) Cox models of the replication
COVARIATES = ("age", "ecog", "distant_metastasis")


@dataclass(frozen=True)
class PublishedValue:
    """One published number.

    Attributes
    ----------
    quantity : what it is; ``{low}`` / ``{high}`` stand for the names of the groups, ``{marker}`` for the
        marker's.
    published : as printed in the paper.
    key : attribute path into the study results (and key path of the JSON output).
    kind : "count", "percent" (a proportion shown as %), "number", "p" (a p-value shown to
        ``digits``) or "p_below" (the paper only says p < ``value``).
    digits : decimals the paper printed.
    value : the published value (proportions as fractions).
    """

    quantity: str
    published: str
    key: str
    kind: str
    digits: int = 0
    value: float | None = None

    def label(self, low: str | None = None, high: str | None = None, marker: str | None = None) -> str:
        """The quantity with the groups and the marker named (the paper's: "NLR < 8", "NLR ≥ 8", "NLR")."""
        return self.quantity.format(low=low or PAPER_LABELS[0], high=high or PAPER_LABELS[1],
                                    marker=marker or MARKERS[MARKER].label)


PUBLISHED: tuple[PublishedValue, ...] = (
    PublishedValue("Patients", "13", "n", "count", value=13),
    PublishedValue("Patients, {low}", "9", "groups.low.n", "count", value=9),
    PublishedValue("Patients, {high}", "4", "groups.high.n", "count", value=4),
    PublishedValue("Disease control rate, {low}", "89%", "response.dcr.low.estimate", "percent", 0, 0.89),
    PublishedValue("Disease control rate, {high}", "25%", "response.dcr.high.estimate", "percent", 0, 0.25),
    PublishedValue("Disease control, p (Fisher)", "0.05", "response.dcr.p_value", "p", 2, 0.05),
    PublishedValue("Median PFS, {low} (months)", "4.0", "pfs.median.low.estimate", "number", 1, 4.0),
    PublishedValue("Median PFS, {high} (months)", "1.6", "pfs.median.high.estimate", "number", 1, 1.6),
    PublishedValue("PFS log-rank p", "< 0.05", "pfs.logrank.p_value", "p_below", 2, 0.05),
    PublishedValue("Median OS, {low} (months)", "10.2", "os.median.low.estimate", "number", 1, 10.2),
    PublishedValue("Median OS, {high} (months)", "3.8", "os.median.high.estimate", "number", 1, 3.8),
    PublishedValue("OS log-rank p", "< 0.05", "os.logrank.p_value", "p_below", 2, 0.05),
    PublishedValue("Patients whose {marker} fell by day 14", "7", "nlr_change.orr.decreased.n", "count", value=7),
    PublishedValue("ORR, {marker} fell by day 14", "42.9%", "nlr_change.orr.decreased.estimate", "percent", 1, 0.429),
    PublishedValue("ORR, {marker} did not fall", "0%", "nlr_change.orr.not_decreased.estimate", "percent", 0, 0.0),
    PublishedValue("ORR by {marker} change, p (Fisher)", "0.19", "nlr_change.orr.p_value", "p", 2, 0.19),
)


def lookup(results, key: str):
    """Follow an attribute path (``"response.dcr.low.estimate"``) into typed results; None where absent."""
    node = results
    for part in key.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node


def published_value(key: str) -> PublishedValue:
    """The published number at ``key`` (e.g. ``"response.dcr.low.estimate"``)."""
    for item in PUBLISHED:
        if item.key == key:
            return item
    raise KeyError(f"no published number at {key!r}")


def _rounded(value: float, digits: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _agrees(item: PublishedValue, value) -> bool:
    if value is None:
        return False
    if item.kind == "count":
        return int(value) == int(item.value)
    if item.kind == "percent":
        return _rounded(100 * value, item.digits) == _rounded(100 * item.value, item.digits)
    if item.kind in ("number", "p"):
        return _rounded(value, item.digits) == _rounded(item.value, item.digits)
    if item.kind == "p_below":
        return value < item.value
    raise ValueError(f"unknown kind {item.kind}")


def compare_published(results) -> pl.DataFrame:
    """Set every published number beside the reproduced one.

    Parameters
    ----------
    results : a :class:`~nlrstats.study.analyze.StudyResults`.

    Returns
    -------
    polars.DataFrame with key, quantity (the groups named as the paper names them), published (the
    paper's text), kind, digits, published_value, reproduced_value, agrees (rounds to the published value
    at the paper's precision, or lies below the threshold) and note.
    """
    rows = []
    for item in PUBLISHED:
        value = lookup(results, item.key)
        note = None
        if item.kind == "p":
            note = f"agrees when rounded to {item.digits} decimals"
        elif item.kind == "p_below":
            note = f"the paper reports only p < {item.value:g}"
        if value is None:
            note = f"{item.key} not computed for this cohort"
        rows.append({"key": item.key, "quantity": item.label(), "published": item.published, "kind": item.kind,
                     "digits": item.digits, "published_value": item.value,
                     "reproduced_value": None if value is None else float(value),
                     "agrees": _agrees(item, value), "note": note})
    return pl.DataFrame(rows, schema={"key": pl.String, "quantity": pl.String, "published": pl.String,
                                      "kind": pl.String, "digits": pl.Int64, "published_value": pl.Float64,
                                      "reproduced_value": pl.Float64, "agrees": pl.Boolean, "note": pl.String})
