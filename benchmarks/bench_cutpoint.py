"""Cut-point analysis and the tests of Table 1 at scale: time and memory, and vs R maxstat / pROC.

    .venv/bin/python benchmarks/bench_cutpoint.py [--n 100000] [--repeat 3] [--boot-B 1000] [--boot-n 500]
    .venv/bin/python benchmarks/bench_cutpoint.py --scale [--sizes 1000 10000 100000 1000000]

``--scale`` measures, at each cohort size, seconds and peak traced memory (tracemalloc: numpy
and Python allocations) of what the study runs: Fisher 2 x 2 and r x c (2 x 5, 3 x 3, 5 x 4) with
``simulate_p_value="auto"`` (exact when :func:`fisher_feasible` and the walk's budget allow,
else R's Monte Carlo with B = 2000 and a stated seed; the method that ran is printed), the
chi-square test, the rank tests from value counts, maxstat with ``pmethod="auto"``, the ROC
curve with its DeLong CI, pROC's bootstrap CI (2000 replicates, or fewer at 10^6 with the time
per replicate), and the cut-point bootstrap (B = 200).

Tasks (times are the minimum of ``--repeat`` runs; R is timed with ``system.time`` around the
call only, after ``read.csv``, so R start-up and I/O are excluded):

* maxstat: ``maxstat("Surv(time, event) ~ nlr", pmethod="Lau94")`` on n patients with a
  continuous NLR rounded to 0.1 (ties) vs R ``maxstat.test(..., smethod="LogRank",
  pmethod="Lau94")``; cut and statistic checked against R in the same run.
* roc: ``roc`` (curve, AUC, DeLong CI) + ``youden()`` vs R ``roc`` + ``ci.auc`` + ``coords("best")``.
* bootstrap: ``bootstrap_cutpoint`` with B resamples of n_boot patients; R has no such
  function, so the same loop is timed in R (maxstat.test + two coxph per resample) on
  B_R = B / 10 resamples and scaled per resample.
Prints seconds and the ratio nlrstats / R.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import polars as pl

from nlrstats.stats.cutpoint import bootstrap_cutpoint, ci_auc, maxstat, roc
from nlrstats.stats.htest import chisq_test, fisher_feasible, fisher_test
from nlrstats.stats.htest.kruskal import kruskal_from_counts
from nlrstats.stats.htest.rank_counts import wilcox_from_counts


def make(n: int, seed: int = 8) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    nlr = np.round(rng.lognormal(np.log(5), 0.6, n), 1)
    rate = 0.1 * np.exp(np.log(2.0) * (nlr >= 8))
    te = rng.exponential(1 / rate)
    tc = rng.uniform(0, 30, n)
    return pl.DataFrame({"time": np.minimum(te, tc), "event": (te <= tc).astype(np.int64), "nlr": nlr,
                         "dc": (rng.random(n) < 1 / (1 + np.exp(-(2 - 0.3 * nlr)))).astype(np.int64)})


def best_of(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


R_SCRIPT = r"""
suppressPackageStartupMessages({library(maxstat); library(survival); library(pROC)})
args <- commandArgs(TRUE); d <- read.csv(args[1]); db <- read.csv(args[2]); BR <- as.integer(args[3])
rep <- as.integer(args[4]); best <- function(expr) min(replicate(rep, system.time(eval(expr))[["elapsed"]]))
ms <- NULL
t_ms <- best(quote(ms <<- maxstat.test(Surv(time, event) ~ nlr, data = d, smethod = "LogRank", pmethod = "Lau94")))
t_roc <- best(quote({r <- roc(d$dc, d$nlr, quiet = TRUE); ci <- ci.auc(r); b <- coords(r, "best")}))
set.seed(1)
t_boot <- system.time(for (i in 1:BR) {
  s <- db[sample.int(nrow(db), replace = TRUE), ]
  m <- maxstat.test(Surv(time, event) ~ nlr, data = s, smethod = "LogRank", pmethod = "none")
  s$hi <- s$nlr > m$estimate; db$hi <- db$nlr > m$estimate
  a <- coef(coxph(Surv(time, event) ~ hi, data = s)); b <- coef(coxph(Surv(time, event) ~ hi, data = db))
})[["elapsed"]]
cat(jsonlite::toJSON(list(maxstat = t_ms, roc = t_roc, boot = t_boot, cut = unname(ms$estimate),
                          stat = unname(ms$statistic), p = ms$p.value), auto_unbox = TRUE, digits = NA))
