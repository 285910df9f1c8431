"""Meta-analysis with R's numbers: ``rma`` as ``metafor::rma`` on log hazard ratios."""

from nlrstats.stats.meta.rma import RMA, MetaInputError, rma, se_from_ci

__all__ = ["rma", "RMA", "MetaInputError", "se_from_ci"]
