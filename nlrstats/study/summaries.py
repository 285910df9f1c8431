"""The small typed values the study's sections report: rates, medians, tests, hazard ratios, groups.

Documents read them by attribute (``results.response.dcr.low.estimate``); the JSON output is derived from
their fields (:func:`nlrstats.stats.result.to_plain`), so the attribute path and the JSON key path are the
same. Numbers that do not exist are None.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nlrstats.stats.result import Result

__all__ = ["Rate", "RateByGroup", "RateByChange", "Median", "MedianByGroup", "LogRank", "HazardRatio", "Group",
           "Groups", "PairedChange", "rate_from_row"]


@dataclass(frozen=True)
class Rate(Result):
    """``x`` of ``n`` with its exact (Clopper-Pearson) 95% CI, as R's ``binom.test``."""

    x: int
    n: int
    estimate: float | None
    conf_low: float | None
    conf_high: float | None

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame([self.to_plain()])

    def to_plain(self) -> dict:
        return {"x": self.x, "n": self.n, "estimate": self.estimate, "conf_low": self.conf_low,
                "conf_high": self.conf_high}


def rate_from_row(row: dict | None) -> Rate | None:
    """A :class:`Rate` from a rates-frame row (x, n, estimate, conf_low, conf_high), None for no row."""
    if row is None:
        return None
    return Rate(int(row["x"]), int(row["n"]), row["estimate"], row["conf_low"], row["conf_high"])


@dataclass(frozen=True)
class RateByGroup:
    """A rate in the low and high group and overall, compared by ``test``."""

    low: Rate | None
    high: Rate | None
    overall: Rate | None
    p_value: float | None
    test: str


@dataclass(frozen=True)
class RateByChange:
    """A rate in patients whose marker fell by day 14 and in those whose did not, compared by ``test``."""

    decreased: Rate | None
    not_decreased: Rate | None
    p_value: float | None
    test: str


@dataclass(frozen=True)
class Median:
    """A Kaplan-Meier median with the CI R's ``print(survfit)`` shows; None where not reached."""

    estimate: float | None
    conf_low: float | None
    conf_high: float | None
    n: int
    events: int


@dataclass(frozen=True)
class MedianByGroup:
    low: Median | None
    high: Median | None


@dataclass(frozen=True)
class LogRank:
    """The log-rank test of the groups (R's ``survdiff``)."""

    statistic: float | None
    df: int | None
    p_value: float | None


@dataclass(frozen=True)
class HazardRatio:
    """Hazard ratio of the high vs the low group, from Cox's model or Firth's penalised one."""

    term: str
    estimate: float | None
    conf_low: float | None
    conf_high: float | None
    p_value: float | None
    method: str
    monotone_likelihood: bool | None

    @property
    def firth(self) -> bool:
        return self.method.startswith("Firth")


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    n: int


@dataclass(frozen=True)
class Groups:
    """The low and high group of the plan with their sizes."""

    low: Group
    high: Group

    def __iter__(self):
        return iter((self.low, self.high))

    def to_plain(self) -> list[dict]:
        return [{"key": g.key, "label": g.label, "n": g.n} for g in self]


@dataclass(frozen=True)
class PairedChange:
    """The marker at day 0 vs day 14 in a subset, by the paired Wilcoxon signed-rank test."""

    subset: str
    n: int
    median_d0: float | None
    median_d14: float | None
    statistic: float | None
    p_value: float | None
    method: str | None
