"""nlrstats: neutrophil-to-lymphocyte ratio studies with R's numbers.

Layers (each imports only those before it):
cohort -> markers -> analyses (survival, htest, response, summary, dynamics, cutpoint) -> study
-> presentation (tables, plots, narrative) -> documents (render).

The R-style verbs are available at the top level (``nlrstats.survfit``, ``nlrstats.fisher_test``, ...);
they are imported on first use so that ``import nlrstats`` stays fast.
"""

from importlib import import_module

__version__ = "0.1.0"

_VERBS = {
    "load_cohort": "nlrstats.cohort", "cohort_from_frame": "nlrstats.cohort",
    "simulate_cohort": "nlrstats.simulate", "analyze": "nlrstats.study",
    "survfit": "nlrstats.survival", "survdiff": "nlrstats.survival", "coxph": "nlrstats.survival",
    "cox_zph": "nlrstats.survival",
    "binom_test": "nlrstats.htest", "fisher_test": "nlrstats.htest", "chisq_test": "nlrstats.htest",
    "wilcox_test": "nlrstats.htest", "kruskal_test": "nlrstats.htest", "t_test": "nlrstats.htest",
    "response_by_group": "nlrstats.response", "summarize": "nlrstats.summary", "nlr_dynamics": "nlrstats.dynamics",
    "maxstat": "nlrstats.cutpoint", "roc": "nlrstats.cutpoint", "roc_test": "nlrstats.cutpoint",
}

__all__ = ["__version__", *_VERBS]


def __getattr__(name):
    if name in _VERBS:
        return getattr(import_module(_VERBS[name]), name)
    raise AttributeError(f"module 'nlrstats' has no attribute {name!r}")
