"""Number formatting shared by every table builder.

All formatters take plain Python numbers (``None`` for a number that does not exist) and return
strings, so the strings go into great_tables as unformatted cells and are HTML/LaTeX-escaped there.
Conventions follow clinical journals and gtsummary: p-values ``"<0.001"`` else 3 decimals, medians
as ``"4.0 (3.1–NR)"`` (NR = not reached), counts as ``"8 (89%)"``, group headers as
``"NLR < 8, N = 9"``. The en dash separates CI limits because a hyphen reads as a minus sign.
"""

from __future__ import annotations

import math

__all__ = [
    "format_p", "format_number", "format_ci", "format_estimate_ci", "format_median_ci",
    "format_n_pct", "format_pct", "format_fraction", "group_header", "strata_label",
    "NOT_REACHED", "INFINITY", "DASH", "MISSING",
]

NOT_REACHED = "NR"
INFINITY = "∞"
DASH = "–"  # en dash between CI limits
MISSING = "—"  # em dash for a number that does not exist


def _is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _check_digits(digits: int, name: str = "digits") -> None:
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {digits!r}")


def format_p(p: float | None, digits: int = 3, missing: str = "") -> str:
    """Format a p-value as journals print it.

    Parameters
    ----------
    p : the p-value; ``None`` (or NaN) gives ``missing``.
    digits : decimals shown (default 3, gtsummary's ``style_pvalue(digits = 3)``). A p-value that would
        round below ``10**-digits`` prints as ``"<0.001"`` (for ``digits=3``) rather than ``"0.000"``;
        a p-value that rounds to 1 prints as ``"1.000"`` (R's ``format.pval`` shows ``>0.999`` only
        when asked, and so do we not).
    missing : text for a p-value that does not exist (default empty cell).

    Examples
    --------
    >>> format_p(0.0519)
    '0.052'
    >>> format_p(0.00002)
    '<0.001'
    >>> format_p(0.0123, digits=2)
    '0.01'
    """
    _check_digits(digits, "p_digits")
    if digits == 0:
        raise ValueError("p_digits must be at least 1")
    if _is_missing(p):
        return missing
    p = float(p)
    if p < 0 or p > 1:
        raise ValueError(f"p-value must lie in [0, 1], got {p}")
    floor = 10.0 ** -digits
    # compare the rounded value so 0.00049 (which would print 0.000) also reads "<0.001"
    if round(p, digits) < floor:
        return f"<{floor:.{digits}f}"
    return f"{p:.{digits}f}"


def format_number(x: float | None, digits: int = 1, missing: str = MISSING) -> str:
    """Fixed decimals; ``None``/NaN -> ``missing``; +inf -> ``"∞"``, -inf -> ``"-∞"``."""
    _check_digits(digits)
    if _is_missing(x):
        return missing
    x = float(x)
    if math.isinf(x):
        return INFINITY if x > 0 else "-" + INFINITY
    out = f"{x:.{digits}f}"
    # "-0.0" is an artefact of rounding a small negative number
    if out.startswith("-") and float(out) == 0:
        out = out[1:]
    return out


def format_ci(low: float | None, high: float | None, digits: int = 1, missing: str = NOT_REACHED,
              sep: str = DASH) -> str:
    """A confidence interval ``"3.1–8.2"``; a limit that does not exist prints as ``missing``.

    For Kaplan-Meier medians a missing limit means the band never reached 0.5: "NR".
    """
    return f"{format_number(low, digits, missing)}{sep}{format_number(high, digits, missing)}"


def format_estimate_ci(est: float | None, low: float | None, high: float | None, digits: int = 2,
                       missing: str = MISSING) -> str:
    """Estimate with its CI in brackets: ``"2.41 (1.10–5.30)"``; infinite values print ``"∞"``."""
    if _is_missing(est):
        return missing
    return f"{format_number(est, digits, missing)} ({format_ci(low, high, digits, missing)})"


def format_median_ci(median: float | None, low: float | None, high: float | None, digits: int = 1) -> str:
    """Kaplan-Meier median with CI as R's ``print(survfit)`` values: ``"4.0 (3.1–NR)"``.

    ``None`` anywhere means "not reached" (the curve or its band never fell to 0.5).
    """
    return (f"{format_number(median, digits, NOT_REACHED)} "
            f"({format_ci(low, high, digits, NOT_REACHED)})")


def format_pct(x: float | None, digits: int = 0, missing: str = MISSING) -> str:
    """A proportion in [0, 1] as a percentage: ``0.889 -> "89%"``."""
    if _is_missing(x):
        return missing
    return f"{format_number(100.0 * float(x), digits)}%"


def format_n_pct(n: int | None, total: int | None, digits: int = 0, missing: str = MISSING) -> str:
    """Count with column percentage, gtsummary's ``"{n} ({p}%)"``: ``(8, 9) -> "8 (89%)"``.

    A zero denominator prints the count alone (no percentage exists).
    """
    if _is_missing(n):
        return missing
    if _is_missing(total) or total == 0:
        return f"{int(n)}"
    return f"{int(n)} ({format_pct(n / total, digits)})"


def format_fraction(n: int | None, total: int | None, missing: str = MISSING) -> str:
    """``"8/9"``."""
    if _is_missing(n) or _is_missing(total):
        return missing
    return f"{int(n)}/{int(total)}"


def group_header(label: str, n: int | None) -> str:
    """Column header with the group size: ``("NLR < 8", 9) -> "NLR < 8, N = 9"`` (gtsummary style)."""
    if n is None:
        return str(label)
    return f"{label}, N = {int(n)}"


def strata_label(strata: str | None, overall: str = "Overall") -> str:
    """R's strata name without the variable: ``"nlr_group=NLR < 8" -> "NLR < 8"``.

    Several variables (``"a=1, b=2"``) keep each value: ``"1, 2"``. ``None`` (no strata) -> ``overall``.
    """
    if strata is None:
        return overall
    parts = [p.split("=", 1)[1] if "=" in p else p for p in str(strata).split(", ")]
    return ", ".join(parts)


