"""Parse R-style model formulas: ``Surv(time, event) ~ x1 + x2 + strata(s)``.

Only the subset that survival analyses need is supported: one ``Surv()`` response
with a time and an event column, terms joined by ``+``, ``strata(...)`` terms and
``1`` for the null model. Interactions and transformations are rejected with a
clear error rather than silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

__all__ = ["SurvFormula", "parse_surv_formula", "SimpleFormula", "parse_simple_formula", "FormulaError"]


class FormulaError(ValueError):
    """A formula that cannot be parsed or refers to unusable columns."""


@dataclass(frozen=True)
class SurvFormula:
    """A parsed ``Surv(time, event) ~ terms + strata(s)`` formula."""

    time: str
    event: str
    terms: tuple[str, ...]
    strata: tuple[str, ...]
    text: str

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the formula refers to, in order of appearance."""
        return (self.time, self.event, *self.terms, *self.strata)

    def check(self, data: pl.DataFrame) -> None:
        """Raise :class:`FormulaError` naming each referenced column that is missing or unusable.

        Time must be numeric; event must be numeric or boolean.
        """
        problems = []
        for col in dict.fromkeys(self.columns):
            if col not in data.columns:
                problems.append(f"column '{col}' named in the formula is not in the data")
        if problems:
            raise FormulaError(f"{self.text}: " + "; ".join(problems)
                               + f" (available: {', '.join(data.columns)})")
        if not data.schema[self.time].is_numeric():
            raise FormulaError(f"{self.text}: time column '{self.time}' must be numeric, "
                               f"found {data.schema[self.time]}")
        ev = data.schema[self.event]
        if not (ev.is_numeric() or ev == pl.Boolean):
            raise FormulaError(f"{self.text}: event column '{self.event}' must be 0/1 or boolean, "
                               f"found {ev}")


_SURV = re.compile(r"^\s*Surv\s*\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)\s*$")
_STRATA = re.compile(r"^\s*strata\s*\(\s*([^()]+?)\s*\)\s*$")
_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$|^`[^`]+`$")


def _name(token: str, formula: str) -> str:
    token = token.strip()
    if not _NAME.match(token):
        raise FormulaError(f"{formula}: '{token}' is not a column name; only plain column names, "
                           "'+' and strata() are supported")
    return token.strip("`")


def parse_surv_formula(formula: str) -> SurvFormula:
    """Parse ``Surv(time, event) ~ a + b + strata(s)``.

    Parameters
    ----------
    formula : str
        The formula. Column names with spaces can be back-quoted as in R.

    Returns
    -------
    SurvFormula
    """
    if formula.count("~") != 1:
        raise FormulaError(f"{formula!r}: expected exactly one '~'")
    lhs, rhs = formula.split("~")
    m = _SURV.match(lhs)
    if not m:
        raise FormulaError(f"{formula!r}: the left-hand side must be Surv(time, event)")
    time, event = _name(m.group(1), formula), _name(m.group(2), formula)
    terms: list[str] = []
    strata: list[str] = []
    for raw in rhs.split("+"):
        raw = raw.strip()
        if raw in ("1", ""):
            if raw == "" and rhs.strip():
                raise FormulaError(f"{formula!r}: empty term")
            continue
        s = _STRATA.match(raw)
        if s:
            strata.extend(_name(x, formula) for x in s.group(1).split(","))
        else:
            terms.append(_name(raw, formula))
    return SurvFormula(time, event, tuple(terms), tuple(strata), formula.strip())


@dataclass(frozen=True)
class SimpleFormula:
    """A parsed ``response ~ term + term`` formula of plain column names (tests, ROC curves)."""

    response: str
    terms: tuple[str, ...]
    text: str

    def check(self, data: pl.DataFrame) -> None:
        """Raise :class:`FormulaError` naming each referenced column missing from ``data``."""
        missing = [c for c in (self.response, *self.terms) if c not in data.columns]
        if missing:
            raise FormulaError(f"{self.text}: column(s) {', '.join(repr(c) for c in missing)} named in the "
                               f"formula are not in the data (available: {', '.join(data.columns)})")


def parse_simple_formula(formula: str) -> SimpleFormula:
    """Parse ``y ~ g`` or ``y ~ a + b`` (R's formula interface of ``wilcox.test``, ``kruskal.test``, ``roc``).

    Names may be back-quoted as in R. Anything but plain names joined by ``+`` is refused.
    """
    if formula.count("~") != 1:
        raise FormulaError(f"{formula!r}: expected exactly one '~'")
    lhs, rhs = formula.split("~")
    response = _name(lhs, formula)
    terms = tuple(_name(raw, formula) for raw in rhs.split("+"))
    return SimpleFormula(response, terms, formula.strip())
