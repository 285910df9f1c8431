"""A few lines of results for the terminal (``nlrstats analyze``), with the same number rules as documents."""

from __future__ import annotations

from nlrstats.present.format import format_cut, format_median_ci, format_pct, p_bound_phrase, p_phrase, RATE_DIGITS
from nlrstats.present.text import visible_controls

__all__ = ["summary_text"]


def _rate(r) -> str:
    return "n/a" if r is None or not r.n else f"{r.x}/{r.n} ({format_pct(r.estimate, RATE_DIGITS)})"


def _median(m) -> str:
    return "n/a" if m is None else format_median_ci(m.estimate, m.conf_low, m.conf_high)


def summary_text(results) -> str:
    """The study's main numbers in plain text (control characters of file names shown escaped)."""
    g, r, c = results.groups, results.response, results.nlr_change
    label = results.plan.marker_label
    lines = [f"{visible_controls(results.source)}: {results.n} patients; {g.low.label}: {g.low.n}, "
             f"{g.high.label}: {g.high.n}",
             f"DCR {_rate(r.dcr.low)} vs {_rate(r.dcr.high)}, Fisher {p_phrase(r.dcr.p_value)}",
             f"ORR by {label} fall at day 14: {_rate(c.orr.decreased)} vs {_rate(c.orr.not_decreased)}, "
             f"Fisher {p_phrase(c.orr.p_value)}"]
    for key in ("pfs", "os"):
        e = results.endpoint(key)
        lr = p_phrase(e.logrank.p_value) if e.logrank is not None else "not run"
        lines.append(f"median {e.endpoint.abbreviation} {_median(e.median.low)} vs {_median(e.median.high)} "
                     f"{results.plan.time_unit}, log-rank {lr}")
    cp = results.cutpoint
    for key in ("pfs", "os"):
        m = getattr(cp, key) if cp is not None else None
        if m is not None:
            lines.append(f"data-driven {key.upper()} cut {format_cut(m.cut)}: naive {p_phrase(m.p_value_unadjusted)}, "
                         f"adjusted for the search {p_bound_phrase(m.p_value, m.pmethod)} ({m.pmethod})")
    agree = results.compare_published()
    lines.append(f"published numbers reproduced: {int(agree['agrees'].sum())}/{agree.height}")
    return "\n".join(lines)
