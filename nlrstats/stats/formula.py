"""R's model formulas for survival models: ``Surv(time, status == 2) ~ factor(g) * age + strata(s)``.

The text is parsed into R's expression tree (R's operator precedence, back-quoted names,
strings, numbers) and expanded into R's terms as ``terms.formula`` does: ``a * b`` is
``a + b + a:b``, ``(a + b)^2`` all interactions up to order 2, ``a / b`` is ``a + a:b``,
``- a`` removes a term, ``1`` / ``0`` / ``-1`` are accepted (a Cox model has no intercept
to remove). Terms are ordered by degree, and the variables of an interaction by their first
appearance, as R labels them (``b:a`` in ``~ b:a + a``). Variables are deparsed as R
deparses them (``I(x^2)``, ``log(x + 1)``, ``rcs(age, 4)``), which gives R's coefficient
names. Evaluation of the variables lives in :mod:`nlrstats.stats.survival._modelframe`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from nlrstats.stats.rexpr import Call, Name, Node, Num, Op, Paren, RExprError, deparse, parse_expr

__all__ = ["SurvFormula", "Variable", "parse_surv_formula", "SimpleFormula", "parse_simple_formula",
           "FormulaError", "SUPPORTED_CALLS"]


class FormulaError(ValueError):
    """A formula that cannot be parsed or refers to unusable columns."""


# calls allowed as model variables; anything else is refused with this list
TRANSFORMS = ("log", "log2", "log10", "log1p", "exp", "sqrt", "abs")
SUPPORTED_CALLS = ("factor", "as.factor", "I", *TRANSFORMS, "rcs", "strata", "cluster")
_REFUSED = {"offset": "offset() terms", "tt": "time-transform tt() terms", "frailty": "frailty terms",
            "pspline": "penalised splines", "ridge": "ridge penalties", "ns": "natural splines ns()",
            "bs": "B-splines bs()", "poly": "poly()", "Surv": "Surv() on the right-hand side"}


@dataclass(frozen=True)
class Variable:
    """One variable of the model frame: a column or a call on columns, named as R deparses it.

    ``kind`` is "numeric" (a column or a transform), "factor" (``factor(x)``), "rcs"
    (``rcs(x, k)``), or "column" (a plain column: numeric or categorical by its type).
    """

    text: str
    node: Node = field(repr=False)
    kind: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class SurvFormula:
    """A parsed ``Surv(time, event) ~ terms + strata(s) + cluster(id)`` formula.

    ``time`` and ``event`` name the data columns of ``Surv()``; ``event_node`` is the
    whole status expression (``status == 2``), None when it is the bare column.
    ``terms`` are R's term labels (``"age"``, ``"factor(ecog)"``, ``"g:x"``) without strata
    and cluster; for plain names they are the column names. ``term_vars`` gives the
    variables (indices into ``variables``) of each term. ``strata`` names the strata
    variables and ``cluster`` the cluster variable.
    """

    time: str
    event: str
    terms: tuple[str, ...]
    strata: tuple[str, ...]
    text: str
    variables: tuple[Variable, ...] = ()
    term_vars: tuple[tuple[int, ...], ...] = ()
    cluster: str | None = None
    event_node: Node | None = field(default=None, repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every data column the formula refers to, in order of appearance."""
        cols = [self.time, self.event]
        for v in self.variables:
            cols.extend(v.columns)
        cols.extend(self.strata)
        if self.cluster:
            cols.append(self.cluster)
        return tuple(dict.fromkeys(cols))

    def variable(self, text: str) -> Variable:
        return next(v for v in self.variables if v.text == text)

    def check(self, data: pl.DataFrame) -> None:
        """Raise :class:`FormulaError` naming each referenced column that is missing or unusable.

        Time must be numeric; a bare event column must be numeric or boolean.
        """
        problems = [f"column '{c}' named in the formula is not in the data"
                    for c in self.columns if c not in data.columns]
        if problems:
            raise FormulaError(f"{self.text}: " + "; ".join(problems)
                               + f" (available: {', '.join(data.columns)})")
        if not data.schema[self.time].is_numeric():
            raise FormulaError(f"{self.text}: time column '{self.time}' must be numeric, "
                               f"found {data.schema[self.time]}")
        ev = data.schema[self.event]
        if self.event_node is None and not (ev.is_numeric() or ev == pl.Boolean):
            raise FormulaError(f"{self.text}: event column '{self.event}' must be 0/1, 1/2 or boolean, "
                               f"found {ev}; or give a condition such as Surv(time, {self.event} == \"dead\")")


def _node_columns(node: Node) -> list[str]:
    if isinstance(node, Name):
        return [] if node.id in ("TRUE", "FALSE", "T", "F") else [node.id]
    if isinstance(node, Call):
        return [c for a in (*node.args, *(v for _, v in node.kwargs)) for c in _node_columns(a)]
    if isinstance(node, (Op, Paren)):
        return [c for a in node.children for c in _node_columns(a)]
    return []


