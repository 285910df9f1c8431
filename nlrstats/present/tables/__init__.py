"""Publication tables (great_tables): Table 1, response, survival, Cox, published vs reproduced, flow.

Every builder takes result objects (or their tidy frames), computes no statistics, and returns a
``great_tables.GT``. Conventions: group headers with N ("NLR < 8, N = 9"); numbers as
:mod:`nlrstats.present.format` prints them everywhere; a footnote naming the test behind every p-value; a source note naming
the data set (``source``); missing values as their own "Unknown" row; ``theme="default"`` or
``"journal"``; text from user data is escaped. Output: :func:`as_html_block` for Quarto,
:func:`as_latex` (footnotes moved under the tabular).
"""

from nlrstats.present.tables._common import finish
from nlrstats.present.tables.comparison import gt_side_by_side
from nlrstats.present.tables.cox import gt_cox
from nlrstats.present.tables.flow import analysis_names, gt_flow
from nlrstats.present.tables.labels import VARIABLE_LABELS, variable_label
from nlrstats.present.tables.output import as_html, as_html_block, as_latex
from nlrstats.present.tables.published import gt_published_vs_reproduced
from nlrstats.present.tables.response import gt_response
from nlrstats.present.tables.survival import gt_survival
from nlrstats.present.tables.table_one import gt_table_one
from nlrstats.present.tables.theme import THEMES, apply_theme, external_references

__all__ = [
    "gt_table_one", "gt_response", "gt_survival", "gt_cox", "gt_published_vs_reproduced", "gt_flow",
    "as_html", "as_html_block", "as_latex", "apply_theme", "external_references", "THEMES",
    "gt_side_by_side", "analysis_names", "VARIABLE_LABELS",
    "variable_label", "finish",
]
