"""Cut-point analysis that fools no one: maxstat with search-adjusted p, ROC with DeLong CI, bootstrap.

- :func:`maxstat` - maximally selected rank statistics (R ``maxstat``: LogRank, Wilcoxon,
  Median, NormalQuantil, Data scores) with Lau92/Lau94/exactGauss/HL/condMC/min p-values.
- :func:`roc`, :func:`auc`, :func:`ci_auc`, :func:`coords`, :func:`ci_thresholds`, :func:`ci_coords`,
  :func:`roc_test` - ROC curve, (partial) AUC with DeLong or bootstrap CI, best thresholds,
  DeLong and bootstrap tests (R ``pROC``), bootstraps drawn from R's generator.
- :func:`landmark_outcome` - death/progression by a landmark time as a binary outcome.
- :func:`bootstrap_cutpoint` - stability of the data-driven cut and the optimism-corrected HR.
"""

from nlrstats.stats.cutpoint.bootstrap import BootstrapCutpointResult, bootstrap_cutpoint
from nlrstats.stats.cutpoint.landmark import LandmarkOutcome, landmark_outcome
from nlrstats.stats.cutpoint.maxstat import MaxstatResult, logrank_scores, maxstat
from nlrstats.stats.cutpoint.roc import RocResult, roc
from nlrstats.stats.cutpoint.roc_bootstrap import CiAuc, ci_auc
from nlrstats.stats.cutpoint.roc_compare import RocTestResult, roc_test
from nlrstats.stats.cutpoint.roc_coords import auc, ci_coords, ci_thresholds, coords

__all__ = ["maxstat", "MaxstatResult", "logrank_scores", "roc", "RocResult", "roc_test", "RocTestResult",
           "ci_auc", "CiAuc", "auc", "coords", "ci_thresholds", "ci_coords",
           "landmark_outcome", "LandmarkOutcome", "bootstrap_cutpoint", "BootstrapCutpointResult"]
