"""nlrstats: neutrophil-to-lymphocyte ratio studies with R's numbers.

Layers (each imports only those before it): data (cohorts, markers) -> stats (R-exact estimators)
-> study (the plan and its sections) -> present (formatter, narrative, tables, figures) -> documents;
render stands alone.

The R-style verbs are available at the top level (``nlrstats.survfit``, ``nlrstats.fisher_test``, ...);
they are imported on first use so that ``import nlrstats`` stays fast.
"""

from importlib import import_module

__version__ = "0.2.0"

_VERBS = {
    "load_cohort": "nlrstats.data.cohort", "cohort_from_frame": "nlrstats.data.cohort",
    "simulate_cohort": "nlrstats.data.simulate", "analyze": "nlrstats.study.analyze",
    "StudyPlan": "nlrstats.study.plan",
    "survfit": "nlrstats.stats.survival", "survdiff": "nlrstats.stats.survival", "coxph": "nlrstats.stats.survival",
    "cox_zph": "nlrstats.stats.survival", "concordance": "nlrstats.stats.survival",
    "basehaz": "nlrstats.stats.survival", "anova": "nlrstats.stats.survival",
    "binom_test": "nlrstats.stats.htest", "fisher_test": "nlrstats.stats.htest", "chisq_test": "nlrstats.stats.htest",
    "wilcox_test": "nlrstats.stats.htest", "kruskal_test": "nlrstats.stats.htest", "t_test": "nlrstats.stats.htest",
    "response_by_group": "nlrstats.study.response", "summarize": "nlrstats.study.table_one", "nlr_dynamics": "nlrstats.study.dynamics",
    "maxstat": "nlrstats.stats.cutpoint", "roc": "nlrstats.stats.cutpoint", "roc_test": "nlrstats.stats.cutpoint",
    "rma": "nlrstats.stats.meta", "site_summary": "nlrstats.stats.multisite", "pool_sites": "nlrstats.stats.multisite",
    "td_auc": "nlrstats.stats.td_auc",
    "hr_curve": "nlrstats.stats.survival.hr_curve", "hr_per_doubling": "nlrstats.stats.survival.hr_curve",
    "validation_sections": "nlrstats.study.validation",
}

__all__ = ["__version__", *_VERBS]


def __getattr__(name):
    if name in _VERBS:
        return getattr(import_module(_VERBS[name]), name)
    raise AttributeError(f"module 'nlrstats' has no attribute {name!r}")
