"""Bootstrap stability of a data-driven cut-point and Harrell's optimism-corrected hazard ratio."""

from __future__ import annotations

import math
import sys
import time as _time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np
import polars as pl

from nlrstats.stats.formula import parse_surv_formula
from nlrstats.stats.result import Result
from nlrstats.stats.cores import second_core
from nlrstats.stats.cutpoint._batch import (cox_binary_batch, cox_sorted, resample_by_time, scan_batch, scan_bounds,
                                            scan_sorted)
from nlrstats.stats.cutpoint._inputs import surv_columns

__all__ = ["bootstrap_cutpoint", "BootstrapCutpointResult"]

# Resample cells (B x n) per chunk: bounds memory; the progress line advances per chunk.
_CHUNK_CELLS = 250_000
_PROGRESS_CELLS = 5_000_000
# From this many resample cells chunks run on two cores (below, a thread costs more than it saves)
_PARALLEL_CELLS = 1_000_000
# From this many the compiled kernel runs (it pays numba's import, ~0.4 s once per process)
_JIT_CELLS = 2_000_000


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class BootstrapCutpointResult(Result):
    """Bootstrap distribution of the maxstat cut and the optimism-corrected hazard ratio.

    Attributes
    ----------
    cut : float
        The maxstat cut on the original data (groups ``marker > cut`` vs ``<= cut``).
    cuts : numpy.ndarray
        The cut chosen in each resample (NaN where no admissible cut existed).
    window : (float, float)
        The stated window around ``published``; ``share_in_window`` is the share of the
        successful resamples whose cut lies in it (ends included).
    log_hr_apparent : float
        Cox (Efron) log HR of ``marker > cut`` on the original data.
    optimism : float or None
        Mean over resamples of (log HR in the resample at its own cut) - (log HR on the
        original data at the resample's cut), Harrell (2015) section 5.3; resamples where
        either HR is infinite (monotone likelihood) are left out and counted in ``n_infinite``.
    log_hr_corrected : float or None
        ``log_hr_apparent - optimism``; ``hr_*`` are the exponentiated values.
    """

    formula: str
    cut: float
    cuts: np.ndarray = field(repr=False)
    statistics: np.ndarray = field(repr=False)
    log_hr_boot: np.ndarray = field(repr=False)
    log_hr_test: np.ndarray = field(repr=False)
    B: int = 0
    seed: int | None = None
    published: float | None = None
    window: tuple[float, float] | None = None
    share_in_window: float | None = None
    log_hr_apparent: float = 0.0
    optimism: float | None = None
    log_hr_corrected: float | None = None
    n: int = 0
    n_missing: int = 0
    n_failed: int = 0
    n_infinite: int = 0
    minprop: float = 0.1
    maxprop: float = 0.9
    seconds: float = 0.0

    @property
    def hr_apparent(self) -> float:
        return math.exp(self.log_hr_apparent)

    @property
    def hr_corrected(self) -> float | None:
        return None if self.log_hr_corrected is None else math.exp(self.log_hr_corrected)

    def cut_quantiles(self, probs=(0.025, 0.25, 0.5, 0.75, 0.975)) -> pl.DataFrame:
        """Quantiles of the resampled cuts (R's default type 7)."""
        ok = self.cuts[np.isfinite(self.cuts)]
        return pl.DataFrame({"prob": list(probs), "cut": np.quantile(ok, probs).tolist()})

    def tidy(self) -> pl.DataFrame:
        """One row per resample: replicate, cut, statistic, log_hr_boot, log_hr_test (nulls where failed)."""
        def col(a):
            return pl.Series(a.astype(float), nan_to_null=True)
        return pl.DataFrame({"replicate": np.arange(1, self.B + 1), "cut": col(self.cuts),
                             "statistic": col(self.statistics), "log_hr_boot": col(self.log_hr_boot),
                             "log_hr_test": col(self.log_hr_test)})

    def glance(self) -> pl.DataFrame:
        """One row: cut, cut quantiles, share in window, apparent / optimism / corrected HR, counts."""
        q = np.quantile(self.cuts[np.isfinite(self.cuts)], [0.025, 0.5, 0.975]) \
            if np.isfinite(self.cuts).any() else [None] * 3
        lo, hi = self.window if self.window is not None else (None, None)
        return pl.DataFrame({
            "cut": [self.cut], "cut_median": [q[1]], "cut_q025": [q[0]], "cut_q975": [q[2]],
            "published": [self.published], "window_low": [lo], "window_high": [hi],
            "share_in_window": [self.share_in_window], "hr_apparent": [self.hr_apparent],
            "optimism": [self.optimism], "hr_corrected": [self.hr_corrected], "B": [self.B],
            "seed": [self.seed], "n": [self.n], "n_failed": [self.n_failed], "n_infinite": [self.n_infinite],
        }, schema_overrides={k: pl.Float64 for k in ("cut_median", "cut_q025", "cut_q975", "published",
                                                      "window_low", "window_high", "share_in_window",
                                                      "optimism", "hr_corrected")}
           | {"seed": pl.Int64})

    def __repr__(self) -> str:
        q = self.cut_quantiles((0.025, 0.5, 0.975))["cut"].to_list() if np.isfinite(self.cuts).any() else []
        lines = [f"Bootstrap of the maxstat cut-point ({self.formula}), B = {self.B}, seed = {self.seed}",
                 f"cut on the data: {self.cut:.4g}"]
        if q:
            lines.append(f"resampled cuts: median {q[1]:.4g} (2.5%-97.5%: {q[0]:.4g}-{q[2]:.4g})")
        if self.window is not None and self.share_in_window is not None:
            lines.append(f"share within [{self.window[0]:g}, {self.window[1]:g}] around {self.published:g}: "
                         f"{self.share_in_window:.1%}")
        corr = "NA" if self.hr_corrected is None else f"{self.hr_corrected:.3g}"
        lines.append(f"HR (marker > cut): apparent {self.hr_apparent:.3g}, optimism-corrected {corr}")
        lines.append(f"{self.n_failed} resamples without an admissible cut, {self.n_infinite} with an "
                     "infinite HR (left out of the optimism)")
        return "\n".join(lines)


