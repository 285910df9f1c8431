"""Turn a formula and a data frame into numpy arrays the survival kernels use.

R's conventions are kept: rows with a missing value in any formula column are
dropped (``na.omit``) and counted; times that differ by less than
``sqrt(.Machine$double.eps)`` are merged as R's ``aeqSurv`` (``timefix = TRUE``)
does; factor levels are sorted as R's ``factor()`` sorts them unless the column
is a polars ``Enum``, whose declared order is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError, SurvFormula, parse_surv_formula
from nlrstats.stats.frames import as_polars, r_format
from nlrstats.stats.survival._modelframe import model_frame

__all__ = ["SurvData", "Factor", "prepare", "as_polars", "factor", "combine_factors", "r_format",
           "JIT_MIN_ROWS", "TIMEFIX_TOL", "apply_fix", "decode_keys", "min_max", "pack_exponent",
           "time_event_keys", "timefix_map"]

TIMEFIX_TOL = math.sqrt(np.finfo(float).eps)  # R's aeqSurv: sqrt(.Machine$double.eps)

# From this many rows the compiled (numba) kernels pay for importing numba (~0.4 s, once per
# process). The compiled modules (._scan_jit, ._jit, ._concordance_jit, ._cox_jit) are imported
# lazily from here on; none of them imports a module that imports it (the dependency runs one way).
JIT_MIN_ROWS = 50_000


def sort_values(a: np.ndarray) -> np.ndarray:
    """``np.sort(a)``: numpy 2's SIMD sort (x86-simd-sort, Highway).

    It sorts 10^6 uint64 keys in 13 ms on our two-core machines, against 18-34 ms for polars'
    multi-threaded sort with its copy back, which this function used under numpy 1 (74 ms).
    """
    return np.sort(a)


def argsort_values(a: np.ndarray) -> np.ndarray:
    """An ascending argsort of ``a`` (int64); ties may come in any order (numpy's default sort).

    numpy's, at every size: polars' parallel argsort (used here under numpy 1) made no
    difference to a 10^6-row ``coxph`` under numpy 2 (0.76 s either way).
    """
    return np.argsort(a)


def min_max(x: np.ndarray):
    """Smallest and largest value of a float array: one compiled pass for long arrays."""
    if len(x) >= JIT_MIN_ROWS:
        from nlrstats.stats.survival._scan_jit import min_max as jit_min_max  # numba only for large cohorts
        return jit_min_max(x)
    return (float(x.min()), float(x.max())) if len(x) else (np.inf, -np.inf)


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class Factor:
    """Integer codes 0..k-1 with level labels in R's order."""

    name: str
    codes: np.ndarray
    levels: tuple  # original values
    labels: tuple[str, ...]  # as R prints them


def factor(series: pl.Series) -> Factor:
    """Code a column as R's ``factor()`` would: sorted levels (Enum: declared order), only levels present.

    Coding runs in polars (Enum physical codes), with no Python loop over rows.
    """
    dt = series.dtype
    name = series.name
    if isinstance(dt, pl.Enum):
        cats = dt.categories.to_list()
        phys = series.to_physical().to_numpy().astype(np.int64)
        used = np.bincount(phys, minlength=len(cats)) > 0
        remap = np.cumsum(used) - 1
        levels = [c for c, u in zip(cats, used) if u]
        codes = remap[phys]
    elif dt == pl.Boolean:
        vals = series.to_numpy().astype(np.int64)
        used = np.bincount(vals, minlength=2) > 0
        levels = [v for v, u in zip((False, True), used) if u]
        codes = (np.cumsum(used) - 1)[vals]
    elif dt == pl.String or isinstance(dt, pl.Categorical):
        s = series.cast(pl.String)
        levels = codes = None
        if len(s) >= JIT_MIN_ROWS and dt == pl.String:
            from nlrstats.stats.survival._scan_jit import two_level_codes  # numba only for large cohorts
            two = two_level_codes(s)
            if two is not None:
                codes, second = two
                levels = [s[0]] if second < 0 else sorted([s[0], s[second]])
                if len(levels) == 2 and levels[0] != s[0]:
                    np.subtract(1, codes, out=codes)
        if levels is None and len(s) and s.null_count() == 0:
            # one or two levels (the usual grouping): two comparisons beat hashing every string
            first = s[0]
            is_first = s == first
            if is_first.all():
                levels, codes = [first], np.zeros(len(s), dtype=np.int64)
            else:
                second = s[is_first.arg_min()]
                is_second = s == second
                if (is_first | is_second).all():
                    levels = sorted([first, second])
                    codes = (is_first if levels[1] == first else is_second).cast(pl.Int64).to_numpy()
        if levels is None:
            levels = sorted(s.unique().to_list())
            if len(levels) == 2:
                codes = (s == levels[1]).to_numpy().astype(np.int64)
            else:
                codes = s.cast(pl.Enum(levels)).to_physical().to_numpy().astype(np.int64)
    elif dt.is_numeric():
        uniq, codes = np.unique(series.to_numpy(), return_inverse=True)
        levels = uniq.tolist()
    else:
        raise FormulaError(f"column '{name}' has type {dt}, which cannot be used as a grouping variable")
    labels = tuple(r_format(v) for v in levels)
    return Factor(name, np.asarray(codes, dtype=np.int64), tuple(levels), labels)


def combine_factors(factors: list[Factor], label_prefixes: list[str] | None = None) -> Factor:
    """Interaction of factors as R's ``strata()``: first factor varies slowest, only combinations present.

    Labels are ``"a=x, b=y"`` as in ``survfit`` output.
    """
    prefixes = label_prefixes or [f.name for f in factors]
    n = len(factors[0].codes) if factors else 0
    if not factors:
        return Factor("", np.zeros(n, dtype=np.int64), ("",), ("",))
    if len(factors) == 1:
        f = factors[0]
        return Factor(f.name, f.codes, tuple((v,) for v in f.levels),
                      tuple(f"{prefixes[0]}={lb}" for lb in f.labels))
    key = np.zeros(n, dtype=np.int64)
    for f in factors:
        key = key * len(f.levels) + f.codes
    present, codes = np.unique(key, return_inverse=True)
    labels = []
    levels = []
    for k in present.tolist():
        parts = []
        combo = []
        for f, pre in zip(reversed(factors), reversed(prefixes)):
            k, c = divmod(k, len(f.levels))
            parts.append(f"{pre}={f.labels[c]}")
            combo.append(f.levels[c])
        labels.append(", ".join(reversed(parts)))
        levels.append(tuple(reversed(combo)))
    return Factor(",".join(f.name for f in factors), codes.astype(np.int64), tuple(levels), tuple(labels))


def timefix_map(st: np.ndarray):
    """Near-equal times as R's ``aeqSurv`` (``timefix = TRUE``), from the sorted times.

    Unique times closer than sqrt(machine eps) (absolutely, or relative to the mean
    absolute unique time) form chains that take their smallest value, as R's
    ``findInterval`` on the cuts. Returns ``(old, new)`` for the values that move, or
    None; the chain bookkeeping runs on the (few) tied positions only.
    """
    if len(st) < 2:
        return None
    brk = np.empty(len(st), dtype=bool)
    brk[0] = True
    np.not_equal(st[1:], st[:-1], out=brk[1:])
    u = st if brk.all() else st[brk]
    if len(u) < 2:
        return None
    du = np.diff(u)
    mean_abs = float(np.mean(u)) if u[0] >= 0 else float(np.mean(np.abs(u)))  # sorted: all >= 0
    thr = TIMEFIX_TOL * max(1.0, mean_abs)  # dy <= tol or dy / mean|y| <= tol
    idx = np.flatnonzero(du <= thr)
    if not len(idx):
        return None
    newchain = np.concatenate(([True], idx[1:] != idx[:-1] + 1))
    first = np.maximum.accumulate(np.where(newchain, idx, 0))
    return u[idx + 1], u[first]


def apply_fix(st: np.ndarray, fix) -> np.ndarray:
    """Apply a :func:`timefix_map` result to an ascending array of times (stays sorted)."""
    if fix is None:
        return st
    old, new = fix
    lo = np.searchsorted(st, old, side="left")
    cnt = np.searchsorted(st, old, side="right") - lo
    if not cnt.any():
        return st
    rep = np.repeat(np.arange(len(old)), cnt)
    pos = lo[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    out = st.copy()
    out[pos] = new[rep]
    return out


def time_event_keys(time: np.ndarray, event: np.ndarray):
    """uint64 keys that sort as (time, event) for non-negative times: the float's bits, shifted, | event.

    The bit pattern of a non-negative double is monotone in its value and its sign bit is 0,
    so one value sort (SIMD, no argsort) orders times with censorings before events. None if
    a time is negative.
    """
    if len(time) and time.min() < 0:
        return None
    bits = (time + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0
    return (bits << np.uint64(1)) | event.astype(np.uint64)


def decode_keys(keys: np.ndarray):
    """Times (float64) and events (int64) back from sorted keys."""
    return (keys >> np.uint64(1)).view(np.float64), (keys & np.uint64(1)).astype(np.int64)


def pack_exponent(time: np.ndarray, bounds=None):
    """m such that ``time * 2^-m`` is below 2 and exact for every time, or None.

    Scaling all times by one power of two brings them below 2, which frees the top exponent
    bit of their (non-negative) doubles for a group bit in packed sort keys. None for no
    rows, a negative time, or times so small that the scaling would make them subnormal
    (inexact). ``bounds``: (min, max) of ``time`` when already known.
    """
    if len(time) == 0:
        return None
    tmin, tmax = min_max(time) if bounds is None else bounds
    if tmin < 0:
        return None
    m = max(0, math.frexp(tmax)[1] - 1)  # tmax * 2^-m < 2
    if m > 1000:
        return None
    if m:
        tiny = math.ldexp(1.0, -1022 + m)  # below it, time * 2^-m would be subnormal (inexact)
        if tmin < tiny and np.any((time > 0) & (time < tiny)):
            return None
    return m


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class SurvData:
    """Complete-case survival data extracted from a frame.

    ``raw_time`` is the time column as given; ``time`` applies R's timefix (computed on
    first use, like the argsort ``order``), and kernels that sort values themselves fix
    their sorted arrays with :meth:`fix_sorted`.
    """

    formula: SurvFormula
    frame: pl.DataFrame  # complete cases, formula columns only
    raw_time: np.ndarray
    event: np.ndarray  # int8 0/1
    n_missing: int
    timefix: bool = True
    weights: np.ndarray | None = None  # case weights (R's weights=), None when all 1
    rows: np.ndarray | None = None  # row number in the data of each complete case
    knots: dict | None = None  # rcs() knots of the formula's splines

    @property
    def n(self) -> int:
        return len(self.raw_time)

    @cached_property
    def time_range(self):
        """(min, max) of the raw times, read once for the kernels that check or scale them."""
        return min_max(self.raw_time)

    @cached_property
    def keys(self):
        return time_event_keys(self.raw_time, self.event)

    @cached_property
    def sorted_keys(self):
        return None if self.keys is None else sort_values(self.keys)

    @cached_property
    def fix(self):
        if not self.timefix:
            return None
        st = decode_keys(self.sorted_keys)[0] if self.sorted_keys is not None else np.sort(self.raw_time)
        return timefix_map(st)

    def fix_sorted(self, st: np.ndarray) -> np.ndarray:
        """Apply the timefix to an ascending array of these times (stays sorted)."""
        return apply_fix(st, self.fix)

    @cached_property
    def order(self) -> np.ndarray:
        """Ascending argsort of time; at equal times events come before censorings.

        Reversed, it is the (descending time, censorings first) order that the Cox risk
        sets and the concordance counts need. Timefix keeps the order.
        """
        if self.keys is None:
            return np.lexsort((1 - self.event, self.raw_time))
        return argsort_values(self.keys ^ np.uint64(1))

    @cached_property
    def sorted_time(self) -> np.ndarray:
        """Timefixed times in ``order``."""
        return self.fix_sorted(self.raw_time[self.order])

    @cached_property
    def time(self) -> np.ndarray:
        if self.fix is None:
            return self.raw_time
        out = np.empty_like(self.raw_time)
        out[self.order] = self.sorted_time
        return out


def prepare(formula: str | SurvFormula, data, timefix: bool = True, weights=None, subset=None) -> SurvData:
    """Parse and check the formula, evaluate it as R's ``model.frame`` (subset, weights,
    ``na.omit``; :mod:`._modelframe`), and code the status as R's ``Surv`` (0/1, 1/2, boolean)."""
    f = parse_surv_formula(formula) if isinstance(formula, str) else formula
    mf = model_frame(f, as_polars(data), weights, subset)
    return SurvData(f, mf.frame, mf.time, mf.event, mf.n_missing, timefix, mf.weights, mf.rows, mf.knots)
