"""The study's response and marker-change sections: typed summaries over the analyses that made them.

``results.response.dcr.low`` is a :class:`~nlrstats.study.summaries.Rate`; ``results.response.result`` is
the :class:`~nlrstats.study.response.ResponseResult` the tables read. The same holds for
``results.nlr_change`` (the marker's change by day 14; the name is the paper's, whatever the marker).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.study.dynamics import DynamicsResult, nlr_dynamics
from nlrstats.study.plan import StudyPlan
from nlrstats.study.response import ResponseResult, response_by_group
from nlrstats.study.summaries import PairedChange, RateByChange, RateByGroup, rate_from_row

__all__ = ["ResponseSection", "ChangeSection", "response_section", "change_section"]

_FISHER = "Fisher's exact test"


def _p(tests: pl.DataFrame, endpoint: str):
    sub = tests.filter(pl.col("endpoint") == endpoint)
    return sub["p_value"][0] if sub.height else None


def _rates(frame: pl.DataFrame, endpoint: str) -> dict:
    return {r["group"]: r for r in frame.filter(pl.col("endpoint") == endpoint).iter_rows(named=True)}


@dataclass(frozen=True)
class ResponseSection(Result):
    """ORR and DCR by group (Clopper-Pearson CIs, Fisher's exact tests) and the test of the whole BOR table."""

    orr: RateByGroup
    dcr: RateByGroup
    bor_p_value: float | None
    result: ResponseResult = field(metadata=NOT_IN_JSON)

    def tidy(self) -> pl.DataFrame:
        return self.result.rates()


@dataclass(frozen=True)
class ChangeSection(Result):
    """ORR and DCR by whether the marker fell by day 14, and the paired test of day 0 vs day 14."""

    n: int
    excluded: int
    orr: RateByChange
    dcr: RateByChange
    paired: tuple[PairedChange, ...]
    marker: str = field(metadata=NOT_IN_JSON, default="nlr")
    result: DynamicsResult | None = field(metadata=NOT_IN_JSON, default=None)

    @property
    def decreased_n(self) -> int:
        return self.orr.decreased.n if self.orr.decreased is not None else 0

    def tidy(self) -> pl.DataFrame:
        return self.result.rates()


def response_section(plan: StudyPlan, cohort: Cohort) -> ResponseSection:
    """Best overall response by the plan's groups."""
    data = plan.analysis_data(cohort, "response")
    result = response_by_group(data, by=plan.group_column, seed=plan.seed)
    rates, tests = result.rates(), result.tests()
    low, high = plan.labels

    def by_group(endpoint: str) -> RateByGroup:
        rows = _rates(rates, endpoint)
        return RateByGroup(rate_from_row(rows.get(low)), rate_from_row(rows.get(high)),
                           rate_from_row(rows.get("Overall")), _p(tests, endpoint), _FISHER)

    return ResponseSection(by_group("orr"), by_group("dcr"), _p(tests, "bor"), result)


def change_section(plan: StudyPlan, cohort: Cohort) -> ChangeSection:
    """Response by the fall of the plan's marker between day 0 and day 14 (Fukuda et al.'s NLR dynamics)."""
    d0, d14, _ = plan.change_columns
    if cohort.data[d14].null_count() == cohort.n:
        empty = RateByChange(None, None, None, _FISHER)
        return ChangeSection(0, cohort.n, empty, empty, (), plan.marker, None)
    result = nlr_dynamics(cohort.data, marker=plan.marker)
    rates, tests = result.rates(), result.tests()
    included = result.patients["included"]

    def by_change(endpoint: str) -> RateByChange:
        rows = _rates(rates, endpoint)
        return RateByChange(rate_from_row(rows.get("decreased")), rate_from_row(rows.get("not_decreased")),
                            _p(tests, endpoint), _FISHER)

    paired = tuple(PairedChange(r["subset"], r["n"], r["median_d0"], r["median_d14"], r["statistic"],
                                r["p_value"], r["method"]) for r in result.paired().iter_rows(named=True))
    return ChangeSection(int(included.sum()), int((~included).sum()), by_change("orr"), by_change("dcr"),
                         paired, plan.marker, result)
