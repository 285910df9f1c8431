"""Survival at scale: nlrstats vs lifelines, statsmodels and R's survival on the same cohorts, same run.

    .venv/bin/python benchmarks/bench_survival.py [--sizes 1e4,1e5,1e6] [--skip-slow] [--repeat 5]
    .venv/bin/python benchmarks/bench_survival.py --paths [--sizes 1e3,1e4,1e5,1e6]

``--paths`` times each kernel path of survfit (+ medians), survdiff, concordance and coxph on its
own (the reference numpy kernels, the compiled grid counts, the compiled two-group passes,
the pairwise and the compiled tree concordance), forcing the path, so that a fast path can
show what it earns over the reference.

For each size and time resolution (continuous times, and times rounded to 2 decimals, i.e.
heavy ties) it times three tasks on one simulated cohort:

* KM + medians: Kaplan-Meier by NLR group with the median and its CI per group
  (nlrstats ``survfit(...).median()``; lifelines KaplanMeierFitter + median CI;
  statsmodels SurvfuncRight + quantile_ci; R ``survfit`` + ``summary(fit)$table``).
* log-rank: two groups (``survdiff``; lifelines ``logrank_test``; statsmodels ``survdiff``;
  R ``survdiff``).
* Cox Efron: ``Surv(time, event) ~ nlr_group + age`` (nlrstats ``coxph(...)`` with ``tidy()`` and
  ``glance()``, i.e. including the concordance R computes in every fit; lifelines CoxPHFitter;
  statsmodels PHReg(ties="efron"); R ``coxph``).

Times are the minimum of ``--repeat`` runs (one run for peers that take over ~20 s); data
loading and conversion to each library's input format are excluded (R: ``system.time`` around
the call only, after ``read.csv``). Estimates are checked against nlrstats in the same run
(medians exactly, chi-square and coefficients to 1e-6 / 1e-4 relative) and the table prints
seconds and the ratio nlrstats / fastest peer. ``--skip-slow`` skips the lifelines and
statsmodels Cox fits at sizes >= 1e6, where they take minutes (their KM and log-rank still run).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

FORMULA_KM = "Surv(time, event) ~ nlr_group"
FORMULA_COX = "Surv(time, event) ~ nlr_group + age"
LOW, HIGH = "NLR < 8", "NLR >= 8"


def make_cohort(n: int, rounded: bool, seed: int = 2020) -> pl.DataFrame:
    """Exponential survival with hazard ratio 2 for high NLR and 2% per year of age, uniform censoring."""
    rng = np.random.default_rng(seed)
    high = rng.random(n) < 0.3
    age = np.round(rng.normal(65, 10, n))
    rate = 0.1 * np.exp(np.log(2.0) * high + 0.02 * (age - 65))
    t_event = rng.exponential(1 / rate)
    t_cens = rng.uniform(0, 30, n)
    time_ = np.minimum(t_event, t_cens)
    if rounded:
        time_ = np.maximum(np.round(time_, 2), 0.01)
    return pl.DataFrame({"time": time_, "event": (t_event <= t_cens).astype(np.int64),
                         "nlr_group": np.where(high, HIGH, LOW), "age": age})


def best_of(fn, repeat):
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        if best > 20:
            break
    return best, out


# --- nlrstats --------------------------------------------------------------------------
def run_nlrstats(df, repeat):
    from nlrstats.stats.survival import coxph, survdiff, survfit

    res = {}
    t, med = best_of(lambda: survfit(FORMULA_KM, df).median(), repeat)
    res["km"] = (t, med["median"].to_list())
    t, d = best_of(lambda: survdiff(FORMULA_KM, df), repeat)
    res["logrank"] = (t, d.statistic)

    def cox():
        fit = coxph(FORMULA_COX, df)
        return fit.tidy(exponentiate=False), fit.glance()

    t, (tidy, _) = best_of(cox, repeat)
    res["cox"] = (t, tidy["estimate"].to_list())
    return res


# --- lifelines -------------------------------------------------------------------------
def run_lifelines(df, repeat, cox=True):
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from lifelines.utils import median_survival_times

    pdf = df.to_pandas()
    T, E, G = pdf["time"].to_numpy(), pdf["event"].to_numpy(), pdf["nlr_group"].to_numpy()
    masks = [G == LOW, G == HIGH]
    res = {}

    def km():
        meds = []
        for m in masks:
            k = KaplanMeierFitter().fit(T[m], E[m])
            median_survival_times(k.confidence_interval_)
            meds.append(k.median_survival_time_)
        return meds

    res["km"] = best_of(km, repeat)
    t, r = best_of(lambda: logrank_test(T[masks[0]], T[masks[1]], E[masks[0]], E[masks[1]]), repeat)
    res["logrank"] = (t, r.test_statistic)
    if not cox:
        return res
    cdf = pdf.assign(nlr_high=(pdf["nlr_group"] == HIGH).astype(float))[["time", "event", "nlr_high", "age"]]

    def cox():
        f = CoxPHFitter().fit(cdf, "time", "event")
        return f.params_.to_list()

    res["cox"] = best_of(cox, repeat)
    return res


# --- statsmodels -----------------------------------------------------------------------
def run_statsmodels(df, repeat, cox=True):
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    T, E = df["time"].to_numpy(), df["event"].to_numpy()
    G = (df["nlr_group"] == HIGH).to_numpy()
    res = {}

    def km():
        meds = []
        for m in (~G, G):
            sf = SurvfuncRight(T[m], E[m])
            sf.quantile_ci(0.5)
            meds.append(sf.quantile(0.5))
        return meds

    res["km"] = best_of(km, repeat)
    t, r = best_of(lambda: survdiff(T, E, G.astype(int)), repeat)
    res["logrank"] = (t, r[0])
    if not cox:
        return res
    exog = np.column_stack([G.astype(float), df["age"].to_numpy()])
    t, r = best_of(lambda: PHReg(T, exog, status=E, ties="efron").fit(), repeat)
    res["cox"] = (t, list(r.params))
    return res


# --- R ---------------------------------------------------------------------------------
R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(TRUE); d <- read.csv(args[1], stringsAsFactors = FALSE); rep <- as.integer(args[2])
best <- function(f) { b <- Inf; v <- NULL
  for (i in seq_len(rep)) { tt <- system.time(v <- f())[["elapsed"]]; b <- min(b, tt); if (b > 20) break }
  list(t = b, v = v) }
km <- best(function() { f <- survfit(Surv(time, event) ~ nlr_group, d); summary(f)$table[, "median"] })
lr <- best(function() survdiff(Surv(time, event) ~ nlr_group, d)$chisq)
cx <- best(function() unname(coef(coxph(Surv(time, event) ~ nlr_group + age, d))))
cat(sprintf('{"km": [%.6f, [%s]], "logrank": [%.6f, %.17g], "cox": [%.6f, [%s]]}\n',
    km$t, paste(sprintf("%.17g", km$v), collapse = ","), lr$t, lr$v,
    cx$t, paste(sprintf("%.17g", cx$v), collapse = ",")))
"""


