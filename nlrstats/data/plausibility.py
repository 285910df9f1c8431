"""Plausibility checks that catch unit slips: every threshold, in one place, with its reason.

A unit slip moves a whole column by a constant factor (days read as months: x 30.4; cells/uL read
as 10^9/L: x 1000), so it shows in the column's median long before any single value is absurd.
Each check compares the median of a column, in the canonical unit after the declared conversion,
with bounds no real cohort reaches, and when it fails names the unit the values look like and the
``[units]`` line that fixes it. Single values far out of range are judged by the per-value ranges of
the data dictionary (:mod:`nlrstats.data.schema`) and :data:`MAX_TIME_MONTHS`.

The checks can be turned off for a cohort that really is unusual with ``[checks] unit_plausibility =
false`` in the mapping; the reading record then says so.
"""

from __future__ import annotations

import math

import polars as pl

from nlrstats.data.mapping import Mapping
from nlrstats.data.messages import Problem
from nlrstats.data.schema import COUNT_COLUMNS, TIME_COLUMNS
from nlrstats.data.units import COUNT_FACTORS, TIME_FACTORS

__all__ = ["FOLLOW_UP_MEDIAN_MONTHS", "TYPICAL_FOLLOW_UP_MONTHS", "MAX_TIME_MONTHS", "COUNT_MEDIAN_BOUNDS",
           "TYPICAL_COUNT_MEDIANS", "unit_slips", "marker_of"]

#: Bounds (months) of a cohort's median PFS or OS time. Anaplastic thyroid cancer has a median OS of
#: 3-10 months even under lenvatinib (Fukuda 2020: 10.2 vs 3.8 months; Tahara 2017); a median above
#: 120 months (10 years) means times in days or weeks read as months (310 days -> "310 months").
#: A median below 0.25 months (a week) means months or weeks read as days: patients are followed to
#: day 14 at least for the NLR change.
FOLLOW_UP_MEDIAN_MONTHS = (0.25, 120.0)
#: Where a median follow-up of a treated ATC cohort lies; used only to say which unit values look like.
TYPICAL_FOLLOW_UP_MONTHS = (1.0, 60.0)
#: No single follow-up time is longer than 50 years (600 months): such a value is a typing or unit error.
MAX_TIME_MONTHS = 600.0
#: Bounds (10^9/L) of a cohort's median count. A median above 100 x 10^9/L (above 2000 for platelets,
#: whose normal range is 150-450) is hyperleukocytosis in half the cohort, i.e. counts in cells/uL
#: (x 1000) read as 10^9/L; a median below the lower bound (severe cytopenia in half the cohort) is
#: the reverse slip.
COUNT_MEDIAN_BOUNDS = {"wbc": (0.5, 100.0), "neutrophils": (0.1, 100.0), "lymphocytes": (0.05, 100.0),
                       "monocytes": (0.01, 100.0), "platelets": (5.0, 2000.0)}
#: Typical cohort medians (10^9/L) of advanced-cancer patients (wide); used only to name the unit.
TYPICAL_COUNT_MEDIANS = {"wbc": (2.0, 30.0), "neutrophils": (1.0, 25.0), "lymphocytes": (0.3, 5.0),
                         "monocytes": (0.1, 2.0), "platelets": (50.0, 1000.0)}


def marker_of(column: str) -> str:
    """``neutrophils_d14`` -> ``neutrophils``: the key of the count tables."""
    return column.split("_")[0]


def _median(s: pl.Series) -> float | None:
    """The median of the known values (validation has already made non-finite values missing)."""
    m = s.median()
    return None if m is None or not math.isfinite(m) else float(m)


