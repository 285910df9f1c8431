"""The one place where numbers become text: tables, figures and prose all format through here.

Rules (one quantity prints the same everywhere):

========================  ==========================================================  ==================
quantity                  rule                                                        example
========================  ==========================================================  ==================
p-value                   gtsummary ``style_pvalue(digits = 2)``: >0.99; 2 decimals    0.19, 0.052,
                          from 0.10; 3 decimals from 0.001; <0.001 below               <0.001, >0.99
p-value in prose          "p = " / "p < " / "p > " before the table text               p = 0.052
ratio (HR, OR)            2 decimals, CI limits likewise, en dash; infinite as ∞       10.44 (1.83–59.66)
rate (ORR, DCR, ...)      x/n, percentage and exact CI with 1 decimal                  8/9 (88.9%; 95% CI
                                                                                      51.8–99.7%)
composition (Table 1,     n (%) with 0 decimals, percent of the non-missing values     8 (89%)
response categories)      (gtsummary's default)
survival probability      percent with 0 decimals, CI likewise                         62% (35–80)
median, time              1 decimal with its unit; NR where not reached               4.0 (3.1–NR)
marker value, cut-point   2 decimals                                                   6.55
AUC, C-index              2 decimals                                                   0.97 (0.90–1.00)
test statistic            2 decimals                                                   9.45
========================  ==========================================================  ==================

Rounding is round-half-away-from-zero on the decimal value the reader sees (R's ``round`` on the printed
digits, as gtsummary's ``round2``), so 0.125 prints 0.13 and not the binary float's 0.12. The en dash separates
CI limits because a hyphen reads as a minus sign. Every function returns plain text: escaping for HTML,
markdown or LaTeX happens where the text is placed.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "format_p", "p_phrase", "p_bound_phrase", "format_number", "format_count", "format_count_of", "format_ci",
    "format_estimate_ci", "format_ratio",
    "format_ratio_ci", "format_median_ci", "format_n_pct", "format_pct", "format_fraction", "format_rate",
    "format_rate_ci", "format_cut", "format_auc", "format_statistic", "group_header", "strata_label",
    "P_DIGITS", "RATIO_DIGITS", "RATE_DIGITS", "COMPOSITION_DIGITS", "TIME_DIGITS", "CUT_DIGITS",
    "NOT_REACHED", "INFINITY", "DASH", "MISSING",
]

P_DIGITS = 2  #: gtsummary style_pvalue(digits = 2)
RATIO_DIGITS = 2
RATE_DIGITS = 1
COMPOSITION_DIGITS = 0
SURVIVAL_DIGITS = 0
TIME_DIGITS = 1
CUT_DIGITS = 2
AUC_DIGITS = 2
STATISTIC_DIGITS = 2

NOT_REACHED = "NR"
INFINITY = "∞"
DASH = "–"  # en dash between CI limits
MISSING = "—"  # em dash for a number that does not exist


def _is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _check_digits(digits: int, name: str = "digits") -> None:
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {digits!r}")


def _round_half_up(x: float, digits: int) -> Decimal:
    """``x`` rounded to ``digits`` decimals, halves away from zero, on its shortest decimal representation."""
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def format_number(x: float | None, digits: int = 1, missing: str = MISSING) -> str:
    """Fixed decimals, halves rounded away from zero; ``None``/NaN -> ``missing``; ±inf -> ``"∞"``/``"-∞"``."""
    _check_digits(digits)
    if _is_missing(x):
        return missing
    x = float(x)
    if math.isinf(x):
        return INFINITY if x > 0 else "-" + INFINITY
    out = f"{_round_half_up(x, digits):.{digits}f}"
    if out.startswith("-") and float(out) == 0:  # "-0.0" is an artefact of rounding a small negative number
        out = out[1:]
    return out


def format_count(n: int | None, missing: str = MISSING) -> str:
    """A whole number with thousands separators: ``10000000`` -> ``"10,000,000"``."""
    if _is_missing(n):
        return missing
    return f"{int(n):,}"


def format_count_of(n: int, singular: str, plural: str | None = None) -> str:
    """``"1 patient"``, ``"3 patients"``, ``"1,000,000 patients"``: a count and its noun in agreement."""
    return f"{format_count(n)} {singular if n == 1 else (plural or singular + 's')}"


def format_p(p: float | None, digits: int = P_DIGITS, missing: str = "") -> str:
    """A p-value as gtsummary's ``style_pvalue`` prints it.

    Parameters
    ----------
    p : the p-value; ``None`` (or NaN) gives ``missing``.
    digits : 1, 2 (default) or 3, as ``style_pvalue(digits =)``:

        - 1: ">0.9"; 1 decimal from 0.2 (after rounding); 2 decimals from 0.10; 3 from 0.001; "<0.001".
        - 2: ">0.99"; 2 decimals from 0.10 (after rounding); 3 decimals from 0.001; "<0.001".
        - 3: ">0.999"; 3 decimals from 0.001; "<0.001".
    missing : text for a p-value that does not exist (default empty cell).

    References
    ----------
    Sjoberg et al., gtsummary, R Journal 2021; ``gtsummary::style_pvalue``.

    Examples
    --------
    >>> format_p(0.0517)
    '0.052'
    >>> format_p(0.1923)
    '0.19'
    >>> format_p(0.00002)
    '<0.001'
    """
    if digits not in (1, 2, 3):
        raise ValueError(f"p_digits must be 1, 2 or 3 (gtsummary's style_pvalue), got {digits!r}")
    if _is_missing(p):
        return missing
    p = float(p)
    if p < 0 or p > 1:
        raise ValueError(f"p-value must lie in [0, 1], got {p}")
    if p < 0.001:
        return "<0.001"
    top = {1: 0.9, 2: 0.99, 3: 0.999}[digits]
    if p > top:
        return f">{top}"
    if digits == 1 and _round_half_up(p, 1) >= Decimal("0.2"):
        return format_number(p, 1)
    if digits <= 2 and _round_half_up(p, 2) >= Decimal("0.1"):
        return format_number(p, 2)
    return format_number(p, 3)


def p_phrase(p: float | None, digits: int = P_DIGITS, missing: str = "p not available") -> str:
    """A p-value for prose and figure notes: ``"p = 0.052"``, ``"p < 0.001"``, ``"p > 0.99"``."""
    text = format_p(p, digits)
    if not text:
        return missing
    return f"p {text[0]} {text[1:]}" if text[0] in "<>" else f"p = {text}"


def p_bound_phrase(p: float | None, method: str | None = None, digits: int = P_DIGITS,
                   missing: str = "p not available") -> str:
    """An adjusted p that may be an upper bound: :func:`p_phrase`, or, above 1, words saying it tells nothing.

    maxstat's Lau92/Lau94 p-values are upper bounds (Lausen & Schumacher 1992; Lausen, Sauerbrei &
    Schumacher 1994) and R returns them above 1 when the maximum is small. Such a bound says only that
    p <= 1, so it is printed as uninformative with its value, not rounded to a p-value.

    >>> p_bound_phrase(1.434, "Lau94")
    'an uninformative p (the Lau94 bound is 1.43, above 1)'
    """
    if _is_missing(p) or float(p) <= 1:
        return p_phrase(p, digits, missing)
    name = f"the {method} bound" if method else "the bound"
    return f"an uninformative p ({name} is {format_number(float(p), 2)}, above 1)"


def format_ci(low: float | None, high: float | None, digits: int = 1, missing: str = NOT_REACHED,
              sep: str = DASH) -> str:
    """A confidence interval ``"3.1–8.2"``; a limit that does not exist prints as ``missing``.

    For Kaplan-Meier medians a missing limit means the band never reached 0.5: "NR".
    """
    return f"{format_number(low, digits, missing)}{sep}{format_number(high, digits, missing)}"


def format_estimate_ci(est: float | None, low: float | None, high: float | None, digits: int = RATIO_DIGITS,
                       missing: str = MISSING) -> str:
    """Estimate with its CI in brackets: ``"2.41 (1.10–5.30)"``; infinite values print ``"∞"``."""
    if _is_missing(est):
        return missing
    return f"{format_number(est, digits, missing)} ({format_ci(low, high, digits, missing)})"


def format_ratio(x: float | None, missing: str = MISSING) -> str:
    """A hazard or odds ratio: 2 decimals."""
    return format_number(x, RATIO_DIGITS, missing)


def format_ratio_ci(est: float | None, low: float | None, high: float | None, missing: str = MISSING) -> str:
    """``"10.44 (1.83–59.66)"``: a ratio with its CI, the same in tables, figures and prose."""
    return format_estimate_ci(est, low, high, RATIO_DIGITS, missing)


def format_median_ci(median: float | None, low: float | None, high: float | None,
                     digits: int = TIME_DIGITS) -> str:
    """Kaplan-Meier median with CI as R's ``print(survfit)`` values: ``"4.0 (3.1–NR)"``.

    ``None`` anywhere means "not reached" (the curve or its band never fell to 0.5).
    """
    return (f"{format_number(median, digits, NOT_REACHED)} "
            f"({format_ci(low, high, digits, NOT_REACHED)})")


def format_pct(x: float | None, digits: int = COMPOSITION_DIGITS, missing: str = MISSING) -> str:
    """A proportion in [0, 1] as a percentage: ``0.889 -> "89%"``."""
    if _is_missing(x):
        return missing
    return f"{format_number(100.0 * float(x), digits)}%"


def format_n_pct(n: int | None, total: int | None, digits: int = COMPOSITION_DIGITS, missing: str = MISSING) -> str:
    """Count with column percentage, gtsummary's ``"{n} ({p}%)"``: ``(8, 9) -> "8 (89%)"``; thousands
    separated as gtsummary's ``style_number`` (``"1,250 (55%)"``).

    A zero denominator prints the count alone (no percentage exists).
    """
    if _is_missing(n):
        return missing
    if _is_missing(total) or total == 0:
        return format_count(n)
    return f"{format_count(n)} ({format_pct(n / total, digits)})"


def format_fraction(n: int | None, total: int | None, missing: str = MISSING) -> str:
    """``"8/9"``."""
    if _is_missing(n) or _is_missing(total):
        return missing
    return f"{format_count(n)}/{format_count(total)}"


def format_rate_ci(low: float | None, high: float | None, missing: str = MISSING) -> str:
    """The exact CI of a rate in percent: ``"51.8–99.7%"``."""
    if _is_missing(low) or _is_missing(high):
        return missing
    return format_ci(100 * low, 100 * high, RATE_DIGITS, missing) + "%"


def format_rate(x: int | None, n: int | None, estimate: float | None, low: float | None, high: float | None,
                missing: str = "not available") -> str:
    """``"8/9 (88.9%; 95% CI 51.8–99.7%)"``; ``missing`` when the group has no patients."""
    if _is_missing(n) or not n:
        return missing
    return (f"{format_fraction(x, n)} ({format_pct(estimate, RATE_DIGITS)}; "
            f"95% CI {format_rate_ci(low, high)})")


def format_cut(x: float | None, missing: str = MISSING) -> str:
    """A marker value or cut-point: 2 decimals (``6.55``)."""
    return format_number(x, CUT_DIGITS, missing)


def format_auc(x: float | None, missing: str = MISSING) -> str:
    """An AUC or concordance: 2 decimals."""
    return format_number(x, AUC_DIGITS, missing)


def format_statistic(x: float | None, missing: str = MISSING) -> str:
    """A test statistic: 2 decimals, thousands separated as gtsummary's ``style_number`` (``97,887.24``)."""
    out = format_number(x, STATISTIC_DIGITS, missing)
    whole, dot, frac = out.partition(".")
    if whole.lstrip("-").isdigit():
        sign = "-" if whole.startswith("-") else ""
        out = f"{sign}{int(whole.lstrip('-')):,}{dot}{frac}"
    return out


def group_header(label: str, n: int | None) -> str:
    """Column header with the group size: ``("NLR < 8", 9) -> "NLR < 8, N = 9"`` (gtsummary style)."""
    if n is None:
        return str(label)
    return f"{label}, N = {format_count(n)}"


def strata_label(strata: str | None, overall: str = "Overall") -> str:
    """R's strata name without the variable: ``"nlr_group=NLR < 8" -> "NLR < 8"``.

    Several variables (``"a=1, b=2"``) keep each value: ``"1, 2"``. ``None`` (no strata) -> ``overall``.
    """
    if strata is None:
        return overall
    parts = [p.split("=", 1)[1] if "=" in p else p for p in str(strata).split(", ")]
    return ", ".join(parts)
