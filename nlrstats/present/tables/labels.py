"""Display labels for the canonical cohort columns (Table 1, Cox rows)."""

from __future__ import annotations

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
    "nlr_d0": "NLR at baseline",
    "nlr_d14": "NLR at day 14",
    "nlr_change": "NLR change, day 0 to 14",
    "nlr_pct_change": "NLR change, %",
    "nlr_decreased": "NLR decreased by day 14",
    "nlr_high": "NLR ≥ cut-off",
    "nlr_group": "NLR group",
    "dnlr_d0": "dNLR at baseline",
    "plr_d0": "PLR at baseline",
    "lmr_d0": "LMR at baseline",
    "sii_d0": "SII at baseline",
}


def variable_label(name: str) -> str:
    """The display label of a column: nlrstats' label for canonical names, else the name itself."""
    return pretty_label(VARIABLE_LABELS.get(name, name))


def pretty_label(label: str) -> str:
    """Typeset plain-text units: ``"10^9/L" -> "10⁹/L"`` (stored labels stay ASCII-friendly)."""
    return label.replace("10^9", "10⁹").replace("10^12", "10¹²")