def _err(formula: str, msg: str) -> FormulaError:
    return FormulaError(f"{formula!r}: {msg}")


def _variable(node: Node, formula: str) -> Variable:
    """Classify a formula variable and check that it is one nlrstats can evaluate."""
    if isinstance(node, Name):  # the column's own name, back-quotes dropped (as survfit labels strata)
        return Variable(node.id, node, "column", (node.id,))
    text = deparse(node)
    if not isinstance(node, Call):
        raise _err(formula, f"'{text}' is not a variable; wrap arithmetic in I(), e.g. I({text})")
    fn = node.fn
    if fn in _REFUSED:
        raise _err(formula, f"{_REFUSED[fn]} are not supported (supported calls: {', '.join(SUPPORTED_CALLS)})")
    if fn not in SUPPORTED_CALLS:
        raise _err(formula, f"function {fn}() is not supported in a formula (supported: "
                            f"{', '.join(SUPPORTED_CALLS)}; arithmetic goes inside I())")
    cols = tuple(dict.fromkeys(_node_columns(node)))
    if fn in ("factor", "as.factor"):
        if len(node.args) != 1 or node.kwargs:
            raise _err(formula, f"{text}: factor() takes one argument here (levels/labels are not supported)")
        return Variable(text, node, "factor", cols)
    if fn == "rcs":
        if not node.args or not isinstance(node.args[0], Name) or len(node.args) > 2 or node.kwargs:
            raise _err(formula, f"{text}: use rcs(column) or rcs(column, k) or rcs(column, c(knots...))")
        if len(node.args) == 2:
            k = node.args[1]
            ok = isinstance(k, Num) or (isinstance(k, Call) and k.fn == "c" and all(isinstance(a, Num)
                                                                                   for a in k.args))
            if not ok:
                raise _err(formula, f"{text}: the second argument of rcs() must be a number of knots or c(knots)")
        return Variable(text, node, "rcs", cols)
    if fn == "I":
        if len(node.args) != 1 or node.kwargs:
            raise _err(formula, f"{text}: I() takes one expression")
    elif fn in TRANSFORMS:
        allowed = ("base",) if fn == "log" else ()
        if len(node.args) != 1 or any(k not in allowed for k, _ in node.kwargs):
            raise _err(formula, f"{text}: {fn}() takes one argument" + (" (and base =)" if allowed else ""))
    return Variable(text, node, "numeric", cols)


def _expand(node: Node, formula: str, variables: list[Node], specials: dict) -> list[frozenset]:
    """R's term algebra: a node -> ordered list of terms (sets of variable indices)."""
    if isinstance(node, Paren):
        return _expand(node.x, formula, variables, specials)
    if isinstance(node, Num):
        if node.value in (0.0, 1.0):
            return []  # the intercept: always present in a Cox model
        raise _err(formula, f"the number {node.text} is not a term")
    if isinstance(node, Op):
        op = node.op
        if op == "+" and len(node.children) == 1:
            return _expand(node.children[0], formula, variables, specials)
        if op == "-" and len(node.children) == 1:
            _expand(node.children[0], formula, variables, specials)  # -1: nothing to remove
            return []
        if op in ("+", "-", "*", ":", "/", "%in%", "^"):
            left = _expand(node.children[0], formula, variables, specials)
            if op == "^":
                r = node.children[1]
                if not isinstance(r, Num) or r.value < 1 or r.value != int(r.value):
                    raise _err(formula, "the power in (terms)^n must be a positive whole number")
                out = left
                for _ in range(int(r.value) - 1):
                    out = _union(out, _union(left, [a | b for a in out for b in left]))
                return [t for t in out if len(t) <= int(r.value)]
            right = _expand(node.children[1], formula, variables, specials)
            if op == "+":
                return _union(left, right)
            if op == "-":
                return [t for t in left if t not in right]
            inter = [a | b for a in left for b in right]
            if op in (":", "%in%"):
                return _union([], inter)
            if op == "*":
                return _union(_union(left, right), inter)
            every = frozenset().union(*left) if left else frozenset()
            return _union(left, [every | b for b in right])  # a / b = a + a:b
        raise _err(formula, f"operator '{op}' cannot join terms; wrap arithmetic in I(), e.g. "
                            f"I({deparse(node)})")
    if isinstance(node, Call) and node.fn in ("strata", "cluster"):
        if node.kwargs or not node.args or not all(isinstance(a, Name) for a in node.args):
            raise _err(formula, f"{deparse(node)}: {node.fn}() takes column names")
        if node.fn == "cluster" and len(node.args) != 1:
            raise _err(formula, "cluster() takes one column")
        if node.fn == "cluster" and "cluster" in specials:
            raise _err(formula, "a formula cannot have multiple cluster terms")
        specials.setdefault(node.fn, []).extend(a.id for a in node.args)
        return [frozenset({("special", node.fn)})]
    key = deparse(node)
    if key not in [deparse(v) for v in variables]:
        variables.append(node)
    return [frozenset({[deparse(v) for v in variables].index(key)})]


