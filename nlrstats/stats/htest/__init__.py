"""Hypothesis tests with R's numbers, each returning an :class:`HTest`.

``binom_test``, ``fisher_test``, ``chisq_test``, ``wilcox_test``, ``kruskal_test`` and
``t_test`` (Welch) follow R's ``stats`` functions of the same names, defaults included.
"""

from nlrstats.stats.htest.binom import binom_test, clopper_pearson
from nlrstats.stats.htest.chisq import chisq_test, expected_counts
from nlrstats.stats.htest.fisher import FisherTableTooLarge, fisher_test
from nlrstats.stats.htest.kruskal import kruskal_test
from nlrstats.stats.htest.rank import wilcox_test
from nlrstats.stats.htest.result import HTest
from nlrstats.stats.htest.ttest import t_test

__all__ = [
    "HTest", "binom_test", "clopper_pearson", "fisher_test", "FisherTableTooLarge", "chisq_test",
    "expected_counts", "wilcox_test", "kruskal_test", "t_test",
]
