"""How well the markers separate patients by outcome: Harrell's and Uno's C, time-dependent AUC.

Per endpoint and marker (the plan's marker continuous and split at the plan's cut-off, and each other
blood-count marker the cohort has: dNLR, PLR, LMR, SII of :data:`nlrstats.data.markers.MARKERS`):

- Harrell's C (R ``concordance(Surv ~ x, reverse = TRUE)``, ``timewt = "n"``) and Uno's C (``timewt =
  "n/G2"``, Uno et al., Stat Med 2011), each with its infinitesimal-jackknife standard error and a Wald
  interval C +/- z se;
- the cumulative/dynamic AUC at the plan's landmark times (Uno et al. 2007; scikit-survival's
  ``cumulative_dynamic_auc``) with bootstrap percentile intervals over ``plan.bootstrap`` resamples of
  the patients, seeded by ``plan.seed``.

Direction: a higher value means higher risk for NLR, dNLR, PLR and SII, a lower value for LMR (a high
lymphocyte-to-monocyte ratio is the favourable one; Nishijima et al., Cancer Treat Rev 2015), so every
C and AUC above 0.5 is discrimination in the expected direction. What cannot be estimated (too few
patients, no events, a landmark beyond follow-up) is reported with the reason.

At scale (each C and AUC is a pass over every patient): above :data:`ALL_MARKERS_MAX` patients only the
plan's marker is assessed (the other markers' rows say so), and the AUC bootstrap resamples at most
:data:`~nlrstats.study.robustness.BOOTSTRAP_BUDGET` patients over the whole section; fewer than
:data:`AUC_BOOTSTRAP_MIN` affordable resamples means no bootstrap intervals. ``B`` is what was run,
``B_requested`` the plan's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.data.markers import MARKERS
from nlrstats.stats.distributions import norm
from nlrstats.stats.formula import FormulaError
from nlrstats.stats.result import Result
from nlrstats.stats.survival import concordance
from nlrstats.stats.td_auc import td_auc
from nlrstats.study.plan import StudyPlan
from nlrstats.study.robustness import BOOTSTRAP_BUDGET

__all__ = ["DiscriminationRow", "AucAt", "DiscriminationSection", "discrimination_section", "LOWER_IS_RISK",
           "ALL_MARKERS_MAX", "AUC_BOOTSTRAP_MIN", "affordable_auc_bootstrap"]

LOWER_IS_RISK = ("lmr",)  # markers whose low values carry the risk
_ERRORS = (ValueError, FormulaError, ArithmeticError, IndexError)
#: above this many patients only the plan's marker is assessed (each C is a pass over every patient: 24 of
#: them took ~2 s at 10^5, ~35 s at 10^6)
ALL_MARKERS_MAX = 20_000
#: a percentile interval from fewer resamples than this is not reported
AUC_BOOTSTRAP_MIN = 20


def affordable_auc_bootstrap(requested: int, n: int, series: int) -> int:
    """AUC resamples run: ``requested``, capped so that ``series`` bootstrap series (marker x endpoint x
    landmark) resample at most ``BOOTSTRAP_BUDGET`` patients in all; 0 below ``AUC_BOOTSTRAP_MIN``."""
    if requested <= 0 or n <= 0 or series <= 0:
        return 0
    b = min(requested, BOOTSTRAP_BUDGET // (n * series))
    return b if b >= AUC_BOOTSTRAP_MIN else 0


@dataclass(frozen=True)
class AucAt:
    """Cumulative/dynamic AUC at one landmark time (None with ``reason`` when not estimable)."""

    time: float
    estimate: float | None
    conf_low: float | None
    conf_high: float | None
    cases: int | None
    controls: int | None
    reason: str | None


@dataclass(frozen=True)
class DiscriminationRow:
    """One marker (continuous, or the plan's marker dichotomised) for one endpoint."""

    endpoint: str
    marker: str
    label: str
    dichotomised: bool
    n: int
    events: int
    harrell: float | None
    harrell_conf_low: float | None
    harrell_conf_high: float | None
    uno: float | None
    uno_conf_low: float | None
    uno_conf_high: float | None
    auc: tuple[AucAt, ...]
    reason: str | None


@dataclass(frozen=True)
class DiscriminationSection(Result):
    """C indices and time-dependent AUCs per endpoint and marker; ``B`` resamples run (``B_requested``
    asked for by the plan), ``seed``; ``markers_limited`` when only the plan's marker was assessed."""

    rows: tuple[DiscriminationRow, ...]
    times: tuple[float, ...]
    B: int
    seed: int
    conf_level: float = 0.95
    B_requested: int | None = None
    markers_limited: bool = False

    def tidy(self) -> pl.DataFrame:
        """One row per endpoint, marker and landmark time: harrell, uno, auc with their limits and reasons."""
        out = []
        for r in self.rows:
            for a in (r.auc or (AucAt(float("nan"), None, None, None, None, None, None),)):
                out.append({"endpoint": r.endpoint, "marker": r.marker, "label": r.label,
                            "dichotomised": r.dichotomised, "n": r.n, "events": r.events, "harrell": r.harrell,
                            "harrell_conf_low": r.harrell_conf_low, "harrell_conf_high": r.harrell_conf_high,
                            "uno": r.uno, "uno_conf_low": r.uno_conf_low, "uno_conf_high": r.uno_conf_high,
                            "time": a.time, "auc": a.estimate, "auc_conf_low": a.conf_low,
                            "auc_conf_high": a.conf_high, "reason": r.reason, "auc_reason": a.reason})
        schema = {"endpoint": pl.String, "marker": pl.String, "label": pl.String, "dichotomised": pl.Boolean,
                  "n": pl.Int64, "events": pl.Int64, **{k: pl.Float64 for k in (
                      "harrell", "harrell_conf_low", "harrell_conf_high", "uno", "uno_conf_low", "uno_conf_high",
                      "time", "auc", "auc_conf_low", "auc_conf_high")}, "reason": pl.String, "auc_reason": pl.String}
        return pl.DataFrame(out, schema=schema)

    def for_endpoint(self, key: str) -> tuple[DiscriminationRow, ...]:
        return tuple(r for r in self.rows if r.endpoint == key)


def _c(data: pl.DataFrame, formula: str, timewt: str, z: float):
    fit = concordance(formula, data, timewt=timewt, reverse=True)
    c, se = float(fit.concordance[0]), float(fit.std_error[0])
    if c != c:
        raise ValueError("no comparable pairs")
    return c, (c - z * se if se == se else None), (c + z * se if se == se else None)


def _aucs(data, formula, times, plan, direction, B) -> tuple[AucAt, ...]:
    # all landmarks in one call share each resample (half the bootstrap's cost with two); a landmark
    # beyond follow-up fails the joint call, and then each time is tried alone so the others still count
    joint = _auc_call(data, formula, list(times), plan, direction, B)
    if not isinstance(joint, str):
        return joint
    out = []
    for t in times:
        one = _auc_call(data, formula, [t], plan, direction, B)
        out.extend(one if not isinstance(one, str) else [AucAt(t, None, None, None, None, None, one)])
    return tuple(out)


def _auc_call(data, formula, times, plan, direction, B):
    """AucAt per time from one td_auc call, or the reason it failed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # failed resamples are counted in the result
            res = td_auc(data, formula, times, direction=direction, B=B, seed=plan.seed)
    except _ERRORS as exc:
        return f"not estimable: {exc}"
    if res.n_boot_failed and len(times) > 1:
        return "joint resamples failed"  # a resample may fail at one time only: per-time calls keep the rest
    return tuple(AucAt(row["time"], row["estimate"], row["conf_low"], row["conf_high"], row["n_cases"],
                       row["n_controls"], None) for row in res.tidy().iter_rows(named=True))


def _row(plan, data, key, marker, label, column, dichotomised, direction, z, B) -> DiscriminationRow:
    e = plan.endpoint(key)
    sub = data.select(column, e.time, e.event).drop_nulls()
    n = sub.height
    events = int(sub[e.event].cast(pl.Int64).sum() or 0) if n else 0
    formula = f"{e.formula} ~ {column}"
    nothing = DiscriminationRow(key, marker, label, dichotomised, n, events, None, None, None, None, None, None,
                                (), None)
    if n < 2 or events == 0:
        why = f"not estimable: {n} patient(s) with {events} event(s)"
        return DiscriminationRow(**{**nothing.__dict__, "reason": why})
    if sub[column].n_unique() < 2:
        return DiscriminationRow(**{**nothing.__dict__, "reason": "not estimable: every patient has the same value"})
    scored = sub if direction == "higher" else sub.with_columns((-pl.col(column)).alias(column))
    try:
        h = _c(scored, formula, "n", z)
        u = _c(scored, formula, "n/G2", z)
    except _ERRORS as exc:
        return DiscriminationRow(**{**nothing.__dict__, "reason": f"not estimable: {exc}"})
    aucs = _aucs(sub, formula, plan.survival_times, plan, direction, B)
    return DiscriminationRow(key, marker, label, dichotomised, n, events, *h, *u, aucs, None)


def discrimination_section(plan: StudyPlan, cohort: Cohort, conf_level: float = 0.95) -> DiscriminationSection:
    """Harrell's and Uno's C and the time-dependent AUC of the markers, per endpoint."""
    z = float(norm.ppf(1 - (1 - conf_level) / 2))
    own = plan.marker_spec
    others = [m for m in MARKERS.values() if m.key != own.key and m.column("d0") in cohort.data.columns
              and cohort.data[m.column("d0")].null_count() < cohort.n]
    limited = cohort.n > ALL_MARKERS_MAX
    series = 2 * (2 + (0 if limited else len(others))) * max(len(plan.survival_times), 1)
    B = affordable_auc_bootstrap(plan.bootstrap, cohort.n, series)
    rows = []
    for key in ("pfs", "os"):
        data = plan.analysis_data(cohort, key)
        data = data.with_columns((pl.col(plan.group_column).cast(pl.String) == plan.labels.high)
                                 .cast(pl.Int64).alias("_high"))
        direction = "lower" if own.key in LOWER_IS_RISK else "higher"
        rows.append(_row(plan, data, key, own.key, own.label, own.column("d0"), False, direction, z, B))
        rows.append(_row(plan, data.rename({"_high": "high_group"}), key, own.key,
                         f"{plan.labels.high} vs {plan.labels.low}", "high_group", True, direction, z, B))
        for m in others:
            if limited:
                why = (f"not computed: above {ALL_MARKERS_MAX:,} patients only the plan's marker is assessed "
                       f"(call discrimination_section on a sample for the others)")
                rows.append(DiscriminationRow(key, m.key, m.label, False, data.height, 0, None, None, None, None,
                                              None, None, (), why))
                continue
            rows.append(_row(plan, data, key, m.key, m.label, m.column("d0"), False,
                             "lower" if m.key in LOWER_IS_RISK else "higher", z, B))
    return DiscriminationSection(tuple(rows), plan.survival_times, B, plan.seed, conf_level,
                                 B_requested=plan.bootstrap, markers_limited=limited)
