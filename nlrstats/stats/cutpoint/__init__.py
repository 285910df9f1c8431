"""Cut-point analysis that fools no one: maxstat with search-adjusted p, ROC with DeLong CI, bootstrap.

- :func:`maxstat` - maximally selected log-rank statistic (R ``maxstat``), Lau92/Lau94/exact/permutation p.
- :func:`roc`, :func:`roc_test` - ROC curve, AUC with DeLong CI, Youden, DeLong paired test (R ``pROC``).
- :func:`landmark_outcome` - death/progression by a landmark time as a binary outcome.
- :func:`bootstrap_cutpoint` - stability of the data-driven cut and the optimism-corrected HR.
"""

from nlrstats.stats.cutpoint.bootstrap import BootstrapCutpointResult, bootstrap_cutpoint
from nlrstats.stats.cutpoint.landmark import LandmarkOutcome, landmark_outcome
from nlrstats.stats.cutpoint.maxstat import MaxstatResult, logrank_scores, maxstat
from nlrstats.stats.cutpoint.roc import RocResult, RocTestResult, roc, roc_test

__all__ = ["maxstat", "MaxstatResult", "logrank_scores", "roc", "RocResult", "roc_test", "RocTestResult",
           "landmark_outcome", "LandmarkOutcome", "bootstrap_cutpoint", "BootstrapCutpointResult"]
