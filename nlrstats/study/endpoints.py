"""The study's time-to-event sections: Kaplan-Meier, log-rank and Cox by the plan's groups.

Per endpoint (PFS and OS in Fukuda et al.): Kaplan-Meier medians with R's CI, the log-rank test, the
hazard ratio of the high group from Cox's model with Efron ties (Firth's penalised model when the
likelihood is monotone, i.e. a group without events), univariable Cox models of the plan's covariates,
and a multivariable model only with enough events per coefficient (Peduzzi et al., J Clin Epidemiol 1996).
What could not be estimated is said in the study's notes, with the reason.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.stats.survival import CoxPH, MonotoneLikelihoodWarning, SurvDiff, SurvFit, coxph, survdiff, survfit
from nlrstats.study.plan import Endpoint, StudyPlan
from nlrstats.study.summaries import HazardRatio, LogRank, Median, MedianByGroup

__all__ = ["EndpointSection", "endpoint_section", "COX_METHOD", "FIRTH_METHOD"]

COX_METHOD = "Cox PH (Efron ties)"
FIRTH_METHOD = "Firth penalised Cox"


@dataclass(frozen=True)
class EndpointSection(Result):
    """One endpoint by the plan's groups.

    Attributes
    ----------
    label : "Progression-free survival".
    median : Kaplan-Meier median per group (R's CI).
    logrank : log-rank test; None when it cannot be run (one group, no events).
    cox : hazard ratio of the high group (Firth's when the likelihood is monotone); None as ``logrank``.
    fit, survdiff, cox_fit, firth_fit : the fitted objects (for figures and tables).
    univariable : one Cox fit per covariate, the group model first.
    multivariable : the group adjusted for the covariates, or None (see the study notes).
    """

    label: str
    median: MedianByGroup
    logrank: LogRank | None
    cox: HazardRatio | None
    endpoint: Endpoint = field(metadata=NOT_IN_JSON)
    fit: SurvFit = field(metadata=NOT_IN_JSON)
    survdiff: SurvDiff | None = field(metadata=NOT_IN_JSON, default=None)
    cox_fit: CoxPH | None = field(metadata=NOT_IN_JSON, default=None)
    firth_fit: CoxPH | None = field(metadata=NOT_IN_JSON, default=None)
    univariable: tuple = field(metadata=NOT_IN_JSON, default=())
    multivariable: CoxPH | None = field(metadata=NOT_IN_JSON, default=None)

    @property
    def preferred_fit(self) -> CoxPH | None:
        """Firth's fit when the likelihood is monotone (the ordinary HR is infinite), else Cox's."""
        return self.firth_fit if self.firth_fit is not None else self.cox_fit

    def tidy(self) -> pl.DataFrame:
        med = self.fit.median()
        return med.with_columns(pl.lit(self.endpoint.key).alias("endpoint")).select("endpoint", *med.columns)


def _medians(fit: SurvFit, plan: StudyPlan) -> MedianByGroup:
    found = {}
    for row in fit.median().iter_rows(named=True):
        level = (row["strata"] or "").split("=", 1)[-1]
        found[level] = Median(row["median"], row["conf_low"], row["conf_high"], int(row["records"]),
                              int(row["events"]))
    return MedianByGroup(found.get(plan.labels.low), found.get(plan.labels.high))


def _cox_or_firth(formula: str, data: pl.DataFrame) -> CoxPH:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        fit = coxph(formula, data, ties="efron")
    return coxph(formula, data, ties="efron", firth=True) if fit.monotone else fit


def _n_coefficients(data: pl.DataFrame, covariates) -> int:
    return 1 + sum(1 if data[c].dtype.is_numeric() and data[c].dtype != pl.Boolean
                   else data[c].drop_nulls().n_unique() - 1 for c in covariates)


def _covariate_models(plan: StudyPlan, data: pl.DataFrame, endpoint: Endpoint, notes: list[str], group_fit: CoxPH):
    """Univariable fits (``group_fit``, the group model already fitted, first) and the multivariable one."""
    usable = [c for c in plan.covariates if c in data.columns and data[c].drop_nulls().n_unique() > 1]
    uni = [group_fit]
    for term in usable:
        sub = data.drop_nulls([term])
        if int(sub[endpoint.event].sum()) == 0:
            notes.append(f"{endpoint.label}: no univariable model for {term}: no events among the patients with it")
            continue
        uni.append(_cox_or_firth(f"{endpoint.formula} ~ {term}", sub))
    multi = None
    n_coef = _n_coefficients(data, usable)
    events = int(data[endpoint.event].sum())
    if usable and events >= plan.events_per_coefficient * n_coef:
        sub = data.drop_nulls(usable)
        multi = _cox_or_firth(f"{endpoint.formula} ~ {plan.group_column} + " + " + ".join(usable), sub)
        if sub.height < data.height:
            notes.append(f"{endpoint.label}: the multivariable model uses the {sub.height} patients complete in "
                         f"{', '.join(usable)} ({data.height - sub.height} excluded)")
    elif usable:
        notes.append(f"{endpoint.label}: no multivariable model: {events} events for {n_coef} coefficients "
                     f"(fewer than {plan.events_per_coefficient} events per coefficient)")
    return tuple(uni), multi


def _hazard_ratio(fit: CoxPH, firth: bool, cox: CoxPH | None) -> HazardRatio:
    row = fit.tidy(exponentiate=True).row(0, named=True)
    return HazardRatio(row["term"], row["estimate"], row["conf_low"], row["conf_high"], row["p_value"],
                       FIRTH_METHOD if firth else COX_METHOD,
                       bool(cox.monotone) if cox is not None else None)


def endpoint_section(plan: StudyPlan, cohort: Cohort, key: str, notes: list[str]) -> EndpointSection:
    """Kaplan-Meier, log-rank and Cox for one endpoint of the plan (see the module docstring)."""
    endpoint = plan.endpoint(key)
    data = plan.analysis_data(cohort, key)
    formula = f"{endpoint.formula} ~ {plan.group_column}"
    fit = survfit(formula, data)
    medians = _medians(fit, plan)
    base = dict(label=endpoint.label, median=medians, endpoint=endpoint, fit=fit)
    if data[plan.group_column].drop_nulls().n_unique() < 2:
        notes.append(f"{endpoint.label}: only one {plan.marker_label} group has patients; "
                     "no log-rank test or hazard ratio")
        return EndpointSection(logrank=None, cox=None, **base)
    if int(data[endpoint.event].sum()) == 0:
        notes.append(f"{endpoint.label}: no events; no log-rank test or hazard ratio")
        return EndpointSection(logrank=None, cox=None, **base)
    test = survdiff(formula, data)
    with warnings.catch_warnings():
        # coxph warns exactly when it sets .monotone; the study reports it as a note instead
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        cox = coxph(formula, data, ties="efron")
    firth = None
    if cox.monotone:
        firth = coxph(formula, data, ties="efron", firth=True)
        notes.append(f"{endpoint.label}: the Cox likelihood is monotone (a group without events or complete "
                     "separation), so the hazard ratio is reported from Firth's penalised Cox model")
    uni, multi = _covariate_models(plan, data, endpoint, notes, firth or cox)
    return EndpointSection(
        logrank=LogRank(test.statistic, test.df, test.p_value),
        cox=_hazard_ratio(firth or cox, firth is not None, cox), survdiff=test, cox_fit=cox, firth_fit=firth,
        univariable=uni, multivariable=multi, **base)
