"""The statistics layer: R-exact estimators that know nothing of the study.

``formula`` (R's model formulas), ``result`` (the frozen-result base with ``tidy()`` / ``glance()``),
``htest/`` (R's stats tests), ``survival/`` (R's survival package), ``cutpoint/`` (maxstat, pROC).
"""
