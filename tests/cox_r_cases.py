"""Shared loading and comparison for the Cox fixtures of tests/r/cox_fixtures.R (R's survival 3.5, rms)."""

from __future__ import annotations

import json
import math
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from nlrstats.stats.survival import coxph

FIX = Path(__file__).parent / "fixtures"


@lru_cache(maxsize=1)
def fixtures() -> dict:
    return json.loads((FIX / "cox_fixtures.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def dataset(name: str) -> pl.DataFrame:
    return pl.read_csv(FIX / f"cox_{name}.csv", null_values="NA", infer_schema_length=None)


def cases() -> list[dict]:
    return fixtures()["cases"]


def case(cid: str) -> dict:
    return next(c for c in cases() if c["id"] == cid)


def r_num(v):
    if v is None:
        return math.nan
    if v == "Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)


def r_vec(v) -> np.ndarray:
    return np.array([r_num(x) for x in (v if isinstance(v, list) else [v])], dtype=float)


def r_mat(cols) -> np.ndarray:
    """A matrix stored column by column."""
    return np.column_stack([r_vec(c) for c in cols]) if cols else np.zeros((0, 0))


def rel_diff(ours, theirs) -> float:
    """Largest relative difference, NaN where both are NaN; values below 1e-7 of the array's largest
    are compared relative to that floor (residuals and centred terms cross 0)."""
    a, b = np.asarray(ours, dtype=float).ravel(), np.asarray(theirs, dtype=float).ravel()
    assert a.shape == b.shape, f"{a.shape} values vs R's {b.shape}"
    both_nan = np.isnan(a) & np.isnan(b)
    assert not (np.isnan(a) ^ np.isnan(b)).any(), f"NA pattern differs: ours {a[:6]}, R {b[:6]}"
    same_inf = np.isinf(a) & (a == b)
    ok = ~(both_nan | same_inf)
    if not ok.any() or not np.abs(b[ok]).max() and not np.abs(a[ok]).max():
        return 0.0
    scale = np.maximum(np.abs(b[ok]), 1e-7 * np.abs(b[ok]).max())
    return float(np.max(np.abs(a[ok] - b[ok]) / scale))


def fit_case(c: dict, **kw):
    """coxph on the fixture's data with the fixture's arguments; returns (fit, warning messages)."""
    args = {"ties": c["ties"], "iter_max": c["iter_max"]}
    if c.get("weights"):
        args["weights"] = c["weights"]
    if c.get("subset"):
        args["subset"] = c["subset"]
    if c.get("robust") is not None:
        args["robust"] = c["robust"]
    args.update(kw)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fit = coxph(c["formula"], dataset(c["dataset"]), **args)
    return fit, [str(x.message) for x in w]


def largest_differences() -> dict:
    """Largest relative difference from R per verb over every fixture (for reports:
    ``python -m tests.cox_r_cases``)."""
    from nlrstats.stats.survival import anova, basehaz, cox_zph
    out: dict[str, float] = {}

    def put(verb, value):
        out[verb] = max(out.get(verb, 0.0), value)

    fits = {}
    for c in cases():
        fit, _ = fit_case(c)
        fits[c["id"]] = fit
        coef = np.where(np.isinf(fit.coef), fit.fitdata.beta, fit.coef)
        put("coxph coef", rel_diff(coef, r_vec(c["coef"])))
        put("coxph var (vcov)", rel_diff(fit.var, r_mat(c["var"])))
        put("coxph loglik", rel_diff([fit.loglik_null, fit.loglik], r_vec(c["loglik"])))
        put("coxph score/wald/robust tests", rel_diff(fit.score_test, r_vec(c["score"])))
        if fit.wald_test is not None:
            put("coxph score/wald/robust tests", rel_diff(fit.wald_test, r_vec(c["wald"])))
        if c.get("rscore") is not None:
            put("coxph score/wald/robust tests", rel_diff(fit.robust_score, r_vec(c["rscore"])))
        if fit.nevent and not fit.monotone:
            t = fit.tidy(exponentiate=False)
            put("coxph tidy (se, z, p)", max(rel_diff(t[k].fill_null(np.nan), r_vec(c[r]))
                                             for k, r in (("std_error", "se"), ("statistic", "z"), ("p_value", "p"))))
            ci = fit.confint()
            put("confint", rel_diff(np.column_stack([ci["conf_low"].fill_null(np.nan),
                                                     ci["conf_high"].fill_null(np.nan)]), r_mat(c["confint"])))
        if fit.nevent:
            put("AIC", rel_diff(fit.aic(), r_vec(c["aic"])))
        if c.get("resid"):
            r = c["resid"]
            for k in ("martingale", "deviance"):
                put(f"residuals {k}", rel_diff(fit.residuals(k), r_vec(r[k])))
            for k in ("score", "dfbeta", "dfbetas"):
                put(f"residuals {k}", rel_diff(fit.residuals(k).to_numpy(), r_mat(r[k])))
            for k in ("schoenfeld", "scaledsch"):
                put(f"residuals {k}", rel_diff(fit.residuals(k).select(list(fit.terms)).to_numpy(), r_mat(r[k])))
            p = c["predict"]
            for k in ("lp", "risk", "expected", "survival"):
                put(f"predict {k}", rel_diff(fit.predict(type=k), r_vec(p[k])))
            put("predict terms", rel_diff(fit.predict(type="terms").to_numpy(), r_mat(p["terms"])))
            for k in ("lp", "risk", "expected"):
                put("predict se_fit", rel_diff(fit.predict(type=k, se_fit=True)["se_fit"], r_vec(p[k + "_se"])))
            for centered, key in ((True, "hazard"), (False, "hazard0")):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    put("basehaz", rel_diff(basehaz(fit, centered=centered)["hazard"], r_vec(c["basehaz"][key])))
        if c.get("newdata"):
            nd = dataset(c["dataset"])[c["newdata_rows"]]
            for k in ("lp", "risk", "expected"):
                put(f"predict {k} (newdata)", rel_diff(fit.predict(nd, type=k), r_vec(c["newdata"][k])))
        if c.get("survfit"):
            for which, r in c["survfit"].items():
                nd = None if which == "default" else dataset(c["dataset"])[c["newdata_rows"]]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    blocks = fit.survfit(nd).tidy().partition_by("curve", "strata", maintain_order=True)
                strata = np.array(r["strata"] if isinstance(r["strata"], list) else [r["strata"]])
                theirs = [(np.flatnonzero(strata == lab), j) for lab in dict.fromkeys(strata.tolist())
                          for j in range(r["ncurve"])]
                for cur, (rows, j) in zip(blocks, theirs):
                    for ours, key in (("estimate", "surv"), ("std_error", "std_err"), ("conf_low", "lower"),
                                      ("conf_high", "upper")):
                        put("survfit(coxph) surv/se/CI", rel_diff(cur[ours].fill_null(np.nan), r_mat(r[key])[rows, j]))
        for tr, r in (c.get("zph") or {}).items():
            z = cox_zph(fit, transform=tr).tidy()
            put("cox_zph", max(rel_diff(z["statistic"], r_vec(r["chisq"])), rel_diff(z["p_value"], r_vec(r["p"]))))
    for a in fixtures()["anova"]:
        models = a["models"] if isinstance(a["models"], list) else [a["models"]]
        tab = anova(*[fits[m] for m in models]).tidy()
        put("anova loglik", rel_diff(tab["loglik"], r_vec(a["loglik"])))
    return out


if __name__ == "__main__":
    for verb, v in largest_differences().items():
        print(f"{verb:<32} {v:.1e}")
