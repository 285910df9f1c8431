"""Hypothesis tests with R's numbers, each returning an :class:`HTest`.

``binom_test``, ``fisher_test``, ``chisq_test``, ``wilcox_test``, ``kruskal_test`` and
``t_test`` (Welch) follow R's ``stats`` functions of the same names, defaults included;
Monte Carlo p-values (``simulate_p_value=True``) are drawn from R's own generator and
equal R's after ``set.seed``. What a test can afford is stated before it runs:
:func:`fisher_feasible` (exact r x c Fisher within its work budget) and
:func:`exact_wilcox_used` (R's exact-or-normal rule for the Wilcoxon tests).
"""

from nlrstats.stats.htest.binom import binom_test, clopper_pearson
from nlrstats.stats.htest.chisq import chisq_test, expected_counts
from nlrstats.stats.htest.fisher import FisherTableTooLarge, fisher_feasible, fisher_test
from nlrstats.stats.htest.fisher_rxc import FisherFeasibility
from nlrstats.stats.htest.kruskal import kruskal_test
from nlrstats.stats.htest.r2dtable import r2dtable
from nlrstats.stats.htest.rank import exact_wilcox_used, wilcox_test
from nlrstats.stats.htest.result import HTest
from nlrstats.stats.htest.ttest import t_test

__all__ = [
    "HTest", "binom_test", "clopper_pearson", "fisher_test", "FisherTableTooLarge", "fisher_feasible",
    "FisherFeasibility", "chisq_test", "expected_counts", "wilcox_test", "exact_wilcox_used", "kruskal_test",
    "t_test", "r2dtable",
]
