"""Cut-point analysis at scale: nlrstats.stats.cutpoint vs R maxstat / pROC in the same run.

    .venv/bin/python benchmarks/bench_cutpoint.py [--n 100000] [--repeat 3] [--boot-B 1000] [--boot-n 500]

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
from pathlib import Path

import numpy as np
import polars as pl

from nlrstats.stats.cutpoint import bootstrap_cutpoint, maxstat, roc


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=float, default=1e5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--boot-B", type=int, default=1000)
    ap.add_argument("--boot-n", type=int, default=500)
    a = ap.parse_args()
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
