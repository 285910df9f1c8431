"""The results published by Fukuda et al. (In Vivo 2020;34(5):2859-64), as data, and the comparison rule.

Each published number carries the precision the paper printed it with; a reproduced value agrees
when it rounds to the same text (or, for "p < 0.05", when it lies below the threshold). The keys
are paths into :meth:`nlrstats.study.analyze.StudyResults.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["PublishedValue", "PUBLISHED", "compare_published", "lookup", "side_by_side"]


@dataclass(frozen=True)
class PublishedValue:
    """One published number.

    Attributes
    ----------
    quantity : what it is, in words.
    published : as printed in the paper.
    key : dotted path into the results dictionary.
    kind : "count", "percent" (a proportion shown as %), "number", "p" (a p-value shown to
        ``digits``) or "p_below" (the paper only says p < ``threshold``).
    digits : decimals the paper printed.
    value : the published value (proportions as fractions).
    """

    quantity: str
    published: str
    key: str
    kind: str
    digits: int = 0
    value: float | None = None


PUBLISHED: tuple[PublishedValue, ...] = (
    PublishedValue("Patients", "13", "n", "count", value=13),
    PublishedValue("Patients with NLR < 8", "9", "groups.low.n", "count", value=9),
    PublishedValue("Patients with NLR ≥ 8", "4", "groups.high.n", "count", value=4),
    PublishedValue("Disease control rate, NLR < 8", "89%", "response.dcr.low.estimate", "percent", 0, 0.89),
    PublishedValue("Disease control rate, NLR ≥ 8", "25%", "response.dcr.high.estimate", "percent", 0, 0.25),
    PublishedValue("Disease control, p (Fisher)", "0.05", "response.dcr.p_value", "p", 2, 0.05),
    PublishedValue("Median PFS, NLR < 8 (months)", "4.0", "pfs.median.low.estimate", "number", 1, 4.0),
    PublishedValue("Median PFS, NLR ≥ 8 (months)", "1.6", "pfs.median.high.estimate", "number", 1, 1.6),
    PublishedValue("PFS log-rank p", "< 0.05", "pfs.logrank.p_value", "p_below", 2, 0.05),
    PublishedValue("Median OS, NLR < 8 (months)", "10.2", "os.median.low.estimate", "number", 1, 10.2),
    PublishedValue("Median OS, NLR ≥ 8 (months)", "3.8", "os.median.high.estimate", "number", 1, 3.8),
    PublishedValue("OS log-rank p", "< 0.05", "os.logrank.p_value", "p_below", 2, 0.05),
    PublishedValue("Patients whose NLR fell by day 14", "7", "nlr_change.orr.decreased.n", "count", value=7),
    PublishedValue("ORR, NLR fell by day 14", "42.9%", "nlr_change.orr.decreased.estimate", "percent", 1, 0.429),
    PublishedValue("ORR, NLR did not fall", "0%", "nlr_change.orr.not_decreased.estimate", "percent", 0, 0.0),
    PublishedValue("ORR by NLR change, p (Fisher)", "0.19", "nlr_change.orr.p_value", "p", 2, 0.19),
)


def lookup(results: dict, key: str):
    """Follow a dotted key (``"response.dcr.low.estimate"``) into a nested dict; None if absent."""
    node = results
    for part in key.split("."):
        if isinstance(node, list):  # e.g. groups: [{key: "low", ...}, ...]
            node = next((x for x in node if isinstance(x, dict) and x.get("key") == part), None)
            if node is None:
                return None
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _p4(p: float) -> str:
    """A p-value to 4 decimals, "<0.0001" below that (never "0.0000")."""
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def _format(item: PublishedValue, value) -> tuple[str, bool]:
    if value is None:
        return "not available", False
    if item.kind == "count":
        return f"{int(value)}", int(value) == int(item.value)
    if item.kind == "percent":
        text = f"{100 * value:.{item.digits}f}%"
        return text, text == item.published
    if item.kind == "number":
        text = f"{value:.{item.digits}f}"
        return text, text == item.published
    if item.kind == "p":
        text = f"{value:.{item.digits}f}"
        return _p4(value), text == item.published
    if item.kind == "p_below":
        return _p4(value), value < item.value
    raise ValueError(f"unknown kind {item.kind}")


def compare_published(results) -> pl.DataFrame:
    """Set every published number beside the reproduced one.

    Parameters
    ----------
    results : a :class:`~nlrstats.study.analyze.StudyResults` or its ``to_dict()``.

    Returns
    -------
    polars.DataFrame with quantity, published, reproduced (text at the paper's precision, p-values to
    4 decimals), reproduced_value, agrees (rounds to the published text, or below the threshold), note.
    """
    data = results if isinstance(results, dict) else results.to_dict()
    rows = []
    for item in PUBLISHED:
        value = lookup(data, item.key)
        text, agrees = _format(item, value)
        note = None
        if item.kind == "p":
            note = f"agrees when rounded to {item.digits} decimals"
        elif item.kind == "p_below":
            note = f"the paper reports only p < {item.value:g}"
        if value is None:
            note = f"{item.key} not computed for this cohort"
        rows.append({"quantity": item.quantity, "published": item.published, "reproduced": text,
                     "reproduced_value": None if value is None else float(value), "agrees": agrees, "note": note})
    return pl.DataFrame(rows, schema={"quantity": pl.String, "published": pl.String, "reproduced": pl.String,
                                      "reproduced_value": pl.Float64, "agrees": pl.Boolean, "note": pl.String})


def side_by_side(named_results: dict) -> pl.DataFrame:
    """Each published number beside its value in one or more cohorts (e.g. reconstruction, validation).

    Parameters
    ----------
    named_results : cohort name -> :class:`~nlrstats.study.analyze.StudyResults` (or its ``to_dict()``).

    Returns
    -------
    polars.DataFrame with quantity, published, then one text column per cohort (the paper's precision;
    p-values to 4 decimals; "not available" where the cohort cannot give the number).
    """
    data = {name: (r if isinstance(r, dict) else r.to_dict()) for name, r in named_results.items()}
    columns: dict[str, list] = {"quantity": [], "published": []}
    for name in data:
        columns[name] = []
    for item in PUBLISHED:
        columns["quantity"].append(item.quantity)
        columns["published"].append(item.published)
        for name, d in data.items():
            columns[name].append(_format(item, lookup(d, item.key))[0])
    return pl.DataFrame(columns)