def _union(a: list, b: list) -> list:
    return list(dict.fromkeys([*a, *b]))


def _parse(text: str, formula: str) -> Node:
    try:
        return parse_expr(text)
    except RExprError as e:
        raise _err(formula, str(e)) from None


def parse_surv_formula(formula: str) -> SurvFormula:
    """Parse ``Surv(time, event) ~ terms`` with R's formula language.

    Parameters
    ----------
    formula : str
        Left side ``Surv(time, status)``, ``Surv(time, status == 2)`` or any condition on the
        status (``Surv(t, vital == "dead")``); a numeric status may be 0/1 or 1/2 (2 = event),
        as R's ``Surv``. Right side: columns, ``factor(x)``, ``log(x)`` (and ``log2``,
        ``log10``, ``log1p``, ``exp``, ``sqrt``, ``abs``), ``I(expression)``, ``rcs(x, k)``,
        ``a*b``, ``a:b``, ``(a + b)^2``, ``a/b``, ``- term``, ``strata(s1, s2)``,
        ``cluster(id)``, and ``1`` for the null model. Names with spaces are back-quoted.

    Returns
    -------
    SurvFormula
    """
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string such as 'Surv(time, status) ~ x', got {type(formula).__name__}")
    if formula.count("~") != 1:
        raise _err(formula, "expected exactly one '~'")
    lhs_text, rhs_text = formula.split("~")
    lhs = _parse(lhs_text, formula)
    if not (isinstance(lhs, Call) and lhs.fn == "Surv"):
        raise _err(formula, "the left-hand side must be Surv(time, event)")
    args = dict(zip(("time", "event"), lhs.args))
    for k, v in lhs.kwargs:
        if k not in ("time", "event") or k in args:
            raise _err(formula, f"Surv() argument '{k}' is not supported (use Surv(time, event))")
        args[k] = v
    if set(args) != {"time", "event"} or len(lhs.args) > 2:
        raise _err(formula, "Surv() needs exactly a time and an event (start-stop data are not supported)")
    tnode, enode = args["time"], args["event"]
    if not isinstance(tnode, Name):
        raise _err(formula, f"the time in Surv() must be a column name, got '{deparse(tnode)}'")
    ecols = _node_columns(enode)
    if len(set(ecols)) != 1:
        raise _err(formula, f"the event in Surv() must be a column or a condition on one column, "
                            f"got '{deparse(enode)}'")
    if not rhs_text.strip():
        raise _err(formula, "empty right-hand side (use ~ 1 for no covariates)")
    rhs = _parse(rhs_text, formula)
    variables: list[Node] = []
    specials: dict = {}
    expanded = _expand(rhs, formula, variables, specials)
    terms, strata_terms = [], []
    for t in expanded:
        sp = [x for x in t if isinstance(x, tuple)]
        if sp and len(t) > 1:
            raise _err(formula, f"{sp[0][1]}() cannot be in an interaction")
        if not sp:
            terms.append(tuple(sorted(t)))
    terms.sort(key=len)  # R orders terms by degree, stably
    classified = tuple(_variable(v, formula) for v in variables)
    used = {i for t in terms for i in t}
    if len(used) != len(classified):
        classified = tuple(v for i, v in enumerate(classified) if i in used)
        remap = {old: new for new, old in enumerate(sorted(used))}
        terms = [tuple(remap[i] for i in t) for t in terms]
    labels = tuple(":".join(classified[i].text for i in t) for t in terms)
    strata = tuple(dict.fromkeys(specials.get("strata", ())))
    cluster = specials.get("cluster", [None])[0]
    return SurvFormula(tnode.id, ecols[0], labels, strata, formula.strip(), classified, tuple(terms), cluster,
                       None if isinstance(enode, Name) else enode)


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


_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$|^`[^`]+`$")


def _plain_name(token: str, formula: str) -> str:
    token = token.strip()
    if not _NAME.match(token):
        raise FormulaError(f"{formula}: '{token}' is not a column name; only plain column names and '+' "
                           "are supported here")
    return token.strip("`")


def parse_simple_formula(formula: str) -> SimpleFormula:
    """Parse ``y ~ g`` or ``y ~ a + b`` (R's formula interface of ``wilcox.test``, ``kruskal.test``, ``roc``).

    Names may be back-quoted as in R. Anything but plain names joined by ``+`` is refused.
    """
    if formula.count("~") != 1:
        raise FormulaError(f"{formula!r}: expected exactly one '~'")
    lhs, rhs = formula.split("~")
    response = _plain_name(lhs, formula)
    terms = tuple(_plain_name(raw, formula) for raw in rhs.split("+"))
    return SimpleFormula(response, terms, formula.strip())