def run_r(df, repeat, workdir):
    path = Path(workdir) / "cohort.csv"
    df.write_csv(path, float_precision=17)
    script = Path(workdir) / "bench.R"
    script.write_text(R_SCRIPT)
    out = subprocess.run(["Rscript", str(script), str(path), str(repeat)], capture_output=True, text=True,
                         check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {k: (v[0], v[1]) for k, v in res.items()}


# --- kernel paths ----------------------------------------------------------------------
def run_paths(sizes, repeat):
    """Seconds per kernel path (each forced), for continuous and 2-decimal times."""
    import contextlib

    import nlrstats.stats.survival._data as sdata
    import nlrstats.stats.survival.km as km
    import nlrstats.stats.survival.logrank as lr
    from nlrstats.stats.survival import coxph, survdiff, survfit
    from nlrstats.stats.survival._concordance_counts import concordance_core

    @contextlib.contextmanager
    def forced(jit_min_rows, no_grid=False):
        saved = sdata.JIT_MIN_ROWS, km.grid_table, lr.grid_table
        sdata.JIT_MIN_ROWS = jit_min_rows
        if no_grid:
            km.grid_table = lr.grid_table = lambda *a, **k: None
        try:
            yield
        finally:
            sdata.JIT_MIN_ROWS, km.grid_table, lr.grid_table = saved

    never = 10 ** 12
    paths = {"reference (numpy)": (never, False), "grid (compiled)": (0, False),
             "two-group (compiled)": (0, True)}
    with forced(0):  # load the compiled kernels once, outside the timings
        warm = make_cohort(3000, True)
        survfit(FORMULA_KM, warm).median(), survdiff(FORMULA_KM, warm)
        warm = make_cohort(3000, False)
        survfit(FORMULA_KM, warm).median(), survdiff(FORMULA_KM, warm)
        concordance_core(warm["time"].to_numpy(), warm["event"].to_numpy(), warm["age"].to_numpy(), method="tree")
        coxph(FORMULA_COX, warm)
    rows = []
    for n in sizes:
        for rounded in (False, True):
            start = len(rows)
            df = make_cohort(n, rounded)
            label = "2 decimals" if rounded else "continuous"
            for verb, call in (("survfit + median", lambda: survfit(FORMULA_KM, df).median()),
                               ("survdiff", lambda: survdiff(FORMULA_KM, df))):
                for name, (jmr, no_grid) in paths.items():
                    if name.startswith("grid") and not rounded:
                        continue
                    with forced(jmr, no_grid):
                        t, _ = best_of(call, repeat)
                    rows.append({"n": n, "times": label, "verb": verb, "path": name, "seconds": t})
            t_, e_ = df["time"].to_numpy(), df["event"].to_numpy()
            lps = {"lp group + age": 0.69 * (df["nlr_group"] == HIGH).to_numpy() + 0.02 * df["age"].to_numpy(),
                   "lp continuous": np.random.default_rng(1).normal(size=n)}
            for lpname, lp in lps.items():
                for method, name in (("pairs", "pairs (numpy, reference)"), ("tree", "tree (compiled)")):
                    if method == "pairs" and n > 10_000:
                        continue  # O(events x n)
                    t, _ = best_of(lambda: concordance_core(t_, e_, lp, method=method), repeat)
                    rows.append({"n": n, "times": label, "verb": f"concordance ({lpname})", "path": name,
                                 "seconds": t})
            for name, jmr in (("reference (numpy)", never), ("compiled", 0)):  # the Newton iterations
                with forced(jmr):
                    t, _ = best_of(lambda: coxph(FORMULA_COX, df), repeat)
                rows.append({"n": n, "times": label, "verb": "coxph (Efron, fit only)", "path": name, "seconds": t})
            for r in rows[start:]:
                print(f"  n={r['n']:>8} {r['times']:<10} {r['verb']:<30} {r['path']:<26} {r['seconds']:.4f}s",
                      flush=True)
    table = pl.DataFrame(rows).pivot(on="n", index=["times", "verb", "path"], values="seconds")
    with pl.Config(tbl_rows=100, tbl_cols=20, float_precision=4, tbl_width_chars=200, fmt_str_lengths=40,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(table)


# --- comparison ------------------------------------------------------------------------
def agree(task, ours, theirs):
    if theirs is None:
        return True
    a, b = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    if task == "km":
        return bool(np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True))
    rtol = 1e-6 if task == "logrank" else 1e-4
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e4,1e5,1e6")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-slow", action="store_true",
                    help="skip the lifelines and statsmodels Cox fits at sizes >= 1e6")
    ap.add_argument("--no-r", action="store_true", help="do not run R even if Rscript is on PATH")
    ap.add_argument("--paths", action="store_true",
                    help="time each kernel path of survfit, survdiff, concordance and coxph")
    args = ap.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    if args.paths:
        run_paths(sizes, args.repeat)
        return
    have_r = shutil.which("Rscript") is not None and not args.no_r
    tasks = {"km": "KM + medians", "logrank": "log-rank", "cox": "Cox Efron"}
    rows = []
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for rounded in (False, True):
                df = make_cohort(n, rounded)
                label = "2 decimals" if rounded else "continuous"
                peers = {}
                ours = run_nlrstats(df, args.repeat)
                slow = args.skip_slow and n >= 1_000_000
                peers["lifelines"] = run_lifelines(df, args.repeat, cox=not slow)
                peers["statsmodels"] = run_statsmodels(df, args.repeat, cox=not slow)
                if have_r:
                    peers["R survival"] = run_r(df, args.repeat, tmp)
                for task, name in tasks.items():
                    t_ours, v_ours = ours[task]
                    row = {"n": n, "times": label, "task": name, "nlrstats": t_ours}
                    ok = []
                    for peer in ("lifelines", "statsmodels", "R survival"):
                        if peer in peers and task in peers[peer]:
                            t, v = peers[peer][task]
                            row[peer] = t
                            # lifelines/statsmodels KM medians use other CI/median rules: check estimates only
                            ok.append(agree(task, v_ours, v))
                        else:
                            row[peer] = None
                    times = {p: row[p] for p in ("lifelines", "statsmodels", "R survival") if row[p] is not None}
                    fastest = min(times, key=times.get) if times else None
                    row["fastest peer"] = fastest
                    row["ratio"] = t_ours / times[fastest] if fastest else None
                    row["agree"] = "yes" if all(ok) else "NO"
                    rows.append(row)
                    print(f"  n={n:>8} {label:<10} {name:<13} nlrstats {t_ours:8.3f}s  " + "  ".join(
                        f"{p} {row[p]:.3f}s" for p in times) + f"  ratio {row['ratio'] or float('nan'):.3f}"
                        f"  agree {row['agree']}", flush=True)
    table = pl.DataFrame(rows)
    with pl.Config(tbl_rows=100, tbl_cols=20, float_precision=3, tbl_width_chars=200,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(table)


if __name__ == "__main__":
    main()
