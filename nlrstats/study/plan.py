"""The analysis plan: which marker, which cut-off, which endpoints and covariates, which rules.

A :class:`StudyPlan` is the one place a study's choices live. ``StudyPlan.fukuda2020()`` is the plan of
Fukuda et al. (In Vivo 2020), built from :mod:`nlrstats.study.published`; ``plan.replace(marker="plr",
cutoff=150)`` is the same plan on another marker. The plan makes the groups (``plan.grouped(cohort)``),
names them (``plan.labels``), and says which columns each analysis needs (``plan.requirements``), so every
label, caption and sentence of a document follows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.data.markers import MARKERS, Marker, group_expr, group_labels
from nlrstats.study import published

__all__ = ["StudyPlan", "Endpoint", "PlanError", "GroupLabels"]


class PlanError(ValueError):
    """A plan that cannot be analysed (unknown marker, a cut-off that is not a finite positive number, ...)."""


@dataclass(frozen=True)
class Endpoint:
    """A time-to-event endpoint: its key ("pfs"), columns and names."""

    key: str
    time: str
    event: str
    label: str
    abbreviation: str

    @property
    def formula(self) -> str:
        """``"Surv(pfs_months, pfs_event)"``, the left-hand side of the endpoint's models."""
        return f"Surv({self.time}, {self.event})"


@dataclass(frozen=True)
class GroupLabels:
    """The names of the low and high group (``"NLR < 8"``, ``"NLR ≥ 8"``)."""

    low: str
    high: str

    def __iter__(self):
        return iter((self.low, self.high))


def _endpoints() -> tuple[Endpoint, ...]:
    return tuple(Endpoint(*e) for e in published.ENDPOINTS)


