"""What a document needs to be rerun: versions, the file, the plan; and the optional patient listing."""

from __future__ import annotations

import platform

import polars as pl
from great_tables import GT

import nlrstats
from nlrstats.present.format import format_count_of
from nlrstats.present.text import markdown, md_escape

__all__ = ["reproducibility_sentence", "listing_table", "LISTING_COLUMNS"]

LISTING_COLUMNS = ("patient_id", "best_response", "pfs_months", "pfs_event", "os_months", "os_event")


@markdown
def reproducibility_sentence(results) -> str:
    """``"Rendered with nlrstats 0.2.0, polars 1.x and Python 3.11 from my.csv, plan: NLR ≥ 8 is high."``"""
    plan = results.plan
    return (f"Rendered with nlrstats {nlrstats.__version__}, polars {pl.__version__} and Python "
            f"{platform.python_version()} from *{md_escape(results.source)}* ({format_count_of(results.n, 'patient')}), plan "
            f"{md_escape(plan.name)}: baseline {md_escape(plan.marker_label)} ≥ {plan.cutoff:g} is high, "
            f"bootstrap {plan.bootstrap} resamples{_run(results)} with seed {plan.seed}.")


def _run(results) -> str:
    """`` (5 run at this size)`` when the cut-point bootstrap was capped below the plan's number."""
    b = results.cutpoint.bootstrap if results.cutpoint is not None else None
    if b is None or b.B_requested is None or b.B >= b.B_requested:
        return ""
    return f" ({b.B} run at this cohort's size)"


def listing_table(results) -> GT:
    """Patient-level listing (the marker at day 0 and 14, response, survival); values are shown as text."""
    d0, d14, _ = results.plan.change_columns
    data = results.cohort.data
    cols = [c for c in ("patient_id", d0, d14, *LISTING_COLUMNS[1:]) if c in data.columns]
    return GT(data.select(cols))