class _SortedData(NamedTuple):
    """The data sorted by time, each row's position in that order, the marker sorted with each
    of its rows' time position, the scan's bounds, and whether the compiled kernel runs."""

    rank: np.ndarray
    t: np.ndarray
    e: np.ndarray
    x: np.ndarray
    x_by_x: np.ndarray
    t_pos: np.ndarray
    minprop: float
    maxprop: float
    compiled: bool


class _Replicates:
    """Per resample: the cut, its statistic, and the log HR in the resample and on the data."""

    def __init__(self, b: int):
        self.cuts, self.stats, self.lb, self.lt = (np.full(b, np.nan) for _ in range(4))


def _replicate(d: _SortedData, sl: slice, idx: np.ndarray, out: _Replicates) -> None:
    """Scan and the two Cox fits of the resamples ``idx`` (rows of data indices), into ``out[sl]``."""
    if d.compiled:
        from nlrstats.stats.cutpoint._boot_jit import replicate_counts  # numba only for large bootstraps
        lo, hi = scan_bounds(d.t.size, d.minprop, d.maxprop)
        replicate_counts(d.rank, d.t, d.e, d.x, d.x_by_x, d.t_pos, idx, lo, hi,
                         d.minprop == 0 and d.maxprop == 1, out.cuts[sl], out.stats[sl], out.lb[sl], out.lt[sl])
        return
    pos = resample_by_time(d.rank, idx)
    ts, es, xt = d.t[pos], d.e[pos], d.x[pos]
    c, s, ok = scan_sorted(ts, es, xt, d.minprop, d.maxprop)
    out.cuts[sl], out.stats[sl] = c, s
    if ok.any():
        cc = c[ok][:, None]
        lb = cox_sorted(ts[ok], es[ok], (xt[ok] > cc).astype(float))
        tt = np.broadcast_to(d.t, (cc.shape[0], d.t.size))
        lt = cox_sorted(tt, np.broadcast_to(d.e, tt.shape), (d.x[None, :] > cc).astype(float))
        out.lb[sl][ok], out.lt[sl][ok] = lb, lt


def _progress_sink(progress, total_cells: int) -> Callable[[int, int], None] | None:
    if callable(progress):
        return progress
    if progress is None:
        progress = total_cells >= _PROGRESS_CELLS
    if not progress:
        return None
    t0 = _time.perf_counter()

    def show(done: int, total: int) -> None:
        el = _time.perf_counter() - t0
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\rbootstrap_cutpoint: {done}/{total} resamples ({el:.1f} s){end}")
        sys.stderr.flush()
    return show


