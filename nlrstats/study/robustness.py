"""Robustness of the cut-off: the study's cut-point section.

A cut-off chosen after looking at the data inflates its p-value (Altman et al., J Natl Cancer Inst
1994; Lausen & Schumacher, Biometrics 1992). This section reports, on the plan's baseline marker:

- for each endpoint, the maximally selected log-rank statistic with its search-adjusted p-value
  (``exactGauss``: the exact multivariate-normal distribution of the maximum, Hothorn & Lausen 2003,
  the most accurate of R maxstat's methods in small samples, where it is feasible; beyond that, with
  hundreds of distinct cuts, Lausen et al. 1994's improved Bonferroni bound ``Lau94``, accurate for many
  cuts; the method used is reported) beside the naive p at that cut;
- the ROC curve of the marker for disease control (AUC with DeLong CI, Youden cut, sensitivity and
  specificity at the plan's cut-off);
- a bootstrap of the optimal PFS cut: how often it falls in the plan's window around its cut-off, and
  the optimism-corrected hazard ratio at the data-driven cut (Harrell's bootstrap). Each resample
  refits the cut search on all n patients, so the plan's number of resamples is capped at
  :data:`BOOTSTRAP_BUDGET` resampled patients (B x n, at least :data:`BOOTSTRAP_MIN` resamples); the
  number run and the number requested are both reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.data.progress import bar
from nlrstats.stats.cutpoint import bootstrap_cutpoint, maxstat, roc
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.study.plan import StudyPlan

__all__ = ["CutpointSection", "CutSearch", "RocSummary", "BootstrapSummary", "cutpoint_section", "PMETHOD",
           "BOOTSTRAP_BUDGET", "BOOTSTRAP_MIN", "affordable_bootstrap"]

#: maxstat's "auto": exactGauss where its quadrature is feasible, else Lau94 (the result names which)
PMETHOD = "auto"
#: resampled patients (B x n) the cut-point bootstrap may cost: 200 resamples up to 25,000 patients,
#: 50 at 10^5, 5 at 10^6 (one resample there takes 1-2 s on two cores)
BOOTSTRAP_BUDGET = 5_000_000
#: fewest resamples run when any are requested
BOOTSTRAP_MIN = 5


def affordable_bootstrap(requested: int, n: int) -> int:
    """Resamples actually run: ``requested``, capped at ``BOOTSTRAP_BUDGET / n`` (never below ``BOOTSTRAP_MIN``)."""
    if requested <= 0 or n <= 0:
        return max(requested, 0)
    return min(requested, max(BOOTSTRAP_MIN, BOOTSTRAP_BUDGET // n))


@dataclass(frozen=True)
class CutSearch:
    """The data-driven cut of one endpoint: maximally selected log-rank statistic and its p-values."""

    cut: float
    statistic: float
    p_value: float | None
    pmethod: str
    p_value_unadjusted: float | None
    n: int
    events: int


@dataclass(frozen=True)
class RocSummary:
    """ROC of the marker for disease control (pROC; DeLong CI), at Youden's cut and at the plan's."""

    auc: float
    conf_low: float | None
    conf_high: float | None
    youden: float | None
    youden_sensitivity: float | None
    youden_specificity: float | None
    direction: str
    sensitivity_at_published: float | None
    specificity_at_published: float | None


@dataclass(frozen=True)
class BootstrapSummary:
    """Stability of the optimal PFS cut over bootstrap resamples, and the optimism-corrected HR."""

    B: int
    seed: int | None
    cut: float
    window: tuple[float, float] | None
    share_in_window: float | None
    cut_q25: float | None
    cut_median: float | None
    cut_q75: float | None
    hr_apparent: float | None
    hr_corrected: float | None
    n_failed: int
    n_infinite: int
    n_valid: int
    B_requested: int | None = None


@dataclass(frozen=True)
class CutpointSection(Result):
    """Cut-point robustness results (see the module docstring).

    Attributes
    ----------
    pfs, os : the data-driven cut of each endpoint, None when it cannot be searched.
    roc_dcr : ROC summary for disease control, None when one outcome class is empty.
    bootstrap : bootstrap stability of the PFS cut, None when not requested or not possible.
    published : the plan's cut-off the data-driven cuts are compared with (the published one in
        Fukuda et al.'s plan).
    window : the plan's window around it.
    maxstat_pfs, maxstat_os, roc, bootstrap_result : the fitted objects, for figures.
    """

    pfs: CutSearch | None
    os: CutSearch | None
    roc_dcr: RocSummary | None
    bootstrap: BootstrapSummary | None
    published: float
    window: tuple[float, float]
    maxstat_pfs: object | None = field(metadata=NOT_IN_JSON, default=None)
    maxstat_os: object | None = field(metadata=NOT_IN_JSON, default=None)
    roc: object | None = field(metadata=NOT_IN_JSON, default=None)
    bootstrap_result: object | None = field(metadata=NOT_IN_JSON, default=None)

    def tidy(self) -> pl.DataFrame:
        rows = [{"endpoint": ep, "cut": m.cut, "statistic": m.statistic, "p_value": m.p_value,
                 "p_value_unadjusted": m.p_value_unadjusted, "pmethod": m.pmethod}
                for ep, m in (("pfs", self.pfs), ("os", self.os)) if m is not None]
        return pl.DataFrame(rows, schema={"endpoint": pl.String, "cut": pl.Float64, "statistic": pl.Float64,
                                          "p_value": pl.Float64, "p_value_unadjusted": pl.Float64,
                                          "pmethod": pl.String})


def _first(frame: pl.DataFrame, key: str):
    return frame[key][0] if frame.height else None


def _search(m) -> CutSearch | None:
    if m is None:
        return None
    return CutSearch(m.estimate, m.statistic, m.p_value, m.pmethod, m.p_value_unadjusted, m.n, m.n_events)


def _roc_summary(r, cut: float) -> RocSummary:
    y, at = r.youden(), r.at(cut)
    return RocSummary(r.auc, r.conf_low, r.conf_high, _first(y, "threshold"), _first(y, "sensitivity"),
                      _first(y, "specificity"), r.direction, _first(at, "sensitivity"), _first(at, "specificity"))


def _bootstrap_summary(b, requested: int) -> BootstrapSummary:
    q = dict(b.cut_quantiles((0.25, 0.5, 0.75)).iter_rows())
    return BootstrapSummary(b.B, b.seed, b.cut, tuple(b.window) if b.window else None, b.share_in_window,
                            q.get(0.25), q.get(0.5), q.get(0.75), b.hr_apparent, b.hr_corrected, b.n_failed,
                            b.n_infinite, int(b.B - b.n_failed), requested)


def _maxstat_or_none(formula: str, data: pl.DataFrame, event: str, marker: str):
    if data.height < 4 or data[event].sum() == 0 or data[marker].n_unique() < 2:
        return None
    return maxstat(formula, data, pmethod=PMETHOD)


def cutpoint_section(plan: StudyPlan, cohort: Cohort) -> CutpointSection:
    """Run the cut-point robustness analyses on the plan's baseline marker (see the module docstring)."""
    marker = plan.marker_column
    searches, data = {}, {}
    for e in plan.endpoints:
        data[e.key] = plan.analysis_data(cohort, e.key)
        searches[e.key] = _maxstat_or_none(f"{e.formula} ~ {marker}", data[e.key], e.event, marker)
    resp = plan.analysis_data(cohort, "response")
    roc_fit = roc("disease_control", marker, data=resp) if resp["disease_control"].n_unique() == 2 else None
    boot = None
    pfs = plan.endpoint("pfs")
    if plan.bootstrap and searches["pfs"] is not None:
        b = affordable_bootstrap(plan.bootstrap, data["pfs"].height)
        boot = bootstrap_cutpoint(f"{pfs.formula} ~ {marker}", data["pfs"], B=b, seed=plan.seed,
                                  window=plan.window, published=plan.cutoff,
                                  progress=bar("bootstrap of the PFS cut", b) or False)
    return CutpointSection(
        _search(searches["pfs"]), _search(searches["os"]),
        _roc_summary(roc_fit, plan.cutoff) if roc_fit is not None else None,
        _bootstrap_summary(boot, plan.bootstrap) if boot is not None else None, plan.cutoff, plan.window,
        maxstat_pfs=searches["pfs"], maxstat_os=searches["os"], roc=roc_fit, bootstrap_result=boot)
