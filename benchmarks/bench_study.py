"""The whole study at scale: read, validate, analyze and render the validation document, 10^3 to 10^6 patients.

    .venv/bin/python benchmarks/bench_study.py [--sizes 1e3,1e4,1e5,1e6] [--bootstrap 200] [--engine builtin]

For each size a cohort is simulated (``nlrstats simulate``, seed 1) and each stage runs in a fresh
process, as a user runs it, so one-off costs (imports, numba's cache) are in every figure:

* ``load``: ``load_cohort`` (read the CSV, map, validate, derive the markers);
* ``analyze``: ``load`` and ``analyze`` with the plan's bootstrap (capped at its size, see
  ``nlrstats.study.robustness.affordable_bootstrap``);
* ``render``: ``nlrstats render validation`` (built-in engine by default: kernel, every cell, every
  figure, pandoc, the self-contained HTML).

Seconds are wall time; memory is the peak of the summed resident memory of the stage's process tree
(for the render: the CLI, the kernel that holds the cohort, pandoc), sampled every 50 ms. The
targets of issue 13 on a 2-core machine: 10^6 rendered in <= 60 s with <= 4 GB, 10^5 in <= 15 s.
No test asserts a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

LOAD = "from nlrstats.data.cohort import load_cohort; load_cohort({path!r})"
ANALYZE = ("from nlrstats.data.cohort import load_cohort; from nlrstats.study.analyze import analyze; "
           "from nlrstats.study.plan import StudyPlan; "
           "analyze(load_cohort({path!r}), StudyPlan.fukuda2020().replace(bootstrap={bootstrap}))")


def run(args: list[str], env: dict | None = None, log: list | None = None) -> tuple[float, float]:
    """(wall seconds, peak GB) of a command: the largest sum of resident memory over its process tree.

    The tree (the render, its kernel, pandoc) is sampled every 50 ms with psutil. ``log`` receives the
    command's stderr lines (the render's progress lines, one per stage)."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    top, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [top, *top.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    reader.join()
    text = b"".join(err).decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed ({proc.returncode}):\n{text[-3000:]}")
    if log is not None:
        log.extend(text.splitlines())
    return wall, peak / 1024 ** 3


def bench(n: int, bootstrap: int, engine: str, work: Path) -> dict:
    data = work / f"sim{n}.csv"
    if not data.exists():
        subprocess.run([PY, "-m", "nlrstats.cli", "simulate", "--n", str(n), "--seed", "1", "--out", str(data)],
                       check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, MPLCONFIGDIR=str(work / "mpl"))
    row = {"n": n}
    row["load_s"], row["load_gb"] = run([PY, "-c", LOAD.format(path=str(data))], env)
    row["analyze_s"], row["analyze_gb"] = run([PY, "-c", ANALYZE.format(path=str(data), bootstrap=bootstrap)], env)
    row["stages"] = []
    row["render_s"], row["render_gb"] = run(
        [PY, "-m", "nlrstats.cli", "render", "validation", "--engine", engine, "--data", str(data),
         "-P", f"bootstrap:{bootstrap}", "--output-dir", str(work / f"out{n}")], env, row["stages"])
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6")
    ap.add_argument("--bootstrap", type=int, default=200, help="the plan's resamples (the document's default)")
    ap.add_argument("--engine", default="builtin", choices=("builtin", "quarto"))
    ap.add_argument("--keep", metavar="DIR", help="keep the cohorts and rendered documents in DIR")
    ap.add_argument("--stages", action="store_true", help="also print the render's line per stage, each size")
    a = ap.parse_args(argv)
    sizes = [int(float(s)) for s in a.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(a.keep) if a.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print("| patients | read + validate, s | analyze, s | analyze, GB | render, s | render, GB |")
        print("|---|---|---|---|---|---|")
        stages = []
        for n in sizes:
            r = bench(n, a.bootstrap, a.engine, work)
            print(f"| {n:,} | {r['load_s']:.1f} | {r['analyze_s']:.1f} | {r['analyze_gb']:.2f} | "
                  f"{r['render_s']:.1f} | {r['render_gb']:.2f} |", flush=True)
            stages.append((n, r["stages"]))
        for n, lines in stages if a.stages else ():
            print(f"\nrender stages at {n:,} patients (elapsed, stage, its own seconds):")
            print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
