"""Patient flow table: patients in, excluded with reason, analysed, per analysis."""

from __future__ import annotations

import polars as pl
from great_tables import GT

from nlrstats.present.tables._common import check_columns, finish, source_of
from nlrstats.present.format import MISSING, format_count

__all__ = ["gt_flow", "analysis_names"]


def analysis_names(plan) -> dict[str, str]:
    """Display names of a plan's analyses: "Baseline NLR", "NLR change by day 14", the endpoints' labels."""
    names = {plan.baseline_analysis: f"Baseline {plan.marker_label}", "response": "Best overall response",
             plan.change_analysis: f"{plan.marker_label} change by day 14"}
    names.update({e.key: e.label for e in plan.endpoints})
    return names

_FLOW_COLUMNS = ("analysis", "n_in", "excluded", "reason", "n_analysed")


def gt_flow(flow, *, source: str | None = None, title: str | None = "Patients per analysis",
            names: dict[str, str] | None = None, theme: str = "default", font=None) -> GT:
    """Patient flow: for each analysis the patients in, excluded (with the reason) and analysed.

    Parameters
    ----------
    flow : study results (their ``.flow``, ``.plan`` and ``.source`` are used) or a polars frame with
        columns analysis, n_in, excluded, reason, n_analysed (``plan.flow(cohort)``).
    source : the source note (default: the results' ``.source``).
    title : table title (``None`` for none).
    names : display names for analyses, merged over the plan's (:func:`analysis_names`); unknown
        analyses show their code as given.
    theme, font : see :func:`nlrstats.present.tables.apply_theme`.

    Notes
    -----
    An analysis without exclusions shows "—" as reason. The counts are checked:
    n_in - excluded must equal n_analysed in every row.
    """
    source = source_of(flow, source)
    plan_names = {} if isinstance(flow, pl.DataFrame) else analysis_names(flow.plan)
    frame = flow if isinstance(flow, pl.DataFrame) else flow.flow
    frame = check_columns(frame, _FLOW_COLUMNS, "flow")
    labels = {**plan_names, **(names or {})}
    rows = []
    for i, r in enumerate(frame.iter_rows(named=True)):
        n_in, ex, n_an = r["n_in"], r["excluded"], r["n_analysed"]
        if None in (n_in, ex, n_an) or n_in - ex != n_an:
            raise ValueError(f"flow row {i} ({r['analysis']}): n_in ({n_in}) - excluded ({ex}) "
                             f"!= n_analysed ({n_an})")
        reason = r["reason"]
        rows.append({
            "analysis": labels.get(r["analysis"], str(r["analysis"])),
            "n_in": format_count(n_in),
            "excluded": format_count(ex),
            "reason": reason if reason else MISSING,
            "n_analysed": format_count(n_an),
        })
    body = pl.DataFrame(rows, schema={c: pl.String for c in _FLOW_COLUMNS})
    gt = (
        GT(body, rowname_col="analysis")
        .tab_stubhead("Analysis")
        .cols_label(n_in="Patients", excluded="Excluded", reason="Reason for exclusion",
                    n_analysed="Analysed")
        .cols_align("right", columns=["n_in", "excluded", "n_analysed"])
        .cols_align("left", columns=["reason"])
    )
    return finish(gt, source=source, theme=theme, font=font, title=title)
