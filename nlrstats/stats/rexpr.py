"""R expressions: parse with R's precedence, deparse as R prints them, evaluate as polars expressions.

Used for formulas (``I(x^2)``, ``log(x + 1)``, ``status == 2``) and for ``subset=`` strings
(``"age >= 65 & ecog %in% c(0, 1)"``). The grammar is R's for what model formulas need:
names (back-quoted or not), numbers (``1e6``, ``.5``, ``2L``), strings, ``TRUE``/``FALSE``,
calls with positional and named arguments, parentheses, and the operators, from loosest
to tightest: ``| ||``, ``& &&``, ``!``, comparisons, ``+ -``, ``* /``, ``%in%`` (and other
``%op%``), ``:``, unary ``- +``, ``^`` (right-associative). Deparsing follows R's
``deparse``: spaces around binary operators except ``^``, ``:`` and ``/``; numbers with 15
significant digits in R's fixed-or-scientific choice (``1e+06``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import polars as pl

__all__ = ["Node", "Name", "Num", "Str", "Call", "Op", "Paren", "RExprError", "parse_expr", "deparse",
           "format_number", "to_polars", "EVAL_FUNCTIONS"]


class RExprError(ValueError):
    """An R expression that cannot be parsed or evaluated."""


class Node:
    """Base of the expression tree."""

    children: tuple = ()


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Num(Node):
    value: float
    text: str  # as R deparses it


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple
    kwargs: tuple = ()  # ((name, node), ...)


@dataclass(frozen=True)
class Op(Node):
    op: str
    children: tuple


@dataclass(frozen=True)
class Paren(Node):
    x: Node

    @property
    def children(self) -> tuple:
        return (self.x,)


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<bq>`[^`]+`)
  | (?P<name>(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*|\.)
  | (?P<op>%[^%]*%|==|!=|<=|>=|&&|\|\||[-+*/^:<>!&|(),=~\[\]$])
""", re.VERBOSE)

# binding powers: (left, right); unary operators bind their operand with the right power
_BINARY = {"|": 2, "||": 2, "&": 3, "&&": 3, "==": 5, "!=": 5, "<": 5, ">": 5, "<=": 5, ">=": 5,
           "+": 6, "-": 6, "*": 7, "/": 7, ":": 9, "^": 11}
_SPECIAL = 8  # %op%
_UNARY_NOT, _UNARY_SIGN = 4, 10
_RESERVED = {"if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE", "NULL",
             "Inf", "NaN", "NA", "in"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise RExprError(f"cannot read {text[pos:pos + 10]!r} in {text.strip()!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text.strip()
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self, value: str | None = None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            got = tok[1] or "the end"
            raise RExprError(f"expected '{value}' but found {got!r} in {self.text!r}")
        if tok[0] == "end":
            raise RExprError(f"unexpected end of {self.text!r}")
        self.i += 1
        return tok

    def lbp(self, tok) -> int:
        kind, v = tok
        if kind != "op":
            return 0
        if v.startswith("%"):
            return _SPECIAL
        return _BINARY.get(v, 0)

    def expr(self, rbp: int = 0) -> Node:
        left = self.nud(self.take())
        while rbp < self.lbp(self.peek()):
            _, op = self.take()
            bp = _SPECIAL if op.startswith("%") else _BINARY[op]
            right = self.expr(bp - 1 if op == "^" else bp)
            left = Op(op, (left, right))
        return left

    def nud(self, tok) -> Node:
        kind, v = tok
        if kind == "num":
            return _number(v)
        if kind == "str":
            return Str(re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), v[1:-1]))
        if kind in ("name", "bq"):
            name = v.strip("`") if kind == "bq" else v
            if self.peek() == ("op", "("):
                self.take("(")
                return self.call(name)
            return Name(name)
        if v == "(":
            inner = self.expr()
            self.take(")")
            return Paren(inner)
        if v in ("-", "+"):
            return Op(v, (self.expr(_UNARY_SIGN),))
        if v == "!":
            return Op("!", (self.expr(_UNARY_NOT),))
        raise RExprError(f"unexpected {v!r} in {self.text!r}")

    def call(self, fn: str) -> Call:
        args, kwargs = [], []
        if self.peek() == ("op", ")"):
            self.take(")")
            return Call(fn, ())
        while True:
            k, v = self.peek()
            nxt = self.toks[self.i + 1] if self.i + 1 < len(self.toks) else ("end", "")
            if k in ("name", "bq") and nxt == ("op", "="):
                self.take()
                self.take("=")
                kwargs.append((v.strip("`"), self.expr()))
            else:
                if kwargs:
                    raise RExprError(f"positional argument after a named one in {fn}() in {self.text!r}")
                args.append(self.expr())
            if self.peek() == ("op", ","):
                self.take(",")
                continue
            self.take(")")
            return Call(fn, tuple(args), tuple(kwargs))


def _number(text: str) -> Num:
    if text.endswith("L"):
        return Num(float(text[:-1]), text)
    v = float(text)
    return Num(v, format_number(v))


def parse_expr(text: str) -> Node:
    """Parse one R expression; raise :class:`RExprError` with the text when it is not one."""
    p = _Parser(text)
    if not p.toks:
        raise RExprError("empty expression")
    node = p.expr()
    if p.peek()[0] != "end":
        raise RExprError(f"unexpected {p.peek()[1]!r} in {p.text!r}")
    return node


