"""R's formula language: term expansion and labels against R's ``terms()`` (tests/r/cox_fixtures.R),
deparsing against R's ``deparse``, expression evaluation, and the errors for what is refused."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from nlrstats.stats.formula import FormulaError, parse_surv_formula
from nlrstats.stats.rexpr import RExprError, deparse, format_number, parse_expr, to_polars
from tests.cox_r_cases import fixtures


@pytest.mark.parametrize("k", range(len(fixtures()["formulas"])))
def test_term_labels_match_r_terms(k):
    case = fixtures()["formulas"][k]
    want = case["labels"] if isinstance(case["labels"], list) else [case["labels"]]
    want = [w.replace("`my x`", "my x") for w in want]  # plain columns keep their name (strata labels)
    assert list(parse_surv_formula("Surv(t, e) " + case["formula"]).terms) == want


# printed by R 4.x: deparse(str2lang(text))
DEPARSE = {"I(x^2)": "I(x^2)", "I(age/10)": "I(age/10)", "I(a*b)": "I(a * b)", "log(x+1)": "log(x + 1)",
           "I(x>5)": "I(x > 5)", "I(-x)": "I(-x)", "log(x,base=2)": "log(x, base = 2)",
           "rcs(age,4)": "rcs(age, 4)", "rcs(age, c(40,50,60))": "rcs(age, c(40, 50, 60))",
           "I(1e6*x)": "I(1e+06 * x)", "I(x*100000)": "I(x * 1e+05)", "I(x == 'a')": 'I(x == "a")',
           "I(!b)": "I(!b)", "I(x %in% c(1,2))": "I(x %in% c(1, 2))", "I((x+1)^2)": "I((x + 1)^2)",
           "I(2.50*x)": "I(2.5 * x)", "I(1/x)": "I(1/x)", "I(x <= 3 | y)": "I(x <= 3 | y)", "-2^2": "-2^2",
           "I(0.0001*x)": "I(1e-04 * x)", "I(123456*x)": "I(123456 * x)", "`my x` + 1": "`my x` + 1"}


@pytest.mark.parametrize("text", list(DEPARSE))
def test_deparse_as_r(text):
    assert deparse(parse_expr(text)) == DEPARSE[text]


def test_precedence_is_rs():
    df = pl.DataFrame({"x": [2.0, 3.0], "b": [True, False]})
    for text, want in (("-2^2", [-4.0, -4.0]), ("2^-1", [0.5, 0.5]), ("x * 2 + 1", [5.0, 7.0]),
                       ("(x + 1)^2 / 3", [3.0, 16 / 3]), ("x > 2 & !b | x == 2", [True, True])):
        got = df.with_columns(to_polars(parse_expr(text), df.schema).alias("v"))["v"].to_list()
        assert got == (pytest.approx(want) if isinstance(want[0], float) else want), text
    assert format_number(1e5) == "1e+05" and format_number(0.1) == "0.1" and format_number(-3.0) == "-3"


def test_log_of_a_negative_is_missing_with_rs_warning():
    from nlrstats.stats.survival import coxph
    rng = np.random.default_rng(1)
    d = pl.DataFrame({"t": rng.exponential(1, 40), "e": rng.integers(0, 2, 40), "x": rng.normal(1, 1, 40)})
    with pytest.warns(RuntimeWarning, match=r"log\(x\): NaNs produced"):
        fit = coxph("Surv(t, e) ~ log(x)", d)
    assert fit.n_missing == int((d["x"] < 0).sum()) and fit.n + fit.n_missing == 40
    with pytest.raises(FormulaError, match=r"'log\(x\)' is infinite at row 0"):
        coxph("Surv(t, e) ~ log(x)", d.with_columns(x=pl.when(pl.int_range(pl.len()) == 0).then(0.0)
                                                     .otherwise(pl.col("x").abs())))


@pytest.mark.parametrize("formula,msg", [
    ("Surv(t, e) ~ x +", "unexpected end"),
    ("Surv(t, e) ~ x ~ y", "exactly one '~'"),
    ("t ~ x", "must be Surv"),
    ("Surv(t) ~ x", "exactly a time and an event"),
    ("Surv(t, e, f) ~ x", "exactly a time and an event"),
    ("Surv(log(t), e) ~ x", "time in Surv"),
    ("Surv(t, e + f) ~ x", "condition on one column"),
    ("Surv(t, e) ~ ", "empty right-hand side"),
    ("Surv(t, e) ~ x + 3", "the number 3 is not a term"),
    ("Surv(t, e) ~ x == 1", "wrap arithmetic in I()"),
    ("Surv(t, e) ~ factor(x, levels = 2)", "factor\\(\\) takes one argument"),
    ("Surv(t, e) ~ rcs(log(x), 3)", "rcs\\(column"),
    ("Surv(t, e) ~ rcs(x, y)", "number of knots"),
    ("Surv(t, e) ~ pspline(x)", "penalised splines"),
    ("Surv(t, e) ~ strata(x + 1)", "takes column names"),
])
def test_refused_formulas_say_why(formula, msg):
    with pytest.raises(FormulaError, match=msg):
        parse_surv_formula(formula)


def test_parse_errors_are_formula_errors():
    with pytest.raises(RExprError):
        parse_expr("x +* 2")
    with pytest.raises(TypeError, match="formula must be a string"):
        parse_surv_formula(3)


def test_variables_and_columns():
    f = parse_surv_formula("Surv(time, status == 2) ~ factor(ecog) * log(bili) + rcs(age, 4) + strata(sex, site) "
                           "+ cluster(id)")
    assert f.terms == ("factor(ecog)", "log(bili)", "rcs(age, 4)", "factor(ecog):log(bili)")
    assert [v.kind for v in f.variables] == ["factor", "numeric", "rcs"]
    assert f.strata == ("sex", "site") and f.cluster == "id" and f.event == "status"
    assert f.columns == ("time", "status", "ecog", "bili", "age", "sex", "site", "id")
    assert math.isclose(f.event_node.children[1].value, 2)