def _time_slip(col: str, median: float, mapping: Mapping) -> Problem | None:
    lo, hi = FOLLOW_UP_MEDIAN_MONTHS
    if lo <= median <= hi:
        return None
    declared = mapping.unit_of(col)
    as_written = median / TIME_FACTORS[declared]
    guess = next((u for u in ("days", "weeks", "months", "years") if u != declared
                  and TYPICAL_FOLLOW_UP_MONTHS[0] <= as_written * TIME_FACTORS[u] <= TYPICAL_FOLLOW_UP_MONTHS[1]),
                 None)
    side = "above" if median > hi else "below"
    median_text = f"{as_written:.4g} {declared}" + (f" = {median:.4g} months" if declared != "months" else "")
    text = (f"a median follow-up within [{lo:g}, {hi:g}] months, as in any ATC cohort: the median is "
            f"{median_text}, {side} the bound")
    if guess is None:
        return Problem("", None, col, None, text, "check the unit of the times, and set [units] time")
    text += f"; read as {guess} it would be {as_written * TIME_FACTORS[guess]:.3g} months"
    key = "time" if col not in mapping.column_units else col
    return Problem("", None, col, None, text, f"add to the mapping:\n[units]\n{key} = \"{guess}\"")


def _count_unit_guess(col: str, as_written: float, declared: str) -> str | None:
    lo, hi = TYPICAL_COUNT_MEDIANS[marker_of(col)]
    for unit in ("10^9/L", "cells/uL"):
        if COUNT_FACTORS[unit] != COUNT_FACTORS[declared] and lo <= as_written * COUNT_FACTORS[unit] <= hi:
            return unit
    return None


def unit_slips(typed: pl.DataFrame, mapping: Mapping) -> tuple[list[Problem], set[str]]:
    """Column-level unit-slip problems and the columns they flag (their per-value ranges then stay quiet).

    ``typed`` holds the converted numbers (canonical units); ``mapping`` says which unit each column
    was declared in. See the module docstring for the bounds and their reasons.
    """
    if not mapping.unit_plausibility:
        return [], set()
    problems: list[Problem] = []
    flagged: set[str] = set()
    for col in TIME_COLUMNS:
        if col in typed.columns and typed[col].dtype.is_numeric():
            median = _median(typed[col])
            p = _time_slip(col, median, mapping) if median is not None else None
            if p is not None:
                problems.append(p)
                flagged.add(col)
    counts: dict[str, tuple[float, str, str | None]] = {}
    for col in COUNT_COLUMNS:
        if col not in typed.columns or not typed[col].dtype.is_numeric():
            continue
        median = _median(typed[col])
        if median is None:
            continue
        lo, hi = COUNT_MEDIAN_BOUNDS[marker_of(col)]
        if not lo <= median <= hi:
            declared = mapping.unit_of(col)
            as_written = median / COUNT_FACTORS[declared]
            counts[col] = (median, declared, _count_unit_guess(col, as_written, declared))
    if not counts:
        return problems, flagged
    present = [c for c in COUNT_COLUMNS if c in typed.columns and typed[c].drop_nulls().len()]
    guesses = {g for _, _, g in counts.values()}
    if len(counts) >= 2 and len(guesses) == 1 and None not in guesses and 2 * len(counts) > len(present) \
            and not any(c in mapping.column_units for c in counts):
        # most counts slipped the same way: one counts line, and the others keep their unit by name
        guess = guesses.pop()
        medians = ", ".join(f"{c} {m:.4g}" for c, (m, _, _) in counts.items())
        declared = next(iter(counts.values()))[1]
        keep = [c for c in present if c not in counts]
        text = (f"median counts within the bounds for 10^9/L (e.g. [0.1, 100] for neutrophils, [5, 2000] for "
                f"platelets): the medians are {medians} x 10^9/L with the values read in {declared}; the values "
                f"look like {guess}")
        lines = [f"counts = \"{guess}\""] + [f"{c} = \"{mapping.unit_of(c)}\"" for c in keep]
        problems.append(Problem("", None, ", ".join(counts), None, text,
                                "add to the mapping:\n[units]\n" + "\n".join(lines)))
        return problems, flagged | set(counts)
    for col, (median, declared, guess) in counts.items():
        lo, hi = COUNT_MEDIAN_BOUNDS[marker_of(col)]
        side = "above" if median > hi else "below"
        text = (f"a median count within [{lo:g}, {hi:g}] x 10^9/L: the median is {median:.4g} x 10^9/L, {side} the "
                f"bound, with the values read in {declared}")
        if guess is None:
            fix = "check the unit of this count, and set it in [units]"
        else:
            text += f"; the values look like {guess}"
            fix = f"add to the mapping:\n[units]\n{col} = \"{guess}\""
        problems.append(Problem("", None, col, None, text, fix))
        flagged.add(col)
    return problems, flagged