def format_number(x: float) -> str:
    """A number as R prints it with 15 significant digits: fixed unless scientific is narrower."""
    if not math.isfinite(x):
        return {math.inf: "Inf", -math.inf: "-Inf"}.get(x, "NaN")
    x = float(f"{x:.15g}")
    fixed = f"{x:.15f}".rstrip("0").rstrip(".") if abs(x) < 1e15 else f"{x:.0f}"
    fixed = fixed if fixed not in ("-0", "") else "0"
    mant, _, exp = f"{x:.14e}".partition("e")
    mant = mant.rstrip("0").rstrip(".")
    e = int(exp)
    sci = f"{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"
    return sci if len(fixed) > len(sci) else fixed


_SYNTACTIC = re.compile(r"^((?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*|\.)$")


def _deparse_name(name: str) -> str:
    return name if _SYNTACTIC.match(name) and name not in _RESERVED else f"`{name}`"


def deparse(node: Node) -> str:
    """The expression as R's ``deparse`` writes it."""
    if isinstance(node, Name):
        return node.id if node.id in ("TRUE", "FALSE", "T", "F") else _deparse_name(node.id)
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Str):
        return '"' + node.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(node, Paren):
        return f"({deparse(node.x)})"
    if isinstance(node, Call):
        parts = [deparse(a) for a in node.args] + [f"{k} = {deparse(v)}" for k, v in node.kwargs]
        return f"{_deparse_name(node.fn)}({', '.join(parts)})"
    if isinstance(node, Op):
        if len(node.children) == 1:
            return f"{node.op}{deparse(node.children[0])}"
        a, b = (deparse(c) for c in node.children)
        return f"{a}{node.op}{b}" if node.op in ("^", ":", "/") else f"{a} {node.op} {b}"
    raise RExprError(f"cannot deparse {node!r}")


# functions to_polars evaluates (beyond arithmetic, comparison and logic operators)
EVAL_FUNCTIONS = ("I", "log", "log2", "log10", "log1p", "exp", "sqrt", "abs", "as.numeric", "is.na", "c")


def _num(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Float64)


def _literal_vector(node: Node) -> list:
    items = node.args if isinstance(node, Call) and node.fn == "c" else (node,)
    out = []
    for a in items:
        if isinstance(a, Num):
            out.append(a.value)
        elif isinstance(a, Str):
            out.append(a.value)
        elif isinstance(a, Name) and a.id in ("TRUE", "FALSE", "T", "F"):
            out.append(a.id in ("TRUE", "T"))
        elif isinstance(a, Op) and a.op == "-" and len(a.children) == 1 and isinstance(a.children[0], Num):
            out.append(-a.children[0].value)
        else:
            raise RExprError(f"'{deparse(node)}': %in% needs literal values, e.g. c(1, 2) or c(\"a\", \"b\")")
    return out


def to_polars(node: Node, schema: dict | None = None) -> pl.Expr:
    """A polars expression computing ``node`` with R's semantics (doubles, NaN for log(-1)).

    ``schema`` (column -> dtype) lets comparisons of numeric columns with numbers run in
    floating point, as R compares doubles.
    """
    if isinstance(node, Name):
        if node.id in ("TRUE", "T"):
            return pl.lit(True)
        if node.id in ("FALSE", "F"):
            return pl.lit(False)
        return pl.col(node.id)
    if isinstance(node, Num):
        return pl.lit(node.value, dtype=pl.Float64)
    if isinstance(node, Str):
        return pl.lit(node.value, dtype=pl.String)
    if isinstance(node, Paren):
        return to_polars(node.x, schema)
    if isinstance(node, Call):
        fn, args = node.fn, node.args
        if fn in ("I", "as.numeric") and len(args) == 1:
            e = to_polars(args[0], schema)
            return _num(e) if fn == "as.numeric" else e
        if fn == "is.na" and len(args) == 1:
            e = to_polars(args[0], schema)
            return e.is_null() | (e.is_nan() if _is_float(args[0], schema) else pl.lit(False))
        if fn == "log" and len(args) == 1:
            base = dict(node.kwargs).get("base")
            x = _num(to_polars(args[0], schema)).log()
            return x if base is None else x / _num(to_polars(base, schema)).log()
        unary = {"log2": lambda x: x.log(2), "log10": lambda x: x.log10(), "log1p": lambda x: x.log1p(),
                 "exp": lambda x: x.exp(), "sqrt": lambda x: x.sqrt(), "abs": lambda x: x.abs()}
        if fn in unary and len(args) == 1 and not node.kwargs:
            return unary[fn](_num(to_polars(args[0], schema)))
        raise RExprError(f"'{deparse(node)}': function {fn}() cannot be evaluated (supported: "
                         f"{', '.join(EVAL_FUNCTIONS)})")
    if isinstance(node, Op):
        op, ch = node.op, node.children
        if len(ch) == 1:
            x = to_polars(ch[0], schema)
            return ~x if op == "!" else (-_num(x) if op == "-" else _num(x))
        if op == "%in%":
            return to_polars(ch[0], schema).is_in(_literal_vector(ch[1]))
        a, b = to_polars(ch[0], schema), to_polars(ch[1], schema)
        if op in ("+", "-", "*", "/", "^"):
            a, b = _num(a), _num(b)
            return {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a.pow(b)}[op]
        if op in ("==", "!=", "<", ">", "<=", ">="):
            return {"==": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if op in ("&", "&&"):
            return a & b
        if op in ("|", "||"):
            return a | b
        raise RExprError(f"'{deparse(node)}': operator {op} cannot be evaluated")
    raise RExprError(f"cannot evaluate {node!r}")


def _is_float(node: Node, schema: dict | None) -> bool:
    if isinstance(node, Name) and schema is not None and node.id in schema:
        return schema[node.id].is_float()
    return not isinstance(node, (Name, Str))
