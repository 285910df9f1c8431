"""The canonical cohort schema (data dictionary) as code.

One :class:`ColumnSpec` per column a cohort file may carry. The loader, the validator,
the mapping checker, ``data/README.md`` and the reports all read this single list, so the
dictionary a user sees is the one the code enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = [
    "ColumnSpec",
    "SCHEMA",
    "COLUMNS",
    "COUNT_COLUMNS",
    "TIME_COLUMNS",
    "EVENT_COLUMNS",
    "RESPONSE_CODES",
    "MISSING_TOKENS",
    "REQUIRED",
    "data_dictionary",
]

#: Spellings read as a missing value by default (R's "NA", SAS's ".", Excel's "#N/A", blanks, dashes);
#: the mapping's ``[file] na = [...]`` replaces them. "none" is not among them: in a yes/no column it
#: is an answer.
MISSING_TOKENS = ("", "NA", "na", "N/A", "n/a", "#N/A", "NaN", "nan", "NULL", "null", ".", "-", "--")

#: RECIST 1.1 best overall response codes, in display order.
RESPONSE_CODES = ("CR", "PR", "SD", "PD", "NE")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the canonical schema.

    Attributes
    ----------
    name : canonical column name.
    kind : "id", "float", "int", "bool", "sex", "response" or "event".
    unit : unit after loading (counts 10^9/L, times months).
    description : what the column holds.
    needed_for : the analyses that use it.
    required : a file without this column is rejected.
    plausible : (low, high) range in the canonical unit; values outside are errors.
    """

    name: str
    kind: str
    unit: str
    description: str
    needed_for: str
    required: bool = False
    plausible: tuple[float, float] | None = None


SCHEMA: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "id", "", "Patient identifier, unique", "everything", True),
    ColumnSpec("age", "float", "years", "Age at start of lenvatinib", "Table 1", plausible=(0, 120)),
    ColumnSpec("sex", "sex", "F / M", "Sex", "Table 1"),
    ColumnSpec("ecog", "int", "0-4", "ECOG performance status", "Table 1", plausible=(0, 4)),
    ColumnSpec("distant_metastasis", "bool", "true / false", "Distant metastasis at baseline", "Table 1"),
    ColumnSpec("tumor_size_cm", "float", "cm", "Largest tumour diameter", "Table 1", plausible=(0, 50)),
    ColumnSpec("wbc", "float", "10^9/L", "White blood cell count, day 0", "Table 1, dNLR", plausible=(0.1, 500)),
    ColumnSpec("neutrophils_d0", "float", "10^9/L", "Neutrophil count, day 0", "NLR at baseline",
               plausible=(0.01, 200)),
    ColumnSpec("lymphocytes_d0", "float", "10^9/L", "Lymphocyte count, day 0", "NLR at baseline",
               plausible=(0.001, 200)),
    ColumnSpec("monocytes_d0", "float", "10^9/L", "Monocyte count, day 0", "LMR (optional)",
               plausible=(0.001, 100)),
    ColumnSpec("platelets_d0", "float", "10^9/L", "Platelet count, day 0", "PLR, SII (optional)",
               plausible=(1, 3000)),
    ColumnSpec("neutrophils_d14", "float", "10^9/L", "Neutrophil count, day 14", "NLR at day 14",
               plausible=(0.01, 200)),
    ColumnSpec("lymphocytes_d14", "float", "10^9/L", "Lymphocyte count, day 14", "NLR at day 14",
               plausible=(0.001, 200)),
    ColumnSpec("nlr_d0", "float", "ratio", "NLR at day 0, when counts are not given", "NLR at baseline",
               plausible=(0, 1000)),
    ColumnSpec("nlr_d14", "float", "ratio", "NLR at day 14, when counts are not given", "NLR at day 14",
               plausible=(0, 1000)),
    ColumnSpec("best_response", "response", "CR, PR, SD, PD, NE", "Best overall response (RECIST 1.1)",
               "ORR, DCR", True),
    ColumnSpec("best_pct_change", "float", "%", "Best % change of target lesions", "waterfall (optional)",
               plausible=(-100, 10000)),
    ColumnSpec("pfs_months", "float", "months", "Progression-free survival time", "PFS", True),
    ColumnSpec("pfs_event", "event", "0 / 1", "1 = progression or death, 0 = censored", "PFS", True),
    ColumnSpec("os_months", "float", "months", "Overall survival time", "OS", True),
    ColumnSpec("os_event", "event", "0 / 1", "1 = death, 0 = censored", "OS", True),
)

COLUMNS: dict[str, ColumnSpec] = {c.name: c for c in SCHEMA}
COUNT_COLUMNS = tuple(c.name for c in SCHEMA if c.unit == "10^9/L")
TIME_COLUMNS = ("pfs_months", "os_months")
EVENT_COLUMNS = ("pfs_event", "os_event")
REQUIRED = tuple(c.name for c in SCHEMA if c.required)


def data_dictionary() -> pl.DataFrame:
    """The canonical schema as a frame (column, type, unit, description, needed_for, required).

    Baseline NLR needs either both ``neutrophils_d0`` and ``lymphocytes_d0`` or ``nlr_d0``.
    """
    return pl.DataFrame(
        {
            "column": [c.name for c in SCHEMA],
            "type": [c.kind for c in SCHEMA],
            "unit": [c.unit for c in SCHEMA],
            "description": [c.description for c in SCHEMA],
            "needed_for": [c.needed_for for c in SCHEMA],
            "required": [c.required for c in SCHEMA],
        }
    )
