"""Survival analysis with R's numbers: Kaplan-Meier, log-rank / G-rho, Cox (Efron, Breslow, Firth), concordance.

Verbs as R's ``survival`` package names them (``survfit``, ``survdiff``, ``coxph``,
``cox_zph``, ``basehaz``, ``anova``, ``concordance``; ``survfit(cox_fit, newdata)``); each
returns a frozen result object with ``.tidy()`` (and ``.glance()`` where broom has one)
giving polars frames with broom's column names in snake_case.
"""

from nlrstats.stats.formula import FormulaError
from nlrstats.stats.survival.anova import CoxAnova, anova
from nlrstats.stats.survival.concordance import ConcordanceFit, concordance
from nlrstats.stats.survival.cox import CoxPH, MonotoneLikelihoodWarning, coxph
from nlrstats.stats.survival.coxsurv import CoxSurvFit, basehaz
from nlrstats.stats.survival.km import SurvFit, survfit
from nlrstats.stats.survival.logrank import SurvDiff, survdiff
from nlrstats.stats.survival.zph import CoxZph, cox_zph

__all__ = ["survfit", "SurvFit", "survdiff", "SurvDiff", "coxph", "CoxPH", "CoxSurvFit", "basehaz", "anova",
           "CoxAnova", "MonotoneLikelihoodWarning", "cox_zph", "CoxZph", "concordance", "ConcordanceFit",
           "FormulaError"]
