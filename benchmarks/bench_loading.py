"""Loading speed: ``load_cohort`` on simulated files of 10^5 and 10^6 patients.

    .venv/bin/python benchmarks/bench_loading.py [--n 100000 1000000] [--repeat 3]

Writes, per size, the canonical CSV, the hospital-export CSV with its mapping (other names,
words, cells/uL, days) and a Parquet file to a temporary folder, then prints the median
seconds of ``--repeat`` loads of each (reading, mapping, validation and markers; no statistics).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from nlrstats.data.cohort import load_cohort
from nlrstats.data.simulate import simulate_cohort, write_cohort, write_foreign_cohort


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'n':>9}  {'file':<22} {'seconds':>8}")
        for n in args.n:
            frame = simulate_cohort(n, seed=1, missing_d14=0.1)
            # the simulator's log-normal tail passes the plausible range about once in 5 x 10^5 rows
            frame = frame.with_columns(pl.col("neutrophils_d0", "neutrophils_d14").clip(upper_bound=150.0))
            frame = frame.with_columns(pl.max_horizontal("wbc", pl.col("neutrophils_d0") + 1.0).alias("wbc"))
            canon = write_cohort(frame, tmp / f"c{n}.csv")
            pq = write_cohort(frame, tmp / f"c{n}.parquet")
            data, mapping = write_foreign_cohort(frame, tmp / f"h{n}.csv", tmp / f"h{n}.toml")
            for label, fn in (("canonical csv", lambda: load_cohort(canon)),
                              ("hospital csv + mapping", lambda: load_cohort(data, mapping)),
                              ("parquet", lambda: load_cohort(pq))):
                print(f"{n:>9}  {label:<22} {_time(fn, args.repeat):8.2f}", flush=True)


if __name__ == "__main__":
    main()
