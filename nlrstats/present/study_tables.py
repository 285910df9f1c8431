"""The study's tables from its results, with source notes that name the data honestly.

Each function takes :class:`~nlrstats.study.analyze.StudyResults` (and the cohort's display name) and
returns a ``great_tables.GT`` built by :mod:`nlrstats.present.tables`; the source note names the file and,
for the bundled reconstruction only, marks the data synthetic.
"""

from __future__ import annotations

from nlrstats.present.captions import source_note
from nlrstats.study import published
from nlrstats.present.tables import (as_html_block, gt_cox, gt_flow, gt_published_vs_reproduced, gt_response, gt_side_by_side,
                                     gt_survival, gt_table_one)

__all__ = ["flow_table", "table_one", "response_table", "survival_table", "cox_table", "cox_block",
           "published_table", "side_by_side_table"]


def flow_table(results, name: str | None = None, title: str | None = None):
    """Patients per analysis and why any were excluded."""
    return gt_flow(results, source=source_note(results, name), title=title)


def table_one(results, name: str | None = None, title: str | None = None):
    """Patient characteristics by the plan's groups."""
    return gt_table_one(results.table_one, source=source_note(results, name), title=title)


def response_table(results, name: str | None = None, title: str | None = None):
    """Best overall response, ORR and DCR by group."""
    return gt_response(results.response, source=source_note(results, name), title=title)


def survival_table(results, name: str | None = None, title: str | None = None):
    """Kaplan-Meier medians, survival at the plan's landmark times and log-rank tests, per endpoint."""
    fits = {e.endpoint.abbreviation: e.fit for e in (results.pfs, results.os)}
    tests = {e.endpoint.abbreviation: e.survdiff for e in (results.pfs, results.os)}
    return gt_survival(fits, tests, times=results.plan.survival_times, time_unit=results.plan.time_unit,
                       source=source_note(results, name), title=title)


def cox_table(results, key: str, name: str | None = None, title: str | None = None):
    """Univariable Cox models (and the multivariable one, events allowing) of an endpoint."""
    e = results.endpoint(key)
    if not e.univariable:
        return None
    return gt_cox(e.univariable, e.multivariable, source=source_note(results, name), title=title)


def cox_block(results, key: str, name: str | None = None) -> str:
    """The Cox table of an endpoint as a raw HTML block for an ``output: asis`` cell, or, when no model
    could be fitted, a sentence saying so (a table float is never left empty)."""
    table = cox_table(results, key, name)
    if table is not None:
        return as_html_block(table)
    e = results.endpoint(key)
    return (f"No Cox model of {e.endpoint.label.lower()} could be fitted in this cohort: no patient has both an "
            f"observed time and the covariates, or no event occurred.")


def published_table(results, name: str | None = None, title: str | None = None):
    """Every published number beside its reproduction; the header names the groups when they are not the paper's."""
    labels = tuple(results.plan.labels)
    header = "Reproduced" if labels == published.PAPER_LABELS else f"Reproduced ({labels[0]} vs {labels[1]})"
    return gt_published_vs_reproduced(results.compare_published(), source=source_note(results, name),
                                      reproduced=header, title=title)


def side_by_side_table(named_results: dict, title: str | None = None):
    """The published numbers beside each cohort's; the source note names (and marks) every data set."""
    return gt_side_by_side(named_results, sources=[source_note(r, name) for name, r in named_results.items()],
                           title=title)