"""


def measured(fn, mem_fn=None):
    """(seconds, peak traced MB, result): timed untraced (tracemalloc slows Python-level loops many
    times), then traced once more for the memory, with ``mem_fn`` (a cheaper call of the same
    shape, e.g. fewer replicates) when given."""
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    tracemalloc.start()
    (mem_fn or fn)()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return dt, peak, out


def scale_cohort(n: int, seed: int = 11) -> pl.DataFrame:
    """A simulated cohort with the variables Table 1, the response table and the cut-point section use."""
    rng = np.random.default_rng(seed)
    nlr = np.round(rng.lognormal(np.log(5), 0.6, n), 1)
    high = nlr >= 8
    rate = 0.1 * np.exp(np.log(2.0) * high)
    te, tc = rng.exponential(1 / rate), rng.uniform(0, 30, n)
    resp = np.where(rng.random(n) < np.where(high, 0.3, 0.6), rng.choice(["CR", "PR", "SD"], n, p=[.1, .4, .5]),
                    rng.choice(["PD", "NE"], n, p=[.9, .1]))
    return pl.DataFrame({
        "nlr": nlr, "high": high, "time": np.minimum(te, tc), "event": (te <= tc).astype(np.int64),
        "dc": np.isin(resp, ["CR", "PR", "SD"]).astype(np.int64), "response": resp,
        "sex": rng.choice(["F", "M"], n), "ecog": rng.choice(5, n, p=[.3, .35, .2, .1, .05]),
        "quartile": np.searchsorted(np.quantile(nlr, [.25, .5, .75]), nlr, side="right"),
        "stage": rng.choice(["I", "II", "III"], n), "site": rng.choice(["a", "b", "c"], n),
        "age": np.round(rng.normal(65, 10, n)),
    })


def _table(d: pl.DataFrame, a: str, b: str) -> np.ndarray:
    return d.group_by([a, b]).len().pivot(on=b, index=a, values="len").sort(a).drop(a).fill_null(0).to_numpy()


def scale(sizes: list[int]) -> None:
    print("Time (s, one untraced call) and peak traced memory (MB, tracemalloc) by cohort size; "
          "method = what ran")
    print(f"{'task':<46}{'n':>9}{'s':>9}{'MB':>9}  method")
    for n in sizes:
        d = scale_cohort(n)
        rows = []
        for name, a, b in (("Fisher 2x2 (sex x NLR group)", "sex", "high"),
                           ("Fisher 2x5 (response x NLR group)", "response", "high"),
                           ("Fisher 3x3 (stage x site)", "stage", "site"),
                           ("Fisher 5x4 (ECOG x NLR quartile)", "ecog", "quartile")):
            tab = _table(d, a, b)
            tf, _, feas = measured(lambda: fisher_feasible(tab))
            t, mb, h = measured(lambda: fisher_test(tab, simulate_p_value="auto", B=2000, seed=1))
            how = "exact" if h.replicates is None else f"Monte Carlo B={h.replicates} seed={h.seed}"
            rows.append((name, t, mb, f"{how}; feasibility check {tf * 1e3:.1f} ms ({'yes' if feas else 'no'})"))
            if tab.shape != (2, 2):
                t, mb, h = measured(lambda: chisq_test(tab, correct=False))
                rows.append((name.replace("Fisher", "chi-square"), t, mb, h.method))
        def counts(col: str, levels: int):
            q = d.group_by(["age", col]).len().sort("age")
            vals = np.unique(q["age"].to_numpy())
            mat = np.zeros((vals.size, levels))
            np.add.at(mat, (np.searchsorted(vals, q["age"].to_numpy()), q[col].cast(pl.Int64).to_numpy()), q["len"].to_numpy())
            return mat
        t, mb, h = measured(lambda: wilcox_from_counts(counts("high", 2)))
        rows.append(("Wilcoxon rank sum (age by NLR group, counts)", t, mb, h.method))
        t, mb, h = measured(lambda: kruskal_from_counts(counts("quartile", 4)))
        rows.append(("Kruskal-Wallis (age by NLR quartile, counts)", t, mb, h.method))
        t, mb, m = measured(lambda: maxstat("Surv(time, event) ~ nlr", d, pmethod="auto"))
        rows.append(("maxstat LogRank, pmethod='auto'", t, mb, f"{m.pmethod} ({m.cuts.size} cuts)"))
        t, mb, r = measured(lambda: roc("dc", "nlr", data=d))
        rows.append(("roc + DeLong CI", t, mb, "DeLong"))
        bn = 2000 if n <= 100_000 else 100
        t, mb, c = measured(lambda: ci_auc(r, method="bootstrap", boot_n=bn, seed=1),
                            lambda: ci_auc(r, method="bootstrap", boot_n=20, seed=1))
        note = f"{bn} replicates, {t / bn * 1e3:.2f} ms each" + ("" if bn == 2000 else f" (2000: ~{t / bn * 2000:.0f} s)")
        rows.append(("pROC ci.auc bootstrap (stratified)", t, mb, note))
        bb = 200 if n <= 100_000 else 10
        t, mb, _ = measured(lambda: bootstrap_cutpoint("Surv(time, event) ~ nlr", d, B=bb, seed=1, progress=False),
                            lambda: bootstrap_cutpoint("Surv(time, event) ~ nlr", d, B=5, seed=1, progress=False))
        note = f"B={bb}" + ("" if bb == 200 else f" (B=200: ~{t / bb * 200:.0f} s)")
        rows.append(("bootstrap_cutpoint (maxstat + 2 Cox per resample)", t, mb, note))
        for name, t, mb, how in rows:
            print(f"{name:<46}{n:>9,}{t:9.3f}{mb:9.1f}  {how}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=float, default=1e5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--boot-B", type=int, default=1000)
    ap.add_argument("--boot-n", type=int, default=500)
    ap.add_argument("--scale", action="store_true", help="time and memory at 10^3..10^6 patients")
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6])
    a = ap.parse_args()
    if a.scale:
        scale([int(v) for v in a.sizes])
        return
    n = int(a.n)
    d = make(n)
    db = make(a.boot_n, seed=9)

    t_ms, ms = best_of(lambda: maxstat("Surv(time, event) ~ nlr", d, pmethod="Lau94"), a.repeat)
    t_roc, _ = best_of(lambda: roc("dc", "nlr", data=d).youden(), a.repeat)
    t_boot, bt = best_of(lambda: bootstrap_cutpoint("Surv(time, event) ~ nlr", db, B=a.boot_B, seed=1,
                                                    window=1.0, progress=False), 1)

    r = None
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            p1, p2, ps = Path(tmp, "d.csv"), Path(tmp, "db.csv"), Path(tmp, "b.R")
            d.write_csv(p1)
            db.write_csv(p2)
            ps.write_text(R_SCRIPT)
            out = subprocess.run(["Rscript", str(ps), str(p1), str(p2), str(max(1, a.boot_B // 10)),
                                  str(a.repeat)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"cut-point benchmarks (n = {n:,}; bootstrap B = {a.boot_B} on {a.boot_n} patients)")
    print(f"{'task':<34}{'nlrstats s':>12}{'R s':>12}{'ratio':>9}")
    rows = [("maxstat LogRank + Lau94", t_ms, r and r["maxstat"]),
            ("roc + DeLong CI + Youden", t_roc, r and r["roc"])]
    if r:
        rows.append((f"bootstrap B={a.boot_B} (R scaled from B/10)", t_boot, r["boot"] * 10))
    else:
        rows.append((f"bootstrap B={a.boot_B}", t_boot, None))
    for name, ours, theirs in rows:
        rs = f"{theirs:12.3f}" if theirs else f"{'-':>12}"
        ratio = f"{ours / theirs:9.3f}" if theirs else f"{'-':>9}"
        print(f"{name:<34}{ours:12.3f}{rs}{ratio}")
    if r:
        print(f"agreement: cut {ms.estimate} vs R {r['cut']}; |M - M_R| = {abs(ms.statistic - r['stat']):.2e}; "
              f"|p - p_R| = {abs(ms.p_value - r['p']):.2e}")
    print(f"bootstrap: cut median {np.nanmedian(bt.cuts):.3g}, share in window {bt.share_in_window:.3f}, "
          f"HR apparent {bt.hr_apparent:.3f}, corrected {bt.hr_corrected:.3f}")


if __name__ == "__main__":
    main()