@dataclass(frozen=True)
class StudyPlan:
    """A study's analysis plan.

    Attributes
    ----------
    cutoff : marker value at or above which a patient is in the high group.
    marker : key of :data:`nlrstats.data.markers.MARKERS` ("nlr", "dnlr", "plr", "lmr", "sii").
    endpoints : the time-to-event endpoints (PFS and OS by default).
    covariates : covariates of the univariable Cox models (and the multivariable one, events allowing).
    events_per_coefficient : a multivariable model is fitted only with at least this many events per
        coefficient (Peduzzi et al., J Clin Epidemiol 1996).
    window_ratio : a data-driven cut-point within ``cutoff * window_ratio`` counts as near the plan's
        cut-off (the bootstrap of the optimal cut reports how often).
    bootstrap : resamples of the optimal-cut bootstrap (0 skips it).
    seed : seed of every resampling step.
    survival_times : landmark times (in the endpoints' unit) of the survival table.
    time_unit : unit of the endpoints' times, for text.
    name : what the plan is called in documents.
    """

    cutoff: float
    marker: str = "nlr"
    endpoints: tuple[Endpoint, ...] = field(default_factory=_endpoints)
    covariates: tuple[str, ...] = published.COVARIATES
    events_per_coefficient: int = 10
    window_ratio: tuple[float, float] = (0.75, 1.25)
    bootstrap: int = 200
    seed: int = 2020
    survival_times: tuple[float, ...] = (6.0, 12.0)
    time_unit: str = "months"
    name: str = "custom plan"

    def __post_init__(self):
        problems = []
        if self.marker not in MARKERS:
            problems.append(f"marker {self.marker!r} is not known; choose one of {', '.join(MARKERS)}")
        try:
            cut = float(self.cutoff)
        except (TypeError, ValueError):
            cut = math.nan
        if isinstance(self.cutoff, bool) or not math.isfinite(cut) or cut <= 0:
            problems.append(f"cutoff must be a finite positive number, got {self.cutoff!r}")
        else:
            object.__setattr__(self, "cutoff", cut)
        lo, hi = self.window_ratio
        if not (0 < lo < 1 < hi and math.isfinite(hi)):
            problems.append(f"window_ratio must satisfy 0 < low < 1 < high, got {self.window_ratio!r}")
        for name in ("bootstrap", "seed", "events_per_coefficient"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(f"{name} must be a non-negative integer, got {value!r}")
        keys = [e.key for e in self.endpoints]
        if sorted(keys) != ["os", "pfs"]:
            problems.append(f"endpoints must be the two keys 'pfs' and 'os' (with any columns), got {keys}")
        if problems:
            raise PlanError("invalid study plan: " + "; ".join(problems))
        object.__setattr__(self, "covariates", tuple(self.covariates))
        object.__setattr__(self, "survival_times", tuple(float(t) for t in self.survival_times))

    @classmethod
    def fukuda2020(cls) -> "StudyPlan":
        """The plan of Fukuda et al. (In Vivo 2020): baseline NLR split at 8, PFS and OS, ORR and DCR."""
        return cls(cutoff=published.CUTOFF, marker=published.MARKER, name=published.PLAN_NAME)

    def replace(self, **changes) -> "StudyPlan":
        """A copy with some fields changed (and validated); ``None`` values leave a field as it is."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise PlanError(f"unknown plan field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **changes)

    # --- what the plan implies -------------------------------------------------------------------
    @property
    def marker_spec(self) -> Marker:
        return MARKERS[self.marker]

    @property
    def marker_label(self) -> str:
        """``"NLR"``."""
        return self.marker_spec.label

    @property
    def marker_column(self) -> str:
        """The baseline marker's column, ``"nlr_d0"``."""
        return self.marker_spec.column("d0")

    @property
    def change_columns(self) -> tuple[str, str, str]:
        """Day-0, day-14 and "decreased" columns of the marker."""
        m = self.marker_spec
        return m.column("d0"), m.column("d14"), f"{m.key}_decreased"

    @property
    def group_column(self) -> str:
        """``"nlr_group"``: the column :meth:`grouped` adds."""
        return f"{self.marker}_group"

    @property
    def labels(self) -> GroupLabels:
        return GroupLabels(*group_labels(self.marker_label, self.cutoff))

    @property
    def window(self) -> tuple[float, float]:
        """The cut-off window, ``cutoff * window_ratio`` (6-10 around the paper's 8)."""
        return self.cutoff * self.window_ratio[0], self.cutoff * self.window_ratio[1]

    def endpoint(self, key: str) -> Endpoint:
        for e in self.endpoints:
            if e.key == key:
                return e
        raise KeyError(key)

    @property
    def requirements(self) -> dict[str, tuple[str, ...]]:
        """Analysis name -> the columns it needs; a patient missing one is excluded from that analysis only."""
        col = self.marker_column
        d0, d14, _ = self.change_columns
        req = {f"baseline_{self.marker}": (col,), "response": (col, "best_response"),
               f"{self.marker}_change": (d0, d14, "best_response")}
        for e in self.endpoints:
            req[e.key] = (col, e.time, e.event)
        return req

    @property
    def change_analysis(self) -> str:
        return f"{self.marker}_change"

    @property
    def baseline_analysis(self) -> str:
        return f"baseline_{self.marker}"

    # --- applying the plan to a cohort -----------------------------------------------------------
    def grouped(self, cohort: Cohort | pl.DataFrame) -> pl.DataFrame:
        """The cohort's rows with :attr:`group_column` (an ordered Enum, low group first)."""
        data = cohort.data if isinstance(cohort, Cohort) else cohort
        return data.with_columns(group_expr(self.marker_column, self.cutoff, tuple(self.labels), self.group_column))

    def analysis_data(self, cohort: Cohort, analysis: str) -> pl.DataFrame:
        """The grouped rows usable for one analysis of :attr:`requirements`."""
        excluded = cohort.exclusions(self.requirements, analysis)["patient_id"]
        return self.grouped(cohort).filter(~pl.col("patient_id").is_in(excluded.implode()))

    def flow(self, cohort: Cohort) -> pl.DataFrame:
        """Per analysis of the plan: n_in, excluded, reason, n_analysed."""
        return cohort.flow(self.requirements)

    def describe(self) -> dict:
        """The plan as plain values (for JSON and the methods text)."""
        return {"name": self.name, "marker": self.marker, "marker_label": self.marker_label,
                "cutoff": self.cutoff, "labels": {"low": self.labels.low, "high": self.labels.high},
                "endpoints": [e.key for e in self.endpoints], "covariates": list(self.covariates),
                "events_per_coefficient": self.events_per_coefficient, "window": list(self.window),
                "bootstrap": self.bootstrap, "seed": self.seed, "survival_times": list(self.survival_times)}
