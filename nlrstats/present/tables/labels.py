"""Display labels for the canonical cohort columns (Table 1, Cox rows)."""

from __future__ import annotations

from nlrstats.data.markers import MARKERS

__all__ = ["VARIABLE_LABELS", "variable_label", "pretty_label"]

VARIABLE_LABELS = {
    "age": "Age, years",
    "sex": "Sex",
    "ecog": "ECOG performance status",
    "distant_metastasis": "Distant metastasis",
    "tumor_size_cm": "Tumour size, cm",
    "wbc": "White blood cells, 10^9/L",
    "neutrophils_d0": "Neutrophils, 10^9/L",
    "lymphocytes_d0": "Lymphocytes, 10^9/L",
    "monocytes_d0": "Monocytes, 10^9/L",
    "platelets_d0": "Platelets, 10^9/L",
}
# every marker's columns by the same rule, so a plan on PLR reads "PLR group", not "plr_group"
for _m in MARKERS.values():
    VARIABLE_LABELS.update({
        f"{_m.key}_d0": f"{_m.label} at baseline", f"{_m.key}_d14": f"{_m.label} at day 14",
        f"{_m.key}_change": f"{_m.label} change, day 0 to 14", f"{_m.key}_pct_change": f"{_m.label} change, %",
        f"{_m.key}_decreased": f"{_m.label} decreased by day 14", f"{_m.key}_high": f"{_m.label} ≥ cut-off",
        f"{_m.key}_group": f"{_m.label} group",
    })
del _m


def variable_label(name: str) -> str:
    """The display label of a column: nlrstats' label for canonical names, else the name itself."""
    return pretty_label(VARIABLE_LABELS.get(name, name))


def pretty_label(label: str) -> str:
    """Typeset plain-text units: ``"10^9/L" -> "10⁹/L"`` (stored labels stay ASCII-friendly)."""
    return label.replace("10^9", "10⁹").replace("10^12", "10¹²")
