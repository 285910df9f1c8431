"""Text of a fitted meta-analysis as metafor's ``print.rma.uni`` shows it (4 digits)."""

from __future__ import annotations

import math

__all__ = ["format_rma", "format_pval"]


def format_pval(p: float, digits: int = 4) -> str:
    """metafor's p-value style: ``<.0001`` below 10^-digits, else ``digits`` decimals."""
    if p is None or math.isnan(p):
        return "NA"
    return "<." + "0" * (digits - 1) + "1" if p < 10 ** -digits else f"{p:.{digits}f}"


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


def format_rma(fit) -> str:
    """The lines of ``print(rma(...))`` for an intercept-only model, and the pooled hazard ratio."""
    k, lines = fit.k, [""]
    if fit.method == "FE":
        lines.append(f"Fixed-Effects Model (k = {k})")
    else:
        lines.append(f"Random-Effects Model (k = {k}; tau^2 estimator: {fit.method})")
    lines.append("")
    if fit.method != "FE":
        se = "" if fit.se_tau2 is None else f" (SE = {fit.se_tau2:.4f})"
        lines.append(f"tau^2 (estimated amount of total heterogeneity): {fit.tau2:.4f}{se}")
        lines.append(f"tau (square root of estimated tau^2 value):      {math.sqrt(fit.tau2):.4f}")
    lines.append(f"I^2 (total heterogeneity / total variability):   {fit.i2:.2f}%")
    lines.append(f"H^2 (total variability / sampling variability):  {fit.h2:.2f}")
    qp = format_pval(fit.q_p_value)
    lines += ["", "Test for Heterogeneity:",
              f"Q(df = {k - 1}) = {fit.q:.4f}, p-val {'<' if qp.startswith('<') else '='} {qp.lstrip('<')}",
              "", "Model Results:", ""]
    head = ["estimate", "se", "zval" if fit.df is None else "tval"] + ([] if fit.df is None else ["df"]) \
        + ["pval", "ci.lb", "ci.ub"]
    vals = [f"{fit.estimate:.4f}", f"{fit.std_error:.4f}", f"{fit.statistic:.4f}"] \
        + ([] if fit.df is None else [str(fit.df)]) \
        + [format_pval(fit.p_value), f"{fit.conf_low:.4f}", f"{fit.conf_high:.4f}"]
    widths = [max(len(h), len(v)) for h, v in zip(head, vals)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    lines.append("  ".join(v.rjust(w) for v, w in zip(vals, widths)) + f"  {_stars(fit.p_value)}")
    pct = f"{100 * fit.conf_level:g}%"
    hr = (f"Pooled HR {math.exp(fit.estimate):.3g} ({pct} CI {math.exp(fit.conf_low):.3g} to "
          f"{math.exp(fit.conf_high):.3g})")
    if fit.pi_low is not None:
        hr += f"; {pct} prediction interval {math.exp(fit.pi_low):.3g} to {math.exp(fit.pi_high):.3g}"
    lines += ["", hr]
    return "\n".join(lines)
