"""Phrases for report prose, built from results dictionaries (``StudyResults.to_dict()`` pieces).

Reports write sentences such as "disease control 8/9 (88.9%; 95% CI 51.8–99.7%)" with these
helpers, so no number is typed by hand and every document phrases results the same way. Number
formatting itself lives in :mod:`nlrstats.present.format`.
"""

from __future__ import annotations

import html

from nlrstats.present.format import format_ci, format_median_ci, format_number, format_p

__all__ = ["p_text", "rate_text", "median_text", "hr_text", "fraction_text", "md_escape", "bullet_list"]

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+!|~^$@"})


def md_escape(text: str) -> str:
    """Text from user data made inert for pandoc markdown printed by an ``output: asis`` cell.

    HTML special characters become entities (a column named ``<script>`` shows as text and runs
    nothing) and markdown punctuation is backslash-escaped (no accidental emphasis, links or citations).
    """
    return html.escape(str(text), quote=False).translate(_MD_SPECIAL)


def bullet_list(lines) -> str:
    """A markdown bullet list of escaped lines (empty string when there are none)."""
    return "\n".join(f"- {md_escape(line)}" for line in lines)


def p_text(p: float | None, digits: int = 3, missing: str = "p not available") -> str:
    """``"p = 0.052"``, ``"p < 0.001"`` (rounding as :func:`~nlrstats.present.format.format_p`, so prose,
    tables and figures print the same p); ``missing`` when the test was not run (None or NaN)."""
    if p is None or p != p:
        return missing
    text = format_p(p, digits=digits)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def fraction_text(rate: dict | None) -> str:
    """``"8/9 (88.9%)"`` from a rate dict {x, n, estimate, ...}."""
    if rate is None or not rate.get("n"):
        return "not available"
    return f"{rate['x']}/{rate['n']} ({100 * rate['estimate']:.1f}%)"


def rate_text(rate: dict | None, digits: int = 1) -> str:
    """``"8/9 (88.9%; 95% CI 51.8–99.7%)"``: exact Clopper-Pearson CI as computed by the analysis."""
    if rate is None or not rate.get("n"):
        return "not available"
    ci = format_ci(100 * rate["conf_low"], 100 * rate["conf_high"], digits=digits)
    return f"{rate['x']}/{rate['n']} ({100 * rate['estimate']:.{digits}f}%; 95% CI {ci}%)"


def median_text(median: dict | None, unit: str = "months") -> str:
    """``"4.0 months (95% CI 3.1–NR)"``; ``"not reached"`` when the curve stays above 0.5."""
    if median is None:
        return "not available"
    if median.get("estimate") is None:
        return f"not reached (95% CI {format_ci(median.get('conf_low'), median.get('conf_high'))})"
    est, ci = format_median_ci(median["estimate"], median["conf_low"], median["conf_high"]).split(" ", 1)
    return f"{est} {unit} (95% CI {ci.strip('()')})"


def hr_text(cox: dict | None, digits: int = 2) -> str:
    """``"HR 10.44 (95% CI 1.83–59.66), p = 0.008"`` and the method when it is Firth's."""
    if cox is None:
        return "not estimable"
    est = format_number(cox["estimate"], digits)
    ci = format_ci(cox["conf_low"], cox["conf_high"], digits=digits)
    firth = " (Firth penalised Cox)" if "Firth" in cox.get("method", "") else ""
    return f"HR {est} (95% CI {ci}){firth}, {p_text(cox['p_value'])}"