def bootstrap_cutpoint(formula: str, data, B: int = 1000, seed: int | None = None,
                       window: tuple[float, float] | float | None = None, published: float | None = 8.0,
                       minprop: float = 0.1, maxprop: float = 0.9,
                       progress: bool | Callable[[int, int], None] | None = None) -> BootstrapCutpointResult:
    """Bootstrap the maxstat cut-point: how stable is it, and how optimistic is its HR?

    Each of ``B`` resamples (patients drawn with replacement, numpy ``default_rng(seed)``:
    same seed, same result) gets the maxstat log-rank scan of :func:`maxstat` (same
    scores, admissible cuts, first maximum). Reported: the distribution of the chosen
    cut, the share within ``window`` of ``published``, and Harrell's bootstrap optimism of
    the Cox log HR of ``marker > cut`` (Efron ties, Newton-Raphson as R's ``coxph``;
    checked against :func:`nlrstats.stats.survival.coxph`): optimism_b = log HR in resample b at
    its own cut - log HR on the original data at that cut; corrected = apparent - mean.

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ marker"``; incomplete rows are left out (``n_missing``).
    data : polars.DataFrame or pandas.DataFrame
    B : int
    seed : int, optional
    window : (lo, hi) or float, optional
        The window, or a half-width around ``published`` (``published - w, published + w``).
    published : float, optional
        The published cut (8 for NLR in Fukuda et al. 2020).
    minprop, maxprop : float
        As :func:`maxstat`.
    progress : bool or callable, optional
        A stderr progress line (default: when B * n >= 5e6), or ``callable(done, B)``.

    Returns
    -------
    BootstrapCutpointResult
    """
    t0 = _time.perf_counter()
    f = parse_surv_formula(formula)
    t, e, x, n_missing = surv_columns(f, data)
    n = t.size
    if B < 1:
        raise ValueError(f"B must be at least 1, got {B}")
    if isinstance(window, list):
        window = tuple(window)
    if window is not None and not isinstance(window, tuple):
        if published is None:
            raise ValueError("a window half-width needs the published cut")
        window = (published - float(window), published + float(window))

    cut0, _, ok0 = scan_batch(x[None], t[None], e[None], minprop, maxprop)
    if not ok0[0]:
        raise ValueError(f"{f.text}: no admissible cut on the original data")
    cut0 = float(cut0[0])
    lhr0 = float(cox_binary_batch(t[None], e[None], (x > cut0)[None].astype(float))[0])

    rng = np.random.default_rng(seed)
    out = _Replicates(B)
    order = np.argsort(t, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    xt = x[order].astype(float)
    t_pos = np.argsort(xt, kind="stable")
    data = _SortedData(rank, t[order].astype(float), e[order].astype(float), xt, xt[t_pos], t_pos,
                       minprop, maxprop, B * n >= _JIT_CELLS)
    chunk = max(1, _CHUNK_CELLS // n)
    show = _progress_sink(progress, B * n)
    pool = second_core() if B * n >= _PARALLEL_CELLS else None
    done = 0
    while done < B:
        # Draws stay in the order of one serial loop (the same seed gives the same resamples);
        # with two cores, every other chunk runs on the worker while this thread runs the next.
        k = min(chunk, B - done)
        first = (slice(done, done + k), rng.integers(0, n, size=(k, n)))
        done += k
        if pool is not None and done < B:
            k = min(chunk, B - done)
            pending = pool.submit(_replicate, data, *first, out)
            _replicate(data, slice(done, done + k), rng.integers(0, n, size=(k, n)), out)
            done += k
            pending.result()
        else:
            _replicate(data, *first, out)
        if show is not None:
            show(done, B)
    cuts, stats, lb, lt = out.cuts, out.stats, out.lb, out.lt

    okc = np.isfinite(cuts)
    finite = okc & np.isfinite(lb) & np.isfinite(lt)
    optimism = float(np.mean(lb[finite] - lt[finite])) if finite.any() else None
    corrected = None if optimism is None or not math.isfinite(lhr0) else lhr0 - optimism
    share = None
    if window is not None and okc.any():
        share = float(np.mean((cuts[okc] >= window[0]) & (cuts[okc] <= window[1])))
    return BootstrapCutpointResult(
        formula=f.text, cut=cut0, cuts=cuts, statistics=stats, log_hr_boot=lb, log_hr_test=lt, B=int(B),
        seed=seed, published=published, window=window, share_in_window=share, log_hr_apparent=lhr0,
        optimism=optimism, log_hr_corrected=corrected, n=n, n_missing=n_missing,
        n_failed=int((~okc).sum()), n_infinite=int((okc & ~finite).sum()), minprop=minprop, maxprop=maxprop,
        seconds=_time.perf_counter() - t0)
