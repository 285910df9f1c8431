"""Table 1 at scale: nlrstats.summarize vs tableone on the same simulated cohort, same run.

    .venv/bin/python benchmarks/bench_table_one.py [--n 1000000] [--repeat 3]

Prints seconds for each tool and their ratio, and (second part) the rank-sum test from
value counts against scipy's ``mannwhitneyu`` on the same tied clinical columns, with the
p-values side by side. Times are medians of ``--repeat`` runs (tableone: one run, it is slow).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import polars as pl

CONTINUOUS = ["age", "tumor_size_cm", "wbc", "neutrophils_d0", "lymphocytes_d0", "nlr_d0", "platelets_d0",
              "monocytes_d0"]
CATEGORICAL = ["sex", "ecog", "distant_metastasis", "best_response"]
VARIABLES = ["age", "sex", "ecog", "distant_metastasis", "tumor_size_cm", "wbc", "neutrophils_d0", "lymphocytes_d0",
             "nlr_d0", "platelets_d0", "monocytes_d0", "best_response"]


def make_data(n: int, seed: int) -> pl.DataFrame:
    try:
        from nlrstats.data.simulate import simulate_cohort

        df = simulate_cohort(n, seed=seed)
    except ImportError:  # the simulator has not landed: a schema-shaped frame from numpy
        rng = np.random.default_rng(seed)
        df = pl.DataFrame({
            "age": np.round(rng.normal(70, 9, n)), "sex": rng.choice(["F", "M"], n),
            "ecog": rng.choice(5, n, p=[.2, .4, .25, .1, .05]), "distant_metastasis": rng.random(n) < .6,
            "tumor_size_cm": np.round(rng.gamma(6, 1.2, n), 1), "wbc": np.round(rng.lognormal(2.2, .3, n), 2),
            "neutrophils_d0": np.round(rng.lognormal(1.8, .35, n), 2),
            "lymphocytes_d0": np.round(rng.lognormal(.2, .4, n), 2),
            "monocytes_d0": np.round(rng.lognormal(-.6, .3, n), 2), "platelets_d0": np.round(rng.normal(280, 70, n)),
            "best_response": rng.choice(["CR", "PR", "SD", "PD", "NE"], n, p=[.02, .2, .45, .28, .05]),
        })
    return df.with_columns(nlr_d0=pl.col("neutrophils_d0") / pl.col("lymphocytes_d0")).with_columns(
        nlr_group=pl.when(pl.col("nlr_d0") >= 8).then(pl.lit("NLR ≥ 8")).otherwise(pl.lit("NLR < 8"))
        .cast(pl.Enum(["NLR < 8", "NLR ≥ 8"]))
    ).select(VARIABLES + ["nlr_group"])


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-tableone", action="store_true")
    args = ap.parse_args()

    from nlrstats.stats.htest.rank import wilcox_from_counts
    from nlrstats.study.table_one import summarize
    from nlrstats.study.table_one_stats import counts_matrix

    df = make_data(args.n, args.seed)
    n_dist = df.select(pl.col(CONTINUOUS).n_unique()).row(0)
    print(f"data: {df.height:,} patients x {len(VARIABLES)} variables by nlr_group "
          f"({df['nlr_group'].value_counts().sort('nlr_group').rows()}); distinct values of the continuous "
          f"columns: {dict(zip(CONTINUOUS, n_dist))}")

    t_ours, tab = timed(lambda: summarize(df, by="nlr_group", variables=VARIABLES), args.repeat)
    print(f"nlrstats.summarize : {t_ours:8.3f} s  (median of {args.repeat}; descriptive statistics + "
          f"{tab.tests()['p_value'].is_not_null().sum()} tests)")

    if not args.skip_tableone:
        import tableone

        pdf = df.with_columns(pl.col("nlr_group").cast(pl.String)).to_pandas()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_peer, peer = timed(lambda: tableone.TableOne(
                pdf, columns=VARIABLES, categorical=CATEGORICAL, continuous=CONTINUOUS, nonnormal=CONTINUOUS,
                groupby="nlr_group", pval=True, htest_name=True, min_max=CONTINUOUS), 1)
        print(f"tableone {tableone.__version__:>9} : {t_peer:8.3f} s  (one run; same variables, nonnormal "
              f"continuous -> Kruskal-Wallis, categorical -> chi-square)")
        print(f"ratio tableone / nlrstats: {t_peer / t_ours:6.1f}x")

    # rank-sum test: value counts (polars group_by + cumulative counts) vs scipy on the raw columns
    from scipy import stats

    low = df.filter(pl.col("nlr_group") == "NLR < 8")
    high = df.filter(pl.col("nlr_group") == "NLR ≥ 8")

    def ours():
        # one lazy value-count query per column, collected together (as summarize does)
        lf = df.lazy()
        frames = pl.collect_all([lf.filter(pl.col(v).is_not_null()).group_by([v, "nlr_group"]).len(name="n")
                                 for v in CONTINUOUS])
        out = {}
        for v, vc in zip(CONTINUOUS, frames):
            codes = vc["nlr_group"].to_physical().to_numpy().astype(np.int64)
            _, mat = counts_matrix(vc[v].to_numpy(), codes, 2, vc["n"].to_numpy().astype(float))
            out[v] = wilcox_from_counts(mat).p_value
        return out

    def scipy_mw():
        return {v: stats.mannwhitneyu(low[v].drop_nulls().to_numpy(), high[v].drop_nulls().to_numpy(),
                                      use_continuity=True, method="asymptotic").pvalue for v in CONTINUOUS}

    t_vc, p_vc = timed(ours, args.repeat)
    t_sp, p_sp = timed(scipy_mw, args.repeat)
    print(f"rank-sum tests on {len(CONTINUOUS)} columns: value counts {t_vc:.3f} s, scipy mannwhitneyu "
          f"{t_sp:.3f} s, ratio {t_sp / t_vc:.1f}x")
    worst = max(abs(p_vc[v] - p_sp[v]) / max(p_sp[v], 1e-300) for v in CONTINUOUS if p_sp[v] > 0)
    print(f"largest relative p-value difference vs scipy: {worst:.2e}")


if __name__ == "__main__":
    main()
